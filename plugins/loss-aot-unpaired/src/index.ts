import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

export interface AotUnpairedOptions {
  beta: number;
  labelSmoothing: number;
}

/**
 * AOT for unpaired data (Melnyk et al., 2024, "Distributional Preference Alignment of LLMs via Optimal
 * Transport"). AOT requires the distribution of chosen rewards to dominate the distribution of rejected
 * rewards in the first order, without using which chosen response was paired with which rejected one.
 * On a batch, the optimal transport plan between two one-dimensional samples matches them in sorted
 * order, so both log-ratios are sorted across the batch before the logistic loss is applied:
 *   l_c = π_c − ref_c,  l_r = π_r − ref_r                   per pair, on summed response log-probs
 *   δ_k = sort(l_c)_k − sort(l_r)_k                         k-th smallest of each, over the batch
 *   loss_k = −(1 − ε)·log σ(β·δ_k) − ε·log σ(−β·δ_k)
 * This is TRL's loss_type "aot_pair" (TRL's "aot" is the paired variant, the aot plugin).
 * `losses[k]` belongs to sorted position k, not to pair k; only the batch mean has a meaning. The batch
 * is the micro-batch the runtime passes, so `training.batchSize` sets the sample size of the transport.
 * Rewards stay per pair: β·l_c and β·l_r.
 */
export function createAotUnpairedLoss(options: AotUnpairedOptions): PreferenceLoss {
  const { beta, labelSmoothing } = options;
  return {
    name: 'aot-unpaired',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!) as tf.Tensor1D;
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!) as tf.Tensor1D;
        const scaledDelta = tf.mul(beta, tf.sub(sortAscending(chosenLogRatio), sortAscending(rejectedLogRatio)));
        let losses = tf.neg(logSigmoid(scaledDelta));
        if (labelSmoothing > 0) {
          losses = tf.add(tf.mul(1 - labelSmoothing, losses), tf.mul(-labelSmoothing, logSigmoid(tf.neg(scaledDelta))));
        }
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

/**
 * Sorts a [N] tensor in ascending order, differentiably with respect to its values. The order is read
 * from the data, so no gradient flows through it. It is applied as a product with a permutation matrix
 * because the wasm backend has no kernel for the gradient of gather.
 */
function sortAscending(values: tf.Tensor1D): tf.Tensor1D {
  const data = values.dataSync();
  const size = data.length;
  const order = Array.from(data.keys()).sort((a, b) => data[a] - data[b]);
  // Row k of the permutation is one-hot at the index of the k-th smallest value.
  const permutation = new Float32Array(size * size);
  order.forEach((index, k) => {
    permutation[k * size + index] = 1;
  });
  return tf.reshape(tf.matMul(tf.tensor2d(permutation, [size, size]), tf.reshape(values, [size, 1])), [size]);
}

export const aotUnpairedPlugin = definePlugin<'loss', AotUnpairedOptions>({
  name: 'aot-unpaired',
  kind: 'loss',
  description:
    'AOT for unpaired data: logistic loss on sorted chosen log-ratios minus sorted rejected log-ratios across the batch (Melnyk et al., 2024).',
  packageName: '@radpo/plugin-aot-unpaired',
  version: '0.1.0',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      beta: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.1,
        description: 'Inverse temperature β applied to the sorted log-ratio differences. Default 0.1.',
      },
      labelSmoothing: {
        type: 'number',
        minimum: 0,
        exclusiveMaximum: 0.5,
        default: 0,
        description:
          'Label smoothing ε in [0, 0.5): weight of the reversed logistic term, as in conservative DPO. Default 0 (none).',
      },
    },
  },
  create: createAotUnpairedLoss,
});

export default aotUnpairedPlugin;
