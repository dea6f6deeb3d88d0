import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs's gradient functions, which the reference gradients below use.
import '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../src';
import { gelu, layerNormalization, linear, plainMatMul } from '../src/model/plain-layout-ops';

const TOLERANCE = 1e-4;

function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

for (const backend of ['cpu', 'wasm'] as BackendChoice[]) {
  describe(`plain-layout layers on ${backend}`, () => {
    before(async () => {
      await selectBackend(backend);
    });

    it('should match matMul and its gradients for batched plainMatMul', () => {
      const a = seeded([3, 5, 4], 1);
      const b = seeded([3, 4, 6], 2);
      const weight = seeded([3, 5, 6], 3);
      const loss = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), weight));
      const ours = tf.grads(loss((x, y) => plainMatMul(x, y)))([a, b]);
      const theirs = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
      assert.ok(maxAbsDifference(plainMatMul(a, b), tf.matMul(a, b)) < TOLERANCE, 'forward');
      assert.ok(maxAbsDifference(ours[0], theirs[0]) < TOLERANCE, 'gradient of a');
      assert.ok(maxAbsDifference(ours[1], theirs[1]) < TOLERANCE, 'gradient of b');
    });

    it('should match x·w + bias and its gradients for linear', () => {
      const x = seeded([7, 4], 4) as tf.Tensor2D;
      const w = seeded([4, 3], 5);
      const bias = seeded([3], 6);
      const weight = seeded([7, 3], 7);
      const ours = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(linear(a as tf.Tensor2D, b, c), weight)))([x, w, bias]);
      const theirs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), c), weight)))([x, w, bias]);
      ['x', 'weight', 'bias'].forEach((name, i) => {
        assert.ok(maxAbsDifference(ours[i], theirs[i]) < TOLERANCE, `gradient of ${name}`);
      });
    });

    it('should match composed layer normalization and its gradients', () => {
      const x = tf.add(tf.mul(seeded([6, 8], 9), 2), 0.5) as tf.Tensor2D;
      const gain = tf.add(seeded([8], 10), 1);
      const bias = seeded([8], 11);
      const weight = seeded([6, 8], 12);
      const composed = (v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const centered = tf.sub(v, tf.mean(v, -1, true));
        const variance = tf.mean(tf.square(centered), -1, true);
        return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, 1e-5))), g), b);
      };
      assert.ok(maxAbsDifference(layerNormalization(x, gain, bias, 1e-5), composed(x, gain, bias)) < TOLERANCE, 'forward');
      const ours = tf.grads((v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNormalization(v as tf.Tensor2D, g, b, 1e-5), weight)))([x, gain, bias]);
      const theirs = tf.grads((v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(composed(v, g, b), weight)))([x, gain, bias]);
      ['x', 'gain', 'bias'].forEach((name, i) => {
        assert.ok(maxAbsDifference(ours[i], theirs[i]) < TOLERANCE, `gradient of ${name}`);
      });
    });

    it('should match the tanh form of GELU and its gradient', () => {
      const x = tf.mul(seeded([64], 8), 3);
      const tanhGelu = (v: tf.Tensor) =>
        tf.mul(tf.mul(0.5, v), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(v, tf.mul(0.044715, tf.pow(v, 3)))))));
      assert.ok(maxAbsDifference(gelu(x), tanhGelu(x)) < TOLERANCE, 'forward');
      const ours = tf.grad((v: tf.Tensor) => tf.sum(gelu(v)))(x);
      const theirs = tf.grad((v: tf.Tensor) => tf.sum(tanhGelu(v)))(x);
      assert.ok(maxAbsDifference(ours, theirs) < TOLERANCE, 'gradient');
    });
  });
}
