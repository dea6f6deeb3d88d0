import * as fs from 'node:fs';
import * as path from 'node:path';
import { lastValueFrom, Observable, toArray } from 'rxjs';
import { createEvent, type RunEvent } from '@radpo/core';
import { resolveRunConfig } from '@radpo/runtime';
import { runComparison, type PlannedRun, type RunExecutor } from '../src';

/** Held-out accuracy of each seed, per group; the loss curve of step s is 1/s for every run. */
const ACCURACY: Record<string, number[]> = { dpo: [0.5, 0.7, 0.9], 'dpo-augment': [0.6, 0.6] };

function executor(): RunExecutor {
  return ({ run }) =>
    new Observable<RunEvent>((subscriber) => {
      for (let step = 1; step <= 4; step++) {
        subscriber.next(
          createEvent('step', {
            phase: 'train',
            step,
            maxSteps: 4,
            loss: 1 / step,
            learningRate: 0.001,
            gradNorm: 1,
            tokens: 1,
            tokensPerSecond: 1,
            metrics: { 'rewards/margins': step * (run.seed + 1), 'rewards/accuracies': 0.5 },
          }),
        );
      }
      const accuracy = ACCURACY[run.group][run.seed];
      subscriber.next(createEvent('runEnd', { status: 'completed', steps: 4, durationMs: 1, summary: { 'rewards/accuracies': accuracy, loss: 0.5 } }));
      subscriber.complete();
    });
}

/** Writes a finished comparison of two groups into a fresh folder: dpo over 3 seeds, dpo-augment over 2 of 3 planned. */
export async function writeFakeComparison(outDir: string): Promise<void> {
  const runs: PlannedRun[] = [];
  for (const [group, seeds] of Object.entries(ACCURACY)) {
    seeds.forEach((_, seed) =>
      runs.push({ id: `${group}/seed-${seed}`, group, seed, labels: { algorithm: 'dpo', augment: String(group.endsWith('augment')) }, config: resolveRunConfig({ seed }) }),
    );
  }
  await lastValueFrom(
    runComparison({ runs, outDir, executor: executor(), title: 'Fake | comparison', reportMetrics: ['rewards/accuracies', 'loss'] }).pipe(toArray()),
  );
  // A third planned seed of dpo-augment that never ran.
  const manifestFile = path.join(outDir, 'comparison.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  manifest.runs.push({ id: 'dpo-augment/seed-2', group: 'dpo-augment', seed: 2, labels: { algorithm: 'dpo', augment: 'true' } });
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
}
