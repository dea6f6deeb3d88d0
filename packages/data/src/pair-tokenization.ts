import {
  RadpoError,
  promptMessages,
  responseText,
  type ChatMessage,
  type PreferenceRecord,
  type Tokenizer,
} from '@radpo/core';

/** A preference pair as token ids. The prompt is shared: chosen and rejected hold the response only. */
export interface TokenizedPair {
  id: string;
  promptIds: number[];
  chosenIds: number[];
  rejectedIds: number[];
  scoreChosen?: number;
  scoreRejected?: number;
}

export interface PairTokenizationOptions {
  /** Maximum length of prompt + response, in tokens. */
  maxLength: number;
  /** Maximum prompt length in tokens. A longer prompt keeps its system turns and the end of the rest. */
  maxPromptLength: number;
  /**
   * Keep pairs whose responses are identical after truncation (still counted in the stats). Default
   * false: training drops them because they carry no preference, but scoring needs every pair.
   */
  keepIdentical?: boolean;
  /**
   * How a prompt becomes text: "tags" (default) marks each turn with `<|role|>` and ends with
   * `<|assistant|>`; "raw" joins the turns' contents with blank lines and lets the response follow
   * directly, as a base model without a chat template saw text in pretraining.
   */
  promptFormat?: 'tags' | 'raw';
}

export interface PairTokenizationStats {
  pairs: number;
  truncatedPrompts: number;
  truncatedResponses: number;
  /** Pairs whose chosen and rejected became identical after truncation, and were dropped. */
  identicalAfterTruncation: number;
  /**
   * Pairs (chat-template tokenization only) where the rendered prompt's ids were not a prefix of the
   * rendered prompt + response's ids, so the response ids were re-derived from the text after the prompt.
   */
  boundaryRepairs?: number;
  /** Pairs dropped because a response had no tokens at all (an empty response and no EOS token). */
  emptyResponses?: number;
}

/**
 * Renders a prompt for a model without a chat template: each turn as `<|role|>` and its content on
 * the next line, then `<|assistant|>` so the response follows the assistant tag.
 */
export function renderPlainChat(messages: ChatMessage[]): string {
  return renderTurns(messages) + '<|assistant|>\n';
}

function renderTurns(messages: ChatMessage[]): string {
  return messages.map((message) => `<|${message.role}|>\n${message.content}\n`).join('');
}

/** The raw format: turn contents separated by blank lines; the system turns end with one too, so the rest follows. */
function renderRawTurns(messages: ChatMessage[], endsPrompt: boolean): string {
  const text = messages.map((message) => message.content).join('\n\n');
  return endsPrompt || text === '' ? text : text + '\n\n';
}

function leadingSystemCount(messages: ChatMessage[]): number {
  let count = 0;
  while (count < messages.length && messages[count].role === 'system') count++;
  return count;
}

/**
 * Tokenizes pairs for training. BOS is prepended once when the tokenizer has one; EOS is appended to
 * each response. Truncation happens before padding and keeps the same prompt for chosen and rejected:
 * first the prompt is cut to maxPromptLength, then each response is cut to what is left, which is
 * never less than one token. A cut prompt keeps BOS, its leading system messages (where reward
 * augmentation puts the goal score) and the end of the remaining turns, next to the response.
 */
export function tokenizePairs(
  records: Iterable<PreferenceRecord>,
  tokenizer: Tokenizer,
  options: PairTokenizationOptions,
  stats: PairTokenizationStats = { pairs: 0, truncatedPrompts: 0, truncatedResponses: 0, identicalAfterTruncation: 0 },
): TokenizedPair[] {
  const { maxLength, maxPromptLength } = options;
  if (!(maxPromptLength < maxLength)) {
    throw new RadpoError(
      'config',
      `maxPromptLength (${maxPromptLength}) must be smaller than maxLength (${maxLength}), so that every response keeps at least one token.`,
    );
  }
  const pairs: TokenizedPair[] = [];
  let index = 0;
  for (const record of records) {
    index++;
    const bos = tokenizer.bosId !== undefined ? [tokenizer.bosId] : [];
    const eos = tokenizer.eosId !== undefined ? [tokenizer.eosId] : [];
    const messages = promptMessages(record.prompt);
    const systemCount = leadingSystemCount(messages);
    const raw = options.promptFormat === 'raw';
    const systemTurns = messages.slice(0, systemCount);
    const restTurns = messages.slice(systemCount);
    const systemIds = tokenizer.encode(raw ? renderRawTurns(systemTurns, false) : renderTurns(systemTurns));
    const restIds = tokenizer.encode(raw ? renderRawTurns(restTurns, true) : renderPlainChat(restTurns));
    let promptIds = [...bos, ...systemIds, ...restIds];
    let chosenIds = [...tokenizer.encode(responseText(record.chosen)), ...eos];
    let rejectedIds = [...tokenizer.encode(responseText(record.rejected)), ...eos];

    if (promptIds.length + Math.max(chosenIds.length, rejectedIds.length) > maxLength) {
      if (promptIds.length > maxPromptLength) {
        const protectedIds = [...bos, ...systemIds];
        // System turns longer than the whole prompt budget lose their end too; the goal comes first in them.
        const keptProtected = protectedIds.slice(0, Math.max(bos.length, maxPromptLength - 1));
        const restBudget = maxPromptLength - keptProtected.length;
        promptIds = [...keptProtected, ...restIds.slice(restIds.length - restBudget)];
        stats.truncatedPrompts++;
      }
      const responseBudget = maxLength - promptIds.length;
      if (chosenIds.length > responseBudget || rejectedIds.length > responseBudget) stats.truncatedResponses++;
      chosenIds = chosenIds.slice(0, responseBudget);
      rejectedIds = rejectedIds.slice(0, responseBudget);
    }

    if (sameIds(chosenIds, rejectedIds)) {
      stats.identicalAfterTruncation++;
      if (!options.keepIdentical) continue;
    }
    pairs.push({
      id: record.id ?? String(index),
      promptIds,
      chosenIds,
      rejectedIds,
      scoreChosen: record.scores?.chosen,
      scoreRejected: record.scores?.rejected,
    });
    stats.pairs++;
  }
  return pairs;
}

function sameIds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
