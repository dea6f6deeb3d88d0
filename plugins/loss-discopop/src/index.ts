import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface DiscopopOptions {
  beta: number;
  tau: number;
}

/**
 * The exponent e^(·) of the exponential term is capped here. e^80 ≈ 5.5e34 stays well inside float32
 * (max ≈ 3.4e38), so the loss and its gradient stay finite for any margin and any τ.
 */
const MAX_EXPONENT = 80;

/**
 * DiscoPOP, the log-ratio modulated loss (Chan et al., 2024, "Discovering Preference Optimization
 * Algorithms with and for Large Language Models"): a blend of the logistic (DPO) loss and the
 * exponential loss, weighted by a sigmoid of the scaled margin.
 *   ρ = β·[(π_c − ref_c) − (π_r − ref_r)]                  on summed response log-probs
 *   m = σ(ρ/τ)
 *   loss = (1 − m)·(−log σ(ρ)) + m·e^(−ρ)
 * This is TRL's loss_type "discopop" with discopop_tau = τ. At ρ = 0 the loss is ½·ln 2 + ½.
 *
 * e^(−ρ) alone overflows float32 once ρ < −88, exactly where m is tiny, so the product is computed as
 * m·e^(−ρ) = exp(log σ(ρ/τ) − ρ). For τ < 1 the exponent is at most about 0 for ρ < 0; for larger τ it
 * grows like −ρ·(1 − 1/τ), so it is capped at MAX_EXPONENT and the exponential term has no gradient
 * beyond the cap.
 */
export function createDiscopopLoss(options: DiscopopOptions): PreferenceLoss {
  const { beta, tau } = options;
  return {
    name: 'discopop',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        const scaledMargin = tf.mul(beta, tf.sub(chosenLogRatio, rejectedLogRatio));

        const logModulation = logSigmoid(tf.div(scaledMargin, tau));
        const logisticWeight = tf.sigmoid(tf.div(tf.neg(scaledMargin), tau));
        const logistic = tf.mul(logisticWeight, tf.neg(logSigmoid(scaledMargin)));
        const exponential = tf.exp(tf.minimum(tf.sub(logModulation, scaledMargin), MAX_EXPONENT));

        return {
          losses: tf.add(logistic, exponential) as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

export const discopopPlugin = definePlugin<'loss', DiscopopOptions>({
  name: 'discopop',
  kind: 'loss',
  description:
    'DiscoPOP: logistic and exponential losses blended by a sigmoid of the margin (Chan et al., 2024).',
  packageName: '@radpo/plugin-discopop',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Inverse temperature β: how far the policy may move from the reference. Default 0.1.',
      },
      tau: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.05,
        description:
          'Temperature τ of the modulation σ(β·margin/τ): smaller values switch more sharply from the logistic loss ' +
          '(negative margins) to the exponential loss (positive margins). Default 0.05, as in the paper and TRL.',
      },
    },
  },
  create: createDiscopopLoss,
});

export default discopopPlugin;
