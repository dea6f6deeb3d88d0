import { promptMessages, type ChatMessage, type Conversation, type PreferenceRecord } from '@radpo/core';

/**
 * One row of TRL's conversational preference format: the prompt as a message list (system message
 * included), and each response as a list of assistant messages. `score_*` and `attributes_*` carry
 * the pair's scores when it has them; TRL ignores the extra columns, and radpo's readers take them back.
 */
export interface TrlPreferenceRow {
  id?: string;
  prompt: ChatMessage[];
  chosen: ChatMessage[];
  rejected: ChatMessage[];
  score_chosen?: number;
  score_rejected?: number;
  attributes_chosen?: Record<string, number>;
  attributes_rejected?: Record<string, number>;
}

/** Converts a record to TRL's conversational shape. A text response becomes one assistant message. */
export function toTrlRow(record: PreferenceRecord): TrlPreferenceRow {
  const row: TrlPreferenceRow = {
    ...(record.id === undefined ? {} : { id: record.id }),
    prompt: promptMessages(record.prompt),
    chosen: assistantMessages(record.chosen),
    rejected: assistantMessages(record.rejected),
  };
  if (record.scores) {
    row.score_chosen = record.scores.chosen;
    row.score_rejected = record.scores.rejected;
    if (record.scores.attributes) {
      row.attributes_chosen = record.scores.attributes.chosen;
      row.attributes_rejected = record.scores.attributes.rejected;
    }
  }
  return row;
}

function assistantMessages(response: Conversation): ChatMessage[] {
  return typeof response === 'string' ? [{ role: 'assistant', content: response }] : response;
}
