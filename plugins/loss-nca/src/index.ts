import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface NcaOptions {
  beta: number;
}

/**
 * Pairwise NCA (Chen et al., 2024, "Noise Contrastive Alignment of Language Models with Explicit
 * Rewards"): each response's own reward r = β·(π − ref) is classified against the reference, not only
 * the difference of the two, so the chosen likelihood is pushed up in absolute terms.
 *   r_c = β·(π_c − ref_c),  r_r = β·(π_r − ref_r)          on summed response log-probs
 *   loss = −log σ(r_c) − ½·log σ(−r_c) − ½·log σ(−r_r)
 * This is TRL's loss_type "nca_pair". At policy = reference the loss is 2·ln 2.
 */
export function createNcaLoss(options: NcaOptions): PreferenceLoss {
  const { beta } = options;
  return {
    name: 'nca',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const rewardsChosen = tf.mul(beta, tf.sub(inputs.policyChosen, inputs.referenceChosen!));
        const rewardsRejected = tf.mul(beta, tf.sub(inputs.policyRejected, inputs.referenceRejected!));
        const chosenTerm = tf.neg(logSigmoid(rewardsChosen));
        const chosenPullBack = tf.mul(-0.5, logSigmoid(tf.neg(rewardsChosen)));
        const rejectedTerm = tf.mul(-0.5, logSigmoid(tf.neg(rewardsRejected)));
        return {
          losses: tf.addN([chosenTerm, chosenPullBack, rejectedTerm]) as tf.Tensor1D,
          rewardsChosen: rewardsChosen as tf.Tensor1D,
          rewardsRejected: rewardsRejected as tf.Tensor1D,
        };
      });
    },
  };
}

export const ncaPlugin = definePlugin<'loss', NcaOptions>({
  name: 'nca',
  kind: 'loss',
  description: 'Pairwise NCA: noise-contrastive loss on each response\'s own log-ratio reward (Chen et al., 2024).',
  packageName: '@radpo/plugin-nca',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Inverse temperature β that scales each log-ratio into a reward. Default 0.1.',
      },
    },
  },
  create: createNcaLoss,
});

export default ncaPlugin;
