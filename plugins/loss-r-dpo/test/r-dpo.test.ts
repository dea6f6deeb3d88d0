import assert from 'node:assert/strict';
// The full package registers the gradients that tf.grads needs; tfjs-core alone registers none.
import * as tf from '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type PreferenceLoss } from '@radpo/core';
import { createRDpoLoss, rDpoPlugin } from '../src';

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

describe('r-dpo loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should give ln 2 at policy equal to reference with equal lengths', () => {
    const out = createRDpoLoss({ beta: 0.1, lengthPenalty: 0.01 }).compute(inputs({ ...EQUAL, lr: [5] }));
    close(out.losses.dataSync()[0], Math.LN2);
  });

  it('should match hand values at policy equal to reference', () => {
    // β·Δ = 0, α·(L_c − L_r) = 0.01·(5 − 8) = −0.03; −log σ(−0.03) = 0.708260
    const out = createRDpoLoss({ beta: 0.1, lengthPenalty: 0.01 }).compute(inputs(EQUAL));
    close(out.losses.dataSync()[0], 0.7082596763414485);
  });

  it('should match hand values for a positive margin', () => {
    // β·Δ = 0.15, α·(L_c − L_r) = −0.03; −log σ(0.12) = 0.634946
    const out = createRDpoLoss({ beta: 0.1, lengthPenalty: 0.01 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.6349461015956135);
    close(out.rewardsChosen.dataSync()[0], 0.1);
    close(out.rewardsRejected.dataSync()[0], -0.05);
  });

  it('should match hand values for a negative margin', () => {
    // β·Δ = 0.5·(−2) = −1, α·(L_c − L_r) = 0.1·(4 − 10) = −0.6; −log σ(−1.6) = 1.783901
    const out = createRDpoLoss({ beta: 0.5, lengthPenalty: 0.1 }).compute(inputs(BEHIND));
    close(out.losses.dataSync()[0], 1.783900740888339);
  });

  it('should ask less margin of a longer chosen answer', () => {
    // L_c = 8 > L_r = 5: the length term +0.03 lowers the loss below DPO's −log σ(0.15) = 0.620957.
    const longerChosen: Pairs = { ...AHEAD, lc: [8], lr: [5] };
    const regularized = createRDpoLoss({ beta: 0.1, lengthPenalty: 0.01 }).compute(inputs(longerChosen)).losses.dataSync()[0];
    const plain = createRDpoLoss({ beta: 0.1, lengthPenalty: 0 }).compute(inputs(longerChosen)).losses.dataSync()[0];
    close(plain, 0.6209570477895321);
    assert.ok(regularized < plain, `regularized ${regularized} is not below plain DPO ${plain}`);
    // −log σ(0.18) = 0.607192
    close(regularized, 0.6071917248407819);
  });

  it('should stay finite for margins of 1e4', () => {
    const losses = finiteLossesAndGradients(createRDpoLoss({ beta: 0.1, lengthPenalty: 0.01 }), EXTREME);
    // Equal single-token lengths: β·Δ = 0.1·[0, −2e4, 2e4, 0, 1e4, −1e4].
    const expected = [Math.LN2, 2000, 0, Math.LN2, 0, 1000];
    expected.forEach((value, i) => close(losses[i], value));
  });

  it('should fill default options through the registry', () => {
    const registry = new PluginRegistry().register(rDpoPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'r-dpo', {}), { beta: 0.1, lengthPenalty: 0.01 });
    const out = registry.create('loss', 'r-dpo', {}).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.6349461015956135);
  });

  it('should reject unknown and out-of-range options', () => {
    const registry = new PluginRegistry().register(rDpoPlugin);
    assert.throws(() => registry.create('loss', 'r-dpo', { alpha: 0.01 }), /unknown key "alpha"/);
    assert.throws(() => registry.create('loss', 'r-dpo', { lengthPenalty: -0.01 }), /lengthPenalty/);
  });
});
