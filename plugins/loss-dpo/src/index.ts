import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface DpoOptions {
  beta: number;
  labelSmoothing: number;
}

/**
 * DPO (Rafailov et al., 2023), with conservative label smoothing (cDPO, Mitchell 2023):
 *   Δ = (π_c − ref_c) − (π_r − ref_r)                      on summed response log-probs
 *   loss = −(1 − ε)·log σ(β·Δ) − ε·log σ(−β·Δ)
 * With ε = 0 this is plain DPO; at policy = reference the loss is ln 2.
 */
export function createDpoLoss(options: DpoOptions): PreferenceLoss {
  const { beta, labelSmoothing } = options;
  return {
    name: 'dpo',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        const scaledMargin = tf.mul(beta, tf.sub(chosenLogRatio, rejectedLogRatio));
        let losses = tf.neg(logSigmoid(scaledMargin));
        if (labelSmoothing > 0) {
          losses = tf.add(tf.mul(1 - labelSmoothing, losses), tf.mul(-labelSmoothing, logSigmoid(tf.neg(scaledMargin))));
        }
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

export const dpoPlugin = definePlugin<'loss', DpoOptions>({
  name: 'dpo',
  kind: 'loss',
  description: 'Direct Preference Optimization: logistic loss on the scaled log-ratio margin (Rafailov et al., 2023).',
  packageName: '@radpo/plugin-dpo',
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
        default: 0,
        description:
          'Conservative DPO: assumed probability ε that a preference label is flipped, in [0, 0.5). Default 0 (plain DPO).',
      },
    },
  },
  create: createDpoLoss,
});

export default dpoPlugin;
