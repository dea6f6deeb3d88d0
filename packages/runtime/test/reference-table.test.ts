import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { PluginRegistry, type RunEvent } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import { resolveRunConfig, resolveReferenceCacheDir, train } from '../src';

function registry(): PluginRegistry {
  return new PluginRegistry().register(dpoPlugin, constantSchedulePlugin);
}

// Warm-up steps make the reference differ from the initial policy, so the reference log-probs matter.
const RUN = {
  seed: 5,
  backend: 'wasm',
  losses: [{ name: 'dpo', options: { beta: 0.5 } }],
  data: { synthetic: { trainPairs: 20, evalPairs: 6 } },
  model: { dModel: 16, nLayers: 1, nHeads: 2, maxLength: 40, maxPromptLength: 24 },
  training: {
    maxSteps: 6,
    batchSize: 3,
    evalBatchSize: 4,
    learningRate: 0.01,
    warmup: { steps: 3, learningRate: 0.01 },
    scheduler: { name: 'constant', options: {} },
  },
};

/** Relative tolerance between runs whose reference log-probs come from differently shaped batches. */
const TOLERANCE = 1e-4;

async function runEvents(overrides: Record<string, unknown>): Promise<RunEvent[]> {
  const config = resolveRunConfig({ ...RUN, ...overrides });
  return lastValueFrom(train({ config, registry: registry() }).pipe(toArray()));
}

function stepLosses(events: RunEvent[]): number[] {
  return events.filter((event): event is RunEvent<'step'> => event.type === 'step' && event.phase === 'train').map((event) => event.loss);
}

function evalLoss(events: RunEvent[]): number {
  return events.filter((event): event is RunEvent<'eval'> => event.type === 'eval').pop()!.loss;
}

function referenceEvent(events: RunEvent[]): RunEvent<'reference'> | undefined {
  return events.find((event): event is RunEvent<'reference'> => event.type === 'reference');
}

describe('precomputed reference log-probs', function () {
  this.timeout(60_000);
  let cacheDir: string;

  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-reference-cache-'));
  });

  afterEach(() => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('should give the same DPO losses as computing them live', async () => {
    const live = await runEvents({ reference: { precompute: false } });
    const precomputed = await runEvents({ reference: { precompute: true, cacheDir: 'none' } });
    assert.equal(referenceEvent(live), undefined);
    assert.equal(referenceEvent(precomputed)?.pairs, 26);

    const liveLosses = stepLosses(live);
    const precomputedLosses = stepLosses(precomputed);
    assert.equal(precomputedLosses.length, liveLosses.length);
    liveLosses.forEach((loss, i) => {
      assert.ok(Math.abs(precomputedLosses[i] - loss) <= TOLERANCE * Math.max(1, Math.abs(loss)), `step ${i + 1}: ${precomputedLosses[i]} vs ${loss}`);
    });
    // The reference is the warmed-up policy, so the first loss is ln 2 either way. A wrong reference
    // value would show in the later steps and in the eval loss.
    assert.ok(Math.abs(liveLosses[0] - Math.LN2) < 1e-4, `first loss ${liveLosses[0]}`);
    assert.ok(Math.abs(evalLoss(precomputed) - evalLoss(live)) <= TOLERANCE, `eval ${evalLoss(precomputed)} vs ${evalLoss(live)}`);
  });

  it('should read the cache in a second run', async () => {
    const first = await runEvents({ reference: { precompute: true, cacheDir } });
    const second = await runEvents({ reference: { precompute: true, cacheDir } });
    assert.equal(referenceEvent(first)?.source, 'computed');
    assert.equal(referenceEvent(second)?.source, 'cache');
    assert.equal(referenceEvent(second)?.cachePath, referenceEvent(first)?.cachePath);
    assert.equal(fs.readdirSync(cacheDir).filter((name) => name.endsWith('.json')).length, 1);
    assert.deepEqual(stepLosses(second), stepLosses(first));
  });

  it('should miss the cache when the warm-up changes the reference', async () => {
    await runEvents({ reference: { precompute: true, cacheDir } });
    const changed = await runEvents({ reference: { precompute: true, cacheDir }, training: { ...RUN.training, warmup: { steps: 4, learningRate: 0.01 } } });
    assert.equal(referenceEvent(changed)?.source, 'computed');
    assert.equal(fs.readdirSync(cacheDir).filter((name) => name.endsWith('.json')).length, 2);
  });

  it('should precompute under auto only when every pair is drawn', async () => {
    // 6 steps of 3 pairs draw 18 of the 20 training pairs; 7 steps draw 21.
    const short = await runEvents({ reference: { precompute: 'auto', cacheDir: 'none' } });
    const long = await runEvents({ reference: { precompute: 'auto', cacheDir: 'none' }, training: { ...RUN.training, maxSteps: 7 } });
    assert.equal(referenceEvent(short), undefined);
    assert.equal(referenceEvent(long)?.source, 'computed');
  });

  it('should put the default cache next to the run directory', () => {
    assert.equal(resolveReferenceCacheDir(undefined, '/data/runs/dpo-1'), '/data/runs/.radpo-cache');
    assert.equal(resolveReferenceCacheDir('none', '/data/runs/dpo-1'), undefined);
    assert.equal(resolveReferenceCacheDir(undefined, undefined), undefined);
  });
});
