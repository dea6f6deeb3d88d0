import type { Tensor1D } from '@tensorflow/tfjs-core';

/**
 * Inputs of a loss for a batch of N pairs. Log-probabilities are summed over response tokens
 * (prompt tokens excluded); every tensor has shape [N].
 */
export interface LossInputs {
  policyChosen: Tensor1D;
  policyRejected: Tensor1D;
  /** Present only when the loss declares `requiresReference`. */
  referenceChosen?: Tensor1D;
  referenceRejected?: Tensor1D;
  /** Response token counts, for losses that average per token. */
  chosenTokens: Tensor1D;
  rejectedTokens: Tensor1D;
  /** Mean per-token negative log-likelihood of the chosen response, for losses with an NLL term. */
  chosenNll: Tensor1D;
  /**
   * Policy − reference summed log-probs of pair i's prompt followed by pair i+1's responses, with
   * the last pair wrapping to the first. The two responses' values are averaged, and no gradient
   * flows through them. Present only when the loss declares `requiresMismatchedPairs`.
   * NOTE: with a single pair in the batch the responses are the pair's own, so this is not a KL estimate.
   */
  mismatchedLogRatios?: Tensor1D;
  /** Quality scores when the data has them (NaN where a pair has none). */
  scoresChosen?: Tensor1D;
  scoresRejected?: Tensor1D;
}

/**
 * Output of a loss. `losses` has shape [N]; the runtime averages it over the batch.
 * `rewardsChosen`/`rewardsRejected` are the implicit rewards the algorithm assigns (for DPO
 * β·(policy − reference)), from which the runtime derives the TRL-named metrics.
 * `metrics` may add algorithm-specific per-pair values, named `<loss>/<metric>`.
 */
export interface LossOutput {
  losses: Tensor1D;
  rewardsChosen: Tensor1D;
  rewardsRejected: Tensor1D;
  metrics?: Record<string, Tensor1D>;
}

/** A direct alignment loss: a pure function of the batch's log-probabilities. */
export interface PreferenceLoss {
  readonly name: string;
  /** When false the runtime never builds or runs a reference model for this loss. */
  readonly requiresReference: boolean;
  /**
   * When true (it also needs `requiresReference`), the runtime scores every prompt with another
   * pair's responses under the policy and the reference and passes `mismatchedLogRatios`, for a
   * batch estimate of the KL divergence such as KTO's. This costs one more forward pass per model.
   */
  readonly requiresMismatchedPairs?: boolean;
  compute(inputs: LossInputs): LossOutput;
}

/** The metric names every run reports, as TRL's DPO trainer names them. */
export const STANDARD_METRICS = [
  'rewards/chosen',
  'rewards/rejected',
  'rewards/margins',
  'rewards/accuracies',
  'logps/chosen',
  'logps/rejected',
] as const;
