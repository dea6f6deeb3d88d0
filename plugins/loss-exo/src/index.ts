import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface ExoOptions {
  beta: number;
  labelSmoothing: number;
}

/**
 * Pairwise EXO (Ji et al., 2024, "Towards Efficient Exact Optimization of Language Model Alignment"):
 * the reverse KL divergence from the policy's preference probability p = σ(β·Δ) to the smoothed label
 * distribution (1 − ε, ε), so the loss is 0 when p = 1 − ε and positive elsewhere.
 *   Δ = (π_c − ref_c) − (π_r − ref_r)                      on summed response log-probs
 *   loss = σ(β·Δ)·(log σ(β·Δ) − log(1 − ε)) + σ(−β·Δ)·(log σ(−β·Δ) − log ε)
 * This is TRL's loss_type "exo_pair", whose ε (label_smoothing) falls back to 1e-3 when it is 0.
 * Every term is a bounded weight times a log-sigmoid, so margins of ±1e4 give finite values and gradients.
 */
export function createExoLoss(options: ExoOptions): PreferenceLoss {
  const { beta, labelSmoothing } = options;
  const logTargetChosen = Math.log(1 - labelSmoothing);
  const logTargetRejected = Math.log(labelSmoothing);
  return {
    name: 'exo',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        const scaledMargin = tf.mul(beta, tf.sub(chosenLogRatio, rejectedLogRatio));
        const preferChosen = tf.mul(tf.sigmoid(scaledMargin), tf.sub(logSigmoid(scaledMargin), logTargetChosen));
        const preferRejected = tf.mul(
          tf.sigmoid(tf.neg(scaledMargin)),
          tf.sub(logSigmoid(tf.neg(scaledMargin)), logTargetRejected),
        );
        return {
          losses: tf.add(preferChosen, preferRejected) as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

export const exoPlugin = definePlugin<'loss', ExoOptions>({
  name: 'exo',
  kind: 'loss',
  description: 'EXO: reverse KL from the policy preference probability to the smoothed label (Ji et al., 2024).',
  packageName: '@radpo/plugin-exo',
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
      labelSmoothing: {
        type: 'number',
        exclusiveMinimum: 0,
        exclusiveMaximum: 0.5,
        default: 0.001,
        description:
          'Label smoothing ε in (0, 0.5): the target probability of the rejected response, which the loss needs above 0 ' +
          'because it takes log ε. Default 0.001, the value TRL uses for loss_type "exo_pair".',
      },
    },
  },
  create: createExoLoss,
});

export default exoPlugin;
