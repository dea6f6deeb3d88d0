import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

/** Computes a reference-free logistic loss on the policy margin, for tests that need a loss they can break. */
function marginLoss(inputs: LossInputs): LossOutput {
  return tf.tidy(() => ({
    losses: tf.neg(logSigmoid(tf.sub(inputs.policyChosen, inputs.policyRejected))) as tf.Tensor1D,
    rewardsChosen: tf.clone(inputs.policyChosen),
    rewardsRejected: tf.clone(inputs.policyRejected),
  }));
}

interface FaultOptions {
  /** 1-based compute() calls at which the fault happens. */
  calls: number[];
}

const FAULT_OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { calls: { type: 'array', items: { type: 'integer' }, default: [], description: '1-based compute() calls that fail.' } },
};

function definedLoss(name: string, compute: (inputs: LossInputs, call: number, options: FaultOptions) => LossOutput) {
  return definePlugin<'loss', FaultOptions>({
    name,
    kind: 'loss',
    description: `test loss "${name}"`,
    packageName: '@radpo/test-fakes',
    version: '0.0.0',
    optionsSchema: FAULT_OPTIONS_SCHEMA,
    create: (options): PreferenceLoss => {
      let call = 0;
      return { name, requiresReference: false, compute: (inputs) => compute(inputs, ++call, options) };
    },
  });
}

/** Returns NaN losses (and so NaN gradients) at the chosen calls. */
export const nanLossPlugin = definedLoss('nan-loss', (inputs, call, options) => {
  const output = marginLoss(inputs);
  if (!options.calls.includes(call)) return output;
  const losses = tf.mul(output.losses, Number.NaN) as tf.Tensor1D;
  output.losses.dispose();
  return { ...output, losses };
});

/**
 * Adds sqrt(policyChosen − policyChosen) at the chosen calls: its value is 0, so the loss stays
 * finite, but its gradient is ∞ · 0 = NaN.
 */
export const nanGradientPlugin = definedLoss('nan-gradient', (inputs, call, options) => {
  const output = marginLoss(inputs);
  if (!options.calls.includes(call)) return output;
  const losses = tf.add(output.losses, tf.sqrt(tf.sub(inputs.policyChosen, inputs.policyChosen))) as tf.Tensor1D;
  output.losses.dispose();
  return { ...output, losses };
});

/** Throws a plain Error at the chosen calls. */
export const throwingLossPlugin = definedLoss('throwing-loss', (inputs, call, options) => {
  if (options.calls.includes(call)) throw new Error(`fake failure at call ${call}`);
  return marginLoss(inputs);
});
