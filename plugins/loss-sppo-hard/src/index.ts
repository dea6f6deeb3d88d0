import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface SppoHardOptions {
  beta: number;
}

/**
 * SPPO with hard labels (Wu et al., 2024, "Self-Play Preference Optimization for Language Model
 * Alignment"). SPPO regresses each response's log-ratio onto η·(P(y wins) − ½); with hard labels the
 * chosen response wins with probability 1 and the rejected one with probability 0, and η = 1/β.
 *   l_c = π_c − ref_c,  l_r = π_r − ref_r                   on summed response log-probs
 *   loss = (l_c − 1/(2β))² + (l_r + 1/(2β))²
 * This is TRL's loss_type "sppo_hard". At policy = reference the loss is 1/(2β²).
 */
export function createSppoHardLoss(options: SppoHardOptions): PreferenceLoss {
  const { beta } = options;
  const target = 1 / (2 * beta);
  return {
    name: 'sppo-hard',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        const losses = tf.add(tf.square(tf.sub(chosenLogRatio, target)), tf.square(tf.add(rejectedLogRatio, target)));
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

export const sppoHardPlugin = definePlugin<'loss', SppoHardOptions>({
  name: 'sppo-hard',
  kind: 'loss',
  description: 'SPPO with hard labels: squared distance of each log-ratio to ±1/(2β) (Wu et al., 2024).',
  packageName: '@radpo/plugin-sppo-hard',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description:
          'Regularization β: the chosen log-ratio is pulled towards 1/(2β) and the rejected one towards −1/(2β). Default 0.1.',
      },
    },
  },
  create: createSppoHardLoss,
});

export default sppoHardPlugin;
