/** One turn of a chat conversation, in the role/content shape that Hugging Face chat templates use. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

/** A prompt or a response: plain text, or a list of chat messages. */
export type Conversation = string | ChatMessage[];

/** Quality scores attached to a preference pair, on the dataset's own scale (UltraFeedback: 1-10). */
export interface PairScores {
  chosen: number;
  rejected: number;
  /** Fine-grained scores by attribute name, such as HelpSteer2's helpfulness or correctness. */
  attributes?: {
    chosen: Record<string, number>;
    rejected: Record<string, number>;
  };
}

/** Where a record came from, so that later errors can name the file and line. */
export interface RecordOrigin {
  file: string;
  /** 1-based line for JSONL, 1-based element index for JSON arrays. */
  line: number;
}

/**
 * One preference pair. `chosen` and `rejected` are the responses only: the prompt is never repeated
 * inside them, whatever shape the source file had.
 */
export interface PreferenceRecord {
  id?: string;
  prompt: Conversation;
  chosen: Conversation;
  rejected: Conversation;
  scores?: PairScores;
  origin?: RecordOrigin;
}

/** Returns the prompt as a message list, wrapping plain text in one user turn. */
export function promptMessages(prompt: Conversation): ChatMessage[] {
  return typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt;
}

/** Returns the text of a response, joining the contents of a message list. */
export function responseText(response: Conversation): string {
  return typeof response === 'string' ? response : response.map((message) => message.content).join('\n');
}

/** Formats a record's origin as `file:line` for messages, or `record <id>` when the origin is unknown. */
export function describeOrigin(record: Pick<PreferenceRecord, 'origin' | 'id'>): string {
  if (record.origin) return `${record.origin.file}:${record.origin.line}`;
  return record.id !== undefined ? `record ${record.id}` : 'record of unknown origin';
}
