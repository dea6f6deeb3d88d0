import type { BackendChoice } from '../backend';
import type { MetricSums } from '../metrics';
import type { BuiltinModelConfig } from '../model/builtin-transformer';

/** A loss term as a worker can rebuild it: the plugin's package is required inside the worker. */
export interface WorkerLossTerm {
  packageName: string;
  name: string;
  options: Record<string, unknown>;
  weight: number;
}

/** Weights as plain arrays, so they can cross a thread boundary. */
export type SerializedWeights = Record<string, { shape: number[]; values: Float32Array }>;

/** Rows of a pair batch as plain arrays: chosen sequences first, then rejected ones. */
export interface SerializedPairBatch {
  ids: Int32Array;
  responseMask: Float32Array;
  shape: [number, number];
  pairs: number;
  pairIds: string[];
  scoresChosen: Float32Array;
  scoresRejected: Float32Array;
}

export interface WorkerInit {
  type: 'init';
  backend: BackendChoice;
  model: BuiltinModelConfig;
  terms: WorkerLossTerm[];
  reference?: SerializedWeights;
}

export interface WorkerStep {
  type: 'step';
  weights: SerializedWeights;
  batch: SerializedPairBatch;
  /** The shard's precomputed reference log-probs; absent when the worker runs its reference forward. */
  reference?: { chosen: Float32Array; rejected: Float32Array };
}

export type WorkerRequest = WorkerInit | WorkerStep;

export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'gradients'; loss: number; gradients: SerializedWeights; sums: MetricSums }
  | { type: 'error'; message: string; stack?: string };
