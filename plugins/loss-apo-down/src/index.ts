import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface ApoDownOptions {
  beta: number;
}

/**
 * APO-down (D'Oosterlinck et al., 2024, "Anchored Preference Optimization and Contrastive Revisions:
 * Addressing Underspecification in Alignment"), for data whose chosen responses are worse than what the
 * model already writes: lower the chosen likelihood, and lower the rejected one further so that the
 * preference between them is still learned.
 *   l_c = π_c − ref_c,  l_r = π_r − ref_r                   on summed response log-probs
 *   loss = σ(β·l_c) + (1 − σ(β·(l_c − l_r)))
 * This is TRL's loss_type "apo_down". The loss lies in (0, 2) and is 1 at policy = reference.
 */
export function createApoDownLoss(options: ApoDownOptions): PreferenceLoss {
  const { beta } = options;
  return {
    name: 'apo-down',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const rewardsChosen = tf.mul(beta, tf.sub(inputs.policyChosen, inputs.referenceChosen!));
        const rewardsRejected = tf.mul(beta, tf.sub(inputs.policyRejected, inputs.referenceRejected!));
        const lowerChosen = tf.sigmoid(rewardsChosen);
        const lowerRejectedMore = tf.sub(1, tf.sigmoid(tf.sub(rewardsChosen, rewardsRejected)));
        return {
          losses: tf.add(lowerChosen, lowerRejectedMore) as tf.Tensor1D,
          rewardsChosen: rewardsChosen as tf.Tensor1D,
          rewardsRejected: rewardsRejected as tf.Tensor1D,
        };
      });
    },
  };
}

export const apoDownPlugin = definePlugin<'loss', ApoDownOptions>({
  name: 'apo-down',
  kind: 'loss',
  description:
    'APO-down: lower the chosen likelihood against the reference and the rejected one further (D\'Oosterlinck et al., 2024).',
  packageName: '@radpo/plugin-apo-down',
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
  create: createApoDownLoss,
});

export default apoDownPlugin;
