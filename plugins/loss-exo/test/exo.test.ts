import assert from 'node:assert/strict';
// The full package registers the gradients that tf.grads needs; tfjs-core alone registers none.
import * as tf from '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type PreferenceLoss } from '@radpo/core';
import { createExoLoss, exoPlugin } from '../src';

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

describe('exo loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should match hand values at policy equal to reference', () => {
    // β·Δ = 0: ½·(−ln 2 − ln 0.999) + ½·(−ln 2 − ln 0.001) = −ln 2 − ½·ln(0.000999) = −0.693147 + 3.454378 = 2.761231
    const out = createExoLoss({ beta: 0.1, labelSmoothing: 1e-3 }).compute(inputs(EQUAL));
    close(out.losses.dataSync()[0], 2.761230709097915);
    close(out.rewardsChosen.dataSync()[0], 0);
  });

  it('should match hand values for a positive margin', () => {
    // β·Δ = 0.15: σ = 0.537430, log σ = −0.620957; σ(−0.15) = 0.462570, log σ(−0.15) = −0.770957.
    // 0.537430·(−0.620957 + 0.001001) + 0.462570·(−0.770957 + 6.907755) = −0.333183 + 2.838700 = 2.505517
    const out = createExoLoss({ beta: 0.1, labelSmoothing: 1e-3 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 2.5055165554778718);
    close(out.rewardsChosen.dataSync()[0], 0.1);
    close(out.rewardsRejected.dataSync()[0], -0.05);
  });

  it('should match hand values for a negative margin', () => {
    // β·Δ = 0.5·(−2) = −1, ε = 0.1: σ(−1) = 0.268941, log σ(−1) = −1.313262; σ(1) = 0.731059, log σ(1) = −0.313262.
    // 0.268941·(−1.313262 + 0.105361) + 0.731059·(−0.313262 + 2.302585) = −0.324854 + 1.454311 = 1.129457
    const out = createExoLoss({ beta: 0.5, labelSmoothing: 0.1 }).compute(inputs(BEHIND));
    close(out.losses.dataSync()[0], 1.129457283207938);
  });

  it('should reach zero where the preference probability equals 1 − ε', () => {
    // σ(β·Δ) = 0.9 at β·Δ = ln 9; with β = 1 and only the chosen log-ratio moved, π_c − ref_c = ln 9.
    const pairs: Pairs = { pc: [Math.log(9)], pr: [0], rc: [0], rr: [0], lc: [1], lr: [1] };
    const out = createExoLoss({ beta: 1, labelSmoothing: 0.1 }).compute(inputs(pairs));
    assert.ok(Math.abs(out.losses.dataSync()[0]) < 1e-6, `loss ${out.losses.dataSync()[0]}`);
  });

  it('should match the hand-derived gradient', () => {
    // With p = σ(x), x = β·Δ: dL/dp = log(p/(1 − p)) − log(1 − ε) + log ε = x − log((1 − ε)/ε), dp/dx = p·(1 − p).
    // x = 0.15: 0.537430·0.462570·(0.15 − ln 999) = 0.248599·(0.15 − 6.906755) = −1.679723; dL/dπ_c = β·that = −0.167972
    const loss = createExoLoss({ beta: 0.1, labelSmoothing: 1e-3 });
    const x = inputs(AHEAD);
    const gradient = tf.grad((pc: tf.Tensor) => tf.sum(loss.compute({ ...x, policyChosen: pc as tf.Tensor1D }).losses))(x.policyChosen);
    close(gradient.dataSync()[0], -0.16797225263357723);
  });

  it('should stay finite for margins of 1e4', () => {
    const losses = finiteLossesAndGradients(createExoLoss({ beta: 0.1, labelSmoothing: 1e-3 }), EXTREME);
    // β·Δ = 1000: 1·(0 − ln 0.999) + 0 = 0.0010005
    close(losses[4], -Math.log(0.999));
    // β·Δ = −1000: 0 + 1·(0 − ln 0.001) = 6.907755
    close(losses[5], -Math.log(0.001));
  });

  it('should fill default options through the registry', () => {
    const registry = new PluginRegistry().register(exoPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'exo', {}), { beta: 0.1, labelSmoothing: 0.001 });
    const out = registry.create('loss', 'exo', {}).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 2.5055165554778718);
  });

  it('should reject unknown and out-of-range options', () => {
    const registry = new PluginRegistry().register(exoPlugin);
    assert.throws(() => registry.create('loss', 'exo', { epsilon: 0.1 }), /unknown key "epsilon"/);
    assert.throws(() => registry.create('loss', 'exo', { labelSmoothing: 0 }), /labelSmoothing/);
  });
});
