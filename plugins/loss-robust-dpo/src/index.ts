import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface RobustDpoOptions {
  beta: number;
  labelSmoothing: number;
}

/**
 * Robust DPO (Chowdhury et al., 2024, "Provably Robust DPO: Aligning Language Models with Noisy
 * Feedback"): an unbiased estimate of the DPO loss when each preference label is flipped with a known
 * probability ε.
 *   Δ = (π_c − ref_c) − (π_r − ref_r)                      on summed response log-probs
 *   loss = [−(1 − ε)·log σ(β·Δ) + ε·log σ(−β·Δ)] / (1 − 2ε)
 * ε is `labelSmoothing`, as in TRL's loss_type "robust". Unlike conservative DPO the ε term enters with a
 * plus sign, so the loss is unbounded below: for large margins it falls like −ε·β·Δ/(1 − 2ε). That is
 * the price of unbiasedness, and it stays finite for any finite margin. With ε = 0 this is plain DPO.
 */
export function createRobustDpoLoss(options: RobustDpoOptions): PreferenceLoss {
  const { beta, labelSmoothing } = options;
  return {
    name: 'robust-dpo',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        const scaledMargin = tf.mul(beta, tf.sub(chosenLogRatio, rejectedLogRatio));
        const observed = tf.mul(-(1 - labelSmoothing), logSigmoid(scaledMargin));
        const flipped = tf.mul(labelSmoothing, logSigmoid(tf.neg(scaledMargin)));
        const losses = tf.div(tf.add(observed, flipped), 1 - 2 * labelSmoothing);
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

export const robustDpoPlugin = definePlugin<'loss', RobustDpoOptions>({
  name: 'robust-dpo',
  kind: 'loss',
  description: 'Robust DPO: unbiased DPO loss under a known rate of flipped preference labels (Chowdhury et al., 2024).',
  packageName: '@radpo/plugin-robust-dpo',
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
        minimum: 0,
        exclusiveMaximum: 0.5,
        default: 0.1,
        description:
          'Assumed probability ε that a preference label is flipped, in [0, 0.5), as TRL\'s label_smoothing for loss_type "robust". ' +
          'Default 0.1 (TRL defaults to 0, which makes this plain DPO); 0 gives plain DPO.',
      },
    },
  },
  create: createRobustDpoLoss,
});

export default robustDpoPlugin;
