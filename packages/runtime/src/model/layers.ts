import * as tf from '@tensorflow/tfjs-core';
import { linear as linearWithBias, plainMatMul } from './plain-layout-ops';

/**
 * Building blocks shared by the pretrained architectures. Weight matrices are [in, out], so every
 * forward matmul uses the plain layout, which the wasm backend runs far faster than a transposed operand.
 */

/** x·weight (+ bias), with gradients that keep every matmul in the plain layout (see plain-layout-ops.ts). */
export function linear(x: tf.Tensor2D, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor2D {
  return bias ? linearWithBias(x, weight, bias) : (plainMatMul(x as tf.Tensor, weight) as tf.Tensor2D);
}

/** RMSNorm: x / sqrt(mean(x²) + ε) · gain, over the last axis. */
export function rmsNorm(x: tf.Tensor2D, gain: tf.Tensor, epsilon: number): tf.Tensor2D {
  const meanSquare = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, epsilon))), gain);
}

export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, epsilon: number): tf.Tensor2D {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))), gain), bias);
}

/** SiLU written with sigmoid, whose gradient every backend has. */
export function silu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.sigmoid(x));
}

/** GELU, tanh approximation (GPT-2's "gelu_new"). */
export function geluTanh(x: tf.Tensor2D): tf.Tensor2D {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/**
 * Embedding lookup as a one-hot matmul, [batch·time, width]. gather's gradient (UnsortedSegmentSum)
 * has no wasm kernel in tfjs 4.22.
 * NOTE: the one-hot matrix has batch·time × vocab floats, about 300 MB for 1,536 tokens of a
 * 49,152-token vocabulary, so large vocabularies need small batches on this path.
 */
export function embed(ids: tf.Tensor2D, table: tf.Tensor): tf.Tensor2D {
  const vocab = table.shape[0];
  return tf.matMul(tf.oneHot(tf.reshape(ids, [-1]), vocab), table as tf.Tensor2D);
}

/**
 * Builds the additive causal mask for `queries` new positions after `past` cached ones, of shape
 * [groups · queries, past + queries]: 0 where a query may attend and −1e9 elsewhere. The rows repeat
 * `groups` times because grouped-query attention folds the query heads of one kv head into the rows.
 */
export function causalMask(queries: number, past: number, groups = 1): tf.Tensor2D {
  const keys = past + queries;
  const values = new Float32Array(groups * queries * keys);
  for (let group = 0; group < groups; group++) {
    for (let row = 0; row < queries; row++) {
      const offset = (group * queries + row) * keys;
      for (let column = past + row + 1; column < keys; column++) values[offset + column] = -1e9;
    }
  }
  return tf.tensor2d(values, [groups * queries, keys]);
}

/**
 * Attention of queries [batch, heads, time, headSize] over keys and values [batch, kvHeads, keys,
 * headSize]; query head h reads kv head ⌊h / (heads / kvHeads)⌋. The query heads that share a kv head
 * are folded into the time axis, so no key or value is copied. Returns [batch · time, heads · headSize].
 */
export function groupedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D): tf.Tensor2D {
  const [batch, heads, time, headSize] = q.shape;
  const kvHeads = k.shape[1];
  const groups = heads / kvHeads;
  const folded = tf.reshape(q, [batch, kvHeads, groups * time, headSize]);
  const scores = tf.add(tf.mul(tf.matMul(folded, k, false, true), 1 / Math.sqrt(headSize)), mask);
  const context = tf.reshape(tf.matMul(tf.softmax(scores), v), [batch, heads, time, headSize]);
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * time, heads * headSize]);
}

/** [batch · time, heads · size] to [batch, heads, time, size]. */
export function splitHeads(x: tf.Tensor2D, batch: number, time: number, heads: number, size: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [batch, time, heads, size]), [0, 2, 1, 3]);
}

/** Keys and values of earlier positions, one entry per layer, [batch, kvHeads, past, headSize] each. */
export interface KeyValueCache {
  length: number;
  layers: { key: tf.Tensor4D; value: tf.Tensor4D }[];
  /**
   * The transposed token embedding of a model with a tied output projection, made once per
   * generation instead of once per token (a 113 MB copy per token for a 49,152 × 576 embedding).
   */
  tiedOutputProjection?: tf.Tensor2D;
}

export function createKeyValueCache(): KeyValueCache {
  return { length: 0, layers: [] };
}

export function disposeKeyValueCache(cache: KeyValueCache): void {
  for (const layer of cache.layers) tf.dispose([layer.key, layer.value]);
  cache.tiedOutputProjection?.dispose();
  cache.tiedOutputProjection = undefined;
  cache.layers = [];
  cache.length = 0;
}

/**
 * Appends a layer's new keys and values to the cache and returns the full ones. The returned tensors
 * are kept out of the surrounding tidy; the replaced ones are disposed.
 */
export function extendCache(cache: KeyValueCache, layer: number, key: tf.Tensor4D, value: tf.Tensor4D): { key: tf.Tensor4D; value: tf.Tensor4D } {
  const previous = cache.layers[layer];
  const full = previous
    ? { key: tf.concat([previous.key, key], 2) as tf.Tensor4D, value: tf.concat([previous.value, value], 2) as tf.Tensor4D }
    : { key, value };
  tf.keep(full.key);
  tf.keep(full.value);
  if (previous) tf.dispose([previous.key, previous.value]);
  cache.layers[layer] = full;
  return full;
}

/**
 * Returns the [hidden, vocab] output projection tied to a [vocab, hidden] embedding. With a cache the
 * transpose is made once and kept in it; without one (training) it is part of the gradient tape.
 */
export function tiedOutputProjection(embedding: tf.Tensor, cache: KeyValueCache | undefined): tf.Tensor2D {
  if (!cache) return tf.transpose(embedding as tf.Tensor2D);
  cache.tiedOutputProjection ??= tf.keep(tf.transpose(embedding as tf.Tensor2D));
  return cache.tiedOutputProjection;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/** Draws normal samples with Box-Muller from a seeded generator, so weights do not depend on the backend. */
export function gaussian(rng: { next(): number }, count: number, std: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const angle = 2 * Math.PI * rng.next();
    values[i] = radius * Math.cos(angle) * std;
    if (i + 1 < count) values[i + 1] = radius * Math.sin(angle) * std;
  }
  return values;
}
