/**
 * The runtime's events, one entry per kind. This map is the single source for the rxjs stream type
 * (`RunEvent`), for metrics.jsonl and for what subscribers may hook: adding an event is one entry here.
 */
export interface RunEventMap {
  /** Training is about to start; everything about the run that is known up front. */
  runStart: {
    runId: string;
    backend: BackendReport;
    /** The resolved configuration, defaults filled in. */
    config: unknown;
    parameterCount: number;
    losses: string[];
    /** False when every loss is reference-free: no reference model is built or run. */
    usesReference: boolean;
    trainPairs: number;
    evalPairs: number;
    /** Present when the run continues from a checkpoint: its directory, phase and step. */
    resumedFrom?: { path: string; phase: 'warmup' | 'train'; step: number };
  };
  /** A transform finished one split. `stats` contains its counts (rowsIn, rowsOut, ties, ...). */
  transform: {
    transform: string;
    split: 'train' | 'eval';
    stats: Record<string, number>;
  };
  /** A data file was read: rows read and kept, bad rows skipped and degenerate pairs kept, by reason. */
  read: {
    split: 'train' | 'eval';
    file: string;
    rowsRead: number;
    rowsYielded: number;
    skipped: Record<string, number>;
    flagged: Record<string, number>;
    /** Rows whose id repeats the id of an earlier row of the file; they are kept. */
    duplicateIds: number;
  };
  /** One optimizer step, of the supervised warm-up or of preference training. */
  step: {
    phase: 'warmup' | 'train';
    step: number;
    maxSteps: number;
    loss: number;
    learningRate: number;
    gradNorm: number;
    /** Policy tokens processed in this step (prompt and response, chosen and rejected). */
    tokens: number;
    tokensPerSecond: number;
    metrics: Record<string, number>;
    /** Batches of this phase skipped so far for a non-finite loss or gradient (training.onNonFinite "skip-batch"). */
    skippedBatches?: number;
  };
  /** Held-out metrics, averaged over the eval pairs. */
  eval: {
    step: number;
    pairs: number;
    loss: number;
    metrics: Record<string, number>;
    /** Pairs whose chosen and rejected rewards are equal: never counted as correct. */
    ties: number;
  };
  checkpoint: {
    step: number;
    path: string;
  };
  /** The frozen reference's log-probs of every train and eval pair, computed once or read from the cache. */
  reference: {
    pairs: number;
    source: 'computed' | 'cache';
    /** The cache file read or written; absent when the run has no disk cache. */
    cachePath?: string;
    durationMs: number;
  };
  /** Something unwise but allowed, or a recoverable problem; the CLI decides how to show it. */
  warning: {
    message: string;
    source: string;
  };
  runEnd: {
    status: 'completed' | 'stopped';
    steps: number;
    durationMs: number;
    /** The last held-out metrics, also in the final eval event. */
    summary: Record<string, number>;
    /** The checkpoint written at the end, when the run has an output directory. */
    checkpoint?: string;
    /** Batches of preference training skipped for a non-finite loss or gradient. */
    skippedBatches?: number;
  };
}

/** The backend a run uses, as reported at start and recorded in metrics.jsonl. */
export interface BackendReport {
  name: string;
  /** The package in use and the backends tried before it, with the reason each was not used. */
  detail: string;
  /** For the tensorflow backend: whether libtensorflow found a CUDA GPU (tfjs-node-gpu) or runs on the CPU. */
  gpu?: boolean;
  /** Kernel preflight before training: how many kernels the run needs, and which ones radpo filled in. */
  kernels?: { checked: number; filled: string[] };
}

export type RunEventType = keyof RunEventMap;

/** One event: its `type`, an ISO timestamp and that kind's fields. */
export type RunEvent<K extends RunEventType = RunEventType> = {
  [P in K]: { type: P; time: string } & RunEventMap[P];
}[K];

/** Builds an event of kind `type`, stamped with the current time. */
export function createEvent<K extends RunEventType>(type: K, fields: RunEventMap[K]): RunEvent<K> {
  return { type, time: new Date().toISOString(), ...fields } as RunEvent<K>;
}

/** Narrows an event to one kind; handy with rxjs `filter`. */
export function isEvent<K extends RunEventType>(type: K) {
  return (event: RunEvent): event is Extract<RunEvent, { type: K }> => event.type === type;
}
