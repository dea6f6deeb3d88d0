import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { PluginRegistry, type RunEvent } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import {
  BuiltinTransformer,
  DataParallelGradients,
  buildPairBatch,
  disposeBatch,
  emptyMetricSums,
  preferenceGradients,
  resolveRunConfig,
  selectBackend,
  train,
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

  it('should reject start when a worker cannot load the loss plugin', async () => {
    await assert.rejects(
      DataParallelGradients.start({
        workers: 1,
        backend: 'wasm',
        model: { dModel: 8, nLayers: 1, nHeads: 2, maxPositions: 8 },
        terms: [{ packageName: '@radpo/no-such-plugin', name: 'dpo', options: {}, weight: 1 }],
      }),
      /data-parallel worker failed: .*@radpo\/no-such-plugin/,
    );
  });

  for (const precompute of [true, false]) {
    it(`should train with one worker like without (precompute ${precompute})`, async () => {
      const losses = async (dataParallelWorkers: number) => {
        const config = resolveRunConfig({
          seed: 4,
          backend: 'wasm',
          losses: [{ name: 'dpo', options: { beta: 0.5 } }],
          data: { synthetic: { trainPairs: 24, evalPairs: 6 } },
          model: { dModel: 16, nLayers: 1, nHeads: 2, maxLength: 40, maxPromptLength: 24 },
          training: {
            maxSteps: 4,
            batchSize: 3,
            learningRate: 0.01,
            warmup: { steps: 2, learningRate: 0.01 },
            scheduler: { name: 'constant', options: {} },
            dataParallelWorkers,
          },
          reference: { precompute, cacheDir: 'none' },
        });
        const events = await lastValueFrom(train({ config, registry: new PluginRegistry().register(dpoPlugin, constantSchedulePlugin) }).pipe(toArray()));
        return events.filter((event): event is RunEvent<'step'> => event.type === 'step' && event.phase === 'train').map((event) => event.loss);
      };
      const single = await losses(0);
      const parallel = await losses(1);
      assert.equal(parallel.length, single.length);
      single.forEach((loss, i) => {
        assert.ok(Math.abs(parallel[i] - loss) <= 1e-4 * Math.max(1, Math.abs(loss)), `step ${i + 1}: ${parallel[i]} vs ${loss}`);
      });
    });
  }
});
