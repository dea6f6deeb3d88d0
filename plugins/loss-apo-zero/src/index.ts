import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface ApoZeroOptions {
  beta: number;
}

/**
 * APO-zero (D'Oosterlinck et al., 2024, "Anchored Preference Optimization and Contrastive Revisions:
 * Addressing Underspecification in Alignment"), for data whose chosen responses are better than what the
 * model already writes: raise the chosen likelihood and lower the rejected one, each anchored to the
 * reference and bounded by a sigmoid.
 *   l_c = π_c − ref_c,  l_r = π_r − ref_r                   on summed response log-probs
 *   loss = (1 − σ(β·l_c)) + σ(β·l_r)
 * This is TRL's loss_type "apo_zero". The loss lies in (0, 2) and is 1 at policy = reference.
 */
export function createApoZeroLoss(options: ApoZeroOptions): PreferenceLoss {
  const { beta } = options;
  return {
    name: 'apo-zero',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const rewardsChosen = tf.mul(beta, tf.sub(inputs.policyChosen, inputs.referenceChosen!));
        const rewardsRejected = tf.mul(beta, tf.sub(inputs.policyRejected, inputs.referenceRejected!));
        const raiseChosen = tf.sub(1, tf.sigmoid(rewardsChosen));
        const lowerRejected = tf.sigmoid(rewardsRejected);
        return {
          losses: tf.add(raiseChosen, lowerRejected) as tf.Tensor1D,
          rewardsChosen: rewardsChosen as tf.Tensor1D,
          rewardsRejected: rewardsRejected as tf.Tensor1D,
        };
      });
    },
  };
}

export const apoZeroPlugin = definePlugin<'loss', ApoZeroOptions>({
  name: 'apo-zero',
  kind: 'loss',
  description:
    'APO-zero: raise the chosen and lower the rejected likelihood against the reference, each through a sigmoid (D\'Oosterlinck et al., 2024).',
  packageName: '@radpo/plugin-apo-zero',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Inverse temperature β that scales each log-ratio inside the sigmoid. Default 0.1.',
      },
    },
  },
  create: createApoZeroLoss,
});

export default apoZeroPlugin;
