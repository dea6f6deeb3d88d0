import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunEvent } from '@radpo/core';

/** What `summary.json` of a finished run contains. */
export interface RunSummary {
  status: 'completed' | 'stopped';
  steps: number;
  /** Final held-out metrics of the trainer. */
  heldOut: Record<string, number>;
  /** Metrics measured after training, such as the benchmark's ground-truth scores. */
  extra?: Record<string, number>;
}

/** State of a run folder: finished runs are skipped on resume, every other state is rerun from scratch. */
export type RunFolderState = 'missing' | 'finished' | 'unfinished' | 'changed';

/** Returns `<out>/runs/<group>/seed-<n>`. */
export function runFolderPath(outDir: string, runId: string): string {
  return path.join(outDir, 'runs', ...runId.split('/'));
}

/**
 * Inspects a run folder. A run is finished when summary.json says completed, metrics.jsonl holds a
 * runEnd event and config.json equals the configuration the comparison would run now. With another
 * configuration the state is "changed", so an edited comparison reruns what the edit touched.
 */
export function inspectRunFolder(dir: string, expectedConfig: unknown): RunFolderState {
  if (!fs.existsSync(dir)) return 'missing';
  const summary = readJson<RunSummary>(path.join(dir, 'summary.json'));
  if (!summary || summary.status !== 'completed' || !hasRunEnd(dir)) return 'unfinished';
  const config = readJson<unknown>(path.join(dir, 'config.json'));
  return canonicalJson(config) === canonicalJson(expectedConfig) ? 'finished' : 'changed';
}

/** Reads a finished run's summary, or undefined when the run is not finished. */
export function readRunSummary(dir: string): RunSummary | undefined {
  const summary = readJson<RunSummary>(path.join(dir, 'summary.json'));
  return summary?.status === 'completed' && hasRunEnd(dir) ? summary : undefined;
}

/** Reads metrics.jsonl into events, skipping a last line cut short by a killed process. */
export function readRunEvents(dir: string): RunEvent[] {
  const file = path.join(dir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return [];
  const events: RunEvent[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // Only the line being written when the process died can be incomplete.
    }
  }
  return events;
}

function hasRunEnd(dir: string): boolean {
  return readRunEvents(dir).some((event) => event.type === 'runEnd');
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted, so that two equal configurations compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/**
 * Writes one run of a comparison: the folder is emptied first (a restarted run starts clean), then
 * config.json, every event as a line of metrics.jsonl, and summary.json last, which marks the run finished.
 */
export class RunFolderWriter {
  private readonly metricsPath: string;

  constructor(readonly dir: string, config: unknown) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    writeJsonAtomic(path.join(dir, 'config.json'), config);
    this.metricsPath = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(this.metricsPath, '');
  }

  /** Appends one event synchronously, so the file is complete up to the last event if the process dies. */
  appendEvent(event: RunEvent): void {
    fs.appendFileSync(this.metricsPath, JSON.stringify(event) + '\n');
  }

  writeSummary(summary: RunSummary): void {
    writeJsonAtomic(path.join(this.dir, 'summary.json'), summary);
  }
}

/** Writes JSON through a temporary file and a rename, so readers never see half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const temporary = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(temporary, file);
}
