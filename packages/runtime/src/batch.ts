import * as tf from '@tensorflow/tfjs-core';
import type { TokenizedPair } from '@radpo/data';
import { nextTokenLogProbs, type CausalLanguageModel, type Weights } from './model/causal-lm';

/** Token sequences of a batch, right-padded, with a mask over predicted response tokens. */
export interface SequenceBatch {
  /** int32 [sequences, time] */
  ids: tf.Tensor2D;
  /** float32 [sequences, time − 1]: 1 where the predicted token (position t + 1) belongs to the response. */
  responseMask: tf.Tensor2D;
  /** Tokens fed to the model, padding excluded. */
  tokens: number;
}

/** The chosen sequences of a pair batch come first, then the rejected ones, so one forward pass serves both. */
export interface PairBatch extends SequenceBatch {
  pairs: number;
  pairIds: string[];
  scoresChosen: tf.Tensor1D;
  scoresRejected: tf.Tensor1D;
  /** The tokenized pairs the tensors were built from, for batches derived from them. */
  sourcePairs: TokenizedPair[];
}

/** Builds the tensors for prompt + response sequences. */
export function buildSequenceBatch(sequences: { promptIds: number[]; responseIds: number[] }[], padId: number): SequenceBatch {
  const time = Math.max(...sequences.map((s) => s.promptIds.length + s.responseIds.length));
  const ids = new Int32Array(sequences.length * time).fill(padId);
  const mask = new Float32Array(sequences.length * (time - 1));
  let tokens = 0;
  sequences.forEach((sequence, row) => {
    const full = [...sequence.promptIds, ...sequence.responseIds];
    ids.set(full, row * time);
    tokens += full.length;
    for (let position = sequence.promptIds.length; position < full.length; position++) {
      mask[row * (time - 1) + position - 1] = 1;
    }
  });
  return {
    ids: tf.tensor2d(ids, [sequences.length, time], 'int32'),
    responseMask: tf.tensor2d(mask, [sequences.length, time - 1]),
    tokens,
  };
}

export function buildPairBatch(pairs: TokenizedPair[], padId: number): PairBatch {
  const sequences = [
    ...pairs.map((pair) => ({ promptIds: pair.promptIds, responseIds: pair.chosenIds })),
    ...pairs.map((pair) => ({ promptIds: pair.promptIds, responseIds: pair.rejectedIds })),
  ];
  return {
    ...buildSequenceBatch(sequences, padId),
    pairs: pairs.length,
    pairIds: pairs.map((pair) => pair.id),
    scoresChosen: tf.tensor1d(pairs.map((pair) => pair.scoreChosen ?? Number.NaN)),
    scoresRejected: tf.tensor1d(pairs.map((pair) => pair.scoreRejected ?? Number.NaN)),
    sourcePairs: pairs,
  };
}

/**
 * Builds the mismatched sequences of a pair batch: pair i's prompt followed by the chosen, then the
 * rejected, response of pair i + 1 (the last pair wraps to the first). A response is cut so that
 * prompt + response fits `maxLength` tokens. Used for KTO's batch estimate of the KL divergence.
 */
export function buildMismatchedBatch(pairs: TokenizedPair[], padId: number, maxLength: number): SequenceBatch {
  const next = (i: number) => pairs[(i + 1) % pairs.length];
  const fit = (promptIds: number[], responseIds: number[]) => ({ promptIds, responseIds: responseIds.slice(0, Math.max(0, maxLength - promptIds.length)) });
  return buildSequenceBatch(
    [
      ...pairs.map((pair, i) => fit(pair.promptIds, next(i).chosenIds)),
      ...pairs.map((pair, i) => fit(pair.promptIds, next(i).rejectedIds)),
    ],
    padId,
  );
}

export function disposeBatch(batch: SequenceBatch | PairBatch): void {
  tf.dispose([batch.ids, batch.responseMask]);
  if ('scoresChosen' in batch) tf.dispose([batch.scoresChosen, batch.scoresRejected]);
}

/** Summed response log-probabilities and response token counts, one entry per sequence. */
export function responseLogProbs(
  model: CausalLanguageModel,
  weights: Weights,
  batch: SequenceBatch,
): { summed: tf.Tensor1D; tokens: tf.Tensor1D } {
  return tf.tidy(() => {
    const perToken = nextTokenLogProbs(model.logits(weights, batch.ids), batch.ids);
    return {
      summed: tf.sum(tf.mul(perToken, batch.responseMask), 1) as tf.Tensor1D,
      tokens: tf.sum(batch.responseMask, 1) as tf.Tensor1D,
    };
  });
}

/** Splits a [2N] tensor of a pair batch into its chosen and rejected halves. */
export function splitPairs<T extends tf.Tensor1D>(values: T, pairs: number): [tf.Tensor1D, tf.Tensor1D] {
  return [tf.slice(values, [0], [pairs]), tf.slice(values, [pairs], [pairs])];
}
