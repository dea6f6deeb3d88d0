import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { LossInputs } from '@radpo/core';
import { createIpoLoss } from '../src';

function inputs(pc: number, pr: number, rc: number, rr: number, lc: number, lr: number): LossInputs {
  return {
    policyChosen: tf.tensor1d([pc]),
    policyRejected: tf.tensor1d([pr]),
    referenceChosen: tf.tensor1d([rc]),
    referenceRejected: tf.tensor1d([rr]),
    chosenTokens: tf.tensor1d([lc]),
    rejectedTokens: tf.tensor1d([lr]),
    chosenNll: tf.tensor1d([-pc / lc]),
  };
}

function close(actual: number, expected: number, relative = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected)), `expected ${expected}, got ${actual}`);
}

describe('ipo loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should square the distance of per-token log-ratios to 1/(2 beta)', () => {
    // h = (−10 − −11)/5 − (−12 − −11.5)/8 = 0.2 + 0.0625 = 0.2625; target 1/(2·0.1) = 5; (0.2625 − 5)² = 22.44390625
    const out = createIpoLoss({ beta: 0.1, logRatio: 'mean' }).compute(inputs(-10, -12, -11, -11.5, 5, 8));
    close(out.losses.dataSync()[0], 22.44390625);
    close(out.rewardsChosen.dataSync()[0], 0.1 * 0.2);
  });

  it('should use summed log-ratios when logRatio is sum', () => {
    // h = 1 − (−0.5) = 1.5; (1.5 − 5)² = 12.25
    const out = createIpoLoss({ beta: 0.1, logRatio: 'sum' }).compute(inputs(-10, -12, -11, -11.5, 5, 8));
    close(out.losses.dataSync()[0], 12.25);
  });

  it('should give (1/(2 beta))^2 when the policy equals the reference', () => {
    const out = createIpoLoss({ beta: 0.5, logRatio: 'mean' }).compute(inputs(-3, -4, -3, -4, 1, 1));
    close(out.losses.dataSync()[0], 1);
  });

  it('should stay finite for a margin of 1e4 with single-token responses', () => {
    const out = createIpoLoss({ beta: 0.1, logRatio: 'mean' }).compute(inputs(0, -1e4, 0, 0, 1, 1));
    close(out.losses.dataSync()[0], (1e4 - 5) ** 2);
  });
});
