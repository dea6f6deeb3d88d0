import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { LossInputs } from '@radpo/core';
import { createSlicLoss } from '../src';

function inputs(pc: number, pr: number, rc: number, rr: number, lc = 5): LossInputs {
  return {
    policyChosen: tf.tensor1d([pc]),
    policyRejected: tf.tensor1d([pr]),
    referenceChosen: tf.tensor1d([rc]),
    referenceRejected: tf.tensor1d([rr]),
    chosenTokens: tf.tensor1d([lc]),
    rejectedTokens: tf.tensor1d([1]),
    chosenNll: tf.tensor1d([-pc / lc]),
  };
}

function close(actual: number, expected: number, relative = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected)), `expected ${expected}, got ${actual}`);
}

describe('slic loss', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should compute the hinge max(0, 1 - beta * margin)', () => {
    // Δ = 1.5, β = 0.1: 1 − 0.15 = 0.85
    const out = createSlicLoss({ beta: 0.1, nllWeight: 0 }).compute(inputs(-10, -12, -11, -11.5));
    close(out.losses.dataSync()[0], 0.85);
  });

  it('should give 1 when the policy equals the reference', () => {
    const out = createSlicLoss({ beta: 0.1, nllWeight: 0 }).compute(inputs(-7, -9, -7, -9));
    close(out.losses.dataSync()[0], 1);
  });

  it('should be zero once beta * margin exceeds 1', () => {
    // Δ = 20, β = 0.1: 1 − 2 < 0
    const out = createSlicLoss({ beta: 0.1, nllWeight: 0 }).compute(inputs(0, -20, 0, 0));
    close(out.losses.dataSync()[0], 0);
  });

  it('should add the weighted mean NLL of the chosen response', () => {
    // hinge 0.85 + 0.5 · (10 / 5) = 1.85
    const out = createSlicLoss({ beta: 0.1, nllWeight: 0.5 }).compute(inputs(-10, -12, -11, -11.5, 5));
    close(out.losses.dataSync()[0], 1.85);
  });
});
