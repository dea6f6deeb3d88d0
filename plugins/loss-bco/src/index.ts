import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface BcoOptions {
  beta: number;
}

/**
 * Pairwise BCO (Jung et al., 2024, "Binary Classifier Optimization for Large Language Model
 * Alignment"): a binary classifier whose logit is the implicit reward, with the chosen response as the
 * positive class and the rejected one as the negative class.
 *   r_c = β·(π_c − ref_c),  r_r = β·(π_r − ref_r)          on summed response log-probs
 *   loss = −log σ(r_c) − log σ(−r_r)
 * NOTE: the paper and TRL's loss_type "bco_pair" shift both rewards by δ, a running mean of the rewards
 * across training. This plugin keeps no state between batches, so δ = 0.
 */
export function createBcoLoss(options: BcoOptions): PreferenceLoss {
  const { beta } = options;
  return {
    name: 'bco',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const rewardsChosen = tf.mul(beta, tf.sub(inputs.policyChosen, inputs.referenceChosen!));
        const rewardsRejected = tf.mul(beta, tf.sub(inputs.policyRejected, inputs.referenceRejected!));
        const losses = tf.neg(tf.add(logSigmoid(rewardsChosen), logSigmoid(tf.neg(rewardsRejected))));
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: rewardsChosen as tf.Tensor1D,
          rewardsRejected: rewardsRejected as tf.Tensor1D,
        };
      });
    },
  };
}

export const bcoPlugin = definePlugin<'loss', BcoOptions>({
  name: 'bco',
  kind: 'loss',
  description: 'Pairwise BCO: logistic classification of chosen and rejected rewards, without the running mean (Jung et al., 2024).',
  packageName: '@radpo/plugin-bco',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Inverse temperature β that scales each log-ratio into the classifier logit. Default 0.1.',
      },
    },
  },
  create: createBcoLoss,
});

export default bcoPlugin;
