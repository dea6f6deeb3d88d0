import { describeValue, type ChatMessage, type Conversation } from '@radpo/core';
import { commonPrefixLength, conversationsEqual } from './conversation';
import { isJsonObject } from './dotted-path';
import { badRow, type RowLocation } from './row-errors';

/**
 * Pair shapes that shape detection recognizes besides radpo's and TRL's prompt/chosen/rejected.
 * Each is recognized by its keys alone, so none needs a field map.
 */
export type PairShape = 'hh-rlhf' | 'sharegpt-ranking' | 'alpaca-ranking' | 'orca-messages';

/** A row's prompt and responses before the empty and identical checks. */
export interface RawPairText {
  prompt: Conversation;
  chosen: Conversation;
  rejected: Conversation;
  /** Paths named in errors about the three parts. */
  paths: { prompt: string; chosen: string; rejected: string };
}

const HH_TURN = /\n\n(Human|Assistant):[ ]?/;

/** Returns the pair shape of a row, or undefined for the prompt/chosen/rejected shape. */
export function detectPairShape(row: Record<string, unknown>): PairShape | undefined {
  if (Array.isArray(row.chosen_messages) && Array.isArray(row.rejected_messages)) return 'orca-messages';
  if (Array.isArray(row.conversations) && isJsonObject(row.chosen) && isJsonObject(row.rejected)) return 'sharegpt-ranking';
  if (typeof row.instruction === 'string' && row.chosen !== undefined && row.rejected !== undefined && row.prompt === undefined) {
    return 'alpaca-ranking';
  }
  if (
    row.prompt === undefined &&
    typeof row.chosen === 'string' &&
    typeof row.rejected === 'string' &&
    /^\s*Human:/.test(row.chosen) &&
    /^\s*Human:/.test(row.rejected)
  ) {
    return 'hh-rlhf';
  }
  return undefined;
}

/** Converts a row of a recognized shape into prompt and responses. Throws a DataError on a malformed row. */
export function readShapedPair(shape: PairShape, row: Record<string, unknown>, location: RowLocation): RawPairText {
  switch (shape) {
    case 'hh-rlhf':
      return readHhPair(row, location);
    case 'sharegpt-ranking':
      return readShareGptPair(row, location);
    case 'alpaca-ranking':
      return readAlpacaPair(row, location);
    case 'orca-messages':
      return readOrcaPair(row, location);
  }
}

/**
 * Anthropic HH-RLHF: `chosen` and `rejected` each contain the whole dialogue as `\n\nHuman: ...` and
 * `\n\nAssistant: ...` turns. The prompt is the run of leading turns both share, cut back to end
 * with a Human turn. The response is what follows, as text when it is one Assistant turn.
 */
function readHhPair(row: Record<string, unknown>, location: RowLocation): RawPairText {
  const paths = { prompt: 'chosen', chosen: 'chosen', rejected: 'rejected' };
  const chosen = parseHhDialogue(row.chosen as string, location, 'chosen');
  const rejected = parseHhDialogue(row.rejected as string, location, 'rejected');
  if (conversationsEqual(chosen, rejected)) throw identicalDialogues(location, paths);

  let shared = commonPrefixLength(chosen, rejected);
  while (shared > 0 && chosen[shared - 1].role !== 'user') shared--;
  if (shared === 0) {
    throw badRow(
      location,
      'empty-prompt',
      'the two dialogues share no leading Human turn, so the prompt cannot be recovered.',
      'chosen',
    );
  }
  return {
    prompt: chosen.slice(0, shared),
    chosen: responseOf(chosen.slice(shared)),
    rejected: responseOf(rejected.slice(shared)),
    paths,
  };
}

/**
 * Builds the error for identical whole dialogues. They leave no response to split off, so such a pair
 * cannot be kept even under onDegeneratePair "keep", and the reader applies onBadRow to it, as for
 * TRL rows with an implicit prompt.
 */
function identicalDialogues(location: RowLocation, paths: RawPairText['paths']) {
  return badRow(
    location,
    'identical-responses',
    `"${paths.chosen}" and "${paths.rejected}" are identical, so the pair expresses no preference and has no response to split off.`,
  );
}

function parseHhDialogue(text: string, location: RowLocation, field: string): ChatMessage[] {
  const normalized = text.startsWith('\n\n') ? text : `\n\n${text.trimStart()}`;
  const parts = normalized.split(HH_TURN);
  if (parts[0].trim() !== '') {
    throw badRow(location, 'invalid-type', `expected the dialogue to start with "Human:", got ${describeValue(text)}`, field);
  }
  const messages: ChatMessage[] = [];
  for (let index = 1; index < parts.length; index += 2) {
    messages.push({ role: parts[index] === 'Human' ? 'user' : 'assistant', content: parts[index + 1].trim() });
  }
  return messages;
}

/** Returns a single assistant turn as its text, and several turns as a message list. */
function responseOf(messages: ChatMessage[]): Conversation {
  return messages.length === 1 && messages[0].role === 'assistant' ? messages[0].content : messages;
}

const SHAREGPT_ROLES: Record<string, string> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  model: 'assistant',
  system: 'system',
  function_call: 'assistant',
  observation: 'tool',
  tool: 'tool',
};

/**
 * LLaMA-Factory ranking data in sharegpt formatting: `conversations` is a list of `{from, value}`
 * turns, and `chosen` and `rejected` are one `{from, value}` turn each. An optional top-level
 * `system` string becomes the first message. `{role, content}` turns are accepted too.
 */
