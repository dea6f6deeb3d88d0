import { createEvent, type DataTransform, type RunEvent, type Tokenizer } from '@radpo/core';
import { tokenizePairsForTokenizer, type PairTokenizationStats, type TokenizedPair } from '@radpo/data';
import type { RunConfig } from './config';
import { prepareRecords } from './dataset';

/** Tokenized training and held-out pairs of a run, with the events their preparation emitted. */
export interface PreparedPairs {
  train: TokenizedPair[];
  eval: TokenizedPair[];
  trainStats: PairTokenizationStats;
  /** The read, transform and warning events of the preparation, replayed when the pairs are reused. */
  events: RunEvent[];
}

/**
 * Prepared pairs shared between runs of one process, keyed by `pairCacheKey`. Runs that read the same
 * data with the same transforms and tokenization (a comparison's algorithms) tokenize it only once.
 * The cached arrays are shared, so the trainer must never modify them.
 */
export type PairCache = Map<string, Promise<PreparedPairs>>;

/**
 * Returns the key under which a run's prepared pairs may be shared: everything that changes them.
 * The seed counts only when it changes the data, which is for the synthetic task and for a held-out
 * split drawn from the training file.
 */
export function pairCacheKey(config: RunConfig, tokenizerId: string, tokenization: PairTokenizationSettings): string {
  const seedMatters = config.data.train === undefined || config.data.eval === undefined;
  return JSON.stringify({
    data: config.data,
    transforms: config.transforms,
    seed: seedMatters ? config.seed : null,
    tokenization,
    tokenizer: tokenizerId,
  });
}

/** Tokenization settings of a run: lengths and how prompts become text. */
export type PairTokenizationSettings = Parameters<typeof tokenizePairsForTokenizer>[2];

/**
 * Reads, transforms and tokenizes a run's data, or takes it from `cache` when another run prepared
 * the same pairs; then the stored preparation events are emitted again so every run's log is complete.
 */
export async function preparePairs(
  config: RunConfig,
  transforms: DataTransform[],
  tokenizer: Tokenizer,
  tokenizerId: string,
  tokenization: PairTokenizationSettings,
  emit: (event: RunEvent) => void,
  cache?: PairCache,
): Promise<PreparedPairs> {
  if (!cache) return tokenizeRecords(config, transforms, tokenizer, tokenization, emit);

  const key = pairCacheKey(config, tokenizerId, tokenization);
  const cached = cache.get(key);
  if (cached) {
    const prepared = await cached;
    for (const event of prepared.events) emit({ ...event, time: new Date().toISOString() });
    return prepared;
  }
  const pending = tokenizeRecords(config, transforms, tokenizer, tokenization, emit);
  cache.set(key, pending);
  // A failed preparation is not cached, so the next run tries again and reports its own error.
  pending.catch(() => cache.delete(key));
  return pending;
}

async function tokenizeRecords(
  config: RunConfig,
  transforms: DataTransform[],
  tokenizer: Tokenizer,
  tokenization: PairTokenizationSettings,
  emit: (event: RunEvent) => void,
): Promise<PreparedPairs> {
  const events: RunEvent[] = [];
  const record = (event: RunEvent) => {
    events.push(event);
    emit(event);
  };
  const records = await prepareRecords(config, transforms, record);
  const trainStats: PairTokenizationStats = { pairs: 0, truncatedPrompts: 0, truncatedResponses: 0, identicalAfterTruncation: 0 };
  const train = tokenizePairsForTokenizer(records.train, tokenizer, tokenization, trainStats);
  const evalPairs = tokenizePairsForTokenizer(records.eval, tokenizer, tokenization);
  for (const message of tokenizationWarnings(trainStats)) record(createEvent('warning', { message, source: 'tokenization' }));
  return { train, eval: evalPairs, trainStats, events };
}

function tokenizationWarnings(stats: PairTokenizationStats): string[] {
  const messages: string[] = [];
  if (stats.boundaryRepairs) {
    messages.push(
      `${stats.boundaryRepairs} training pairs had a prompt whose tokens were not a prefix of prompt + response under the chat template; their response tokens were encoded from the text after the prompt.`,
    );
  }
  if (stats.emptyResponses) messages.push(`${stats.emptyResponses} training pairs were dropped because a response had no tokens.`);
  if (stats.identicalAfterTruncation > 0) {
    messages.push(
      `${stats.identicalAfterTruncation} training pairs were dropped because chosen and rejected became identical after truncation; raise max length to keep them.`,
    );
  }
  return messages;
}
