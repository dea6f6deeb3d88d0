import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers the gradients (tfjs-core's CommonJS build registers none) and the cpu backend.
import '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type LossOutput } from '@radpo/core';
import { createSimpoLoss, simpoPlugin, type SimpoOptions } from '../src';

const DEFAULTS: SimpoOptions = { beta: 2, gamma: 0.5, labelSmoothing: 0 };

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

function run(options: SimpoOptions, pairs: Pairs): LossOutput {
  return createSimpoLoss(options).compute(inputs(pairs));
}

function gradients(options: SimpoOptions, pairs: Pairs): [Float32Array, Float32Array] {
  const loss = createSimpoLoss(options);
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

describe('simpo loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should match the paper formula on a losing pair', () => {
    // a_c = −10/5 = −2, a_r = −12/8 = −1.5; z = 2·(−2 − −1.5) − 0.5 = −1.5;
    // loss = −log σ(−1.5) = log(1 + e^1.5) = log(5.4816891) = 1.7014133.
    const out = run(DEFAULTS, { pc: [-10], pr: [-12], lc: [5], lr: [8] });
    close(out.losses.dataSync()[0], 1.7014133);
    close(out.rewardsChosen.dataSync()[0], -4);
    close(out.rewardsRejected.dataSync()[0], -3);
  });

  it('should match the paper formula on a winning pair', () => {
    // a_c = −4/4 = −1, a_r = −30/10 = −3; z = 2·2 − 0.5 = 3.5; loss = log(1 + e^−3.5) = log(1.0301974) = 0.0297504.
    const out = run(DEFAULTS, { pc: [-4], pr: [-30], lc: [4], lr: [10] });
    close(out.losses.dataSync()[0], 0.0297504);
  });

  it('should mix both directions with label smoothing', () => {
    // β = 1, γ = 0, ε = 0.1: a_c = −3/3 = −1, a_r = −2/1 = −2, z = 1;
    // loss = 0.9·log(1 + e^−1) + 0.1·log(1 + e^1) = 0.9·0.3132617 + 0.1·1.3132617 = 0.4132617.
    const out = run({ beta: 1, gamma: 0, labelSmoothing: 0.1 }, { pc: [-3], pr: [-2], lc: [3], lr: [1] });
    close(out.losses.dataSync()[0], 0.4132617);
  });

  it('should have gradients -beta*sigmoid(-z)/Lc and beta*sigmoid(-z)/Lr', () => {
    // First case above: σ(1.5) = 0.8175745; ∂/∂π_c = −2·0.8175745/5 = −0.3270298, ∂/∂π_r = 2·0.8175745/8 = 0.2043936.
    const [chosen, rejected] = gradients(DEFAULTS, { pc: [-10], pr: [-12], lc: [5], lr: [8] });
    close(chosen[0], -0.3270298);
    close(rejected[0], 0.2043936);
  });

  it('should stay finite for margins of plus and minus 1e4 and single tokens', () => {
    const pairs = { pc: [0, -1e4], pr: [-1e4, 0], lc: [1, 1], lr: [1, 1] };
    const [winning, losing] = run(DEFAULTS, pairs).losses.dataSync();
    close(winning, 0, 1);
    // z = 2·(−1e4) − 0.5, so the loss is −z = 20000.5.
    close(losing, 20000.5);
    const [chosen, rejected] = gradients(DEFAULTS, pairs);
    for (const value of [...chosen, ...rejected]) assert.ok(Number.isFinite(value), `gradient ${value}`);
  });

  it('should register with the defaults and reject unknown options', () => {
    const registry = new PluginRegistry().register(simpoPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'simpo', {}), DEFAULTS);
    assert.equal(registry.create('loss', 'simpo').requiresReference, false);
    assert.throws(() => registry.resolveOptions('loss', 'simpo', { gama: 1 }), /unknown key "gama".*Did you mean "gamma"/s);
  });
});
