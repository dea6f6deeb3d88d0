import * as tf from '@tensorflow/tfjs-core';
import { buildPairBatch, buildSequenceBatch, disposeBatch } from '../batch';
import { emptyMetricSums } from '../metrics';
import { BuiltinTransformer, type BuiltinModelConfig } from '../model/builtin-transformer';
import type { Weights } from '../model/causal-lm';
import { AdamW, clipByGlobalNorm } from '../optimizer';
import { evaluatePreferenceBatch, preferenceGradients, supervisedGradients, type LossTerm } from '../preference-step';
import { preflightKernels, type KernelPreflight } from './preflight';

/**
 * Preflights the kernels of a training run. A two-pair step of a tiny model with the run's
 * architecture options and loss terms goes through warm-up, preference step, clipping, AdamW and
 * evaluation, so that every kernel those phases dispatch is checked on `backend`.
 */
export function preflightTraining(backend: string, model: BuiltinModelConfig, terms: LossTerm[], usesReference: boolean): Promise<KernelPreflight> {
  return preflightKernels(backend, () => runTinyTraining(model, terms, usesReference));
}

function runTinyTraining(config: BuiltinModelConfig, terms: LossTerm[], usesReference: boolean): void {
  const heads = config.nHeads;
  const model = new BuiltinTransformer({ ...config, dModel: 2 * heads, nLayers: 1, dFf: 4, maxPositions: 8 });
  const weights: Weights = model.initWeights(0);
  const reference: Weights | undefined = usesReference ? model.initWeights(1) : undefined;
  const pairs = [
    { id: 'a', promptIds: [1, 2], chosenIds: [3, 4, 5], rejectedIds: [6], scoreChosen: 8, scoreRejected: 2 },
    { id: 'b', promptIds: [7, 8, 9], chosenIds: [10], rejectedIds: [11, 12], scoreChosen: 6, scoreRejected: 5 },
  ];
  const pairBatch = buildPairBatch(pairs, model.tokenizer.padId);
  const sequenceBatch = buildSequenceBatch(
    pairs.map((pair) => ({ promptIds: pair.promptIds, responseIds: pair.chosenIds })),
    model.tokenizer.padId,
  );
  const optimizer = new AdamW({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
  const objective = { model, terms, reference };
  try {
    const warmup = supervisedGradients(model, weights, sequenceBatch);
    tf.dispose(Object.values(warmup.gradients));
    const step = preferenceGradients(objective, weights, pairBatch, emptyMetricSums());
    // A small maximum norm makes sure the scaling branch of clipping runs too.
    const clipped = clipByGlobalNorm(step.gradients, 1e-6);
    optimizer.apply(weights, clipped.gradients, 1e-3);
    tf.dispose(Object.values(clipped.gradients));
    evaluatePreferenceBatch(objective, weights, pairBatch, emptyMetricSums());
  } finally {
    optimizer.dispose();
    disposeBatch(pairBatch);
    disposeBatch(sequenceBatch);
    tf.dispose(Object.values(weights));
    if (reference) tf.dispose(Object.values(reference));
  }
}
