import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers the gradients (tfjs-core's CommonJS build registers none) and the cpu backend.
import '@tensorflow/tfjs';
import { PluginRegistry, type LossInputs, type LossOutput } from '@radpo/core';
import { createOrpoLoss, orpoPlugin, type OrpoOptions } from '../src';

const DEFAULTS: OrpoOptions = { beta: 0.1 };

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

function run(options: OrpoOptions, pairs: Pairs): LossOutput {
  return createOrpoLoss(options).compute(inputs(pairs));
}

function gradients(options: OrpoOptions, pairs: Pairs): [Float32Array, Float32Array] {
  const loss = createOrpoLoss(options);
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

describe('orpo loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should match the paper formula on a losing pair', () => {
    // a_c = −10/5 = −2, a_r = −12/8 = −1.5.
    // log odds(−2) = −2 − log(1 − e^−2) = −2 − log(0.8646647) = −2 + 0.1454135 = −1.8545865;
    // log odds(−1.5) = −1.5 − log(0.7768698) = −1.5 + 0.2524825 = −1.2475175; difference −0.6070690.
    // log σ(−0.6070690) = −log(1 + e^0.6070690) = −1.0420578; NLL = 2; loss = 2 + 0.1·1.0420578 = 2.1042058.
    const out = run(DEFAULTS, { pc: [-10], pr: [-12], lc: [5], lr: [8] });
    close(out.losses.dataSync()[0], 2.1042058);
    close(out.rewardsChosen.dataSync()[0], -0.2);
    close(out.rewardsRejected.dataSync()[0], -0.15);
    close(out.metrics!['orpo/log_odds_chosen'].dataSync()[0], -0.6070690);
    close(out.metrics!['orpo/log_odds_ratio'].dataSync()[0], -1.0420578);
    close(out.metrics!['orpo/nll_loss'].dataSync()[0], 2);
  });

  it('should match the paper formula on a winning pair', () => {
    // a_c = −1/4 = −0.25, a_r = −6/3 = −2.
    // log odds(−0.25) = −0.25 − log(1 − e^−0.25) = −0.25 − log(0.2211992) = −0.25 + 1.5086915 = 1.2586915;
    // log odds(−2) = −1.8545865; difference 3.1132781; log σ(3.1132781) = −log(1 + e^−3.1132781) = −0.0434952;
    // NLL = 0.25; loss = 0.25 + 0.1·0.0434952 = 0.2543495.
    const out = run(DEFAULTS, { pc: [-1], pr: [-6], lc: [4], lr: [3] });
    close(out.losses.dataSync()[0], 0.2543495);
  });

  it('should weight the odds-ratio term by beta', () => {
    // β = 1: a_c = −0.5/1 = −0.5, a_r = −0.5/2 = −0.25.
    // log odds(−0.5) = −0.5 − log(1 − e^−0.5) = −0.5 − log(0.3934693) = −0.5 + 0.9327521 = 0.4327521;
    // log odds(−0.25) = 1.2586915; difference −0.8259394; log σ(−0.8259394) = −log(1 + e^0.8259394) = −1.1890699;
    // NLL = 0.5; loss = 0.5 + 1.1890699 = 1.6890699.
    const out = run({ beta: 1 }, { pc: [-0.5], pr: [-0.5], lc: [1], lr: [2] });
    close(out.losses.dataSync()[0], 1.6890699);
  });

  it('should have the NLL and odds-ratio gradients', () => {
    // d log odds(a)/da = 1/(1 − e^a). First case, d = −0.6070690, σ(−d) = 0.6472661:
    // ∂/∂π_c = −1/5 − β·σ(−d)/(1 − e^−2)/5 = −0.2 − 0.1·0.6472661/0.8646647/5 = −0.2149716;
    // ∂/∂π_r = β·σ(−d)/(1 − e^−1.5)/8 = 0.1·0.6472661/0.7768698/8 = 0.0104147.
    const [chosen, rejected] = gradients(DEFAULTS, { pc: [-10], pr: [-12], lc: [5], lr: [8] });
    close(chosen[0], -0.2149716);
    close(rejected[0], 0.0104147);
  });

  it('should stay finite near 0 and at 1e4', () => {
    const pairs = { pc: [-1e-6, -1e4, 0, -1e-6], pr: [-1e4, -1e-6, -1e-6, 0], lc: [1, 1, 1, 1], lr: [1, 1, 1, 1] };
    const losses = run(DEFAULTS, pairs).losses.dataSync();
    for (const value of losses) assert.ok(Number.isFinite(value), `loss ${value}`);
    // Chosen −1e-6 against rejected −1e4: log odds(−1e-6) = −1e-6 − log(1e-6) ≈ 13.8155, log odds(−1e4) ≈ −1e4,
    // so the odds term is 0 and the loss is the NLL, 1e-6.
    close(losses[0], 1e-6, 1e-3);
    const [chosen, rejected] = gradients(DEFAULTS, pairs);
    for (const value of [...chosen, ...rejected]) assert.ok(Number.isFinite(value), `gradient ${value}`);
  });

  it('should register with the defaults and reject unknown options', () => {
    const registry = new PluginRegistry().register(orpoPlugin);
    assert.deepEqual(registry.resolveOptions('loss', 'orpo', {}), DEFAULTS);
    assert.equal(registry.create('loss', 'orpo').requiresReference, false);
    assert.throws(() => registry.resolveOptions('loss', 'orpo', { lambda: 1 }), /unknown key "lambda".*Valid keys: beta/s);
  });
});
