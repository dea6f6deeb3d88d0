import * as tf from '@tensorflow/tfjs-core';

/** Per-pair tensors from which the standard TRL-named metrics are derived. */
export interface PairMetricTensors {
  rewardsChosen: tf.Tensor1D;
  rewardsRejected: tf.Tensor1D;
  policyChosen: tf.Tensor1D;
  policyRejected: tf.Tensor1D;
}

/**
 * Sums over a batch, so that metrics can be averaged exactly over several batches. A pair counts as
 * correct only when its chosen reward is strictly greater; equal rewards are ties, never correct.
 */
export interface MetricSums {
  pairs: number;
  rewardsChosen: number;
  rewardsRejected: number;
  correct: number;
  ties: number;
  logpsChosen: number;
  logpsRejected: number;
  extra: Record<string, number>;
}

export function emptyMetricSums(): MetricSums {
  return { pairs: 0, rewardsChosen: 0, rewardsRejected: 0, correct: 0, ties: 0, logpsChosen: 0, logpsRejected: 0, extra: {} };
}

/** Adds one batch's per-pair values to running sums. Reads the tensors synchronously; does not dispose them. */
export function accumulateMetrics(sums: MetricSums, tensors: PairMetricTensors, extra: Record<string, tf.Tensor1D> = {}): void {
  const chosen = tensors.rewardsChosen.dataSync();
  const rejected = tensors.rewardsRejected.dataSync();
  const policyChosen = tensors.policyChosen.dataSync();
  const policyRejected = tensors.policyRejected.dataSync();
  for (let i = 0; i < chosen.length; i++) {
    sums.rewardsChosen += chosen[i];
    sums.rewardsRejected += rejected[i];
    if (chosen[i] > rejected[i]) sums.correct++;
    else if (chosen[i] === rejected[i]) sums.ties++;
    sums.logpsChosen += policyChosen[i];
    sums.logpsRejected += policyRejected[i];
  }
  for (const [name, tensor] of Object.entries(extra)) {
    const values = tensor.dataSync() as Float32Array;
    sums.extra[name] = (sums.extra[name] ?? 0) + values.reduce((total, value) => total + value, 0);
  }
  sums.pairs += chosen.length;
}

/** Averages running sums into the metric names TRL's DPO trainer logs. */
export function finalizeMetrics(sums: MetricSums): Record<string, number> {
  const n = Math.max(1, sums.pairs);
  const metrics: Record<string, number> = {
    'rewards/chosen': sums.rewardsChosen / n,
    'rewards/rejected': sums.rewardsRejected / n,
    'rewards/margins': (sums.rewardsChosen - sums.rewardsRejected) / n,
    'rewards/accuracies': sums.correct / n,
    'logps/chosen': sums.logpsChosen / n,
    'logps/rejected': sums.logpsRejected / n,
  };
  for (const [name, total] of Object.entries(sums.extra)) metrics[name] = total / n;
  return metrics;
}
