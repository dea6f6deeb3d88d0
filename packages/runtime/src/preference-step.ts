import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';
import { buildMismatchedBatch, disposeBatch, responseLogProbs, splitPairs, type PairBatch, type SequenceBatch } from './batch';
import type { CausalLanguageModel, Weights } from './model/causal-lm';
import { accumulateMetrics, type MetricSums } from './metrics';
import type { ReferenceTable } from './reference-table';

/** One weighted term of the training loss. */
export interface LossTerm {
  loss: PreferenceLoss;
  weight: number;
}

/** The model, loss terms and frozen reference of preference training. */
export interface PreferenceObjective {
  model: CausalLanguageModel;
  terms: LossTerm[];
  /** Frozen reference weights; present when any term requires a reference model and its log-probs are computed live. */
  reference?: Weights;
  /** Reference log-probs computed before training; used in place of `reference` when present. */
  referenceTable?: ReferenceTable;
}

/** Reference log-probs of a batch, computed without gradients. */
export interface ReferenceLogProbs {
  chosen: tf.Tensor1D;
  rejected: tf.Tensor1D;
}

export function referenceLogProbs(objective: PreferenceObjective, batch: PairBatch): ReferenceLogProbs | undefined {
  if (!objective.reference) return undefined;
  return tf.tidy(() => {
    const { summed } = responseLogProbs(objective.model, objective.reference!, batch);
    const [chosen, rejected] = splitPairs(summed, batch.pairs);
    return { chosen, rejected };
  });
}

/**
 * Policy − reference log-ratios of each prompt with the next pair's responses, averaged over the
 * two responses, when a term declares `requiresMismatchedPairs`; computed without gradients.
 */
export function mismatchedLogRatios(objective: PreferenceObjective, weights: Weights, batch: PairBatch): tf.Tensor1D | undefined {
  if (!objective.reference || !objective.terms.some((term) => term.loss.requiresMismatchedPairs)) return undefined;
  const mismatched = buildMismatchedBatch(batch.sourcePairs, objective.model.tokenizer.padId, objective.model.maxSequenceLength);
  try {
    return tf.tidy(() => {
      const policy = responseLogProbs(objective.model, weights, mismatched).summed;
      const reference = responseLogProbs(objective.model, objective.reference!, mismatched).summed;
      const [withChosen, withRejected] = splitPairs(tf.sub(policy, reference) as tf.Tensor1D, batch.pairs);
      return tf.div(tf.add(withChosen, withRejected), 2) as tf.Tensor1D;
    });
  } finally {
    disposeBatch(mismatched);
  }
}

interface ObjectiveValue {
  total: tf.Scalar;
  /** Kept tensors for metrics; the caller disposes them. */
  kept: tf.Tensor[];
  reportTensors: { rewardsChosen: tf.Tensor1D; rewardsRejected: tf.Tensor1D; policyChosen: tf.Tensor1D; policyRejected: tf.Tensor1D };
  termLosses: Record<string, tf.Tensor1D>;
  extra: Record<string, tf.Tensor1D>;
}

/**
 * Forward pass and summed loss: Σ weight · mean(loss term). The first term's implicit rewards feed the
 * standard metrics; with several terms each term's mean loss is also reported as `<name>/loss`.
 */
function evaluateObjective(
  objective: PreferenceObjective,
  weights: Weights,
  batch: PairBatch,
  reference: ReferenceLogProbs | undefined,
  mismatched: tf.Tensor1D | undefined,
): ObjectiveValue {
  const policy = responseLogProbs(objective.model, weights, batch);
  const [policyChosen, policyRejected] = splitPairs(policy.summed, batch.pairs);
  const [chosenTokens, rejectedTokens] = splitPairs(policy.tokens, batch.pairs);
  const inputs: LossInputs = {
    policyChosen,
    policyRejected,
    referenceChosen: reference?.chosen,
    referenceRejected: reference?.rejected,
    chosenTokens,
    rejectedTokens,
    chosenNll: tf.neg(tf.div(policyChosen, chosenTokens)) as tf.Tensor1D,
    mismatchedLogRatios: mismatched,
    scoresChosen: batch.scoresChosen,
    scoresRejected: batch.scoresRejected,
  };

  const outputs = objective.terms.map((term) => checkLossOutput(term.loss, term.loss.compute(inputs), batch.pairs));
  const weighted = outputs.map((output, i) => tf.mul(objective.terms[i].weight, tf.mean(output.losses)));
  const total = (weighted.length === 1 ? weighted[0] : tf.addN(weighted)) as tf.Scalar;

  const termLosses: Record<string, tf.Tensor1D> = {};
  const extra: Record<string, tf.Tensor1D> = {};
  outputs.forEach((output, i) => {
    if (outputs.length > 1) termLosses[`${objective.terms[i].loss.name}/loss`] = output.losses;
    Object.assign(extra, output.metrics ?? {});
  });
  const reportTensors = {
    rewardsChosen: outputs[0].rewardsChosen,
    rewardsRejected: outputs[0].rewardsRejected,
    policyChosen,
    policyRejected,
  };
  const kept = [...Object.values(reportTensors), ...Object.values(termLosses), ...Object.values(extra)];
  kept.forEach((tensor) => tf.keep(tensor));
  return { total, kept, reportTensors, termLosses, extra };
}

