import * as tf from '@tensorflow/tfjs-core';
import type { TokenizedPair } from '@radpo/data';
import { buildPairBatch, disposeBatch } from './batch';
import type { MetricSums } from './metrics';
import type { Weights } from './model/causal-lm';
import type { DataParallelGradients } from './parallel/data-parallel';
import { preferenceGradients, type PreferenceObjective } from './preference-step';

/** The gradients of one optimizer step, summed over its micro-batches. */
export interface AccumulatedGradients {
  /** Mean loss over every pair of every micro-batch. */
  loss: number;
  /** Gradients of that mean loss; the caller disposes them. */
  gradients: Record<string, tf.Tensor>;
  pairs: number;
  /** Policy tokens processed, padding excluded. */
  tokens: number;
  pairIds: string[];
}

/**
 * Runs forward and backward over each micro-batch and combines the results into the gradient of
 * the mean loss over all their pairs. Each micro-batch's loss is a mean over its own pairs, so it is
 * weighted by its share of the pairs: 4 micro-batches of 1 pair give the update of 1 batch of 4.
 * Padding differs between micro-batches but does not change the result, because padding sits after
 * every real token and the attention is causal.
 */
export async function accumulatePreferenceGradients(
  objective: PreferenceObjective,
  weights: Weights,
  microBatches: TokenizedPair[][],
  sums: MetricSums,
  pool?: DataParallelGradients,
): Promise<AccumulatedGradients> {
  const pairs = microBatches.reduce((total, batch) => total + batch.length, 0);
  let loss = 0;
  let tokens = 0;
  const pairIds: string[] = [];
  let gradients: Record<string, tf.Tensor> | undefined;

  for (const pairsOfBatch of microBatches) {
    const share = pairsOfBatch.length / pairs;
    const batch = buildPairBatch(pairsOfBatch, objective.model.tokenizer.padId);
    // Precomputed reference log-probs, when the run has a reference table; else the step computes them.
    const reference = objective.referenceTable?.lookup(pairsOfBatch);
    try {
      const result = pool
        ? await pool.gradients(objective, weights, batch, sums, reference)
        : preferenceGradients(objective, weights, batch, sums, reference);
      loss += share * result.loss;
      tokens += batch.tokens;
      pairIds.push(...batch.pairIds);
      gradients = addScaled(gradients, result.gradients, share);
    } finally {
      disposeBatch(batch);
      if (reference) tf.dispose([reference.chosen, reference.rejected]);
    }
  }
  return { loss, gradients: gradients!, pairs, tokens, pairIds };
}

/** Returns total + scale · gradients, disposing both inputs. */
function addScaled(total: Record<string, tf.Tensor> | undefined, gradients: Record<string, tf.Tensor>, scale: number): Record<string, tf.Tensor> {
  const next: Record<string, tf.Tensor> = {};
  for (const [name, gradient] of Object.entries(gradients)) {
    next[name] = tf.tidy(() => (total ? tf.add(total[name], tf.mul(gradient, scale)) : tf.mul(gradient, scale)));
    gradient.dispose();
    total?.[name]?.dispose();
  }
  return next;
}
