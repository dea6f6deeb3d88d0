import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface DpoNormOptions {
  beta: number;
}

/**
 * Length-normalized DPO, the "dpo_norm" loss of open-instruct used to train Tülu 3 (Lambert et al.,
 * 2024, "Tülu 3: Pushing Frontiers in Open Language Model Post-Training"): DPO on log-ratios averaged
 * per response token, so a long response earns no larger margin for its length alone.
 *   l_c = (π_c − ref_c)/L_c,  l_r = (π_r − ref_r)/L_r       L = response token count
 *   loss = −log σ(β·(l_c − l_r))
 * Per-token log-ratios are much smaller than summed ones, hence the larger default β = 5, the value
 * open-instruct's dpo_norm training scripts use. Rewards are β times the averaged log-ratios. At
 * policy = reference the loss is ln 2.
 */
export function createDpoNormLoss(options: DpoNormOptions): PreferenceLoss {
  const { beta } = options;
  return {
    name: 'dpo-norm',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.div(tf.sub(inputs.policyChosen, inputs.referenceChosen!), inputs.chosenTokens);
        const rejectedLogRatio = tf.div(tf.sub(inputs.policyRejected, inputs.referenceRejected!), inputs.rejectedTokens);
        const rewardsChosen = tf.mul(beta, chosenLogRatio);
        const rewardsRejected = tf.mul(beta, rejectedLogRatio);
        return {
          losses: tf.neg(logSigmoid(tf.sub(rewardsChosen, rewardsRejected))) as tf.Tensor1D,
          rewardsChosen: rewardsChosen as tf.Tensor1D,
          rewardsRejected: rewardsRejected as tf.Tensor1D,
        };
      });
    },
  };
}

export const dpoNormPlugin = definePlugin<'loss', DpoNormOptions>({
  name: 'dpo-norm',
  kind: 'loss',
  description: 'Length-normalized DPO: logistic loss on per-token averaged log-ratios (Tülu 3, Lambert et al., 2024).',
  packageName: '@radpo/plugin-dpo-norm',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 5,
        description:
          'Inverse temperature β on per-token averaged log-ratios. Default 5, as in open-instruct\'s dpo_norm scripts. ' +
          'Averaged ratios are about 1/L of summed ones, so values near DPO\'s 0.1 barely move the policy.',
      },
    },
  },
  create: createDpoNormLoss,
});

export default dpoNormPlugin;
