import * as tf from '@tensorflow/tfjs-core';
import { RadpoError } from '@radpo/core';
import { createRng, type Rng } from '@radpo/data';
import { supportsKeyValueCache, type CausalLanguageModel, type Weights } from './causal-lm';
import { createKeyValueCache, disposeKeyValueCache } from './layers';

export interface GenerationOptions {
  /** Maximum number of tokens to add after the prompt. */
  maxNewTokens: number;
  /** Softmax temperature; 0 picks the most likely token (greedy). */
  temperature?: number;
  /** Sample only among the k most likely tokens; 0 turns the filter off. */
  topK?: number;
  /** Sample only among the smallest set of tokens whose probability reaches p (nucleus); 1 turns it off. */
  topP?: number;
  /** Seed of the sampling generator. */
  seed?: number;
  /** Token ids that end generation (included in the output); default the tokenizer's EOS. */
  stopIds?: number[];
}

export interface GenerationResult {
  /** The new token ids, without the prompt. */
  ids: number[];
  stopReason: 'stop-token' | 'max-new-tokens' | 'max-positions';
}

/**
 * Continues `promptIds` token by token. Models with a key-value cache run each new token against the
 * cached keys and values; other models recompute the whole sequence at every step.
 */
export function generate(model: CausalLanguageModel, weights: Weights, promptIds: number[], options: GenerationOptions): GenerationResult {
  if (promptIds.length === 0) throw new RadpoError('config', 'generation needs at least one prompt token (BOS for an empty prompt).');
  checkGenerationOptions(options);
  const stopIds = new Set(options.stopIds ?? (model.tokenizer.eosId !== undefined ? [model.tokenizer.eosId] : []));
  const rng = createRng(options.seed ?? 0);
  const generated: number[] = [];
  const cache = supportsKeyValueCache(model) ? createKeyValueCache() : undefined;
  try {
    let pending = promptIds;
    for (;;) {
      if (generated.length >= options.maxNewTokens) return { ids: generated, stopReason: 'max-new-tokens' };
      if (promptIds.length + generated.length >= model.maxSequenceLength) return { ids: generated, stopReason: 'max-positions' };
      const lastLogits = tf.tidy(() => {
        const input = tf.tensor2d(pending, [1, pending.length], 'int32');
        const logits = cache && supportsKeyValueCache(model) ? model.logitsWithCache(weights, input, cache) : model.logits(weights, input);
        const [, time, vocab] = logits.shape;
        return tf.reshape(tf.slice(logits, [0, time - 1, 0], [1, 1, vocab]), [vocab]);
      });
      const values = lastLogits.dataSync() as Float32Array;
      lastLogits.dispose();
      const next = pickToken(values, options, rng);
      generated.push(next);
      if (stopIds.has(next)) return { ids: generated, stopReason: 'stop-token' };
      pending = cache ? [next] : [...promptIds, ...generated];
    }
  } finally {
    if (cache) disposeKeyValueCache(cache);
  }
}

/** Picks the next token from logits: greedy at temperature 0, otherwise sampled after top-k and top-p filtering. */
export function pickToken(logits: Float32Array, options: Pick<GenerationOptions, 'temperature' | 'topK' | 'topP'>, rng: Rng): number {
  const temperature = options.temperature ?? 0;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  const topK = options.topK ?? 0;
  if (topK > 0) order = order.slice(0, topK);
  const top = logits[order[0]];
  const weights = order.map((id) => Math.exp((logits[id] - top) / temperature));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let probabilities = weights.map((weight) => weight / total);

  const topP = options.topP ?? 1;
  if (topP < 1) {
    let cumulative = 0;
    let keep = 0;
    while (keep < probabilities.length && cumulative < topP) cumulative += probabilities[keep++];
    order = order.slice(0, keep);
    probabilities = probabilities.slice(0, keep).map((probability) => probability / cumulative);
  }

  let draw = rng.next();
  for (let i = 0; i < order.length; i++) {
    draw -= probabilities[i];
    if (draw < 0) return order[i];
  }
  return order[order.length - 1];
}

function checkGenerationOptions(options: GenerationOptions): void {
  const { maxNewTokens, temperature = 0, topK = 0, topP = 1 } = options;
  const problems = [
    !(Number.isInteger(maxNewTokens) && maxNewTokens >= 0) && `max new tokens must be a non-negative integer, got ${maxNewTokens}`,
    !(temperature >= 0) && `temperature must be 0 (greedy) or positive, got ${temperature}`,
    !(Number.isInteger(topK) && topK >= 0) && `top-k must be a non-negative integer (0 turns it off), got ${topK}`,
    !(topP > 0 && topP <= 1) && `top-p must be in (0, 1] (1 turns it off), got ${topP}`,
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new RadpoError('config', `invalid generation options: ${problems.join('; ')}.`);
}
