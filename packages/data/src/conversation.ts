import { describeValue, responseText, type ChatMessage, type Conversation } from '@radpo/core';
import { badRow, type RowLocation } from './row-errors';

/**
 * Validates a prompt or response: a string, or a list of `{role, content}` messages with string
 * role and content. Messages are copied with only `role` and `content`, so extra keys such as
 * `name` or `loss_weight` are dropped. Throws a DataError (reason `invalid-type`) naming the
 * offending element, such as `chosen.2.content`.
 */
export function parseConversation(value: unknown, location: RowLocation, field: string): Conversation {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) {
    throw badRow(
      location,
      'invalid-type',
      `expected a string or a list of {"role", "content"} messages, got ${describeValue(value)}`,
      field,
    );
  }
  return value.map((message, index) => parseMessage(message, location, `${field}.${index}`));
}

function parseMessage(message: unknown, location: RowLocation, field: string): ChatMessage {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw badRow(location, 'invalid-type', `expected a {"role", "content"} message, got ${describeValue(message)}`, field);
  }

  const { role, content } = message as Record<string, unknown>;
  if (typeof role !== 'string' || role.length === 0) {
    throw badRow(
      location,
      'invalid-type',
      `expected a non-empty string role such as "user" or "assistant", got ${describeValue(role)}`,
      `${field}.role`,
    );
  }
  if (typeof content !== 'string') {
    throw badRow(
      location,
      'invalid-type',
      `expected string content, got ${describeValue(content)}. Messages whose content is a list of parts are not supported.`,
      `${field}.content`,
    );
  }
  return { role, content };
}

/** Returns true when two messages have the same role and content. */
export function messagesEqual(a: ChatMessage, b: ChatMessage): boolean {
  return a.role === b.role && a.content === b.content;
}

/** Returns how many leading messages two lists share. */
export function commonPrefixLength(a: readonly ChatMessage[], b: readonly ChatMessage[]): number {
  let length = 0;
  while (length < a.length && length < b.length && messagesEqual(a[length], b[length])) length++;
  return length;
}

/** Returns true when `messages` starts with every message of `prefix`, in order. */
export function startsWithMessages(messages: readonly ChatMessage[], prefix: readonly ChatMessage[]): boolean {
  return prefix.length <= messages.length && commonPrefixLength(messages, prefix) === prefix.length;
}

/** Compares exactly: strings by their characters, lists message by message. A string never equals a list. */
export function conversationsEqual(a: Conversation, b: Conversation): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && commonPrefixLength(a, b) === a.length;
}

/** Returns true for an empty string, an empty list, or text that is only whitespace. */
export function isBlankConversation(conversation: Conversation): boolean {
  return responseText(conversation).trim() === '';
}
