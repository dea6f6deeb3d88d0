import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface SlicOptions {
  beta: number;
  nllWeight: number;
}

/**
 * SLiC-HF (Zhao et al., 2023) in its reference-relative form, as TRL's "hinge" loss:
 *   Δ = (π_c − ref_c) − (π_r − ref_r)
 *   loss = max(0, 1 − β·Δ) + λ·NLL(chosen)
 * NLL is the mean per-token negative log-likelihood of the chosen response; λ = nllWeight (default 0).
 */
export function createSlicLoss(options: SlicOptions): PreferenceLoss {
  const { beta, nllWeight } = options;
  return {
    name: 'slic',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        const margin = tf.sub(chosenLogRatio, rejectedLogRatio);
        let losses = tf.relu(tf.sub(1, tf.mul(beta, margin)));
        if (nllWeight > 0) losses = tf.add(losses, tf.mul(nllWeight, inputs.chosenNll));
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

export const slicPlugin = definePlugin<'loss', SlicOptions>({
  name: 'slic',
  kind: 'loss',
  description: 'SLiC-HF: hinge loss on the log-ratio margin, with an optional NLL term on the chosen response (Zhao et al., 2023).',
  packageName: '@radpo/plugin-slic',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Scale β of the margin inside the hinge; the hinge is inactive once β·Δ ≥ 1. Default 0.1.',
      },
      nllWeight: {
        type: 'number',
        minimum: 0,
        default: 0,
        description: 'Weight λ of the chosen response\'s mean per-token NLL added to the hinge. Default 0.',
      },
    },
  },
  create: createSlicLoss,
});

export default slicPlugin;
