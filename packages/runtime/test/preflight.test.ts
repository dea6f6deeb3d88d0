import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { RadpoError } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { PluginRegistry } from '@radpo/core';
import { preflightKernels, preflightTraining, selectBackend } from '../src';

/** Runs `body` with the wasm backend's kernel `name` unregistered, restoring it afterwards. */
async function withoutWasmKernel(name: string, body: () => Promise<void>): Promise<void> {
  const original = tf.getKernel(name, 'wasm');
  if (original) tf.unregisterKernel(name, 'wasm');
  try {
    await body();
  } finally {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    if (original) tf.registerKernel(original);
  }
}

describe('kernel preflight', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  it('should list forward and backward kernels of the probe', async () => {
    const report = await preflightKernels('wasm', () => {
      tf.grad((x: tf.Tensor) => tf.sum(tf.exp(x)))(tf.ones([3]));
    });
    assert.ok(report.kernels.includes('Exp'), `kernels: ${report.kernels.join(', ')}`);
    assert.ok(report.kernels.includes('Sum'), `kernels: ${report.kernels.join(', ')}`);
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('should fill in UnsortedSegmentSum so that gather has a gradient on wasm', async () => {
    const report = await preflightKernels('wasm', () => {
      tf.grad((x: tf.Tensor) => tf.sum(tf.gather(x, tf.tensor1d([0, 2, 2], 'int32'))))(tf.ones([4, 3]));
    });
    assert.ok(report.kernels.includes('UnsortedSegmentSum'), `kernels: ${report.kernels.join(', ')}`);
    assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'), 'no UnsortedSegmentSum kernel on wasm after the preflight');

    const rowWeights = tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d([0, 2, 2], 'int32')), rowWeights)))(tf.ones([4, 3]));
    assert.deepEqual(Array.from(gradient.dataSync()), [1, 2, 3, 0, 0, 0, 11, 13, 15, 0, 0, 0]);
  });

  it('should fill in Log1p when the backend lacks it', async () => {
    await withoutWasmKernel('Log1p', async () => {
      const report = await preflightKernels('wasm', () => {
        tf.log1p(tf.ones([2]));
      });
      assert.deepEqual(report.filled, ['Log1p']);
      const values = tf.log1p(tf.tensor1d([0, 1e-7, 1, 10])).dataSync();
      [0, 1e-7, 1, 10].forEach((x, i) => {
        assert.ok(Math.abs(values[i] - Math.log1p(x)) <= 1e-6 * Math.max(1, Math.log1p(x)), `log1p(${x}) = ${values[i]}`);
      });
    });
  });

  it('should name a missing kernel that has no fill-in', async () => {
    await withoutWasmKernel('Erf', async () => {
      await assert.rejects(
        preflightKernels('wasm', () => {
          tf.erf(tf.ones([2]));
        }),
        (error: unknown) => error instanceof RadpoError && error.code === 'backend' && /no kernel for Erf\b/.test(error.message),
      );
    });
  });

  it('should pass a DPO training probe on wasm', async () => {
    const loss = new PluginRegistry().register(dpoPlugin).create('loss', 'dpo', {});
    const report = await preflightTraining('wasm', { dModel: 16, nLayers: 2, nHeads: 2, maxPositions: 16, tieEmbeddings: true }, [{ loss, weight: 1 }], true);
    for (const kernel of ['BatchMatMul', '_FusedMatMul', 'Softmax', 'Sigmoid', 'GatherV2']) {
      assert.ok(report.kernels.includes(kernel), `${kernel} missing from ${report.kernels.join(', ')}`);
    }
  });
});
