import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { PluginRegistry, RadpoError, type RunEvent } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import * as tf from '@tensorflow/tfjs-core';
import { BuiltinTransformer, listCheckpoints, readCheckpoint, resolveRunConfig, train, type RunConfig } from '../src';
import { nanGradientPlugin, nanLossPlugin, throwingLossPlugin } from './fake-plugins';

function registry(): PluginRegistry {
  return new PluginRegistry().register(nanLossPlugin, nanGradientPlugin, throwingLossPlugin, dpoPlugin, constantSchedulePlugin);
}

/** A tiny run on the synthetic task with one loss; `calls` are the compute() calls where a fake loss fails. */
function tinyConfig(loss: string, calls: number[] | undefined, training: Record<string, unknown> = {}): RunConfig {
  return resolveRunConfig({
    seed: 4,
    backend: 'wasm',
    // The preflight would add model and loss calls that these tests count.
    preflight: false,
    losses: [{ name: loss, options: calls ? { calls } : {} }],
    data: { synthetic: { trainPairs: 16, evalPairs: 4 } },
    model: { dModel: 8, nLayers: 1, nHeads: 2, maxLength: 32, maxPromptLength: 20 },
    training: { maxSteps: 5, batchSize: 2, warmup: { steps: 0 }, scheduler: { name: 'constant', options: {} }, ...training },
  });
}

async function runToEnd(config: RunConfig, outDir?: string): Promise<RunEvent[]> {
  return lastValueFrom(train({ config, registry: registry(), outDir }).pipe(toArray()));
}

/** Collects the events a run emits before it fails, and the error. */
async function runToError(config: RunConfig, outDir?: string): Promise<{ events: RunEvent[]; error: unknown }> {
  const events: RunEvent[] = [];
  const error = await new Promise((resolve) => {
    train({ config, registry: registry(), outDir }).subscribe({
      next: (event) => events.push(event),
      error: resolve,
      complete: () => resolve(undefined),
    });
  });
  return { events, error };
}

function stepEvents(events: RunEvent[]): RunEvent<'step'>[] {
  return events.filter((event): event is RunEvent<'step'> => event.type === 'step');
}

