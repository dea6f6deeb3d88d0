import type { RunEvent } from '@radpo/core';
import type { RunSummary } from './run-folder';

/** Events of a comparison, one entry per kind; the CLI shows them, tests observe them. */
export interface ComparisonEventMap {
  /** The plan after inspecting the output folder: which runs are already finished and which will run. */
  comparisonStart: {
    outDir: string;
    total: number;
    finished: string[];
    toRun: string[];
    /** Runs whose folders held an unfinished run or one with another configuration; they restart from scratch. */
    restarted: Array<{ run: string; reason: 'unfinished' | 'changed' }>;
  };
  runStart: { run: string; index: number; of: number };
  /** An event of the run's trainer, also written to its metrics.jsonl. */
  runEvent: { run: string; event: RunEvent };
  /** Work after training, such as the benchmark's generation and scoring. */
  runNote: { run: string; message: string };
  runDone: { run: string; status: 'completed' | 'stopped'; durationMs: number; summary: RunSummary };
  runFailed: { run: string; message: string };
  comparisonEnd: { completed: string[]; stopped: string[]; failed: string[]; skipped: string[]; durationMs: number };
}

export type ComparisonEventType = keyof ComparisonEventMap;

export type ComparisonEvent<K extends ComparisonEventType = ComparisonEventType> = {
  [P in K]: { type: P } & ComparisonEventMap[P];
}[K];

export function comparisonEvent<K extends ComparisonEventType>(type: K, fields: ComparisonEventMap[K]): ComparisonEvent<K> {
  return { type, ...fields } as ComparisonEvent<K>;
}
