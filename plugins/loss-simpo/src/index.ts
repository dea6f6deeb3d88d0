import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface SimpoOptions {
  beta: number;
  gamma: number;
  labelSmoothing: number;
}

/**
 * SimPO (Meng et al., 2024, "SimPO: Simple Preference Optimization with a Reference-Free Reward"):
 *   a_c = π_c / L_c,  a_r = π_r / L_r                      per-token averaged response log-probs
 *   z = β·(a_c − a_r) − γ
 *   loss = −(1 − ε)·log σ(z) − ε·log σ(−z)
 * With ε = 0 (default) this is the paper's loss; ε > 0 is TRL's label smoothing. No reference model.
 * The implicit rewards are β·a_c and β·a_r, the length-normalized reward the paper defines.
 */
export function createSimpoLoss(options: SimpoOptions): PreferenceLoss {
  const { beta, gamma, labelSmoothing } = options;
  return {
    name: 'simpo',
    requiresReference: false,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenAverage = tf.div(inputs.policyChosen, inputs.chosenTokens);
        const rejectedAverage = tf.div(inputs.policyRejected, inputs.rejectedTokens);
        const logits = tf.sub(tf.mul(beta, tf.sub(chosenAverage, rejectedAverage)), gamma);
        let losses = tf.neg(logSigmoid(logits));
        if (labelSmoothing > 0) {
          losses = tf.sub(tf.mul(1 - labelSmoothing, losses), tf.mul(labelSmoothing, logSigmoid(tf.neg(logits))));
        }
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenAverage) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedAverage) as tf.Tensor1D,
        };
      });
    },
  };
}

export const simpoPlugin = definePlugin<'loss', SimpoOptions>({
  name: 'simpo',
  kind: 'loss',
  description:
    'SimPO: logistic loss on the margin of per-token averaged log-probs minus a target margin γ; reference-free (Meng et al., 2024).',
  packageName: '@radpo/plugin-simpo',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 2.0,
        description: 'Reward scale β applied to the per-token averaged log-probs. Default 2.0.',
      },
      gamma: {
        type: 'number',
        minimum: 0,
        default: 0.5,
        description: 'Target reward margin γ subtracted from β·(a_c − a_r), in reward units (not divided by β). Default 0.5.',
      },
      labelSmoothing: {
        type: 'number',
        minimum: 0,
        maximum: 0.5,
        default: 0,
        description: 'Assumed probability ε that a preference label is flipped, in [0, 0.5], as in TRL. Default 0 (the paper\'s loss).',
      },
    },
  },
  create: createSimpoLoss,
});

export default simpoPlugin;
