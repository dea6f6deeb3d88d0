import { RadpoError, promptMessages, responseText, type ChatMessage, type PreferenceRecord, type Tokenizer } from '@radpo/core';
import { tokenizePairs, type PairTokenizationOptions, type PairTokenizationStats, type TokenizedPair } from './pair-tokenization';

type ChatTemplate = NonNullable<Tokenizer['applyChatTemplate']>;

/** Rendering of prompts: the tokenizer's chat template, `<|role|>` tags, or raw text (see PairTokenizationOptions.promptFormat). */
export type PromptFormat = 'template' | 'tags' | 'raw';

/**
 * Tokenizes pairs in the given prompt format: the chat template (which the tokenizer must have), or
 * tokenizePairs with tags or raw text.
 */
export function tokenizePairsForTokenizer(
  records: Iterable<PreferenceRecord>,
  tokenizer: Tokenizer,
  options: Omit<PairTokenizationOptions, 'promptFormat'> & { promptFormat: PromptFormat },
  stats?: PairTokenizationStats,
): TokenizedPair[] {
  const { promptFormat, ...limits } = options;
  if (promptFormat === 'template') return tokenizeChatPairs(records, tokenizer, limits, stats);
  return tokenizePairs(records, tokenizer, { ...limits, promptFormat }, stats);
}

/**
 * Tokenizes pairs with a chat template. The prompt is rendered with the generation prompt, and the
 * prompt + response as a conversation ending in an assistant turn. The response ids are what the
 * second rendering adds to the first. When the prompt's ids are not a prefix of the full ids (a template that
 * renders the prompt differently once an answer follows, or a trailing space that merges with the
 * response's first token) the pair is repaired: the response ids are encoded from the text after the
 * prompt text (or from the response alone), and the repair is counted in `boundaryRepairs`.
 *
 * Every sequence starts with exactly one BOS when the tokenizer has one (templates that write
 * bos_token would otherwise double it) and none when it has none. EOS is appended to a response only
 * when the template did not already put it there. Truncation keeps one prompt for chosen and rejected:
 * a prompt over maxPromptLength keeps its head up to the first user message's content (BOS, system
 * turns with any reward-augmentation goal, the user header) and the end of the rest; each response is
 * then cut to what is left, at least one token. Pairs whose responses become identical are dropped.
 */
