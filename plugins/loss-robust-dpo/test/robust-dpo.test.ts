import assert from 'node:assert/strict';
// The full package registers the gradients that tf.grads needs; tfjs-core alone registers none.
import * as tf from '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type PreferenceLoss } from '@radpo/core';
import { createRobustDpoLoss, robustDpoPlugin } from '../src';

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

describe('robust-dpo loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should give ln 2 at policy equal to reference', () => {
    // Δ = 0: [−(1 − ε)·(−ln 2) + ε·(−ln 2)] / (1 − 2ε) = ln 2·(1 − 2ε)/(1 − 2ε) = ln 2 for any ε.
    const out = createRobustDpoLoss({ beta: 0.1, labelSmoothing: 0.1 }).compute(inputs(EQUAL));
    close(out.losses.dataSync()[0], Math.LN2);
    close(out.rewardsChosen.dataSync()[0], 0);
  });

  it('should match hand values for a positive margin', () => {
    // Δ = (−10 − −11) − (−12 − −11.5) = 1.5; β·Δ = 0.15; log σ(0.15) = −0.620957, log σ(−0.15) = −0.770957.
    // ε = 0.1: [0.9·0.620957 − 0.1·0.770957] / 0.8 = (0.558861 − 0.077096) / 0.8 = 0.602207
    const out = createRobustDpoLoss({ beta: 0.1, labelSmoothing: 0.1 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.602207047789532);
    close(out.rewardsChosen.dataSync()[0], 0.1);
    close(out.rewardsRejected.dataSync()[0], -0.05);
  });

  it('should match hand values for a negative margin', () => {
    // Δ = (−12 − −11) − (−10 − −11) = −2; β·Δ = −1; log σ(−1) = −1.313262, log σ(1) = −0.313262.
    // ε = 0.2: [0.8·1.313262 − 0.2·0.313262] / 0.6 = (1.050610 − 0.062652) / 0.6 = 1.646595
    const out = createRobustDpoLoss({ beta: 0.5, labelSmoothing: 0.2 }).compute(inputs(BEHIND));
    close(out.losses.dataSync()[0], 1.6465950208515565);
    close(out.rewardsChosen.dataSync()[0], -0.5);
    close(out.rewardsRejected.dataSync()[0], 0.5);
  });

  it('should reduce to DPO without label noise', () => {
    // ε = 0: −log σ(0.15) = 0.620957
    const out = createRobustDpoLoss({ beta: 0.1, labelSmoothing: 0 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.6209570477895321);
  });

  it('should stay finite for margins of 1e4', () => {
    const losses = finiteLossesAndGradients(createRobustDpoLoss({ beta: 0.1, labelSmoothing: 0.1 }), EXTREME);
    // Δ = 1e4: [0 + 0.1·(−1000)] / 0.8 = −125, unbounded below by design but finite.
    close(losses[4], -125);
    // Δ = −1e4: [0.9·1000 − 0] / 0.8 = 1125
    close(losses[5], 1125);
  });

  it('should fill default options through the registry', () => {
    const registry = new PluginRegistry().register(robustDpoPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'robust-dpo', {}), { beta: 0.1, labelSmoothing: 0.1 });
    const out = registry.create('loss', 'robust-dpo', {}).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.602207047789532);
  });

  it('should reject unknown and out-of-range options', () => {
    const registry = new PluginRegistry().register(robustDpoPlugin);
    assert.throws(() => registry.create('loss', 'robust-dpo', { betta: 0.1 }), /unknown key "betta".*Did you mean "beta"/s);
    assert.throws(() => registry.create('loss', 'robust-dpo', { labelSmoothing: 0.5 }), /labelSmoothing/);
  });
});
