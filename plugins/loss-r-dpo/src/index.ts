import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface RDpoOptions {
  beta: number;
  lengthPenalty: number;
}

/**
 * R-DPO, length-regularized DPO (Park et al., 2024, "Disentangling Length from Quality in Direct
 * Preference Optimization"):
 *   Δ = (π_c − ref_c) − (π_r − ref_r)                      on summed response log-probs
 *   loss = −log σ(β·Δ + α·(L_c − L_r))                     L = response token count, α = lengthPenalty
 * The sign follows the paper's derivation. Adding the penalty −α·|y| to the RLHF reward makes the
 * reward implied by the optimal policy β·log(π/ref) + α·|y| (plus a per-prompt constant), and the
 * Bradley-Terry likelihood of that reward is the loss above. When the chosen response is longer, the
 * length term already supplies part of the required margin, so the policy's log-ratios are pushed less
 * and the implicit reward β·log(π/ref) learns less of the preference for length. With α = 0 this is DPO.
 * Token counts are in the model's tokens (bytes for the built-in byte-level model), so α depends on the
 * tokenizer. Rewards are the implicit rewards β·(π − ref), without the length term.
 */
export function createRDpoLoss(options: RDpoOptions): PreferenceLoss {
  const { beta, lengthPenalty } = options;
  return {
    name: 'r-dpo',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        const scaledMargin = tf.mul(beta, tf.sub(chosenLogRatio, rejectedLogRatio));
        const lengthTerm = tf.mul(lengthPenalty, tf.sub(inputs.chosenTokens, inputs.rejectedTokens));
        return {
          losses: tf.neg(logSigmoid(tf.add(scaledMargin, lengthTerm))) as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

export const rDpoPlugin = definePlugin<'loss', RDpoOptions>({
  name: 'r-dpo',
  kind: 'loss',
  description: 'R-DPO: DPO with a length regularizer on the response token counts (Park et al., 2024).',
  packageName: '@radpo/plugin-r-dpo',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Inverse temperature β: how far the policy may move from the reference. Default 0.1.',
      },
      lengthPenalty: {
        type: 'number',
        minimum: 0,
        default: 0.01,
        description:
          'Length penalty α per response token: α·(chosen tokens − rejected tokens) is added to β·margin inside the ' +
          'sigmoid, so less of a longer chosen response\'s margin has to come from the policy. Default 0.01; 0 gives plain DPO.',
      },
    },
  },
  create: createRDpoLoss,
});

export default rDpoPlugin;
