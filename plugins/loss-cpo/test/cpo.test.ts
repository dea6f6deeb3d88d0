import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers the gradients (tfjs-core's CommonJS build registers none) and the cpu backend.
import '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type LossOutput } from '@radpo/core';
import { createCpoLoss, cpoPlugin, type CpoOptions } from '../src';

const DEFAULTS: CpoOptions = { beta: 0.1, nllWeight: 1 };

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

function run(options: CpoOptions, pairs: Pairs): LossOutput {
  return createCpoLoss(options).compute(inputs(pairs));
}

function gradients(options: CpoOptions, pairs: Pairs): [Float32Array, Float32Array] {
  const loss = createCpoLoss(options);
  const [chosen, rejected] = tf.grads((pc: tf.Tensor, pr: tf.Tensor) => tf.sum(loss.compute(inputs(pairs, pc, pr)).losses))([
    tf.tensor1d(pairs.pc),
    tf.tensor1d(pairs.pr),
  ]);
  return [chosen.dataSync() as Float32Array, rejected.dataSync() as Float32Array];
}

function close(actual: number, expected: number, relative = 1e-5): void {
  const tolerance = relative * Math.max(Math.abs(expected), 1e-6);
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

describe('cpo loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should add the chosen NLL to the logistic margin loss', () => {
    // β = 0.1, λ = 1: margin π_c − π_r = −10 − −12 = 2; −log σ(0.2) = log(1 + e^−0.2) = 0.5981389;
    // NLL = 10/5 = 2; loss = 2.5981389.
    const out = run(DEFAULTS, { pc: [-10], pr: [-12], lc: [5], lr: [8] });
    close(out.losses.dataSync()[0], 2.5981389);
    close(out.rewardsChosen.dataSync()[0], -1);
    close(out.rewardsRejected.dataSync()[0], -1.2);
    close(out.metrics!['cpo/nll_loss'].dataSync()[0], 2);
  });

  it('should weight the NLL by nllWeight on a losing pair', () => {
    // β = 0.5, λ = 0.5: margin −20 − −15 = −5; −log σ(−2.5) = log(1 + e^2.5) = 2.5788897;
    // NLL = 20/10 = 2; loss = 2.5788897 + 0.5·2 = 3.5788897.
    const out = run({ beta: 0.5, nllWeight: 0.5 }, { pc: [-20], pr: [-15], lc: [10], lr: [10] });
    close(out.losses.dataSync()[0], 3.5788897);
  });

  it('should reduce to the logistic loss with nllWeight 0', () => {
    // β = 1, λ = 0: margin −3 − −4.5 = 1.5; loss = log(1 + e^−1.5) = log(1.2231302) = 0.2014133.
    const out = run({ beta: 1, nllWeight: 0 }, { pc: [-3], pr: [-4.5], lc: [3], lr: [4] });
    close(out.losses.dataSync()[0], 0.2014133);
  });

  it('should have gradients of the margin term plus the NLL term', () => {
    // First case: ∂/∂π_c = −β·σ(−0.2) − λ/L_c = −0.1·0.4501660 − 1/5 = −0.2450166;
    // ∂/∂π_r = β·σ(−0.2) = 0.0450166.
    const [chosen, rejected] = gradients(DEFAULTS, { pc: [-10], pr: [-12], lc: [5], lr: [8] });
    close(chosen[0], -0.2450166);
    close(rejected[0], 0.0450166);
  });

  it('should stay finite for margins of plus and minus 1e4 and single tokens', () => {
    const pairs = { pc: [0, -1e4], pr: [-1e4, 0], lc: [1, 1], lr: [1, 1] };
    const [winning, losing] = run(DEFAULTS, pairs).losses.dataSync();
    // Winning: log(1 + e^−1000) + 0 = 0. Losing: log(1 + e^1000) + NLL 1e4 = 1000 + 10000 = 11000.
    close(winning, 0, 1);
    close(losing, 11000);
    const [chosen, rejected] = gradients(DEFAULTS, pairs);
    for (const value of [...chosen, ...rejected]) assert.ok(Number.isFinite(value), `gradient ${value}`);
  });

  it('should register with the defaults and reject unknown options', () => {
    const registry = new PluginRegistry().register(cpoPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'cpo', {}), DEFAULTS);
    assert.equal(registry.create('loss', 'cpo').requiresReference, false);
    assert.throws(() => registry.resolveOptions('loss', 'cpo', { alpha: 1 }), /unknown key "alpha".*Valid keys: beta, nllWeight/s);
  });
});
