import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers the gradients (tfjs-core's CommonJS build registers none) and the cpu backend.
import '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type LossOutput } from '@radpo/core';
import { createSftLoss, sftPlugin, type SftOptions } from '../src';

const DEFAULTS: SftOptions = {};

interface Pairs {
  pc: number[];
  pr: number[];
  lc: number[];
  lr: number[];
}

/** Builds loss inputs the way the runtime does: chosenNll is −π_c/L_c. */
function inputs(pairs: Pairs, policyChosen = tf.tensor1d(pairs.pc), policyRejected = tf.tensor1d(pairs.pr)): LossInputs {
  const chosenTokens = tf.tensor1d(pairs.lc);
  return {
    policyChosen: policyChosen as tf.Tensor1D,
    policyRejected: policyRejected as tf.Tensor1D,
    chosenTokens,
    rejectedTokens: tf.tensor1d(pairs.lr),
    chosenNll: tf.neg(tf.div(policyChosen, chosenTokens)) as tf.Tensor1D,
  };
}

function run(options: SftOptions, pairs: Pairs): LossOutput {
  return createSftLoss().compute(inputs(pairs));
}

function gradients(options: SftOptions, pairs: Pairs): [Float32Array, Float32Array] {
  const loss = createSftLoss();
  // The loss never reads π_r, and tf.grads rejects an input the output does not depend on, so 0·Σπ_r links it.
  const objective = (pc: tf.Tensor, pr: tf.Tensor) => tf.add(tf.sum(loss.compute(inputs(pairs, pc, pr)).losses), tf.mul(0, tf.sum(pr)));
  const [chosen, rejected] = tf.grads(objective)([
    tf.tensor1d(pairs.pc),
    tf.tensor1d(pairs.pr),
  ]);
  return [chosen.dataSync() as Float32Array, rejected.dataSync() as Float32Array];
}

function close(actual: number, expected: number, relative = 1e-5): void {
  const tolerance = relative * Math.max(Math.abs(expected), 1e-6);
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

describe('sft loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should equal the mean per-token NLL of the chosen response', () => {
    // NLL = −π_c/L_c: 10/5 = 2 and 3/12 = 0.25, whatever the rejected response.
    const out = run(DEFAULTS, { pc: [-10, -3], pr: [-12, -0.1], lc: [5, 12], lr: [8, 1] });
    const [first, second] = out.losses.dataSync();
    close(first, 2);
    close(second, 0.25);
  });

  it('should report per-token averaged log-probs as rewards', () => {
    // Rewards: −10/5 = −2 and −12/8 = −1.5.
    const out = run(DEFAULTS, { pc: [-10], pr: [-12], lc: [5], lr: [8] });
    close(out.rewardsChosen.dataSync()[0], -2);
    close(out.rewardsRejected.dataSync()[0], -1.5);
  });

  it('should be zero for a certain chosen response', () => {
    // π_c = 0: the chosen response has probability 1, NLL = 0/7 = 0.
    const out = run(DEFAULTS, { pc: [0], pr: [-4], lc: [7], lr: [2] });
    assert.equal(Math.abs(out.losses.dataSync()[0]), 0);
  });

  it('should have gradient -1/Lc for the chosen and 0 for the rejected log-prob', () => {
    // ∂(−π_c/L_c)/∂π_c = −1/L_c = −1/5 = −0.2; the rejected response is not in the loss.
    const [chosen, rejected] = gradients(DEFAULTS, { pc: [-10], pr: [-12], lc: [5], lr: [8] });
    close(chosen[0], -0.2);
    assert.equal(Math.abs(rejected[0]), 0);
  });

  it('should stay finite for log-probs of minus 1e4 and single tokens', () => {
    const pairs = { pc: [-1e4, 0], pr: [0, -1e4], lc: [1, 1], lr: [1, 1] };
    const losses = run(DEFAULTS, pairs).losses.dataSync();
    close(losses[0], 1e4);
    const [chosen, rejected] = gradients(DEFAULTS, pairs);
    for (const value of [...chosen, ...rejected]) assert.ok(Number.isFinite(value), `gradient ${value}`);
  });

  it('should register without options and reject any option', () => {
    const registry = new PluginRegistry().register(sftPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'sft', {}), DEFAULTS);
    assert.equal(registry.create('loss', 'sft').requiresReference, false);
    assert.throws(() => registry.resolveOptions('loss', 'sft', { beta: 1 }), /unknown key "beta"/);
  });
});
