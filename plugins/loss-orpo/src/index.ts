import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, log1mexp, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface OrpoOptions {
  beta: number;
}

/**
 * ORPO (Hong et al., 2024, "ORPO: Monolithic Preference Optimization without Reference Model"):
 *   a_c = π_c / L_c,  a_r = π_r / L_r                       per-token averaged response log-probs
 *   log odds(a) = a − log(1 − e^a)
 *   loss = NLL(chosen) − β·log σ(log odds(a_c) − log odds(a_r))
 * NLL is the mean per-token negative log-likelihood of the chosen response; β is the paper's λ
 * (default 0.1). log(1 − e^a) uses core's log1mexp, which clamps a above −1e-7. The implicit
 * rewards are β·a_c and β·a_r, as TRL's ORPOTrainer reports.
 */
export function createOrpoLoss(options: OrpoOptions): PreferenceLoss {
  const { beta } = options;
  return {
    name: 'orpo',
    requiresReference: false,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenAverage = tf.div(inputs.policyChosen, inputs.chosenTokens) as tf.Tensor1D;
        const rejectedAverage = tf.div(inputs.policyRejected, inputs.rejectedTokens) as tf.Tensor1D;
        const logOddsDifference = tf.sub(
          tf.sub(chosenAverage, log1mexp(chosenAverage)),
          tf.sub(rejectedAverage, log1mexp(rejectedAverage)),
        );
        const logOddsRatio = logSigmoid(logOddsDifference);
        const losses = tf.sub(inputs.chosenNll, tf.mul(beta, logOddsRatio));
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenAverage) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedAverage) as tf.Tensor1D,
          metrics: {
            'orpo/log_odds_ratio': logOddsRatio as tf.Tensor1D,
            'orpo/log_odds_chosen': logOddsDifference as tf.Tensor1D,
            'orpo/nll_loss': tf.clone(inputs.chosenNll),
          },
        };
      });
    },
  };
}

export const orpoPlugin = definePlugin<'loss', OrpoOptions>({
  name: 'orpo',
  kind: 'loss',
  description:
    'ORPO: NLL of the chosen response minus β times the log-sigmoid of the log odds ratio of averaged log-probs; reference-free (Hong et al., 2024).',
  packageName: '@radpo/plugin-orpo',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Weight β (the paper\'s λ) of the odds-ratio term relative to the NLL term. Default 0.1.',
      },
    },
  },
  create: createOrpoLoss,
});

export default orpoPlugin;
