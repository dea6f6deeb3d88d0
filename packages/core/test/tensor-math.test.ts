import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers the gradients (tfjs-core's CommonJS build registers none) and the cpu backend.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { LOG1MEXP_MAX_INPUT, log1mexp, logSigmoid, softplus } from '../src';

function close(actual: number, expected: number, relative: number, label: string): void {
  const tolerance = relative * Math.max(Math.abs(expected), 1e-30);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: expected ${expected}, got ${actual} (relative tolerance ${relative})`);
}

// Reference values in double precision: log(1 − e^x) = log(−expm1(x)); its derivative is −1/expm1(−x).
const referenceValue = (x: number) => Math.log(-Math.expm1(x));
const referenceSlope = (x: number) => -1 / Math.expm1(-x);
const INPUTS = [-1e-7, -1e-6, -1e-4, -1e-3, -0.01, -0.3, -0.69, -0.7, -1, -5, -20];

for (const backend of ['cpu', 'wasm']) {
  describe(`log1mexp on ${backend}`, () => {
    before(async () => {
      assert.ok(await tf.setBackend(backend), `backend ${backend} did not initialize`);
    });

    after(async () => {
      await tf.setBackend('cpu');
    });

    it('should match log(-expm1(x)) to 1e-5 relative from -1e-7 to -20', () => {
      const values = log1mexp(tf.tensor1d(INPUTS)).dataSync();
      INPUTS.forEach((x, i) => close(values[i], referenceValue(x), 1e-5, `log1mexp(${x})`));
    });

    it('should have gradient -1/expm1(-x) to 1e-5 relative', () => {
      const slopes = tf.grad((x: tf.Tensor) => tf.sum(log1mexp(x)))(tf.tensor1d(INPUTS)).dataSync();
      INPUTS.forEach((x, i) => close(slopes[i], referenceSlope(x), 1e-5, `gradient at ${x}`));
    });

    it('should return finite values and gradients at the extremes', () => {
      const extremes = [0, 1e-9, -1e-9, -1e-12, -1e4, -1e30];
      const values = log1mexp(tf.tensor1d(extremes)).dataSync();
      const slopes = tf.grad((x: tf.Tensor) => tf.sum(log1mexp(x)))(tf.tensor1d(extremes)).dataSync();
      extremes.forEach((x, i) => {
        assert.ok(Number.isFinite(values[i]), `log1mexp(${x}) = ${values[i]}`);
        assert.ok(Number.isFinite(slopes[i]), `gradient at ${x} = ${slopes[i]}`);
      });
    });

    it('should clamp inputs above the maximum to a flat value', () => {
      const atMax = referenceValue(LOG1MEXP_MAX_INPUT);
      const values = log1mexp(tf.tensor1d([0, -1e-9])).dataSync();
      close(values[0], atMax, 1e-5, 'log1mexp(0)');
      close(values[1], atMax, 1e-5, 'log1mexp(-1e-9)');
      const slopes = tf.grad((x: tf.Tensor) => tf.sum(log1mexp(x)))(tf.tensor1d([0, -1e-9])).dataSync();
      assert.equal(slopes[0], 0);
      assert.equal(slopes[1], 0);
    });

    it('should keep the tail far below -ln 2 accurate', () => {
      // log(1 − e^−20) ≈ −e^−20 = −2.0611536e-9; a plain log(1 − e^x) rounds it to 0 in float32.
      close(log1mexp(tf.tensor1d([-20])).dataSync()[0], -2.0611536e-9, 1e-5, 'log1mexp(-20)');
    });
  });
}

describe('logSigmoid and softplus', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('should give gradient 0.5 for logSigmoid at 0', () => {
    close(tf.grad((x: tf.Tensor) => tf.sum(logSigmoid(x)))(tf.tensor1d([0])).dataSync()[0], 0.5, 1e-6, 'gradient at 0');
  });

  it('should stay finite for softplus of plus and minus 1e4', () => {
    const values = softplus(tf.tensor1d([1e4, -1e4])).dataSync();
    close(values[0], 1e4, 1e-6, 'softplus(1e4)');
    assert.equal(Math.abs(values[1]), 0);
  });
});
