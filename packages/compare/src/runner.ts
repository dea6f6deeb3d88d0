import * as fs from 'node:fs';
import * as path from 'node:path';
import { lastValueFrom, Observable, tap } from 'rxjs';
import type { RunEvent } from '@radpo/core';
import { comparisonEvent, type ComparisonEvent } from './events';
import type { PlannedRun } from './matrix';
import { inspectRunFolder, runFolderPath, RunFolderWriter, writeJsonAtomic, type RunSummary } from './run-folder';

/** One planned run as an executor receives it. */
export interface RunRequest {
  run: PlannedRun;
  /** The run's folder: the trainer writes its checkpoint there; metrics.jsonl is written by the runner. */
  runDir: string;
  /** Aborting stops the run after the current optimizer step. */
  signal: AbortSignal;
}

/** Runs one planned run and streams the trainer's events (in this process or in a child process). */
export type RunExecutor = (request: RunRequest) => Observable<RunEvent>;

/**
 * Work after a run completed, before it is marked finished; returns extra metrics for summary.json.
 * A throw fails the run, so resuming repeats the run and this step.
 */
export type AfterRun = (run: PlannedRun, runDir: string, note: (message: string) => void) => Promise<Record<string, number>>;

/** Contents of comparison.json, from which `radpo report` re-renders without the comparison file. */
export interface ComparisonManifest {
  format: 'radpo-comparison';
  formatVersion: 1;
  title: string;
  /** Metrics shown in the report tables, in order. */
  reportMetrics: string[];
  /** Paragraphs shown under the title of the reports. */
  notes?: string[];
  runs: Array<Pick<PlannedRun, 'id' | 'group' | 'seed' | 'labels'>>;
}

export interface ComparisonOptions {
  runs: PlannedRun[];
  outDir: string;
  executor: RunExecutor;
  title: string;
  reportMetrics: string[];
  /** Paragraphs shown under the title of the reports. */
  notes?: string[];
  /** Runs at the same time; each needs its own executor capacity (child processes). Default 1. */
  parallel?: number;
  afterRun?: AfterRun;
  /** Aborting starts no further run and stops the running ones after their current step. */
  stopSignal?: AbortSignal;
}

export const MANIFEST_FILE = 'comparison.json';

/**
 * Runs a comparison's runs that are not finished yet, writing each into `<out>/runs/<group>/seed-<n>`.
 * Finished runs (see inspectRunFolder) are skipped; any other folder is emptied and its run restarts.
 * A failed run is reported and the others continue. The observable is cold and never errors for a
 * failed run; it completes after comparisonEnd.
 */
export function runComparison(options: ComparisonOptions): Observable<ComparisonEvent> {
  return new Observable<ComparisonEvent>((subscriber) => {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    options.stopSignal?.addEventListener('abort', onAbort);
    if (options.stopSignal?.aborted) stop.abort();

    executeComparison(options, stop.signal, (event) => subscriber.next(event)).then(
      () => subscriber.complete(),
      (error) => subscriber.error(error),
    );
    return () => {
      stop.abort();
      options.stopSignal?.removeEventListener('abort', onAbort);
    };
  });
}

async function executeComparison(options: ComparisonOptions, signal: AbortSignal, emit: (event: ComparisonEvent) => void): Promise<void> {
  const started = Date.now();
  fs.mkdirSync(options.outDir, { recursive: true });
  writeManifest(options);

  // Plan: skip finished runs, restart the rest.
  const finished: string[] = [];
  const queue: PlannedRun[] = [];
  const restarted: Array<{ run: string; reason: 'unfinished' | 'changed' }> = [];
  for (const run of options.runs) {
    const state = inspectRunFolder(runFolderPath(options.outDir, run.id), run.config);
    if (state === 'finished') {
      finished.push(run.id);
      continue;
    }
    if (state === 'unfinished' || state === 'changed') restarted.push({ run: run.id, reason: state });
    queue.push(run);
  }
  emit(
    comparisonEvent('comparisonStart', {
      outDir: options.outDir,
      total: options.runs.length,
      finished,
      toRun: queue.map((run) => run.id),
      restarted,
    }),
  );

  // Run: a pool of `parallel` loops, each taking the next run from the queue.
  const outcome = { completed: [] as string[], stopped: [] as string[], failed: [] as string[] };
  const total = queue.length;
  let next = 0;
  const loop = async () => {
    while (next < queue.length && !signal.aborted) {
      const index = next++;
      await executeRun(queue[index], index, total, options, signal, emit, outcome);
    }
  };
  const parallel = Math.max(1, Math.min(options.parallel ?? 1, queue.length));
  await Promise.all(Array.from({ length: parallel }, loop));

  emit(comparisonEvent('comparisonEnd', { ...outcome, skipped: finished, durationMs: Date.now() - started }));
}

async function executeRun(
  run: PlannedRun,
  index: number,
  total: number,
  options: ComparisonOptions,
  signal: AbortSignal,
  emit: (event: ComparisonEvent) => void,
  outcome: { completed: string[]; stopped: string[]; failed: string[] },
): Promise<void> {
  const started = Date.now();
  const runDir = runFolderPath(options.outDir, run.id);
  emit(comparisonEvent('runStart', { run: run.id, index: index + 1, of: total }));
  try {
    const writer = new RunFolderWriter(runDir, run.config);
    let end: RunEvent<'runEnd'> | undefined;
    await lastValueFrom(
      options.executor({ run, runDir, signal }).pipe(
        tap((event) => {
          writer.appendEvent(event);
          if (event.type === 'runEnd') end = event;
          emit(comparisonEvent('runEvent', { run: run.id, event }));
        }),
      ),
      { defaultValue: undefined },
    );
    if (!end) throw new Error('the run ended without a runEnd event');

    const summary: RunSummary = { status: end.status, steps: end.steps, heldOut: end.summary };
    if (end.status === 'completed') {
      if (options.afterRun) summary.extra = await options.afterRun(run, runDir, (message) => emit(comparisonEvent('runNote', { run: run.id, message })));
      // summary.json is written last: its presence marks the run finished.
      writer.writeSummary(summary);
      outcome.completed.push(run.id);
    } else {
      outcome.stopped.push(run.id);
    }
    emit(comparisonEvent('runDone', { run: run.id, status: end.status, durationMs: Date.now() - started, summary }));
  } catch (error) {
    outcome.failed.push(run.id);
    emit(comparisonEvent('runFailed', { run: run.id, message: (error as Error).message ?? String(error) }));
  }
}

function writeManifest(options: ComparisonOptions): void {
  const manifest: ComparisonManifest = {
    format: 'radpo-comparison',
    formatVersion: 1,
    title: options.title,
    reportMetrics: options.reportMetrics,
    notes: options.notes,
    runs: options.runs.map(({ id, group, seed, labels }) => ({ id, group, seed, labels })),
  };
  writeJsonAtomic(path.join(options.outDir, MANIFEST_FILE), manifest);
}
