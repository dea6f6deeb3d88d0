import assert from 'node:assert/strict';
// The full package registers the gradients that tf.grads needs; tfjs-core alone registers none.
import * as tf from '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type PreferenceLoss } from '@radpo/core';
import { createAotLoss, aotPlugin } from '../src';

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

// Three pairs whose policy margins π_c − π_r = [2, −2, 2] and reference margins ref_c − ref_r = [0.5, 0, 0]
// sort into a different order, so a per-pair loss and the sorted loss differ.
const BATCH: Pairs = {
  pc: [-10, -12, -9],
  pr: [-12, -10, -11],
  rc: [-11, -11, -10],
  rr: [-11.5, -11, -10],
  lc: [5, 5, 5],
  lr: [8, 8, 8],
};

describe('aot loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should give ln 2 at policy equal to reference', () => {
    // Identical policy and reference margins sort identically, so every δ_k = 0 and every loss is ln 2.
    const pairs: Pairs = { ...BATCH, rc: BATCH.pc, rr: BATCH.pr };
    const losses = createAotLoss({ beta: 0.1, labelSmoothing: 0 }).compute(inputs(pairs)).losses.dataSync();
    for (const value of losses) close(value, Math.LN2);
  });

  it('should equal DPO for a single pair', () => {
    // One pair sorts to itself: δ = Δ = 1.5, −log σ(0.15) = 0.620957
    const out = createAotLoss({ beta: 0.1, labelSmoothing: 0 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.6209570477895321);
    close(out.rewardsChosen.dataSync()[0], 0.1);
    close(out.rewardsRejected.dataSync()[0], -0.05);
  });

  it('should match hand values on sorted margins', () => {
    // sort([2, −2, 2]) = [−2, 2, 2], sort([0.5, 0, 0]) = [0, 0, 0.5], δ = [−2, 2, 1.5]; β·δ = [−1, 1, 0.75].
    // −log σ(−1) = 1.313262, −log σ(1) = 0.313262, −log σ(0.75) = 0.386871
    const out = createAotLoss({ beta: 0.5, labelSmoothing: 0 }).compute(inputs(BATCH));
    const expected = [1.3132616875182228, 0.31326168751822286, 0.38687100611489994];
    const losses = out.losses.dataSync();
    expected.forEach((value, k) => close(losses[k], value));
    // Rewards stay per pair and unsorted: β·(π_c − ref_c) = 0.5·[1, −1, 1].
    const rewards = out.rewardsChosen.dataSync();
    [0.5, -0.5, 0.5].forEach((value, i) => close(rewards[i], value));
  });

  it('should match hand values with label smoothing', () => {
    // ε = 0.1: 0.9·(−log σ(β·δ)) + 0.1·(−log σ(−β·δ)); for β·δ = −1: 0.9·1.313262 + 0.1·0.313262 = 1.213262
    const out = createAotLoss({ beta: 0.5, labelSmoothing: 0.1 }).compute(inputs(BATCH));
    const expected = [1.2132616875182227, 0.4132616875182229, 0.46187100611489995];
    const losses = out.losses.dataSync();
    expected.forEach((value, k) => close(losses[k], value));
  });

  it('should route gradients through the sorted order', () => {
    // d loss_k / d δ_k = −β·σ(−β·δ_k). Pair 0 (margin 2) sits at sorted position 1 (δ = 2), pair 1 (margin −2)
    // at position 0 (δ = −2) and pair 2 at position 2 (δ = 1.5); d δ / d π_c = 1.
    // −0.5·σ(−1) = −0.134471, −0.5·σ(1) = −0.365529, −0.5·σ(−0.75) = −0.160411
    const loss = createAotLoss({ beta: 0.5, labelSmoothing: 0 });
    const x = inputs(BATCH);
    const gradient = tf.grad((pc: tf.Tensor) => tf.sum(loss.compute({ ...x, policyChosen: pc as tf.Tensor1D }).losses))(x.policyChosen);
    const values = gradient.dataSync();
    [-0.13447071068499755, -0.36552928931500245, -0.1604106504123035].forEach((value, i) => close(values[i], value));
  });

  it('should stay finite for margins of 1e4', () => {
    const losses = finiteLossesAndGradients(createAotLoss({ beta: 0.1, labelSmoothing: 0 }), EXTREME);
    // Policy margins [0, −2e4, 2e4, 0, 1e4, −1e4] sort to [−2e4, −1e4, 0, 0, 1e4, 2e4]; reference margins are 0.
    const expected = [2000, 1000, Math.LN2, Math.LN2, 0, 0];
    expected.forEach((value, k) => close(losses[k], value));
  });

  it('should fill default options through the registry', () => {
    const registry = new PluginRegistry().register(aotPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'aot', {}), { beta: 0.1, labelSmoothing: 0 });
    const out = registry.create('loss', 'aot', {}).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.6209570477895321);
  });

  it('should reject unknown and out-of-range options', () => {
    const registry = new PluginRegistry().register(aotPlugin);
    assert.throws(() => registry.create('loss', 'aot', { paired: true }), /unknown key "paired"/);
    assert.throws(() => registry.create('loss', 'aot', { labelSmoothing: 0.5 }), /labelSmoothing/);
  });
});
