import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError } from '@radpo/core';
import type { BackendChoice } from '../backend';
import type { PairBatch } from '../batch';
import type { MetricSums } from '../metrics';
import type { BuiltinModelConfig } from '../model/builtin-transformer';
import type { Weights } from '../model/causal-lm';
import { preferenceGradients, type MicroBatchResult, type PreferenceObjective, type ReferenceLogProbs } from '../preference-step';
import type { WorkerLossTerm, WorkerReply, WorkerRequest } from './protocol';
import { serializePairShard, serializeWeights } from './serialization';

export interface DataParallelOptions {
  /** Extra threads besides the main one; each gets its own TensorFlow.js engine and backend. */
  workers: number;
  backend: BackendChoice;
  model: BuiltinModelConfig;
  terms: WorkerLossTerm[];
  /** Frozen reference weights, sent to each worker once. */
  reference?: Weights;
}

/**
 * Data-parallel gradients over worker threads. Each step splits the pair batch into shards, one for
 * the main thread and one per worker. Every thread runs the reference forward (unless the reference
 * log-probs are precomputed) and the policy forward and backward on its shard, and the gradients are
 * averaged weighted by shard size. Because each
 * shard's loss is a mean over its pairs and the losses of different pairs are independent, the result
 * equals the gradient of the whole batch up to float32 rounding.
 *
 * NOTE: the weights are copied to every worker at every step (4 bytes per parameter each way); that
 * pays off only when a step computes for far longer than the copies take, as for bench-small.
 */
export class DataParallelGradients {
  private constructor(private readonly threads: Worker[]) {}

