import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

/** The sft term takes no options. */
export type SftOptions = Record<string, never>;

/**
 * Supervised fine-tuning as a loss term: loss = NLL(chosen), the mean per-token negative
 * log-likelihood of the chosen response; the rejected response does not enter the loss.
 * Meant for weighted combinations such as 0.8·dpo + 1·sft. Reference-free.
 * The implicit rewards are the per-token averaged log-probs π_c/L_c and π_r/L_r, so that
 * rewards/accuracies is the share of pairs whose chosen response is likelier per token.
 */
export function createSftLoss(): PreferenceLoss {
  return {
    name: 'sft',
    requiresReference: false,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => ({
        losses: tf.clone(inputs.chosenNll),
        rewardsChosen: tf.div(inputs.policyChosen, inputs.chosenTokens) as tf.Tensor1D,
        rewardsRejected: tf.div(inputs.policyRejected, inputs.rejectedTokens) as tf.Tensor1D,
      }));
    },
  };
}

export const sftPlugin = definePlugin<'loss', SftOptions>({
  name: 'sft',
  kind: 'loss',
  description: 'Supervised term: mean per-token NLL of the chosen response, for weighted combinations; reference-free.',
  packageName: '@radpo/plugin-sft',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {},
  },
  create: createSftLoss,
});

export default sftPlugin;
