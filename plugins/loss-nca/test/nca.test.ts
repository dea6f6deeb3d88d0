import assert from 'node:assert/strict';
// The full package registers the gradients that tf.grads needs; tfjs-core alone registers none.
import * as tf from '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type PreferenceLoss } from '@radpo/core';
import { createNcaLoss, ncaPlugin } from '../src';

/** Summed log-probs per pair (policy and reference, chosen and rejected) and response token counts. */
interface Pairs {
  pc: number[];
  pr: number[];
  rc: number[];
  rr: number[];
  lc: number[];
  lr: number[];
}

function inputs(pairs: Pairs): LossInputs {
  return {
    policyChosen: tf.tensor1d(pairs.pc),
    policyRejected: tf.tensor1d(pairs.pr),
    referenceChosen: tf.tensor1d(pairs.rc),
    referenceRejected: tf.tensor1d(pairs.rr),
    chosenTokens: tf.tensor1d(pairs.lc),
    rejectedTokens: tf.tensor1d(pairs.lr),
    chosenNll: tf.tensor1d(pairs.pc.map((pc, i) => -pc / pairs.lc[i])),
  };
}

function close(actual: number, expected: number, relative = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected)), `expected ${expected}, got ${actual}`);
}

// Policy equal to the reference: every log-ratio is 0.
const EQUAL: Pairs = { pc: [-10], pr: [-12], rc: [-10], rr: [-12], lc: [5], lr: [8] };
// Chosen log-ratio 1, rejected log-ratio −0.5, so Δ = 1.5.
const AHEAD: Pairs = { pc: [-10], pr: [-12], rc: [-11], rr: [-11.5], lc: [5], lr: [8] };
// Chosen log-ratio −1, rejected log-ratio 1, so Δ = −2.
const BEHIND: Pairs = { pc: [-12], pr: [-10], rc: [-11], rr: [-11], lc: [4], lr: [10] };
// Chosen and rejected log-ratios of ±1e4 and 0 in every sign combination, with single-token responses.
const EXTREME: Pairs = {
  pc: [1e4, -1e4, 1e4, -1e4, 1e4, 0],
  pr: [1e4, 1e4, -1e4, -1e4, 0, 1e4],
  rc: [0, 0, 0, 0, 0, 0],
  rr: [0, 0, 0, 0, 0, 0],
  lc: [1, 1, 1, 1, 1, 1],
  lr: [1, 1, 1, 1, 1, 1],
};

/** Asserts that every loss and every gradient with respect to the policy log-probs is finite; returns the losses. */
function finiteLossesAndGradients(loss: PreferenceLoss, pairs: Pairs): Float32Array {
  const x = inputs(pairs);
  const losses = loss.compute(x).losses.dataSync() as Float32Array;
  for (const value of losses) assert.ok(Number.isFinite(value), `loss ${value} in [${losses.join(', ')}]`);
  const gradients = tf.grads((pc: tf.Tensor, pr: tf.Tensor) =>
    tf.sum(loss.compute({ ...x, policyChosen: pc as tf.Tensor1D, policyRejected: pr as tf.Tensor1D }).losses),
  )([x.policyChosen, x.policyRejected]);
  for (const gradient of gradients) {
    const values = gradient.dataSync();
    for (const value of values) assert.ok(Number.isFinite(value), `gradient ${value} in [${values.join(', ')}]`);
  }
  return losses;
}

describe('nca loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should give 2 ln 2 at policy equal to reference', () => {
    // r_c = r_r = 0: ln 2 + ½·ln 2 + ½·ln 2 = 2·ln 2
    const out = createNcaLoss({ beta: 0.1 }).compute(inputs(EQUAL));
    close(out.losses.dataSync()[0], 2 * Math.LN2);
  });

  it('should match hand values for a positive margin', () => {
    // r_c = 0.1·1 = 0.1, r_r = 0.1·(−0.5) = −0.05.
    // −log σ(0.1) − ½·log σ(−0.1) − ½·log σ(0.05) = 0.644397 + ½·0.744397 + ½·0.668460 = 1.350825
    const out = createNcaLoss({ beta: 0.1 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 1.3508248141169994);
    close(out.rewardsChosen.dataSync()[0], 0.1);
    close(out.rewardsRejected.dataSync()[0], -0.05);
  });

  it('should match hand values for a negative margin', () => {
    // r_c = 0.5·(−1) = −0.5, r_r = 0.5·1 = 0.5.
    // −log σ(−0.5) − ½·log σ(0.5) − ½·log σ(−0.5) = 0.974077 + ½·0.474077 + ½·0.974077 = 1.698154
    const out = createNcaLoss({ beta: 0.5 }).compute(inputs(BEHIND));
    close(out.losses.dataSync()[0], 1.6981539683602134);
  });

  it('should stay finite for margins of 1e4', () => {
    const losses = finiteLossesAndGradients(createNcaLoss({ beta: 0.1 }), EXTREME);
    // r = ±1000 and 0; −log σ(−1000) = 1000, −log σ(1000) = 0, −log σ(0) = ln 2.
    const expected = [1000, 1500, 500, 1000, 500 + Math.LN2 / 2, 1.5 * Math.LN2 + 500];
    expected.forEach((value, i) => close(losses[i], value));
  });

  it('should fill default options through the registry', () => {
    const registry = new PluginRegistry().register(ncaPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'nca', {}), { beta: 0.1 });
    const out = registry.create('loss', 'nca', {}).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 1.3508248141169994);
  });

  it('should reject unknown and out-of-range options', () => {
    const registry = new PluginRegistry().register(ncaPlugin);
    assert.throws(() => registry.create('loss', 'nca', { labelSmoothing: 0.1 }), /unknown key "labelSmoothing"/);
    assert.throws(() => registry.create('loss', 'nca', { beta: 0 }), /beta/);
  });
});
