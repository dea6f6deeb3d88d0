import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface IpoOptions {
  beta: number;
  logRatio: 'mean' | 'sum';
}

/**
 * IPO (Azar et al., 2023): squared distance of the log-ratio margin to 1/(2β).
 *   h = (π_c − ref_c)/L_c − (π_r − ref_r)/L_r     with logRatio "mean" (default, per-token averages)
 *   h = (π_c − ref_c) − (π_r − ref_r)             with logRatio "sum"
 *   loss = (h − 1/(2β))²
 * The paper writes the summed form; averaging per token, as TRL does, keeps the target 1/(2β)
 * meaningful for long responses. Rewards are β times the same (averaged or summed) log-ratios.
 */
export function createIpoLoss(options: IpoOptions): PreferenceLoss {
  const { beta, logRatio } = options;
  return {
    name: 'ipo',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        let chosenLogRatio: tf.Tensor = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        let rejectedLogRatio: tf.Tensor = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        if (logRatio === 'mean') {
          chosenLogRatio = tf.div(chosenLogRatio, inputs.chosenTokens);
          rejectedLogRatio = tf.div(rejectedLogRatio, inputs.rejectedTokens);
        }
        const margin = tf.sub(chosenLogRatio, rejectedLogRatio);
        const losses = tf.square(tf.sub(margin, 1 / (2 * beta)));
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

export const ipoPlugin = definePlugin<'loss', IpoOptions>({
  name: 'ipo',
  kind: 'loss',
  description: 'Identity Preference Optimization: squared loss of the log-ratio margin to 1/(2β) (Azar et al., 2023).',
  packageName: '@radpo/plugin-ipo',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Regularization β; the margin is pulled towards 1/(2β). Default 0.1.',
      },
      logRatio: {
        type: 'string',
        enum: ['mean', 'sum'],
        default: 'mean',
        description:
          'How response log-ratios are aggregated: "mean" per token (default, as TRL does) or "sum" over tokens (the paper\'s form).',
      },
    },
  },
  create: createIpoLoss,
});

export default ipoPlugin;
