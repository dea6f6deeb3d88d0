import assert from 'node:assert/strict';
// The full package registers the gradients that tf.grads needs; tfjs-core alone registers none.
import * as tf from '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type PreferenceLoss } from '@radpo/core';
import { createDiscopopLoss, discopopPlugin } from '../src';

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

describe('discopop loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should give half ln 2 plus half at policy equal to reference', () => {
    // ρ = 0, m = σ(0) = 0.5: 0.5·ln 2 + 0.5·e^0 = 0.846574
    const out = createDiscopopLoss({ beta: 0.1, tau: 0.05 }).compute(inputs(EQUAL));
    close(out.losses.dataSync()[0], 0.5 * Math.LN2 + 0.5);
  });

  it('should match hand values for a positive margin', () => {
    // ρ = 0.1·1.5 = 0.15, m = σ(0.15/0.05) = σ(3) = 0.952574.
    // (1 − m)·(−log σ(0.15)) + m·e^−0.15 = 0.047426·0.620957 + 0.952574·0.860708 = 0.029449 + 0.819888 = 0.849338
    const out = createDiscopopLoss({ beta: 0.1, tau: 0.05 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.8493375792893855);
    close(out.rewardsChosen.dataSync()[0], 0.1);
    close(out.rewardsRejected.dataSync()[0], -0.05);
  });

  it('should match hand values for a negative margin', () => {
    // ρ = 0.5·(−2) = −1, m = σ(−20) = 2.061e−9.
    // (1 − m)·(−log σ(−1)) + m·e^1 = 1.313262 − 2.7e−9 + 5.6e−9 = 1.313262
    const out = createDiscopopLoss({ beta: 0.5, tau: 0.05 }).compute(inputs(BEHIND));
    close(out.losses.dataSync()[0], 1.3132616904141852);
  });

  it('should match hand values with tau of 1', () => {
    // β = 1: ρ = 1.5, m = σ(1.5) = 0.817574.
    // 0.182426·(−log σ(1.5)) + 0.817574·e^−1.5 = 0.182426·0.201413 + 0.817574·0.223130 = 0.036743 + 0.182426 = 0.219168
    const out = createDiscopopLoss({ beta: 1, tau: 1 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.21916844654391518);
  });

  it('should match the hand-derived gradient', () => {
    // L(ρ) = w·softplus(−ρ) + m·e^−ρ with m = σ(ρ/τ), w = σ(−ρ/τ), dm/dρ = −dw/dρ = m·w/τ:
    // dL/dρ = −(m·w/τ)·softplus(−ρ) − w·σ(−ρ) + (m·w/τ)·e^−ρ − m·e^−ρ
    // ρ = 0.15, τ = 0.05, m·w = 0.045177: −0.561046 − 0.021938 + 0.777670 − 0.819888 = −0.625203; dL/dπ_c = β·that = −0.062520
    const loss = createDiscopopLoss({ beta: 0.1, tau: 0.05 });
    const x = inputs(AHEAD);
    const gradient = tf.grad((pc: tf.Tensor) => tf.sum(loss.compute({ ...x, policyChosen: pc as tf.Tensor1D }).losses))(x.policyChosen);
    close(gradient.dataSync()[0], -0.06252030201199107);
  });

  it('should stay finite for margins of 1e4', () => {
    const losses = finiteLossesAndGradients(createDiscopopLoss({ beta: 0.1, tau: 0.05 }), EXTREME);
    // ρ = [0, −2000, 2000, 0, 1000, −1000]. For ρ ≤ −1000, m·e^−ρ = exp(log σ(ρ/τ) − ρ) ≈ e^(19·ρ) = 0 and the
    // logistic term gives −ρ; for ρ ≥ 1000 both terms vanish.
    const expected = [0.5 * Math.LN2 + 0.5, 2000, 0, 0.5 * Math.LN2 + 0.5, 0, 1000];
    expected.forEach((value, i) => close(losses[i], value));
  });

  it('should cap the exponential term for tau above 1', () => {
    // τ = 2, ρ = −1000: the exponent log σ(−500) + 1000 = 500 is capped at 80, so the loss is e^80 + 1000.
    const loss = createDiscopopLoss({ beta: 0.1, tau: 2 });
    const pairs: Pairs = { pc: [-1e4], pr: [0], rc: [0], rr: [0], lc: [1], lr: [1] };
    const losses = finiteLossesAndGradients(loss, pairs);
    close(losses[0], Math.exp(80) + 1000);
  });

  it('should fill default options through the registry', () => {
    const registry = new PluginRegistry().register(discopopPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'discopop', {}), { beta: 0.1, tau: 0.05 });
    const out = registry.create('loss', 'discopop', {}).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.8493375792893855);
  });

  it('should reject unknown and out-of-range options', () => {
    const registry = new PluginRegistry().register(discopopPlugin);
    assert.throws(() => registry.create('loss', 'discopop', { temperature: 0.05 }), /unknown key "temperature"/);
    assert.throws(() => registry.create('loss', 'discopop', { tau: 0 }), /tau/);
  });
});
