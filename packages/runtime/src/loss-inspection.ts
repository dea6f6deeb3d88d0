import * as tf from '@tensorflow/tfjs-core';
import type { LossInputs, PreferenceLoss } from '@radpo/core';
import { accumulateMetrics, emptyMetricSums, finalizeMetrics } from './metrics';

/** One pair's inputs to a loss, as plain numbers; log-probs are summed over the response tokens. */
export interface InspectedPair {
  policyChosen: number;
  policyRejected: number;
  referenceChosen?: number;
  referenceRejected?: number;
  chosenTokens: number;
  rejectedTokens: number;
  scoreChosen?: number;
  scoreRejected?: number;
  /** Policy − reference log-ratio of the prompt with another pair's responses (KTO's KL estimate). */
  mismatchedLogRatio?: number;
}

/** A pair's loss and the gradients of that loss with respect to its policy log-probs. */
export interface InspectedPairResult {
  loss: number;
  gradPolicyChosen: number;
  gradPolicyRejected: number;
}

export interface LossInspection {
  pairs: InspectedPairResult[];
  /** Mean of the per-pair losses, as the trainer averages a batch. */
  loss: number;
  /** The TRL-named metrics and the loss's own metrics, averaged over the pairs. */
  metrics: Record<string, number>;
}

/**
 * Evaluates a loss on a batch of pairs given as numbers and differentiates it with tf.grads, on the
 * current backend. chosenNll is −π_c/L_c, as in training, so NLL terms take part in the gradients.
 * The reference and mismatched values must be present when the loss declares it needs them.
 */
export function inspectLoss(loss: PreferenceLoss, pairs: InspectedPair[]): LossInspection {
  const column = (pick: (pair: InspectedPair) => number | undefined) => tf.tensor1d(pairs.map((pair) => pick(pair) ?? Number.NaN));
  const fixed = {
    referenceChosen: loss.requiresReference ? column((pair) => pair.referenceChosen) : undefined,
    referenceRejected: loss.requiresReference ? column((pair) => pair.referenceRejected) : undefined,
    chosenTokens: column((pair) => pair.chosenTokens),
    rejectedTokens: column((pair) => pair.rejectedTokens),
    scoresChosen: column((pair) => pair.scoreChosen),
    scoresRejected: column((pair) => pair.scoreRejected),
    mismatchedLogRatios: loss.requiresMismatchedPairs ? column((pair) => pair.mismatchedLogRatio) : undefined,
  };
  const policyChosen = column((pair) => pair.policyChosen);
  const policyRejected = column((pair) => pair.policyRejected);
  const inputsFor = (chosen: tf.Tensor, rejected: tf.Tensor): LossInputs => ({
    ...fixed,
    policyChosen: chosen as tf.Tensor1D,
    policyRejected: rejected as tf.Tensor1D,
    chosenNll: tf.neg(tf.div(chosen, fixed.chosenTokens)) as tf.Tensor1D,
  });

  try {
    // Each pair's loss depends only on its own log-probs, so the gradient of the summed losses contains
    // every pair's own gradient. The 0·Σ term links inputs a loss never reads (sft ignores π_r),
    // because tf.grads rejects an input the output does not depend on.
    const [gradChosen, gradRejected] = tf.grads((chosen: tf.Tensor, rejected: tf.Tensor) =>
      tf.add(tf.sum(loss.compute(inputsFor(chosen, rejected)).losses), tf.mul(0, tf.sum(tf.add(chosen, rejected)))),
    )([policyChosen, policyRejected]);
    const gradientsChosen = Array.from(gradChosen.dataSync());
    const gradientsRejected = Array.from(gradRejected.dataSync());
    tf.dispose([gradChosen, gradRejected]);

    return tf.tidy(() => {
      const output = loss.compute(inputsFor(policyChosen, policyRejected));
      const losses = Array.from(output.losses.dataSync());
      const sums = emptyMetricSums();
      accumulateMetrics(sums, { rewardsChosen: output.rewardsChosen, rewardsRejected: output.rewardsRejected, policyChosen, policyRejected }, output.metrics);
      return {
        pairs: losses.map((value, i) => ({ loss: value, gradPolicyChosen: gradientsChosen[i], gradPolicyRejected: gradientsRejected[i] })),
        loss: losses.reduce((total, value) => total + value, 0) / losses.length,
        metrics: finalizeMetrics(sums),
      };
    });
  } finally {
    tf.dispose([policyChosen, policyRejected, ...Object.values(fixed).filter((tensor): tensor is tf.Tensor1D => tensor !== undefined)]);
  }
}
