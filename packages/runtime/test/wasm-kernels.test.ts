import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { BuiltinTransformer, nextTokenLogProbs, selectBackend, type Weights } from '../src';

const TOLERANCE = 1e-4;

/** Runs `compute` on the cpu backend and then on wasm, returning both results as plain arrays. */
async function onBothBackends(compute: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const results: Record<string, Float32Array[]> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await selectBackend(backend);
    const tensors = compute();
    results[backend] = tensors.map((tensor) => tensor.dataSync() as Float32Array);
    tf.dispose(tensors);
  }
  return { cpu: results.cpu, wasm: results.wasm };
}

function assertClose(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst < TOLERANCE, `${label}: largest difference ${worst}`);
}

describe('wasm kernel replacements', () => {
  it('should slice ranks 1 to 4 like the cpu backend', async () => {
    const cases: Array<{ shape: number[]; begin: number[]; size: number[] }> = [
      { shape: [10], begin: [3], size: [4] },
      { shape: [6, 8], begin: [1, 2], size: [4, 5] },
      { shape: [4, 5, 6], begin: [1, 0, 2], size: [2, 5, 3] },
      { shape: [3, 4, 5, 6], begin: [0, 1, 2, 3], size: [3, 2, 3, 3] },
      { shape: [4, 6], begin: [2, 0], size: [2, 6] },
    ];
    const { cpu, wasm } = await onBothBackends(() =>
      cases.map(({ shape, begin, size }) => tf.slice(tf.range(0, tf.util.sizeFromShape(shape)).reshape(shape), begin, size)),
    );
    cases.forEach((entry, i) => assertClose(wasm[i], cpu[i], `slice of ${JSON.stringify(entry.shape)}`));
  });

  it('should slice int32 and bool tensors like the cpu backend', async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const ints = tf.range(0, 24, 1, 'int32').reshape([4, 6]);
      return [tf.cast(tf.slice(ints, [1, 2], [2, 3]), 'float32'), tf.cast(tf.slice(tf.greater(ints, 10), [1, 0], [3, 4]), 'float32')];
    });
    assertClose(wasm[0], cpu[0], 'int32');
    assertClose(wasm[1], cpu[1], 'bool');
  });

  it('should multiply batched and broadcast matrices like the cpu backend', async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const a = tf.randomNormal([2, 3, 5, 4], 0, 1, 'float32', 1);
      const b = tf.randomNormal([2, 3, 4, 6], 0, 1, 'float32', 2);
      const shared = tf.randomNormal([4, 6], 0, 1, 'float32', 3);
      return [tf.matMul(a, b), tf.matMul(a, shared.reshape([1, 4, 6])), tf.matMul(a, b.reshape([2, 3, 6, 4]), false, true)];
    });
    assertClose(wasm[0], cpu[0], 'batched');
    assertClose(wasm[1], cpu[1], 'broadcast b');
    assertClose(wasm[2], cpu[2], 'transposed b (original kernel)');
  });

  it('should give the built-in model the same gradients on wasm as on cpu', async () => {
    const model = new BuiltinTransformer({ dModel: 16, nLayers: 1, nHeads: 2, maxPositions: 12, vocabSize: 300, tieEmbeddings: true });
    const ids = [5, 17, 299, 3, 256, 42, 7, 7, 1, 0, 12, 258, 9, 100, 200, 33];
    const { cpu, wasm } = await onBothBackends(() => {
      const weights = model.initWeights(4);
      const names = Object.keys(weights);
      const batch = tf.tensor2d(ids, [2, 8], 'int32');
      const { value, grads } = tf.valueAndGrads((...tensors: tf.Tensor[]) => {
        const named: Weights = Object.fromEntries(names.map((name, i) => [name, tensors[i]]));
        return tf.sum(nextTokenLogProbs(model.logits(named, batch), batch)) as tf.Scalar;
      })(names.map((name) => weights[name]));
      tf.dispose([...Object.values(weights), batch]);
      return [value, ...grads];
    });
    assert.ok(Math.abs(wasm[0][0] - cpu[0][0]) < TOLERANCE * Math.abs(cpu[0][0]), `loss ${wasm[0][0]} vs ${cpu[0][0]}`);
    for (let i = 1; i < cpu.length; i++) assertClose(wasm[i], cpu[i], `gradient ${i}`);
  });
});
