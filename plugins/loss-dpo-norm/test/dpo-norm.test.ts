import assert from 'node:assert/strict';
// The full package registers the gradients that tf.grads needs; tfjs-core alone registers none.
import * as tf from '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type PreferenceLoss } from '@radpo/core';
import { createDpoNormLoss, dpoNormPlugin } from '../src';

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

describe('dpo-norm loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should give ln 2 at policy equal to reference', () => {
    const out = createDpoNormLoss({ beta: 5 }).compute(inputs(EQUAL));
    close(out.losses.dataSync()[0], Math.LN2);
  });

  it('should match hand values for a positive margin', () => {
    // l_c = 1/5 = 0.2, l_r = −0.5/8 = −0.0625; β·(l_c − l_r) = 5·0.2625 = 1.3125; −log σ(1.3125) = 0.238345
    const out = createDpoNormLoss({ beta: 5 }).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.23834450811044117);
    close(out.rewardsChosen.dataSync()[0], 1);
    close(out.rewardsRejected.dataSync()[0], -0.3125);
  });

  it('should match hand values for a negative margin', () => {
    // l_c = −1/4 = −0.25, l_r = 1/10 = 0.1; β·(l_c − l_r) = −0.35; −log σ(−0.35) = 0.883382
    const out = createDpoNormLoss({ beta: 1 }).compute(inputs(BEHIND));
    close(out.losses.dataSync()[0], 0.883382155418777);
  });

  it('should give equal losses to proportionally longer responses', () => {
    // Doubling every log-ratio and every token count leaves the per-token averages, and so the loss, unchanged.
    const loss = createDpoNormLoss({ beta: 5 });
    const doubled: Pairs = { pc: [-20], pr: [-24], rc: [-22], rr: [-23], lc: [10], lr: [16] };
    close(loss.compute(inputs(doubled)).losses.dataSync()[0], 0.23834450811044117);
  });

  it('should stay finite for margins of 1e4', () => {
    const losses = finiteLossesAndGradients(createDpoNormLoss({ beta: 5 }), EXTREME);
    // Single-token responses: β·Δ = 5·[0, −2e4, 2e4, 0, 1e4, −1e4].
    const expected = [Math.LN2, 1e5, 0, Math.LN2, 0, 5e4];
    expected.forEach((value, i) => close(losses[i], value));
  });

  it('should fill default options through the registry', () => {
    const registry = new PluginRegistry().register(dpoNormPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'dpo-norm', {}), { beta: 5 });
    const out = registry.create('loss', 'dpo-norm', {}).compute(inputs(AHEAD));
    close(out.losses.dataSync()[0], 0.23834450811044117);
  });

  it('should reject unknown and out-of-range options', () => {
    const registry = new PluginRegistry().register(dpoNormPlugin);
    assert.throws(() => registry.create('loss', 'dpo-norm', { logRatio: 'mean' }), /unknown key "logRatio"/);
    assert.throws(() => registry.create('loss', 'dpo-norm', { beta: 0 }), /beta/);
  });
});
