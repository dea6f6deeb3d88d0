import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers the gradients (tfjs-core's CommonJS build registers none) and the cpu backend.
import '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type LossOutput } from '@radpo/core';
import { createKtoLoss, ktoPlugin, type KtoOptions } from '../src';

const DEFAULTS: KtoOptions = { beta: 0.1, desirableWeight: 1, undesirableWeight: 1 };

interface Pairs {
  pc: number[];
  pr: number[];
  rc: number[];
  rr: number[];
  /** Mismatched log-ratios, one per pair. */
  kl: number[];
}

function inputs(pairs: Pairs, policyChosen = tf.tensor1d(pairs.pc), policyRejected = tf.tensor1d(pairs.pr)): LossInputs {
  const ones = tf.ones([pairs.pc.length]) as tf.Tensor1D;
  return {
    policyChosen: policyChosen as tf.Tensor1D,
    policyRejected: policyRejected as tf.Tensor1D,
    referenceChosen: tf.tensor1d(pairs.rc),
    referenceRejected: tf.tensor1d(pairs.rr),
    chosenTokens: ones,
    rejectedTokens: ones,
    chosenNll: tf.neg(policyChosen) as tf.Tensor1D,
    mismatchedLogRatios: tf.tensor1d(pairs.kl),
  };
}

function run(options: KtoOptions, pairs: Pairs): LossOutput {
  return createKtoLoss(options).compute(inputs(pairs));
}

function gradients(options: KtoOptions, pairs: Pairs): [Float32Array, Float32Array] {
  const loss = createKtoLoss(options);
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

describe('kto loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should average the desirable and undesirable losses around z0', () => {
    // l_c = −10 − −11 = 1, l_r = −12 − −11.5 = −0.5, z0 = max(0, 0.4) = 0.4, β = 0.1:
    // 1 − σ(0.1·(1 − 0.4)) = 1 − σ(0.06) = 0.4850045; 1 − σ(0.1·(0.4 + 0.5)) = 1 − σ(0.09) = 0.4775152;
    // loss = (0.4850045 + 0.4775152)/2 = 0.4812598.
    const out = run(DEFAULTS, { pc: [-10], pr: [-12], rc: [-11], rr: [-11.5], kl: [0.4] });
    close(out.losses.dataSync()[0], 0.4812598);
    close(out.rewardsChosen.dataSync()[0], 0.1);
    close(out.rewardsRejected.dataSync()[0], -0.05);
    close(out.metrics!['kto/kl'].dataSync()[0], 0.4);
  });

  it('should clamp a negative KL estimate to 0 and apply the desirable weight', () => {
    // z0 = max(0, (−3 + 1)/2) = 0; β = 0.5, λ_D = 2, λ_U = 1.
    // Pair 1: l_c = 1, l_r = −0.5: 2·(1 − σ(0.5)) = 2·0.3775407 = 0.7550813; 1 − σ(0.25) = 0.4378235; mean 0.5964524.
    // Pair 2: l_c = −1, l_r = 0.5: 2·(1 − σ(−0.5)) = 1.2449187; 1 − σ(−0.25) = 0.5621765; mean 0.9035476.
    const out = run(
      { beta: 0.5, desirableWeight: 2, undesirableWeight: 1 },
      { pc: [-10, -20], pr: [-12, -18], rc: [-11, -19], rr: [-11.5, -18.5], kl: [-3, 1] },
    );
    const [first, second] = out.losses.dataSync();
    close(first, 0.5964524);
    close(second, 0.9035476);
    assert.equal(Math.abs(out.metrics!['kto/kl'].dataSync()[0]), 0);
  });

  it('should apply the undesirable weight at policy equal to reference', () => {
    // l_c = l_r = 0, z0 = mean(2, 4) = 3, β = 1, λ_U = 1.5:
    // 1 − σ(−3) = 0.9525741; 1.5·(1 − σ(3)) = 1.5·0.0474259 = 0.0711388; mean 0.5118565.
    const out = run(
      { beta: 1, desirableWeight: 1, undesirableWeight: 1.5 },
      { pc: [-5, -6], pr: [-7, -8], rc: [-5, -6], rr: [-7, -8], kl: [2, 4] },
    );
    const [first, second] = out.losses.dataSync();
    close(first, 0.5118565);
    close(second, 0.5118565);
  });

  it('should have sigmoid-derivative gradients and none through z0', () => {
    // First case: s = σ(0.06) = 0.5149955, ∂/∂π_c = −β·s·(1 − s)/2 = −0.1·0.2497752/2 = −0.0124888;
    // t = σ(0.09) = 0.5224848, ∂/∂π_r = β·t·(1 − t)/2 = 0.1·0.2494945/2 = 0.0124747.
    const [chosen, rejected] = gradients(DEFAULTS, { pc: [-10], pr: [-12], rc: [-11], rr: [-11.5], kl: [0.4] });
    close(chosen[0], -0.0124888);
    close(rejected[0], 0.0124747);
    const loss = createKtoLoss(DEFAULTS);
    const klGradient = tf.grad((kl: tf.Tensor) =>
      tf.sum(loss.compute({ ...inputs({ pc: [-10], pr: [-12], rc: [-11], rr: [-11.5], kl: [0.4] }), mismatchedLogRatios: kl as tf.Tensor1D }).losses),
    )(tf.tensor1d([0.4]));
    assert.equal(Math.abs(klGradient.dataSync()[0]), 0);
  });

  it('should stay finite for log-ratios of plus and minus 1e4', () => {
    const pairs = { pc: [0, -1e4], pr: [-1e4, 0], rc: [0, 0], rr: [0, 0], kl: [1e4, -1e4] };
    const losses = run(DEFAULTS, pairs).losses.dataSync();
    for (const value of losses) assert.ok(Number.isFinite(value), `loss ${value}`);
    const [chosen, rejected] = gradients(DEFAULTS, pairs);
    for (const value of [...chosen, ...rejected]) assert.ok(Number.isFinite(value), `gradient ${value}`);
  });

  it('should reject inputs without mismatched log-ratios', () => {
    const { mismatchedLogRatios, ...rest } = inputs({ pc: [-1], pr: [-2], rc: [-1], rr: [-2], kl: [0] });
    mismatchedLogRatios?.dispose();
    assert.throws(() => createKtoLoss(DEFAULTS).compute(rest), /kto needs mismatchedLogRatios/);
  });

  it('should register with the defaults and reject unknown options', () => {
    const registry = new PluginRegistry().register(ktoPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'kto', {}), DEFAULTS);
    const created = registry.create('loss', 'kto');
    assert.equal(created.requiresReference, true);
    assert.equal(created.requiresMismatchedPairs, true);
    assert.throws(() => registry.resolveOptions('loss', 'kto', { desirable_weight: 1 }), /unknown key "desirable_weight".*Did you mean "desirableWeight"/s);
  });
});
