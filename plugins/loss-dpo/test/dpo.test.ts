import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers the gradient functions that tf.grad needs.
import '@tensorflow/tfjs';
import type { LossInputs } from '@radpo/core';
import { createDpoLoss } from '../src';

function inputs(pc: number[], pr: number[], rc: number[], rr: number[]): LossInputs {
  const ones = tf.ones([pc.length]) as tf.Tensor1D;
  return {
    policyChosen: tf.tensor1d(pc),
    policyRejected: tf.tensor1d(pr),
    referenceChosen: tf.tensor1d(rc),
    referenceRejected: tf.tensor1d(rr),
    chosenTokens: ones,
    rejectedTokens: ones,
    chosenNll: tf.zeros([pc.length]) as tf.Tensor1D,
  };
}

function close(actual: number, expected: number, relative = 1e-5): void {
  const tolerance = relative * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

describe('dpo loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should give ln 2 when the policy equals the reference', () => {
    const out = createDpoLoss({ beta: 0.1, labelSmoothing: 0 }).compute(inputs([-10], [-12], [-10], [-12]));
    close(out.losses.dataSync()[0], Math.LN2);
  });

  it('should match -log sigmoid(beta * margin) computed by hand', () => {
    // Δ = (−10 − −11) − (−12 − −11.5) = 1.5; β·Δ = 0.15; −log σ(0.15) = log(1 + e^−0.15) = 0.62096
    const out = createDpoLoss({ beta: 0.1, labelSmoothing: 0 }).compute(inputs([-10], [-12], [-11], [-11.5]));
    close(out.losses.dataSync()[0], Math.log(1 + Math.exp(-0.15)));
    close(out.rewardsChosen.dataSync()[0], 0.1);
    close(out.rewardsRejected.dataSync()[0], -0.05);
  });

  it('should mix both directions with conservative label smoothing', () => {
    // β·Δ = 0.5 · (−2) = −1; loss = 0.9·log(1 + e^1) + 0.1·log(1 + e^−1) = 1.2132617
    const out = createDpoLoss({ beta: 0.5, labelSmoothing: 0.1 }).compute(inputs([-12], [-10], [-11], [-11]));
    close(out.losses.dataSync()[0], 0.9 * Math.log(1 + Math.E) + 0.1 * Math.log(1 + Math.exp(-1)));
    close(out.losses.dataSync()[0], 1.2132617);
  });

  it('should stay finite for margins of plus and minus 1e4', () => {
    const out = createDpoLoss({ beta: 0.1, labelSmoothing: 0 }).compute(inputs([0, -1e4], [-1e4, 0], [0, 0], [0, 0]));
    const [large, small] = out.losses.dataSync();
    close(large, 0);
    close(small, 1000);
  });

  it('should have the chosen-side gradient -beta * sigmoid(-beta * margin)', () => {
    const loss = createDpoLoss({ beta: 0.1, labelSmoothing: 0 });
    const gradient = tf.grad((pc: tf.Tensor) => {
      const x = inputs([0], [-12], [-11], [-11.5]);
      return tf.sum(loss.compute({ ...x, policyChosen: pc as tf.Tensor1D }).losses);
    });
    // Δ = (0 − −11) − (−12 − −11.5) = 11.5, so the gradient is −0.1·σ(−1.15) = −0.1 / (1 + e^1.15).
    const expected = -0.1 / (1 + Math.exp(1.15));
    close(gradient(tf.tensor1d([0])).dataSync()[0], expected);
    // At policy = reference Δ = 0 and the gradient is −β·σ(0) = −0.05.
    const atZero = tf.grad((pc: tf.Tensor) => tf.sum(loss.compute({ ...inputs([0], [0], [0], [0]), policyChosen: pc as tf.Tensor1D }).losses));
    close(atZero(tf.tensor1d([0])).dataSync()[0], -0.05);
  });
});
