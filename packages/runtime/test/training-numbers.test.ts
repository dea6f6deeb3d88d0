import assert from 'node:assert/strict';
import { lastValueFrom, tap, toArray } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry, type RunEvent } from '@radpo/core';
import { generateSyntheticPreferences, tokenizePairs } from '@radpo/data';
import { dpoPlugin, createDpoLoss } from '@radpo/plugin-dpo';
import { createLinearSchedule, linearSchedulePlugin } from '@radpo/plugin-scheduler-linear';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import {
  BuiltinTransformer,
  accumulatePreferenceGradients,
  emptyMetricSums,
  resolveRunConfig,
  selectBackend,
  train,
  type PreferenceObjective,
} from '../src';

function registry(): PluginRegistry {
  return new PluginRegistry().register(dpoPlugin, linearSchedulePlugin, constantSchedulePlugin);
}

const TINY_MODEL = { dModel: 16, nLayers: 1, nHeads: 2, maxLength: 48, maxPromptLength: 28 };

/** Float32 sums in a different order differ in the last bits; this bounds that. */
const FLOAT_TOLERANCE = 1e-5;

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('training numbers', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  describe('gradient accumulation', () => {
    it('should give 4 micro-batches of 1 the update of 1 batch of 4', async () => {
      const model = new BuiltinTransformer({ ...TINY_MODEL, maxPositions: TINY_MODEL.maxLength });
      const records = generateSyntheticPreferences({ seed: 11, pairs: 4 });
      const pairs = tokenizePairs(records, model.tokenizer, { maxLength: 48, maxPromptLength: 28 });
      const lengths = new Set(pairs.map((pair) => pair.promptIds.length + Math.max(pair.chosenIds.length, pair.rejectedIds.length)));
      assert.ok(lengths.size > 1, 'the pairs should differ in length, so the micro-batches are padded differently');
      const weights = model.initWeights(11);
      // A reference other than the policy, so that the DPO loss is not at its constant starting value.
      const reference = model.initWeights(12);
      const objective: PreferenceObjective = { model, terms: [{ loss: createDpoLoss({ beta: 0.5, labelSmoothing: 0 }), weight: 1 }], reference };

      const whole = await accumulatePreferenceGradients(objective, weights, [pairs], emptyMetricSums());
      const split = await accumulatePreferenceGradients(objective, weights, pairs.map((pair) => [pair]), emptyMetricSums());

      assert.ok(Math.abs(whole.loss - split.loss) <= FLOAT_TOLERANCE, `loss ${whole.loss} vs ${split.loss}`);
      assert.equal(split.pairs, 4);
      for (const name of Object.keys(weights)) {
        const difference = maxAbsDifference(whole.gradients[name].dataSync(), split.gradients[name].dataSync());
        assert.ok(difference <= FLOAT_TOLERANCE, `gradient of ${name} differs by ${difference}`);
      }
      tf.dispose([...Object.values(weights), ...Object.values(reference), ...Object.values(whole.gradients), ...Object.values(split.gradients)]);
    });

    it('should weight unequal micro-batches by their pairs', async () => {
      const model = new BuiltinTransformer({ ...TINY_MODEL, maxPositions: TINY_MODEL.maxLength });
      const pairs = tokenizePairs(generateSyntheticPreferences({ seed: 13, pairs: 3 }), model.tokenizer, { maxLength: 48, maxPromptLength: 28 });
      const weights = model.initWeights(13);
      const reference = model.initWeights(14);
      const objective: PreferenceObjective = { model, terms: [{ loss: createDpoLoss({ beta: 0.5, labelSmoothing: 0 }), weight: 1 }], reference };

      const whole = await accumulatePreferenceGradients(objective, weights, [pairs], emptyMetricSums());
      const uneven = await accumulatePreferenceGradients(objective, weights, [pairs.slice(0, 1), pairs.slice(1)], emptyMetricSums());

      assert.ok(Math.abs(whole.loss - uneven.loss) <= FLOAT_TOLERANCE, `loss ${whole.loss} vs ${uneven.loss}`);
      const difference = maxAbsDifference(whole.gradients['head.weight'].dataSync(), uneven.gradients['head.weight'].dataSync());
      assert.ok(difference <= FLOAT_TOLERANCE, `gradient differs by ${difference}`);
      tf.dispose([...Object.values(weights), ...Object.values(reference), ...Object.values(whole.gradients), ...Object.values(uneven.gradients)]);
    });

    it('should log the same loss and gradient norm for 4x1 and 1x4', async () => {
      const run = async (batchSize: number, gradientAccumulationSteps: number) => {
        const config = resolveRunConfig({
          seed: 8,
          backend: 'wasm',
          losses: [{ name: 'dpo', options: { beta: 0.5 } }],
          data: { synthetic: { trainPairs: 16, evalPairs: 4 } },
          model: TINY_MODEL,
          // No warm-up: it draws batchSize pairs per step, so it would train the two runs on different data.
          training: { maxSteps: 3, batchSize, gradientAccumulationSteps, learningRate: 0.01, warmup: { steps: 0 }, scheduler: { name: 'constant', options: {} } },
        });
        const events = await lastValueFrom(train({ config, registry: registry() }).pipe(toArray()));
        return events.filter((event): event is RunEvent<'step'> => event.type === 'step' && event.phase === 'train');
      };

      const whole = await run(4, 1);
      const split = await run(1, 4);

      assert.equal(split.length, 3);
      for (let i = 0; i < whole.length; i++) {
        assert.ok(Math.abs(whole[i].loss - split[i].loss) <= FLOAT_TOLERANCE, `step ${i + 1} loss ${whole[i].loss} vs ${split[i].loss}`);
        assert.ok(Math.abs(whole[i].gradNorm - split[i].gradNorm) <= 1e-4 * whole[i].gradNorm, `step ${i + 1} norm ${whole[i].gradNorm} vs ${split[i].gradNorm}`);
        assert.equal(split[i].tokens, whole[i].tokens);
      }
    });
  });

  describe('learning-rate schedule', () => {
    it('should advance per optimizer step, not per micro-batch', async () => {
      const base = 0.002;
      const config = resolveRunConfig({
        seed: 2,
        backend: 'wasm',
        data: { synthetic: { trainPairs: 16, evalPairs: 4 } },
        model: TINY_MODEL,
        training: {
          maxSteps: 6,
          batchSize: 1,
          gradientAccumulationSteps: 4,
          learningRate: base,
          warmup: { steps: 0 },
          scheduler: { name: 'linear', options: { warmupSteps: 3 } },
        },
      });

      const events = await lastValueFrom(train({ config, registry: registry() }).pipe(toArray()));

      const rates = events.filter((event): event is RunEvent<'step'> => event.type === 'step').map((event) => event.learningRate);
      assert.equal(rates.length, 6);
      const peak = Math.max(...rates);
      assert.equal(rates.indexOf(peak) + 1, 3, `rates ${rates}`);
      assert.ok(Math.abs(peak - base) <= 1e-12, `peak ${peak}`);
      const schedule = createLinearSchedule({ warmupSteps: 3 });
      rates.forEach((rate, i) => assert.ok(Math.abs(rate - schedule.learningRate(i, 6, base)) <= 1e-12, `step ${i + 1}: ${rate}`));
    });
  });

  describe('long run', function () {
    // 300 steps of this model take about 5 s of CPU time.
    this.timeout(60_000);

    it('should hold tensor count and memory steady over 300 steps', async () => {
      const config = resolveRunConfig({
        seed: 6,
        backend: 'wasm',
        data: { synthetic: { trainPairs: 64, evalPairs: 4 } },
        model: { dModel: 8, nLayers: 1, nHeads: 2, maxLength: 32, maxPromptLength: 20 },
        training: { maxSteps: 300, batchSize: 2, warmup: { steps: 10 }, evalEvery: 100, scheduler: { name: 'linear', options: { warmupSteps: 10 } } },
      });
      const tensorCounts: number[] = [];
      let rssAfterFirstStep = 0;
      let peakRss = 0;

      await lastValueFrom(
        train({ config, registry: registry() }).pipe(
          tap((event) => {
            if (event.type !== 'step' || event.phase !== 'train') return;
            tensorCounts.push(tf.memory().numTensors);
            const rss = process.memoryUsage().rss;
            if (event.step === 1) rssAfterFirstStep = rss;
            peakRss = Math.max(peakRss, rss);
          }),
        ),
      );

      assert.equal(tensorCounts.length, 300);
      const drifted = tensorCounts.findIndex((count) => count !== tensorCounts[0]);
      assert.equal(drifted, -1, `numTensors went from ${tensorCounts[0]} to ${tensorCounts[drifted]} at step ${drifted + 1}`);
      // The tensor count catches leaked tensors. The RSS bound leaves room for V8's heap and the wasm
      // memory to grow in steps, so it only catches leaks outside tfjs of more than ~200 KB per step.
      const growthMiB = (peakRss - rssAfterFirstStep) / 2 ** 20;
      assert.ok(growthMiB < 64, `RSS grew by ${growthMiB.toFixed(1)} MiB after step 1`);
    });
  });
});
