import assert from 'node:assert/strict';
// The full package registers the gradients that tf.grads needs; tfjs-core alone registers none.
import * as tf from '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type PreferenceLoss } from '@radpo/core';
import { createAotUnpairedLoss, aotUnpairedPlugin } from '../src';

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

// Three pairs whose chosen log-ratios [1, −1, 1] and rejected log-ratios [−0.5, 1, −1] sort into a
// different order, so a per-pair loss and the sorted loss differ.
const BATCH: Pairs = {
  pc: [-10, -12, -9],
  pr: [-12, -10, -11],
  rc: [-11, -11, -10],
  rr: [-11.5, -11, -10],
  lc: [5, 5, 5],
  lr: [8, 8, 8],
};

describe('aot-unpaired loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should give ln 2 at policy equal to reference', () => {
    // Every log-ratio is 0, so every δ_k = 0 and every loss is ln 2.
    const pairs: Pairs = { ...BATCH, rc: BATCH.pc, rr: BATCH.pr };
    const losses = createAotUnpairedLoss({ beta: 0.1, labelSmoothing: 0 }).compute(inputs(pairs)).losses.dataSync();
    for (const value of losses) close(value, Math.LN2);
  });

  it('should equal DPO for a single pair', () => {
    // One pair sorts to itself: δ = l_c − l_r = 1.5, −log σ(0.15) = 0.620957
    const out = createAotUnpairedLoss({ beta: 0.1, labelSmoothing: 0 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.6209570477895321);
    close(out.rewardsChosen.dataSync()[0], 0.1);
    close(out.rewardsRejected.dataSync()[0], -0.05);
  });

  it('should match hand values on sorted log-ratios', () => {
    // sort([1, −1, 1]) = [−1, 1, 1], sort([−0.5, 1, −1]) = [−1, −0.5, 1], δ = [0, 1.5, 0]; β·δ = [0, 0.75, 0].
    // −log σ(0) = 0.693147, −log σ(0.75) = 0.386871
    const out = createAotUnpairedLoss({ beta: 0.5, labelSmoothing: 0 }).compute(inputs(BATCH));
    const expected = [Math.LN2, 0.38687100611489994, Math.LN2];
    const losses = out.losses.dataSync();
    expected.forEach((value, k) => close(losses[k], value));
    // Rewards stay per pair and unsorted: β·l_r = 0.5·[−0.5, 1, −1].
    const rewards = out.rewardsRejected.dataSync();
    [-0.25, 0.5, -0.5].forEach((value, i) => close(rewards[i], value));
  });

  it('should match hand values with label smoothing', () => {
    // ε = 0.1, β·δ = 0.75: 0.9·0.386871 + 0.1·1.136871 = 0.461871; β·δ = 0 stays ln 2.
    const out = createAotUnpairedLoss({ beta: 0.5, labelSmoothing: 0.1 }).compute(inputs(BATCH));
    const expected = [Math.LN2, 0.46187100611489995, Math.LN2];
    const losses = out.losses.dataSync();
    expected.forEach((value, k) => close(losses[k], value));
  });

  it('should route gradients through the sorted order', () => {
    // d loss_k / d δ_k = −β·σ(−β·δ_k). Chosen log-ratios [1, −1, 1] sort stably to pairs [1, 0, 2], so pair 0
    // sits at position 1 (β·δ = 0.75) and pairs 1 and 2 at positions with β·δ = 0; d δ / d π_c = 1.
    // −0.5·σ(−0.75) = −0.160411, −0.5·σ(0) = −0.25
    const loss = createAotUnpairedLoss({ beta: 0.5, labelSmoothing: 0 });
    const x = inputs(BATCH);
    const gradient = tf.grad((pc: tf.Tensor) => tf.sum(loss.compute({ ...x, policyChosen: pc as tf.Tensor1D }).losses))(x.policyChosen);
    const values = gradient.dataSync();
    [-0.1604106504123035, -0.25, -0.25].forEach((value, i) => close(values[i], value));
  });

  it('should stay finite for margins of 1e4', () => {
    const losses = finiteLossesAndGradients(createAotUnpairedLoss({ beta: 0.1, labelSmoothing: 0 }), EXTREME);
    // Chosen and rejected log-ratios both sort to [−1e4, −1e4, 0, 1e4, 1e4, 1e4], so every δ_k = 0.
    for (const value of losses) close(value, Math.LN2);
  });

  it('should fill default options through the registry', () => {
    const registry = new PluginRegistry().register(aotUnpairedPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'aot-unpaired', {}), { beta: 0.1, labelSmoothing: 0 });
    const out = registry.create('loss', 'aot-unpaired', {}).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.6209570477895321);
  });

  it('should reject unknown and out-of-range options', () => {
    const registry = new PluginRegistry().register(aotUnpairedPlugin);
    assert.throws(() => registry.create('loss', 'aot-unpaired', { paired: false }), /unknown key "paired"/);
    assert.throws(() => registry.create('loss', 'aot-unpaired', { labelSmoothing: -0.1 }), /labelSmoothing/);
  });
});
