import * as tf from '@tensorflow/tfjs-core';
import type { PairBatch } from '../batch';
import type { Weights } from '../model/causal-lm';
import type { SerializedPairBatch, SerializedWeights } from './protocol';

/** Copies tensors out of the backend into arrays that postMessage can transfer. */
export function serializeWeights(weights: Record<string, tf.Tensor>): SerializedWeights {
  const serialized: SerializedWeights = {};
  for (const [name, tensor] of Object.entries(weights)) {
    // Copied, because the cpu backend's dataSync returns its own storage, which a transfer would detach.
    serialized[name] = { shape: tensor.shape, values: new Float32Array(tensor.dataSync() as Float32Array) };
  }
  return serialized;
}

export function deserializeWeights(serialized: SerializedWeights): Weights {
  return Object.fromEntries(Object.entries(serialized).map(([name, entry]) => [name, tf.tensor(entry.values, entry.shape, 'float32')]));
}

/**
 * Copies pairs [start, start + count) of a pair batch into arrays: their chosen rows, then their
 * rejected rows, as buildPairBatch lays them out.
 */
export function serializePairShard(batch: PairBatch, start: number, count: number): SerializedPairBatch {
  const time = batch.ids.shape[1];
  const ids = batch.ids.dataSync() as Int32Array;
  const mask = batch.responseMask.dataSync() as Float32Array;
  const rows = [...range(start, count), ...range(batch.pairs + start, count)];
  const shardIds = new Int32Array(rows.length * time);
  const shardMask = new Float32Array(rows.length * (time - 1));
  rows.forEach((row, i) => {
    shardIds.set(ids.subarray(row * time, (row + 1) * time), i * time);
    shardMask.set(mask.subarray(row * (time - 1), (row + 1) * (time - 1)), i * (time - 1));
  });
  return {
    ids: shardIds,
    responseMask: shardMask,
    shape: [rows.length, time],
    pairs: count,
    pairIds: batch.pairIds.slice(start, start + count),
    scoresChosen: (batch.scoresChosen.dataSync() as Float32Array).slice(start, start + count),
    scoresRejected: (batch.scoresRejected.dataSync() as Float32Array).slice(start, start + count),
  };
}

export function deserializePairBatch(serialized: SerializedPairBatch): PairBatch {
  const [rows, time] = serialized.shape;
  return {
    ids: tf.tensor2d(serialized.ids, [rows, time], 'int32'),
    responseMask: tf.tensor2d(serialized.responseMask, [rows, time - 1]),
    // The worker computes gradients only; throughput is counted on the main thread.
    tokens: 0,
    // Losses that need mismatched pairs (kto) are not run on workers, so the source pairs stay behind.
    sourcePairs: [],
    pairs: serialized.pairs,
    pairIds: serialized.pairIds,
    scoresChosen: tf.tensor1d(serialized.scoresChosen),
    scoresRejected: tf.tensor1d(serialized.scoresRejected),
  };
}

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}
