import assert from 'node:assert/strict';
import { tf } from '@radpo/core';
import { describeLossConformance, lossInputs, readyBackend, type LossCase } from '@radpo/plugin-kit';
import { createSavageLoss, savagePlugin } from '../src';

describeLossConformance(savagePlugin);

// Δ = (−20 − −21) − (−25 − −24) = 2.
const PAIR: LossCase = {
  name: 'one pair',
  policyChosen: [-20],
  policyRejected: [-25],
  referenceChosen: [-21],
  referenceRejected: [-24],
  chosenTokens: [10],
  rejectedTokens: [12],
  scoresChosen: [8],
  scoresRejected: [3],
};

function close(actual: number, expected: number, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected} ± ${tolerance}, got ${actual}`);
}

describe('savage loss', () => {
  before(readyBackend);

  it('should equal sigmoid(-beta * margin) squared', () => {
    // β·Δ = 0.2; σ(−0.2) = 1 / (1 + e^0.2) = 0.4501660; squared 0.2026494.
    const output = createSavageLoss({ beta: 0.1 }).compute(lossInputs(PAIR));
    close(output.losses.dataSync()[0], 0.2026494);
    close(output.rewardsChosen.dataSync()[0], 0.1);
    close(output.rewardsRejected.dataSync()[0], -0.1);
  });

  it('should be 1/4 when the policy equals the reference', () => {
    const output = createSavageLoss({ beta: 0.5 }).compute(lossInputs({ ...PAIR, referenceChosen: [-20], referenceRejected: [-25] }));
    close(output.losses.dataSync()[0], 0.25);
  });

  it('should have the chosen-side gradient -2 beta sigmoid(-x)^2 sigmoid(x)', () => {
    // x = β·Δ = 0.2: −2 · 0.1 · 0.2026494 · σ(0.2) = −0.2 · 0.2026494 · 0.5498340 = −0.0222847.
    const loss = createSavageLoss({ beta: 0.1 });
    const inputs = lossInputs(PAIR);
    const gradient = tf.grad((chosen: tf.Tensor) => tf.sum(loss.compute({ ...inputs, policyChosen: chosen as tf.Tensor1D }).losses));
    close(gradient(inputs.policyChosen).dataSync()[0], -0.0222847);
  });
});
