import * as tf from '@tensorflow/tfjs-core';
import type { Tokenizer } from '@radpo/core';

/** Named weights of a model; the policy holds tf.Variables, a frozen reference holds plain tensors. */
export type Weights = Record<string, tf.Tensor>;

/**
 * A decoder-only language model as the trainer needs it. The forward pass takes the weights as an
 * argument, so that the policy (trainable variables) and the frozen reference (a copy) share one code path.
 */
export interface CausalLanguageModel {
  readonly architecture: string;
  readonly tokenizer: Tokenizer;
  /** Longest sequence the model accepts (positions). */
  readonly maxSequenceLength: number;
  /** Hyperparameters that identify the architecture, written into checkpoints. */
  readonly config: Record<string, unknown>;
  /** Creates freshly initialized weights from a seed. */
  initWeights(seed: number): Weights;
  /** Returns logits of shape [batch, time, vocab] for int32 token ids of shape [batch, time]. */
  logits(weights: Weights, ids: tf.Tensor2D): tf.Tensor3D;
}

/**
 * Log-probability of each next token: entry [b, t] is log p(ids[b, t + 1] | ids[b, ≤ t]), shape
 * [batch, time − 1]. Uses a one-hot product rather than gather, because the wasm backend of tfjs 4.22
 * has no kernel for gather's gradient (UnsortedSegmentSum).
 */
export function nextTokenLogProbs(logits: tf.Tensor3D, ids: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, time, vocab] = logits.shape;
    const predicting = tf.slice(logits, [0, 0, 0], [batch, time - 1, vocab]);
    const targets = tf.slice(ids, [0, 1], [batch, time - 1]);
    const logProbs = tf.logSoftmax(tf.reshape(predicting, [batch * (time - 1), vocab]));
    const targetMask = tf.oneHot(tf.reshape(targets, [-1]), vocab);
    return tf.reshape(tf.sum(tf.mul(logProbs, targetMask), -1), [batch, time - 1]);
  });
}

/** Counts the scalar parameters of a set of weights. */
export function countParameters(weights: Weights): number {
  return Object.values(weights).reduce((total, tensor) => total + tensor.size, 0);
}

/** A model that can run new positions against cached keys and values of earlier ones (generation). */
export interface IncrementalLanguageModel extends CausalLanguageModel {
  /**
   * Returns logits [batch, time, vocab] for `ids`, which continue the positions in `cache`, and appends
   * their keys and values to the cache (advancing cache.length).
   */
  logitsWithCache(weights: Weights, ids: tf.Tensor2D, cache: import('./layers').KeyValueCache): tf.Tensor3D;
}

export function supportsKeyValueCache(model: CausalLanguageModel): model is IncrementalLanguageModel {
  return typeof (model as Partial<IncrementalLanguageModel>).logitsWithCache === 'function';
}

/** Frees the tensors of a set of weights. */
export function disposeWeights(weights: Weights): void {
  tf.dispose(Object.values(weights));
}