function readShareGptPair(row: Record<string, unknown>, location: RowLocation): RawPairText {
  const turns = (row.conversations as unknown[]).map((turn, index) => parseShareGptTurn(turn, location, `conversations.${index}`));
  const prompt = typeof row.system === 'string' && row.system.trim() !== '' ? [{ role: 'system', content: row.system }, ...turns] : turns;
  return {
    prompt,
    chosen: parseShareGptTurn(row.chosen, location, 'chosen').content,
    rejected: parseShareGptTurn(row.rejected, location, 'rejected').content,
    paths: { prompt: 'conversations', chosen: 'chosen.value', rejected: 'rejected.value' },
  };
}

function parseShareGptTurn(turn: unknown, location: RowLocation, field: string): ChatMessage {
  if (!isJsonObject(turn)) {
    throw badRow(location, 'invalid-type', `expected a {"from", "value"} turn, got ${describeValue(turn)}`, field);
  }
  const from = turn.from ?? turn.role;
  const value = turn.value ?? turn.content;
  const role = typeof from === 'string' ? SHAREGPT_ROLES[from] : undefined;
  if (role === undefined) {
    throw badRow(
      location,
      'invalid-type',
      `expected "from" to be one of ${Object.keys(SHAREGPT_ROLES).join(', ')}, got ${describeValue(from)}`,
      `${field}.from`,
    );
  }
  if (typeof value !== 'string') {
    throw badRow(location, 'invalid-type', `expected a string "value", got ${describeValue(value)}`, `${field}.value`);
  }
  return { role, content: value };
}

/**
 * LLaMA-Factory ranking data in alpaca formatting: `instruction` and optional `input` form the user
 * turn (joined by a newline), `chosen` and `rejected` are strings. Optional `system` and `history`
 * (a list of [user, assistant] pairs) come before it.
 */
function readAlpacaPair(row: Record<string, unknown>, location: RowLocation): RawPairText {
  const input = typeof row.input === 'string' && row.input.trim() !== '' ? `\n${row.input}` : '';
  const user = `${row.instruction as string}${input}`;
  const history = readAlpacaHistory(row.history, location);
  const system = typeof row.system === 'string' && row.system.trim() !== '' ? [{ role: 'system', content: row.system }] : [];
  const prompt: Conversation = system.length === 0 && history.length === 0 ? user : [...system, ...history, { role: 'user', content: user }];

  for (const side of ['chosen', 'rejected'] as const) {
    if (typeof row[side] !== 'string') {
      throw badRow(location, 'invalid-type', `expected a string response, got ${describeValue(row[side])}`, side);
    }
  }
  return {
    prompt,
    chosen: row.chosen as string,
    rejected: row.rejected as string,
    paths: { prompt: 'instruction', chosen: 'chosen', rejected: 'rejected' },
  };
}

function readAlpacaHistory(history: unknown, location: RowLocation): ChatMessage[] {
  if (history === undefined || history === null) return [];
  if (!Array.isArray(history)) {
    throw badRow(location, 'invalid-type', `expected a list of [user, assistant] pairs, got ${describeValue(history)}`, 'history');
  }
  return history.flatMap((turn, index) => {
    if (!Array.isArray(turn) || turn.length !== 2 || typeof turn[0] !== 'string' || typeof turn[1] !== 'string') {
      throw badRow(location, 'invalid-type', `expected a [user, assistant] pair of strings, got ${describeValue(turn)}`, `history.${index}`);
    }
    return [
      { role: 'user', content: turn[0] },
      { role: 'assistant', content: turn[1] },
    ];
  });
}

/**
 * Orca DPO pairs as LLaMA-Factory stores them: `chosen_messages` and `rejected_messages` are whole
 * conversations whose `content` is a list of `{type: "text", value}` parts. The prompt is the run of
 * leading messages both share; extra keys such as `loss_weight` are dropped.
 */
function readOrcaPair(row: Record<string, unknown>, location: RowLocation): RawPairText {
  const chosen = parseOrcaMessages(row.chosen_messages as unknown[], location, 'chosen_messages');
  const rejected = parseOrcaMessages(row.rejected_messages as unknown[], location, 'rejected_messages');
  const paths = { prompt: 'chosen_messages', chosen: 'chosen_messages', rejected: 'rejected_messages' };
  if (conversationsEqual(chosen, rejected)) throw identicalDialogues(location, paths);

  const shared = commonPrefixLength(chosen, rejected);
  if (shared === 0) {
    throw badRow(location, 'empty-prompt', '"chosen_messages" and "rejected_messages" share no leading messages, so the prompt cannot be inferred.', 'chosen_messages');
  }
  return { prompt: chosen.slice(0, shared), chosen: responseOf(chosen.slice(shared)), rejected: responseOf(rejected.slice(shared)), paths };
}

function parseOrcaMessages(messages: unknown[], location: RowLocation, field: string): ChatMessage[] {
  return messages.map((message, index) => {
    const path = `${field}.${index}`;
    if (!isJsonObject(message) || typeof message.role !== 'string') {
      throw badRow(location, 'invalid-type', `expected a {"role", "content"} message, got ${describeValue(message)}`, path);
    }
    return { role: message.role, content: contentText(message.content, location, `${path}.content`) };
  });
}

/** Joins the text parts of a content list; a plain string passes through. */
export function contentText(content: unknown, location: RowLocation, field: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) {
    throw badRow(location, 'invalid-type', `expected a string or a list of {"type": "text", "value"} parts, got ${describeValue(content)}`, field);
  }
  return content
    .map((part, index) => {
      const text = isJsonObject(part) && part.type === 'text' ? (part.value ?? part.text) : undefined;
      if (typeof text !== 'string') {
        throw badRow(location, 'invalid-type', `expected a {"type": "text", "value"} part, got ${describeValue(part)}`, `${field}.${index}`);
      }
      return text;
    })
    .join('');
}