describe('trainer faults', () => {
  let outDir: string;

  beforeEach(() => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-faults-'));
  });

  afterEach(() => {
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  describe('non-finite values', () => {
    it('should stop on a NaN loss naming step, pairs and checkpoint', async () => {
      const { events, error } = await runToError(tinyConfig('nan-loss', [3], { checkpointEvery: 1 }), outDir);

      assert.ok(error instanceof RadpoError, `expected a RadpoError, got ${String(error)}`);
      assert.equal(error.code, 'numeric');
      assert.match(error.message, /the train loss became NaN at step 3\./);
      assert.match(error.message, /Pairs in the batch: \S+, \S+\./);
      assert.ok(error.message.includes(`The last good checkpoint is ${path.join(outDir, 'checkpoint-2')}.`), error.message);
      assert.match(error.message, /onNonFinite to "skip-batch"/);
      assert.deepEqual(
        stepEvents(events).map((event) => event.step),
        [1, 2],
      );
    });

    it('should stop on a NaN gradient with a finite loss', async () => {
      const { events, error } = await runToError(tinyConfig('nan-gradient', [2]));

      assert.ok(error instanceof RadpoError);
      assert.match(error.message, /the train gradient norm became NaN at step 2\./);
      assert.match(error.message, /No checkpoint was written before this step\./);
      assert.equal(stepEvents(events).length, 1);
    });

    it('should skip a NaN batch and count it under skip-batch', async () => {
      const config = tinyConfig('nan-loss', [2, 4], { onNonFinite: 'skip-batch' });

      const events = await runToEnd(config, outDir);

      const steps = stepEvents(events);
      assert.deepEqual(
        steps.map((event) => event.skippedBatches),
        [0, 1, 1, 2, 2],
      );
      const warnings = events.filter((event): event is RunEvent<'warning'> => event.type === 'warning' && /skipped without an update/.test(event.message));
      assert.equal(warnings.length, 2);
      const end = events.at(-1) as RunEvent<'runEnd'>;
      assert.equal(end.type, 'runEnd');
      assert.equal(end.status, 'completed');
      assert.equal(end.skippedBatches, 2);
      assert.ok(Number.isFinite(end.summary.loss), `held-out loss ${end.summary.loss}`);
    });

    it('should leave the weights unchanged by a skipped batch', async () => {
      // Step 1 is skipped, so after 1 step the weights must equal the initial ones.
      const skipped = tinyConfig('nan-loss', [1], { onNonFinite: 'skip-batch', maxSteps: 1 });
      await runToEnd(skipped, outDir);
      const { weights } = await readCheckpoint(outDir);
      const initial = new BuiltinTransformer({ ...skipped.model, maxPositions: skipped.model.maxLength }).initWeights(skipped.seed);

      const changed = Object.keys(initial).filter((name) => {
        const before = initial[name].dataSync();
        const after = weights[name].dataSync();
        return before.some((value, i) => value !== after[i]);
      });
      tf.dispose([...Object.values(initial), ...Object.values(weights)]);

      assert.deepEqual(changed, []);
    });
  });

  describe('plugin failures', () => {
    it('should name the plugin and hook and keep the cause', async () => {
      const { error } = await runToError(tinyConfig('throwing-loss', [2]));

      assert.ok(error instanceof RadpoError, `expected a RadpoError, got ${String(error)}`);
      assert.equal(error.code, 'plugin');
      assert.match(error.message, /^loss plugin "throwing-loss" failed in compute\(\): fake failure at call 2$/);
      assert.ok(error.cause instanceof Error);
      assert.equal((error.cause as Error).message, 'fake failure at call 2');
    });
  });

  describe('stop and resume', () => {
    const stopPoints: Array<{ phase: 'warmup' | 'train'; step: number }> = [
      { phase: 'warmup', step: 2 },
      { phase: 'train', step: 2 },
    ];
    for (const stopPoint of stopPoints) {
      it(`should continue a run stopped in ${stopPoint.phase} with the same losses`, async () => {
        // dpo, so that the frozen reference is saved and restored too.
        const config = tinyConfig('dpo', undefined, { warmup: { steps: 3 } });
        const lossesOf = (events: RunEvent[]) => stepEvents(events).map((event) => `${event.phase}:${event.step}:${event.loss}`);
        const uninterrupted = lossesOf(await runToEnd(config));
        const stop = new AbortController();

        const first = await lastValueFrom(
          train({ config, registry: registry(), outDir, stopSignal: stop.signal }).pipe(
            tap((event) => {
              if (event.type === 'step' && event.phase === stopPoint.phase && event.step === stopPoint.step) stop.abort();
            }),
            toArray(),
          ),
        );
        const tensorsBetween = tf.memory().numTensors;
        const second = await lastValueFrom(train({ config, registry: registry(), outDir, resume: true }).pipe(toArray()));

        const stopped = first.at(-1) as RunEvent<'runEnd'>;
        assert.equal(stopped.status, 'stopped');
        assert.equal(stopped.checkpoint, path.join(outDir, `checkpoint-${stopPoint.phase === 'warmup' ? 'warmup-' : ''}${stopPoint.step}`));
        assert.deepEqual([...lossesOf(first), ...lossesOf(second)], uninterrupted);
        assert.equal(tf.memory().numTensors, tensorsBetween);
      });
    }
  });

  describe('checkpoints', () => {
    it('should keep the newest keepCheckpoints checkpoints', async () => {
      await runToEnd(tinyConfig('nan-loss', [], { checkpointEvery: 1, keepCheckpoints: 3 }), outDir);

      assert.deepEqual(listCheckpoints(outDir), ['checkpoint-3', 'checkpoint-4', 'checkpoint-5']);
      assert.equal(fs.readFileSync(path.join(outDir, 'latest'), 'utf8'), 'checkpoint-5\n');
    });

    it('should store optimizer, data position and phase in a checkpoint', async () => {
      await runToEnd(tinyConfig('nan-loss', [], { maxSteps: 3 }), outDir);

      const { metadata, groups, weights } = await readCheckpoint(outDir);
      const training = metadata.training as Record<string, any>;
      const firstMomentNames = Object.keys(groups['adam-first-moments']).sort();
      tf.dispose([...Object.values(weights), ...Object.values(groups).flatMap((tensors) => Object.values(tensors))]);

      assert.equal(training.phase, 'train');
      assert.equal(training.step, 3);
      assert.equal(training.optimizerStep, 3);
      assert.equal(training.sampler.position, 6);
      assert.equal(training.sampler.order.length, 16);
      assert.deepEqual(Object.keys(groups).sort(), ['adam-first-moments', 'adam-second-moments']);
      assert.deepEqual(firstMomentNames, Object.keys(weights).sort());
    });

    it('should reject resuming with another configuration', async () => {
      await runToEnd(tinyConfig('nan-loss', [], { maxSteps: 2 }), outDir);
      const changed = tinyConfig('nan-loss', [], { maxSteps: 2, learningRate: 0.1 });

      const error = await lastValueFrom(train({ config: changed, registry: registry(), outDir, resume: true })).then(
        () => undefined,
        (caught: unknown) => caught,
      );

      assert.ok(error instanceof RadpoError);
      assert.match(error.message, /another configuration \(differences at training\.learningRate\)/);
    });

    it('should leave the latest checkpoint alone when resuming a finished run', async () => {
      const config = tinyConfig('nan-loss', [], { maxSteps: 2 });
      await runToEnd(config, outDir);
      const weightsFile = path.join(outDir, 'checkpoint-2', 'weights.bin');
      const writtenAt = fs.statSync(weightsFile).mtimeMs;

      const events = await lastValueFrom(train({ config, registry: registry(), outDir, resume: true }).pipe(toArray()));

      const end = events.at(-1) as RunEvent<'runEnd'>;
      assert.equal(end.status, 'completed');
      assert.equal(end.steps, 2);
      assert.equal(end.checkpoint, path.join(outDir, 'checkpoint-2'));
      assert.equal(fs.statSync(weightsFile).mtimeMs, writtenAt);
    });

    it('should remove half-written checkpoint folders when resuming', async () => {
      await runToEnd(tinyConfig('nan-loss', [], { maxSteps: 2 }), outDir);
      const leftover = path.join(outDir, 'checkpoint-3.tmp-99999');
      fs.mkdirSync(leftover);
      fs.writeFileSync(path.join(leftover, 'weights.bin'), 'partial');

      const events = await lastValueFrom(train({ config: tinyConfig('nan-loss', [], { maxSteps: 2 }), registry: registry(), outDir, resume: true }).pipe(toArray()));

      assert.ok(!fs.existsSync(leftover), 'the half-written folder is still there');
      const start = events.find((event): event is RunEvent<'runStart'> => event.type === 'runStart');
      assert.deepEqual(start?.resumedFrom, { path: path.join(outDir, 'checkpoint-2'), phase: 'train', step: 2 });
    });
  });
});
