import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry, type RunEvent } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import { BuiltinTransformer, readCheckpoint, resolveRunConfig, train } from '../src';

function registry(): PluginRegistry {
  return new PluginRegistry().register(dpoPlugin, constantSchedulePlugin);
}

const TINY = {
  seed: 3,
  backend: 'wasm',
  losses: [{ name: 'dpo', options: { beta: 0.5 } }],
  data: { synthetic: { trainPairs: 24, evalPairs: 8 } },
  model: { dModel: 16, nLayers: 1, nHeads: 2, maxLength: 40, maxPromptLength: 24 },
  training: {
    maxSteps: 4,
    batchSize: 2,
    learningRate: 0.01,
    warmup: { steps: 0 },
    scheduler: { name: 'constant', options: {} },
  },
};

describe('trainer', () => {
  let outDir: string;

  beforeEach(() => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-trainer-'));
  });

  afterEach(() => {
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('should log a finite loss per step and change every parameter', async () => {
    const config = resolveRunConfig(TINY);
    const events: RunEvent[] = await lastValueFrom(train({ config, registry: registry(), outDir }).pipe(toArray()));

    const steps = events.filter((event): event is RunEvent<'step'> => event.type === 'step');
    assert.equal(steps.length, 4);
    for (const step of steps) assert.ok(Number.isFinite(step.loss), `step ${step.step} loss ${step.loss}`);
    // DPO starts at ln 2 because the reference is the initial policy.
    assert.ok(Math.abs(steps[0].loss - Math.LN2) < 1e-4, `first loss ${steps[0].loss}`);

    const initial = new BuiltinTransformer({ ...config.model, maxPositions: config.model.maxLength }).initWeights(config.seed);
    const { weights, metadata, groups } = await readCheckpoint(outDir);
    tf.dispose(Object.values(groups).flatMap((tensors) => Object.values(tensors)));
    assert.equal(metadata.step, 4);
    assert.deepEqual(Object.keys(weights).sort(), Object.keys(initial).sort());
    const unchanged = Object.keys(initial).filter((name) => {
      const before = initial[name].dataSync();
      const after = weights[name].dataSync();
      return before.every((value, i) => value === after[i]);
    });
    assert.deepEqual(unchanged, []);
    tf.dispose([...Object.values(initial), ...Object.values(weights)]);
  });

  it('should emit runStart, eval and runEnd with the standard metrics', async () => {
    const config = resolveRunConfig(TINY);
    const events: RunEvent[] = await lastValueFrom(train({ config, registry: registry() }).pipe(toArray()));
    const types = events.map((event) => event.type);
    assert.equal(types[0], 'runStart');
    assert.equal(types[types.length - 1], 'runEnd');
    const evaluation = events.find((event): event is RunEvent<'eval'> => event.type === 'eval');
    assert.ok(evaluation);
    assert.equal(evaluation.pairs, 8);
    for (const name of ['rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'logps/rejected']) {
      assert.ok(Number.isFinite(evaluation.metrics[name]), `${name} = ${evaluation.metrics[name]}`);
    }
  });

  it('should give the same losses for the same seed', async () => {
    const config = resolveRunConfig(TINY);
    const losses = async () =>
      (await lastValueFrom(train({ config, registry: registry() }).pipe(toArray())))
        .filter((event): event is RunEvent<'step'> => event.type === 'step')
        .map((event) => event.loss);
    assert.deepEqual(await losses(), await losses());
  });

  it('should leave no tensors behind after a run', async () => {
    const config = resolveRunConfig(TINY);
    await lastValueFrom(train({ config, registry: registry() }).pipe(toArray()));
    const before = tf.memory().numTensors;
    await lastValueFrom(train({ config, registry: registry() }).pipe(toArray()));
    assert.equal(tf.memory().numTensors, before);
  });

  it('should report an unknown loss through the observable with the available names', async () => {
    const config = resolveRunConfig({ ...TINY, losses: [{ name: 'nosuch' }] });
    await assert.rejects(lastValueFrom(train({ config, registry: registry() })), /unknown loss "nosuch".*Available: dpo/);
  });
});
