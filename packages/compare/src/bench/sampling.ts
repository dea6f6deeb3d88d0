import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@radpo/data';
import { buildSequenceBatch, disposeBatch, responseLogProbs, type CausalLanguageModel, type Weights } from '@radpo/runtime';

/** Options of sampleResponses. */
export interface SamplingOptions {
  /** Tokens generated at most per response, EOS included. */
  maxNewTokens: number;
  /** Softmax temperature; must be above 0. */
  temperature: number;
  /** Prompts per forward pass. */
  batchSize: number;
  rng: Rng;
}

/**
 * Samples one response per prompt (token ids without the EOS), by temperature sampling with a full
 * forward pass per new token. Prompts are right-padded in a batch: the model is causal, so padding
 * after a row's last token never changes that row's next-token logits.
 * NOTE: each token repeats the forward pass over the whole prefix (no KV cache), which is fine for
 * the benchmark's ~12-byte responses and slow for long ones.
 */
export function sampleResponses(model: CausalLanguageModel, weights: Weights, prompts: number[][], options: SamplingOptions): number[][] {
  const responses: number[][] = [];
  for (let start = 0; start < prompts.length; start += options.batchSize) {
    responses.push(...sampleBatch(model, weights, prompts.slice(start, start + options.batchSize), options));
  }
  return responses;
}

function sampleBatch(model: CausalLanguageModel, weights: Weights, prompts: number[][], options: SamplingOptions): number[][] {
  const { tokenizer } = model;
  const padId = tokenizer.padId ?? 0;
  const sequences = prompts.map((prompt) => [...prompt]);
  const responses: number[][] = prompts.map(() => []);
  const open = prompts.map(() => true);

  for (let step = 0; step < options.maxNewTokens && open.some(Boolean); step++) {
    const time = Math.max(...sequences.map((sequence) => sequence.length));
    if (time >= model.maxSequenceLength) break;
    const ids = new Int32Array(sequences.length * time).fill(padId);
    sequences.forEach((sequence, row) => ids.set(sequence, row * time));

    const lastLogits = tf.tidy(() => {
      const logits = model.logits(weights, tf.tensor2d(ids, [sequences.length, time], 'int32'));
      const vocab = logits.shape[2];
      const rows = tf.tensor1d(
        sequences.map((sequence, row) => row * time + sequence.length - 1),
        'int32',
      );
      return tf.gather(tf.reshape(logits, [sequences.length * time, vocab]), rows);
    });
    const values = lastLogits.arraySync() as number[][];
    lastLogits.dispose();

    values.forEach((row, index) => {
      if (!open[index]) return;
      const token = sampleToken(row, options.temperature, options.rng);
      if (token === tokenizer.eosId || token === padId || token === tokenizer.bosId) {
        open[index] = false;
        return;
      }
      responses[index].push(token);
      sequences[index].push(token);
    });
  }
  return responses;
}

function sampleToken(logits: number[], temperature: number, rng: Rng): number {
  const max = Math.max(...logits);
  const weights = logits.map((value) => Math.exp((value - max) / temperature));
  let ticket = rng.next() * weights.reduce((sum, value) => sum + value, 0);
  for (let token = 0; token < weights.length; token++) {
    ticket -= weights[token];
    if (ticket < 0) return token;
  }
  return weights.length - 1;
}

/** Summed log-probability of each response given its prompt (EOS included when the response ids end with it). */
export function sequenceLogProbs(
  model: CausalLanguageModel,
  weights: Weights,
  sequences: Array<{ promptIds: number[]; responseIds: number[] }>,
  batchSize: number,
): number[] {
  const padId = model.tokenizer.padId ?? 0;
  const values: number[] = [];
  for (let start = 0; start < sequences.length; start += batchSize) {
    const batch = buildSequenceBatch(sequences.slice(start, start + batchSize), padId);
    const { summed, tokens } = responseLogProbs(model, weights, batch);
    values.push(...(summed.dataSync() as Float32Array));
    tf.dispose([summed, tokens]);
    disposeBatch(batch);
  }
  return values;
}
