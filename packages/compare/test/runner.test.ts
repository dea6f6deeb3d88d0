import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, Observable, toArray } from 'rxjs';
import { createEvent, type RunEvent } from '@radpo/core';
import { resolveRunConfig } from '@radpo/runtime';
import { inspectRunFolder, runComparison, runFolderPath, type ComparisonEvent, type PlannedRun, type RunExecutor } from '../src';

function plannedRun(group: string, seed: number, maxSteps = 3): PlannedRun {
  return {
    id: `${group}/seed-${seed}`,
    group,
    seed,
    labels: { algorithm: group },
    config: resolveRunConfig({ seed, training: { maxSteps } }),
  };
}

/** Emits a step per configured step and a completed runEnd, with the seed as held-out accuracy; records what ran. */
function fakeExecutor(executed: string[], failing = new Set<string>()): RunExecutor {
  return ({ run }) =>
    new Observable<RunEvent>((subscriber) => {
      executed.push(run.id);
      if (failing.has(run.id)) {
        subscriber.error(new Error(`broken run ${run.id}`));
        return;
      }
      const steps = run.config.training.maxSteps;
      for (let step = 1; step <= steps; step++) {
        subscriber.next(
          createEvent('step', {
            phase: 'train',
            step,
            maxSteps: steps,
            loss: 1 / step,
            learningRate: 0.001,
            gradNorm: 1,
            tokens: 10,
            tokensPerSecond: 100,
            metrics: { 'rewards/margins': step, 'rewards/accuracies': 0.5 },
          }),
        );
      }
      subscriber.next(createEvent('runEnd', { status: 'completed', steps, durationMs: 1, summary: { 'rewards/accuracies': run.seed / 10 } }));
      subscriber.complete();
    });
}

async function compare(outDir: string, runs: PlannedRun[], executor: RunExecutor, parallel = 1): Promise<ComparisonEvent[]> {
  return lastValueFrom(runComparison({ runs, outDir, executor, parallel, title: 'test', reportMetrics: ['rewards/accuracies'] }).pipe(toArray()));
}

describe('runComparison', () => {
  let outDir: string;
  beforeEach(() => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-runner-'));
  });
  afterEach(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('should write every run folder and mark it finished', async () => {
    const runs = [plannedRun('a', 0), plannedRun('a', 1)];
    const executed: string[] = [];

    const events = await compare(outDir, runs, fakeExecutor(executed));

    assert.deepEqual(executed, ['a/seed-0', 'a/seed-1']);
    for (const run of runs) assert.equal(inspectRunFolder(runFolderPath(outDir, run.id), run.config), 'finished');
    const end = events.find((event) => event.type === 'comparisonEnd');
    assert.deepEqual(end?.type === 'comparisonEnd' && end.completed, ['a/seed-0', 'a/seed-1']);
    assert.ok(fs.existsSync(path.join(outDir, 'comparison.json')));
  });

  it('should skip finished runs and restart unfinished ones', async () => {
    const runs = [plannedRun('a', 0), plannedRun('a', 1), plannedRun('b', 0)];
    await compare(outDir, runs, fakeExecutor([]));
    // An interrupted run: its summary.json is missing and a stray partial file is left behind.
    const interrupted = runFolderPath(outDir, 'a/seed-1');
    fs.rmSync(path.join(interrupted, 'summary.json'));
    fs.writeFileSync(path.join(interrupted, 'partial.tmp'), 'x');
    const executed: string[] = [];

    const events = await compare(outDir, runs, fakeExecutor(executed));

    assert.deepEqual(executed, ['a/seed-1']);
    assert.equal(fs.existsSync(path.join(interrupted, 'partial.tmp')), false);
    const start = events.find((event) => event.type === 'comparisonStart');
    assert.ok(start?.type === 'comparisonStart');
    assert.deepEqual(start.finished, ['a/seed-0', 'b/seed-0']);
    assert.deepEqual(start.restarted, [{ run: 'a/seed-1', reason: 'unfinished' }]);
  });

  it('should rerun a run whose configuration changed', async () => {
    await compare(outDir, [plannedRun('a', 0, 3)], fakeExecutor([]));
    const executed: string[] = [];

    await compare(outDir, [plannedRun('a', 0, 4)], fakeExecutor(executed));

    assert.deepEqual(executed, ['a/seed-0']);
  });

  it('should count a run without runEnd as unfinished', async () => {
    const run = plannedRun('a', 0);
    await compare(outDir, [run], fakeExecutor([]));
    const metrics = path.join(runFolderPath(outDir, run.id), 'metrics.jsonl');
    const lines = fs.readFileSync(metrics, 'utf8').trim().split('\n');
    fs.writeFileSync(metrics, lines.slice(0, -1).join('\n') + '\n{"type":"runE');

    assert.equal(inspectRunFolder(runFolderPath(outDir, run.id), run.config), 'unfinished');
  });

  it('should report a failed run and finish the others', async () => {
    const runs = [plannedRun('a', 0), plannedRun('a', 1)];
    const executed: string[] = [];

    const events = await compare(outDir, runs, fakeExecutor(executed, new Set(['a/seed-0'])));

    const failure = events.find((event) => event.type === 'runFailed');
    assert.ok(failure?.type === 'runFailed');
    assert.match(failure.message, /broken run a\/seed-0/);
    assert.equal(inspectRunFolder(runFolderPath(outDir, 'a/seed-1'), runs[1].config), 'finished');
    assert.equal(inspectRunFolder(runFolderPath(outDir, 'a/seed-0'), runs[0].config), 'unfinished');
  });

  it('should run at most parallel runs at once', async () => {
    let running = 0;
    let peak = 0;
    const slow: RunExecutor = (request) =>
      new Observable<RunEvent>((subscriber) => {
        running++;
        peak = Math.max(peak, running);
        setTimeout(() => {
          running--;
          fakeExecutor([])(request).subscribe(subscriber);
        }, 20);
      });
    const runs = [0, 1, 2, 3, 4].map((seed) => plannedRun('a', seed));

    await compare(outDir, runs, slow, 2);

    assert.equal(peak, 2);
  });
});