  static async start(options: DataParallelOptions): Promise<DataParallelGradients> {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RadpoError('config', `data-parallel workers must be a positive integer; got ${options.workers}.`);
    }
    const threads = Array.from({ length: options.workers }, () => spawnWorker());
    const pool = new DataParallelGradients(threads);
    const init: WorkerRequest = {
      type: 'init',
      backend: options.backend,
      model: options.model,
      terms: options.terms,
      reference: options.reference ? serializeWeights(options.reference) : undefined,
    };
    try {
      await Promise.all(threads.map((thread) => pool.request(thread, init)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Same contract as preferenceGradients, for a batch split across the main thread and the workers. */
  async gradients(
    objective: PreferenceObjective,
    weights: Weights,
    batch: PairBatch,
    sums: MetricSums,
    precomputed?: ReferenceLogProbs,
  ): Promise<MicroBatchResult> {
    const shardSizes = splitEvenly(batch.pairs, this.threads.length + 1);
    const serializedWeights = serializeWeights(weights);
    const referenceValues = precomputed
      ? { chosen: precomputed.chosen.dataSync() as Float32Array, rejected: precomputed.rejected.dataSync() as Float32Array }
      : undefined;
    const replies: Promise<WorkerReply>[] = [];
    let start = shardSizes[0];
    this.threads.forEach((thread, i) => {
      const count = shardSizes[i + 1];
      if (count > 0) {
        const shard = serializePairShard(batch, start, count);
        const reference = referenceValues && {
          chosen: referenceValues.chosen.slice(start, start + count),
          rejected: referenceValues.rejected.slice(start, start + count),
        };
        replies.push(this.request(thread, { type: 'step', weights: serializedWeights, batch: shard, reference }));
      }
      start += count;
    });

    // The main thread's shard runs while the workers compute theirs.
    const ownBatch = deserializeOwnShard(batch, shardSizes[0]);
    const ownReference = precomputed && {
      chosen: tf.slice(precomputed.chosen, [0], [shardSizes[0]]),
      rejected: tf.slice(precomputed.rejected, [0], [shardSizes[0]]),
    };
    let own: MicroBatchResult;
    try {
      own = preferenceGradients(objective, weights, ownBatch, sums, ownReference);
    } finally {
      if (ownBatch !== batch) tf.dispose([ownBatch.ids, ownBatch.responseMask, ownBatch.scoresChosen, ownBatch.scoresRejected]);
      if (ownReference) tf.dispose([ownReference.chosen, ownReference.rejected]);
    }

    const results = await Promise.all(replies);
    let loss = (own.loss * shardSizes[0]) / batch.pairs;
    const gradients: Record<string, tf.Tensor> = {};
    for (const [name, gradient] of Object.entries(own.gradients)) {
      gradients[name] = tf.tidy(() => {
        let total = tf.mul(gradient, shardSizes[0] / batch.pairs);
        results.forEach((reply, i) => {
          if (reply.type !== 'gradients') return;
          const entry = reply.gradients[name];
          total = tf.add(total, tf.mul(tf.tensor(entry.values, entry.shape), shardSizes[i + 1] / batch.pairs));
        });
        return total;
      });
      gradient.dispose();
    }
    results.forEach((reply, i) => {
      if (reply.type !== 'gradients') return;
      loss += (reply.loss * shardSizes[i + 1]) / batch.pairs;
      mergeMetricSums(sums, reply.sums);
    });
    return { loss, gradients };
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private request(thread: Worker, message: WorkerRequest): Promise<WorkerReply> {
    return new Promise<WorkerReply>((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        cleanup();
        if (reply.type === 'error') {
          reject(new RadpoError('backend', `a data-parallel worker failed: ${reply.message}`, { cause: reply.stack }));
        } else {
          resolve(reply);
        }
      };
      const onError = (error: Error) => {
        cleanup();
        reject(new RadpoError('backend', `a data-parallel worker crashed: ${error.message}`, { cause: error }));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new RadpoError('backend', `a data-parallel worker exited with code ${code} before it replied.`));
      };
      const cleanup = () => {
        thread.off('message', onMessage);
        thread.off('error', onError);
        thread.off('exit', onExit);
      };
      thread.on('message', onMessage);
      thread.on('error', onError);
      thread.on('exit', onExit);
      thread.postMessage(message);
    });
  }
}

/** Starts a worker from the compiled script, or from the TypeScript source through tsx under tests. */
function spawnWorker(): Worker {
  const fromSource = __filename.endsWith('.ts');
  const script = path.join(__dirname, fromSource ? 'gradient-worker.ts' : 'gradient-worker.js');
  return new Worker(script, fromSource ? { execArgv: ['--require', 'tsx/cjs'] } : {});
}

function splitEvenly(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** Returns the first `count` pairs of the batch as their own batch, or the batch itself when count covers it. */
function deserializeOwnShard(batch: PairBatch, count: number): PairBatch {
  if (count === batch.pairs) return batch;
  const time = batch.ids.shape[1];
  const tensors = tf.tidy(() => {
    const pick = (tensor: tf.Tensor2D, width: number) =>
      tf.concat([tf.slice(tensor, [0, 0], [count, width]), tf.slice(tensor, [batch.pairs, 0], [count, width])]) as tf.Tensor2D;
    return {
      ids: pick(batch.ids, time),
      responseMask: pick(batch.responseMask, time - 1),
      scoresChosen: tf.slice(batch.scoresChosen, [0], [count]) as tf.Tensor1D,
      scoresRejected: tf.slice(batch.scoresRejected, [0], [count]) as tf.Tensor1D,
    };
  });
  return { ...batch, ...tensors, pairs: count, pairIds: batch.pairIds.slice(0, count), sourcePairs: batch.sourcePairs.slice(0, count) };
}

function mergeMetricSums(into: MetricSums, from: MetricSums): void {
  into.pairs += from.pairs;
  into.rewardsChosen += from.rewardsChosen;
  into.rewardsRejected += from.rewardsRejected;
  into.correct += from.correct;
  into.ties += from.ties;
  into.logpsChosen += from.logpsChosen;
  into.logpsRejected += from.logpsRejected;
  for (const [name, value] of Object.entries(from.extra)) into.extra[name] = (into.extra[name] ?? 0) + value;
}
