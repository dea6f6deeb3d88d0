import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, RadpoError, stopGradient, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface KtoOptions {
  beta: number;
  desirableWeight: number;
  undesirableWeight: number;
}

/**
 * KTO (Ethayarajh et al., 2024, "KTO: Model Alignment as Prospect Theoretic Optimization"), as
 * TRL's KTOTrainer computes it. Each pair is split into a desirable example (prompt, chosen) and an
 * undesirable one (prompt, rejected):
 *   l_c = π_c − ref_c,  l_r = π_r − ref_r                   summed response log-ratios
 *   z0 = max(0, mean over the batch of the mismatched log-ratios), without gradient
 *   loss_D = λ_D·(1 − σ(β·(l_c − z0))),  loss_U = λ_U·(1 − σ(β·(z0 − l_r)))
 *   loss = (loss_D + loss_U) / 2
 * The mismatched log-ratios score pair i's prompt with pair i + 1's responses, as TRL's KL dataset
 * does, so the batch mean of `loss` equals TRL's mean over the 2N unpaired examples.
 * The implicit rewards are β·l_c and β·l_r.
 */
export function createKtoLoss(options: KtoOptions): PreferenceLoss {
  const { beta, desirableWeight, undesirableWeight } = options;
  return {
    name: 'kto',
    requiresReference: true,
    requiresMismatchedPairs: true,
    compute(inputs: LossInputs): LossOutput {
      if (!inputs.mismatchedLogRatios) {
        throw new RadpoError(
          'plugin',
          'kto needs mismatchedLogRatios (policy − reference log-ratios of prompts with another pair\'s responses) for its KL estimate, and none were passed.',
        );
      }
      const mismatched = inputs.mismatchedLogRatios;
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        // z0 is a baseline, not a target: TRL detaches it, so the gradient never moves it.
        const klEstimate = stopGradient(tf.relu(tf.mean(mismatched)));
        // 1 − σ(x) is written σ(−x), which is exact where σ(x) rounds to 1.
        const desirable = tf.mul(desirableWeight, tf.sigmoid(tf.mul(-beta, tf.sub(chosenLogRatio, klEstimate))));
        const undesirable = tf.mul(undesirableWeight, tf.sigmoid(tf.mul(-beta, tf.sub(klEstimate, rejectedLogRatio))));
        return {
          losses: tf.div(tf.add(desirable, undesirable), 2) as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
          metrics: { 'kto/kl': tf.mul(klEstimate, tf.onesLike(chosenLogRatio)) as tf.Tensor1D },
        };
      });
    },
  };
}

export const ktoPlugin = definePlugin<'loss', KtoOptions>({
  name: 'kto',
  kind: 'loss',
  description:
    'KTO: prospect-theoretic loss on desirable (chosen) and undesirable (rejected) examples against a batch KL estimate (Ethayarajh et al., 2024).',
  packageName: '@radpo/plugin-kto',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Scale β of the log-ratios inside the sigmoid. Default 0.1.',
      },
      desirableWeight: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 1,
        description: 'Weight λ_D of the loss on desirable (chosen) examples. Default 1.',
      },
      undesirableWeight: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 1,
        description: 'Weight λ_U of the loss on undesirable (rejected) examples. Default 1.',
      },
    },
  },
  create: createKtoLoss,
});

export default ktoPlugin;
