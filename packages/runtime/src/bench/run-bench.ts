import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type PreferenceLoss } from '@radpo/core';
import { createRng } from '@radpo/data';
import { selectBackend, type BackendChoice } from '../backend';
import { preflightTraining } from '../backends/run-preflight';
import { buildSequenceBatch, disposeBatch, type PairBatch } from '../batch';
import { emptyMetricSums } from '../metrics';
import { BuiltinTransformer } from '../model/builtin-transformer';
import { countParameters, type Weights } from '../model/causal-lm';
import { AdamW } from '../optimizer';
import { DataParallelGradients } from '../parallel/data-parallel';
import type { WorkerLossTerm } from '../parallel/protocol';
import { preferenceGradients, type MicroBatchResult, type PreferenceObjective } from '../preference-step';
import { getBenchPreset, type BenchPreset } from './presets';

export interface BenchOptions {
  /** Name of a preset in BENCH_PRESETS. */
  preset: string;
  /** Measured steps; the reported speed is their median. */
  steps: number;
  /** Steps run before measuring (kernel setup, XNNPACK weight packing, JIT). */
  warmupSteps: number;
  backend: BackendChoice;
  /** The preference loss; the preset's β is the caller's to pass (the runtime does not import plugins). */
  loss: PreferenceLoss;
  /** Worker threads for data-parallel gradients besides the main thread; 0 (default) computes on the main thread only. */
  workers?: number;
  /** The plugin package, name and options from which each worker rebuilds `loss`; required when workers > 0. */
  workerLoss?: WorkerLossTerm;
  seed?: number;
}

/** One benchmark result. Speeds count policy tokens: pairs × 2 × sequenceLength per step. */
export interface BenchMeasurement {
  preset: string;
  backend: string;
  backendDetail: string;
  /** Kernels the step needs (forward and backward), and the ones radpo filled in for this backend. */
  kernels: { checked: number; filled: string[] };
  /** Threads computing gradients: 1 + data-parallel workers. */
  threads: number;
  parameters: number;
  steps: number;
  warmupSteps: number;
  tokensPerStep: number;
  /** Tokens per second of wall-clock time, median over the measured steps. */
  tokensPerSecond: number;
  /** Tokens per second of this process's CPU time (user + system), median; less sensitive to other load. */
  cpuTokensPerSecond: number;
  stepMs: { median: number; min: number; max: number };
  /** Peak resident set size of the process so far, in MiB. */
  peakRssMiB: number;
  /** Live tensors after the first and after the last measured step; equal when nothing leaks. */
  tensorsAfterFirstStep: number;
  tensorsAfterLastStep: number;
  /** Mean loss of the measured steps, as a sanity check that the step really trains. */
  meanLoss: number;
}

/**
 * Runs the preset's preference step (policy forward and backward, reference forward without
 * gradients, loss, Adam update) on a fixed random batch and measures its speed.
 */
export async function runBenchmark(options: BenchOptions): Promise<BenchMeasurement> {
  const preset = getBenchPreset(options.preset);
  if (!Number.isInteger(options.steps) || options.steps < 1) {
    throw new RadpoError('config', `benchmark steps must be a positive integer; got ${options.steps}.`);
  }
  if (!Number.isInteger(options.warmupSteps) || options.warmupSteps < 0) {
    throw new RadpoError('config', `benchmark warm-up steps must be a non-negative integer; got ${options.warmupSteps}.`);
  }
  const backend = await selectBackend(options.backend);
  const preflight = await preflightTraining(backend.name, preset.model, [{ loss: options.loss, weight: 1 }], true);
  const model = new BuiltinTransformer(preset.model);
  const weights = model.initWeights(options.seed ?? 0);
  const reference: Weights = Object.fromEntries(Object.entries(weights).map(([name, tensor]) => [name, tf.clone(tensor)]));
  const objective: PreferenceObjective = { model, terms: [{ loss: options.loss, weight: 1 }], reference };
  const batch = randomPairBatch(preset, options.seed ?? 0);
  const optimizer = new AdamW({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  const tokensPerStep = preset.pairs * 2 * preset.sequenceLength;

  const workers = options.workers ?? 0;
  if (workers > 0 && !options.workerLoss) {
    throw new RadpoError('config', 'a benchmark with data-parallel workers needs workerLoss, the loss plugin that each worker loads.');
  }
  const pool =
    workers > 0
      ? await DataParallelGradients.start({ workers, backend: options.backend, model: preset.model, terms: [options.workerLoss!], reference })
      : undefined;

  const step = async (): Promise<number> => {
    const sums = emptyMetricSums();
    const result: MicroBatchResult = pool
      ? await pool.gradients(objective, weights, batch, sums)
      : preferenceGradients(objective, weights, batch, sums);
    optimizer.apply(weights, result.gradients, preset.learningRate);
    tf.dispose(Object.values(result.gradients));
    return result.loss;
  };

  try {
    for (let i = 0; i < options.warmupSteps; i++) await step();
    const wallMs: number[] = [];
    const cpuMs: number[] = [];
    let lossSum = 0;
    let tensorsAfterFirstStep = 0;
    for (let i = 0; i < options.steps; i++) {
      const started = performance.now();
      const cpuStart = process.cpuUsage();
      lossSum += await step();
      const cpu = process.cpuUsage(cpuStart);
      wallMs.push(performance.now() - started);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      if (i === 0) tensorsAfterFirstStep = tf.memory().numTensors;
    }
    const wall = median(wallMs);
    return {
      preset: preset.name,
      backend: backend.name,
      backendDetail: backend.detail,
      kernels: { checked: preflight.kernels.length, filled: preflight.filled },
      threads: 1 + workers,
      parameters: countParameters(weights),
      steps: options.steps,
      warmupSteps: options.warmupSteps,
      tokensPerStep,
      tokensPerSecond: round(tokensPerStep / (wall / 1000)),
      cpuTokensPerSecond: round(tokensPerStep / (median(cpuMs) / 1000)),
      stepMs: { median: round(wall), min: round(Math.min(...wallMs)), max: round(Math.max(...wallMs)) },
      peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
      tensorsAfterFirstStep,
      tensorsAfterLastStep: tf.memory().numTensors,
      meanLoss: lossSum / options.steps,
    };
  } finally {
    await pool?.close();
    optimizer.dispose();
    disposeBatch(batch);
    tf.dispose([...Object.values(weights), ...Object.values(reference)]);
  }
}

/** Builds a pair batch of uniformly random token ids, reused every step as in the PyTorch reference. */
function randomPairBatch(preset: BenchPreset, seed: number): PairBatch {
  const rng = createRng(seed + 1);
  const vocab = preset.model.vocabSize ?? 256;
  const randomIds = (count: number) => Array.from({ length: count }, () => Math.floor(rng.next() * vocab));
  const sequences = Array.from({ length: 2 * preset.pairs }, () => ({
    promptIds: randomIds(preset.promptLength),
    responseIds: randomIds(preset.sequenceLength - preset.promptLength),
  }));
  // No sequence is padded: every one is exactly sequenceLength tokens long.
  const sequenceBatch = buildSequenceBatch(sequences, 0);
  const noScores = Array.from({ length: preset.pairs }, () => Number.NaN);
  return {
    ...sequenceBatch,
    pairs: preset.pairs,
    pairIds: Array.from({ length: preset.pairs }, (_, i) => `bench-${i}`),
    scoresChosen: tf.tensor1d(noScores),
    scoresRejected: tf.tensor1d(noScores),
    // Random ids stand in for pairs; no bench loss needs mismatched pairs.
    sourcePairs: [],
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