function checkLossOutput(loss: PreferenceLoss, output: LossOutput, pairs: number): LossOutput {
  for (const key of ['losses', 'rewardsChosen', 'rewardsRejected'] as const) {
    const tensor = output[key];
    if (!tensor || tensor.rank !== 1 || tensor.shape[0] !== pairs) {
      throw new RadpoError(
        'plugin',
        `loss plugin "${loss.name}" returned ${key} of shape ${tensor ? JSON.stringify(tensor.shape) : 'undefined'}; expected [${pairs}], one value per pair.`,
      );
    }
  }
  return output;
}

/** Result of one micro-batch with gradients. */
export interface MicroBatchResult {
  loss: number;
  gradients: Record<string, tf.Tensor>;
}

/**
 * Computes the loss of one pair batch and its gradients with respect to every weight, and adds the
 * batch's metrics to `sums`. Reference log-probs are `precomputed` (owned by the caller) or computed
 * first, outside the gradient tape.
 */
export function preferenceGradients(
  objective: PreferenceObjective,
  weights: Weights,
  batch: PairBatch,
  sums: MetricSums,
  precomputed?: ReferenceLogProbs,
): MicroBatchResult {
  const reference = precomputed ?? referenceLogProbs(objective, batch);
  const mismatched = mismatchedLogRatios(objective, weights, batch);
  const names = Object.keys(weights);
  let captured: ObjectiveValue | undefined;
  const { value, grads } = tf.valueAndGrads((...tensors: tf.Tensor[]) => {
    const named: Weights = Object.fromEntries(names.map((name, i) => [name, tensors[i]]));
    captured = evaluateObjective(objective, named, batch, reference, mismatched);
    return captured.total;
  })(names.map((name) => weights[name]));

  try {
    accumulateMetrics(sums, captured!.reportTensors, { ...captured!.termLosses, ...captured!.extra });
    const loss = value.dataSync()[0];
    return { loss, gradients: Object.fromEntries(names.map((name, i) => [name, grads[i]])) };
  } finally {
    tf.dispose([value, ...captured!.kept]);
    if (reference && !precomputed) tf.dispose([reference.chosen, reference.rejected]);
    mismatched?.dispose();
  }
}

/**
 * Computes the loss of one pair batch without gradients and adds its metrics to `sums`; returns the
 * summed loss. `precomputed` reference log-probs are owned by the caller.
 */
export function evaluatePreferenceBatch(
  objective: PreferenceObjective,
  weights: Weights,
  batch: PairBatch,
  sums: MetricSums,
  precomputed?: ReferenceLogProbs,
): number {
  const reference = precomputed ?? referenceLogProbs(objective, batch);
  const mismatched = mismatchedLogRatios(objective, weights, batch);
  let captured: ObjectiveValue | undefined;
  const total = tf.tidy(() => {
    captured = evaluateObjective(objective, weights, batch, reference, mismatched);
    return captured.total;
  });
  try {
    accumulateMetrics(sums, captured!.reportTensors, { ...captured!.termLosses, ...captured!.extra });
    return total.dataSync()[0] * batch.pairs;
  } finally {
    tf.dispose([total, ...captured!.kept]);
    if (reference && !precomputed) tf.dispose([reference.chosen, reference.rejected]);
    mismatched?.dispose();
  }
}

/** Mean per-token negative log-likelihood of the response tokens, and its gradients (supervised warm-up). */
export function supervisedGradients(model: CausalLanguageModel, weights: Weights, batch: SequenceBatch): MicroBatchResult {
  const names = Object.keys(weights);
  const { value, grads } = tf.valueAndGrads((...tensors: tf.Tensor[]) => {
    const named: Weights = Object.fromEntries(names.map((name, i) => [name, tensors[i]]));
    const { summed, tokens } = responseLogProbs(model, named, batch);
    return tf.neg(tf.div(tf.sum(summed), tf.sum(tokens))) as tf.Scalar;
  })(names.map((name) => weights[name]));
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, gradients: Object.fromEntries(names.map((name, i) => [name, grads[i]])) };
}