export function tokenizeChatPairs(
  records: Iterable<PreferenceRecord>,
  tokenizer: Tokenizer,
  options: PairTokenizationOptions,
  stats: PairTokenizationStats = { pairs: 0, truncatedPrompts: 0, truncatedResponses: 0, identicalAfterTruncation: 0 },
): TokenizedPair[] {
  const render = tokenizer.applyChatTemplate;
  if (!render) throw new RadpoError('config', 'tokenizeChatPairs needs a tokenizer with a chat template.');
  const { maxLength, maxPromptLength } = options;
  if (!(maxPromptLength < maxLength)) {
    throw new RadpoError(
      'config',
      `maxPromptLength (${maxPromptLength}) must be smaller than maxLength (${maxLength}), so that every response keeps at least one token.`,
    );
  }
  stats.boundaryRepairs ??= 0;
  stats.emptyResponses ??= 0;
  const encode = (text: string) => withSingleBos(tokenizer.encode(text), tokenizer.bosId);
  const pairs: TokenizedPair[] = [];
  let index = 0;
  for (const record of records) {
    index++;
    const messages = promptMessages(record.prompt);
    const promptText = render(messages, { addGenerationPrompt: true });
    let promptIds = encode(promptText);
    const respond = (response: string) => responseIds(render, encode, tokenizer, messages, promptText, promptIds, response);
    const chosen = respond(responseText(record.chosen));
    const rejected = respond(responseText(record.rejected));
    if (chosen.repaired || rejected.repaired) stats.boundaryRepairs++;
    let chosenIds = chosen.ids;
    let rejectedIds = rejected.ids;
    if (chosenIds.length === 0 || rejectedIds.length === 0) {
      stats.emptyResponses++;
      continue;
    }

    if (promptIds.length + Math.max(chosenIds.length, rejectedIds.length) > maxLength) {
      if (promptIds.length > maxPromptLength) {
        const head = Math.min(protectedHeadLength(render, encode, messages, promptIds), maxPromptLength - 1);
        const restBudget = maxPromptLength - head;
        promptIds = [...promptIds.slice(0, head), ...promptIds.slice(promptIds.length - restBudget)];
        stats.truncatedPrompts++;
      }
      const responseBudget = maxLength - promptIds.length;
      if (chosenIds.length > responseBudget || rejectedIds.length > responseBudget) stats.truncatedResponses++;
      chosenIds = chosenIds.slice(0, responseBudget);
      rejectedIds = rejectedIds.slice(0, responseBudget);
    }

    if (chosenIds.length === rejectedIds.length && chosenIds.every((id, i) => id === rejectedIds[i])) {
      stats.identicalAfterTruncation++;
      continue;
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

function responseIds(
  render: ChatTemplate,
  encode: (text: string) => number[],
  tokenizer: Tokenizer,
  messages: ChatMessage[],
  promptText: string,
  promptIds: number[],
  response: string,
): { ids: number[]; repaired: boolean } {
  const fullText = render([...messages, { role: 'assistant', content: response }], { addGenerationPrompt: false });
  const fullIds = encode(fullText);
  let ids: number[];
  let repaired = false;
  if (startsWith(fullIds, promptIds)) {
    ids = fullIds.slice(promptIds.length);
  } else {
    repaired = true;
    ids = tokenizer.encode(fullText.startsWith(promptText) ? fullText.slice(promptText.length) : response);
  }
  if (tokenizer.eosId !== undefined && !ids.includes(tokenizer.eosId)) ids.push(tokenizer.eosId);
  return { ids, repaired };
}

/**
 * Length of the prompt's head that truncation keeps: the ids shared with a rendering of the leading
 * system turns followed by an empty user turn, that is everything before the first user content.
 */
function protectedHeadLength(render: ChatTemplate, encode: (text: string) => number[], messages: ChatMessage[], promptIds: number[]): number {
  let systemCount = 0;
  while (systemCount < messages.length && messages[systemCount].role === 'system') systemCount++;
  let headIds: number[];
  try {
    headIds = encode(render([...messages.slice(0, systemCount), { role: 'user', content: '' }], { addGenerationPrompt: false }));
  } catch {
    // A template that rejects this shape protects nothing beyond BOS.
    return 0;
  }
  let length = 0;
  while (length < headIds.length && length < promptIds.length && headIds[length] === promptIds[length]) length++;
  return length;
}

/** Removes leading BOS ids and puts back exactly one, or none when the tokenizer has no BOS. */
function withSingleBos(ids: number[], bosId: number | undefined): number[] {
  if (bosId === undefined) return ids;
  let start = 0;
  while (start < ids.length && ids[start] === bosId) start++;
  return [bosId, ...ids.slice(start)];
}

function startsWith(ids: number[], prefix: number[]): boolean {
  return prefix.length <= ids.length && prefix.every((id, i) => ids[i] === id);
}

/**
 * Token ids of a prompt for generation, rendered as training renders it in the same prompt format.
 * Starts with one BOS when the tokenizer has one.
 */
export function tokenizeGenerationPrompt(tokenizer: Tokenizer, messages: ChatMessage[], promptFormat: PromptFormat): number[] {
  if (promptFormat === 'template') {
    if (!tokenizer.applyChatTemplate) throw new RadpoError('config', 'the prompt format "template" needs a tokenizer with a chat template.');
    return withSingleBos(tokenizer.encode(tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true })), tokenizer.bosId);
  }
  const limits = { maxLength: Number.MAX_SAFE_INTEGER, maxPromptLength: Number.MAX_SAFE_INTEGER - 1, promptFormat };
  return tokenizePairs([{ prompt: messages, chosen: 'a', rejected: 'b' }], tokenizer, limits)[0].promptIds;
}
