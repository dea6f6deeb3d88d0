import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { accumulateMetrics, emptyMetricSums, finalizeMetrics, selectBackend } from '../src';

function addBatch(sums: ReturnType<typeof emptyMetricSums>, chosen: number[], rejected: number[]): void {
  const tensors = {
    rewardsChosen: tf.tensor1d(chosen),
    rewardsRejected: tf.tensor1d(rejected),
    policyChosen: tf.tensor1d(chosen.map(() => -1)),
    policyRejected: tf.tensor1d(rejected.map(() => -2)),
  };
  accumulateMetrics(sums, tensors);
  tf.dispose(Object.values(tensors));
}

describe('reward accuracy', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  it('should never count a tie as correct', () => {
    const sums = emptyMetricSums();

    addBatch(sums, [0.5, 0.25, 1], [0.5, 0.25, 2]);

    assert.equal(sums.correct, 0);
    assert.equal(sums.ties, 2);
    assert.equal(finalizeMetrics(sums)['rewards/accuracies'], 0);
  });

  it('should count ties apart from wins and losses across batches', () => {
    const sums = emptyMetricSums();

    addBatch(sums, [2, 1], [1, 1]);
    addBatch(sums, [0, 3], [1, 3]);

    assert.equal(sums.pairs, 4);
    assert.equal(sums.correct, 1);
    assert.equal(sums.ties, 2);
    assert.equal(finalizeMetrics(sums)['rewards/accuracies'], 0.25);
  });
});
