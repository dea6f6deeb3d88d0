import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { PluginRegistry } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import {
  BuiltinTransformer,
  DataParallelGradients,
  buildPairBatch,
  disposeBatch,
  emptyMetricSums,
  preferenceGradients,
  selectBackend,
  type BuiltinModelConfig,
  type PreferenceObjective,
} from '../src';

const TOLERANCE = 1e-5;

describe('data-parallel gradients', function () {
  this.timeout(60_000);

  it('should match single-thread loss, gradients and metrics on an uneven split', async () => {
    await selectBackend('wasm');
    const modelConfig: BuiltinModelConfig = { dModel: 16, nLayers: 1, nHeads: 2, maxPositions: 16, tieEmbeddings: true };
    const model = new BuiltinTransformer(modelConfig);
    const weights = model.initWeights(1);
    const reference = model.initWeights(2);
    const loss = new PluginRegistry().register(dpoPlugin).create('loss', 'dpo', { beta: 0.5 });
    const objective: PreferenceObjective = { model, terms: [{ loss, weight: 1 }], reference };
    // Three pairs over two threads: the main thread takes two, the worker one.
    const batch = buildPairBatch(
      [
        { id: 'a', promptIds: [1, 2, 3], chosenIds: [4, 5], rejectedIds: [6, 7, 8] },
        { id: 'b', promptIds: [9], chosenIds: [10, 11, 12], rejectedIds: [13] },
        { id: 'c', promptIds: [14, 15], chosenIds: [16], rejectedIds: [17, 18] },
      ],
      model.tokenizer.padId,
    );

    const singleSums = emptyMetricSums();
    const single = preferenceGradients(objective, weights, batch, singleSums);
    const pool = await DataParallelGradients.start({
      workers: 1,
      backend: 'wasm',
      model: modelConfig,
      terms: [{ packageName: dpoPlugin.packageName, name: 'dpo', options: { beta: 0.5 }, weight: 1 }],
      reference,
    });
    const parallelSums = emptyMetricSums();
    try {
      const parallel = await pool.gradients(objective, weights, batch, parallelSums);
      assert.ok(Math.abs(parallel.loss - single.loss) < TOLERANCE, `loss ${parallel.loss} vs ${single.loss}`);
      for (const name of Object.keys(single.gradients)) {
        const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(parallel.gradients[name], single.gradients[name]))).dataSync()[0]);
        assert.ok(difference < TOLERANCE, `gradient of ${name} differs by ${difference}`);
      }
      assert.equal(parallelSums.pairs, 3);
      assert.ok(Math.abs(parallelSums.logpsChosen - singleSums.logpsChosen) < 1e-3, `logps/chosen sum ${parallelSums.logpsChosen} vs ${singleSums.logpsChosen}`);
      tf.dispose(Object.values(parallel.gradients));
    } finally {
      await pool.close();
      tf.dispose(Object.values(single.gradients));
      tf.dispose([...Object.values(weights), ...Object.values(reference)]);
      disposeBatch(batch);
    }
  });
});
