import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry, type RunEvent } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import { BuiltinTransformer, readCheckpoint, resolveRunConfig, selectBackend, train, type PairCache } from '../src';

const TINY = {
  seed: 3,
  backend: 'wasm',
  data: { synthetic: { trainPairs: 16, evalPairs: 4 } },
  model: { dModel: 16, nLayers: 1, nHeads: 2, maxLength: 40, maxPromptLength: 24 },
  training: { maxSteps: 1, batchSize: 2, learningRate: 1e-7, warmup: { steps: 0 }, scheduler: { name: 'constant', options: {} } },
};

function registry(): PluginRegistry {
  return new PluginRegistry().register(dpoPlugin, constantSchedulePlugin);
}

describe('train options', () => {
  let outDir: string;
  // Selecting the backend first keeps tfjs from printing its backend advice when the test builds weights.
  before(async () => {
    await selectBackend('wasm');
  });
  beforeEach(() => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-hooks-'));
  });
  afterEach(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('should start from initialWeights', async () => {
    const config = resolveRunConfig(TINY);
    const model = new BuiltinTransformer({ ...config.model, maxPositions: config.model.maxLength });
    const initial = model.initWeights(99);

    await lastValueFrom(train({ config, registry: registry(), outDir, initialWeights: initial }).pipe(toArray()));

    // One step at a learning rate of 1e-7 moves no weight by more than about 1e-7 (Adam's step is at most the rate).
    const { weights } = await readCheckpoint(path.join(outDir, 'model'));
    const name = 'head.weight';
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(weights[name], initial[name]))).dataSync()[0]);
    assert.ok(difference < 1e-5, `head.weight moved by ${difference}`);
    const fromSeed = model.initWeights(config.seed);
    const seedDifference = tf.tidy(() => tf.max(tf.abs(tf.sub(weights[name], fromSeed[name]))).dataSync()[0]);
    assert.ok(seedDifference > 1e-3, `the run started from the seed's weights (difference ${seedDifference})`);
    tf.dispose([...Object.values(weights), ...Object.values(initial), ...Object.values(fromSeed)]);
  });

  it('should tokenize once for runs sharing a pairCache', async () => {
    const cache: PairCache = new Map();
    const run = async (seed: number) =>
      lastValueFrom(train({ config: resolveRunConfig({ ...TINY, seed }), registry: registry(), pairCache: cache }).pipe(toArray()));

    const first = await run(3);
    const second = await run(3);
    await run(4);

    // Synthetic data depends on the seed, so seed 4 needs its own entry.
    assert.equal(cache.size, 2);
    const startOf = (events: RunEvent[]) => events.find((event): event is RunEvent<'runStart'> => event.type === 'runStart')!;
    assert.equal(startOf(second).trainPairs, startOf(first).trainPairs);
  });
});
