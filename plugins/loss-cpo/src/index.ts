import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface CpoOptions {
  beta: number;
  nllWeight: number;
}

/**
 * CPO (Xu et al., 2024, "Contrastive Preference Optimization: Pushing the Boundaries of LLM
 * Performance in Machine Translation"), reference-free:
 *   loss = −log σ(β·(π_c − π_r)) + λ·NLL(chosen)            on summed response log-probs
 * NLL is the mean per-token negative log-likelihood of the chosen response and λ = nllWeight
 * (default 1, TRL's cpo_alpha). The implicit rewards are β·π_c and β·π_r, as TRL's CPOTrainer reports.
 */
export function createCpoLoss(options: CpoOptions): PreferenceLoss {
  const { beta, nllWeight } = options;
  return {
    name: 'cpo',
    requiresReference: false,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const preference = tf.neg(logSigmoid(tf.mul(beta, tf.sub(inputs.policyChosen, inputs.policyRejected))));
        const losses = nllWeight > 0 ? tf.add(preference, tf.mul(nllWeight, inputs.chosenNll)) : preference;
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, inputs.policyChosen) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, inputs.policyRejected) as tf.Tensor1D,
          metrics: { 'cpo/nll_loss': tf.clone(inputs.chosenNll) },
        };
      });
    },
  };
}

export const cpoPlugin = definePlugin<'loss', CpoOptions>({
  name: 'cpo',
  kind: 'loss',
  description:
    'CPO: logistic loss on the policy\'s own log-prob margin plus the NLL of the chosen response; reference-free (Xu et al., 2024).',
  packageName: '@radpo/plugin-cpo',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Scale β of the summed log-prob margin π_c − π_r. Default 0.1.',
      },
      nllWeight: {
        type: 'number',
        minimum: 0,
        default: 1,
        description: 'Weight λ of the chosen response\'s mean per-token NLL (TRL\'s cpo_alpha). Default 1.',
      },
    },
  },
  create: createCpoLoss,
});

export default cpoPlugin;
