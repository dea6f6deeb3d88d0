import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Observable } from 'rxjs';
import {
  createEvent,
  RadpoError,
  type DataTransform,
  type LearningRateSchedule,
  type PluginRegistry,
  type RunEvent,
} from '@radpo/core';
import { createRng, type TokenizedPair } from '@radpo/data';
import { selectBackend } from './backend';
import { buildPairBatch, buildSequenceBatch, disposeBatch } from './batch';
import { writeCheckpoint } from './checkpoint';
import type { RunConfig } from './config';
import { emptyMetricSums, finalizeMetrics, type MetricSums } from './metrics';
import { BuiltinTransformer } from './model/builtin-transformer';
import { countParameters, type CausalLanguageModel, type Weights } from './model/causal-lm';
import { AdamW, clipByGlobalNorm } from './optimizer';
import { preparePairs, type PairCache } from './prepared-pairs';
import {
  evaluatePreferenceBatch,
  preferenceGradients,
  supervisedGradients,
  type LossTerm,
  type PreferenceObjective,
} from './preference-step';

export interface TrainOptions {
  /** A resolved configuration (see resolveRunConfig). */
  config: RunConfig;
  /** Where loss, transform and scheduler plugins are looked up. */
  registry: PluginRegistry;
  /** Run directory; checkpoints go to `<outDir>/checkpoint`. Without it no checkpoint is written. */
  outDir?: string;
  runId?: string;
  /** Aborting stops the run after the current optimizer step; the final eval, checkpoint and runEnd still follow. */
  stopSignal?: AbortSignal;
  /**
   * Starting weights of the policy in place of a fresh initialization from the seed; copied, never
   * modified. Names and shapes must match the model's. With training.warmup.steps 0 they are also the
   * frozen reference.
   */
  initialWeights?: Weights;
  /** Shares tokenized pairs with other runs of this process that read the same data (see PairCache). */
  pairCache?: PairCache;
}

/**
 * Trains a policy and reports every phase as an event. The observable is cold: each subscription
 * starts its own run. Unsubscribing stops the run after the current optimizer step; errors arrive
 * through the observable, never as a throw.
 */
export function train(options: TrainOptions): Observable<RunEvent> {
  return new Observable<RunEvent>((subscriber) => {
    const control = { stopRequested: options.stopSignal?.aborted ?? false };
    const onAbort = () => {
      control.stopRequested = true;
    };
    options.stopSignal?.addEventListener('abort', onAbort);
    runTraining(options, (event) => subscriber.next(event), control).then(
      () => subscriber.complete(),
      (error) => subscriber.error(error),
    );
    return () => {
      control.stopRequested = true;
      options.stopSignal?.removeEventListener('abort', onAbort);
    };
  });
}

interface RunControl {
  stopRequested: boolean;
}

type Emit = (event: RunEvent) => void;

async function runTraining(options: TrainOptions, emit: Emit, control: RunControl): Promise<void> {
  const { config, registry } = options;
  const startedAt = Date.now();

  // Plugins: everything named in the config is created (and its options validated) before any work.
  const terms: LossTerm[] = config.losses.map((term) => ({
    loss: registry.create('loss', term.name, term.options),
    weight: term.weight,
  }));
  const transforms: DataTransform[] = config.transforms.map((t) => registry.create('transform', t.name, t.options));
  const schedule: LearningRateSchedule = registry.create('scheduler', config.training.scheduler.name, config.training.scheduler.options);
  const usesReference = terms.some((term) => term.loss.requiresReference);

  // Data: read, transform and tokenize both splits (or reuse another run's identical pairs).
  const model: CausalLanguageModel = new BuiltinTransformer({ ...config.model, maxPositions: config.model.maxLength });
  const prepared = await preparePairs(config, transforms, model.tokenizer, model.architecture, emit, options.pairCache);
  const trainPairs = prepared.train;
  const evalPairs = prepared.eval;
  if (trainPairs.length === 0) {
    throw new RadpoError('data', 'no training pairs are left after reading, transforms and truncation; check the data file and the transforms.');
  }

  // Backend and model.
  const backend = await selectBackend(config.backend);
  const weights = options.initialWeights ? cloneWeights(options.initialWeights) : model.initWeights(config.seed);
  emit(
    createEvent('runStart', {
      runId: options.runId ?? `run-${startedAt}`,
      backend,
      config,
      parameterCount: countParameters(weights),
      losses: terms.map((term) => term.loss.name),
      usesReference,
      trainPairs: trainPairs.length,
      evalPairs: evalPairs.length,
    }),
  );

  try {
    await supervisedWarmup(config, model, weights, trainPairs, emit, control);

    // The warmed-up policy, frozen, is the reference. Reference-free losses never build one.
    const reference = usesReference ? cloneWeights(weights) : undefined;
    const objective: PreferenceObjective = { model, terms, reference };
    try {
      const steps = await preferenceTraining(config, objective, weights, trainPairs, evalPairs, schedule, emit, control, options.outDir);
      const summary = evaluate(config, objective, weights, evalPairs, steps, emit);
      if (options.outDir) await saveCheckpoint(options.outDir, model, weights, steps, config, emit);
      emit(
        createEvent('runEnd', {
          status: control.stopRequested ? 'stopped' : 'completed',
          steps,
          durationMs: Date.now() - startedAt,
          summary,
        }),
      );
    } finally {
      if (reference) tf.dispose(Object.values(reference));
    }
  } finally {
    tf.dispose(Object.values(weights));
  }
}

async function supervisedWarmup(
  config: RunConfig,
  model: CausalLanguageModel,
  weights: Weights,
  pairs: TokenizedPair[],
  emit: Emit,
  control: RunControl,
): Promise<void> {
  const { warmup, batchSize, maxGradNorm } = config.training;
  if (warmup.steps === 0) return;
  const optimizer = createOptimizer(config);
  const sampler = new PairSampler(pairs, config.seed + 1);
  try {
    for (let step = 0; step < warmup.steps && !control.stopRequested; step++) {
      const started = Date.now();
      const batch = buildSequenceBatch(
        sampler.next(batchSize).map((pair) => ({ promptIds: pair.promptIds, responseIds: pair.chosenIds })),
        model.tokenizer.padId,
      );
      const { loss, gradients } = supervisedGradients(model, weights, batch);
      const tokens = batch.tokens;
      disposeBatch(batch);
      checkFinite(loss, 'warmup', step);

      const clipped = clipByGlobalNorm(gradients, maxGradNorm);
      optimizer.apply(weights, clipped.gradients, warmup.learningRate);
      tf.dispose(Object.values(clipped.gradients));

      emit(
        createEvent('step', {
          phase: 'warmup',
          step: step + 1,
          maxSteps: warmup.steps,
          loss,
          learningRate: warmup.learningRate,
          gradNorm: clipped.norm,
          tokens,
          tokensPerSecond: tokens / Math.max(1e-3, (Date.now() - started) / 1000),
          metrics: { 'sft/nll': loss },
        }),
      );
      await yieldToEventLoop();
    }
  } finally {
    optimizer.dispose();
  }
}

/** Returns the number of optimizer steps taken. */
async function preferenceTraining(
  config: RunConfig,
  objective: PreferenceObjective,
  weights: Weights,
  trainPairs: TokenizedPair[],
  evalPairs: TokenizedPair[],
  schedule: LearningRateSchedule,
  emit: Emit,
  control: RunControl,
  outDir: string | undefined,
): Promise<number> {
  const { maxSteps, batchSize, gradientAccumulationSteps, learningRate: baseRate, maxGradNorm, evalEvery, checkpointEvery } = config.training;
  const optimizer = createOptimizer(config);
  const sampler = new PairSampler(trainPairs, config.seed + 2);
  let step = 0;
  try {
    while (step < maxSteps && !control.stopRequested) {
      const started = Date.now();
      const learningRate = schedule.learningRate(step, maxSteps, baseRate);

      // Forward and backward over the micro-batches; gradients are averaged.
      const sums = emptyMetricSums();
      let lossTotal = 0;
      let tokens = 0;
      let accumulated: Record<string, tf.Tensor> | undefined;
      for (let micro = 0; micro < gradientAccumulationSteps; micro++) {
        const batch = buildPairBatch(sampler.next(batchSize), objective.model.tokenizer.padId);
        const result = preferenceGradients(objective, weights, batch, sums);
        tokens += batch.tokens;
        const batchIds = batch.pairIds;
        disposeBatch(batch);
        lossTotal += result.loss;
        checkFinite(result.loss, 'train', step + 1, batchIds);
        accumulated = addGradients(accumulated, result.gradients, 1 / gradientAccumulationSteps);
      }

      // Clip, update.
      const clipped = clipByGlobalNorm(accumulated!, maxGradNorm);
      optimizer.apply(weights, clipped.gradients, learningRate);
      tf.dispose(Object.values(clipped.gradients));
      step++;

      // Report.
      emit(
        createEvent('step', {
          phase: 'train',
          step,
          maxSteps,
          loss: lossTotal / gradientAccumulationSteps,
          learningRate,
          gradNorm: clipped.norm,
          tokens,
          tokensPerSecond: tokens / Math.max(1e-3, (Date.now() - started) / 1000),
          metrics: finalizeMetrics(sums),
        }),
      );

      // Periodic evaluation and checkpoint; the final ones are done by the caller.
      if (evalEvery > 0 && step % evalEvery === 0 && step < maxSteps) evaluate(config, objective, weights, evalPairs, step, emit);
      if (outDir && checkpointEvery > 0 && step % checkpointEvery === 0 && step < maxSteps) {
        await saveCheckpoint(outDir, objective.model, weights, step, config, emit);
      }
      await yieldToEventLoop();
    }
  } finally {
    optimizer.dispose();
  }
  return step;
}

/** Evaluates the held-out pairs, emits an eval event and returns its metrics with the loss. */
function evaluate(
  config: RunConfig,
  objective: PreferenceObjective,
  weights: Weights,
  pairs: TokenizedPair[],
  step: number,
  emit: Emit,
): Record<string, number> {
  if (pairs.length === 0) {
    emit(createEvent('warning', { message: 'no held-out pairs: skipping evaluation', source: 'trainer' }));
    return {};
  }
  const sums: MetricSums = emptyMetricSums();
  let lossSum = 0;
  for (let start = 0; start < pairs.length; start += config.training.evalBatchSize) {
    const batch = buildPairBatch(pairs.slice(start, start + config.training.evalBatchSize), objective.model.tokenizer.padId);
    lossSum += evaluatePreferenceBatch(objective, weights, batch, sums);
    disposeBatch(batch);
  }
  const metrics = finalizeMetrics(sums);
  const loss = lossSum / sums.pairs;
  emit(createEvent('eval', { step, pairs: sums.pairs, loss, metrics, ties: sums.ties }));
  return { loss, ...metrics, ties: sums.ties };
}

async function saveCheckpoint(outDir: string, model: CausalLanguageModel, weights: Weights, step: number, config: RunConfig, emit: Emit): Promise<void> {
  const dir = path.join(outDir, 'checkpoint');
  await writeCheckpoint(dir, weights, {
    format: 'radpo-checkpoint',
    formatVersion: 1,
    step,
    phase: 'train',
    model: model.config,
    runConfig: config,
  });
  emit(createEvent('checkpoint', { step, path: dir }));
}

function createOptimizer(config: RunConfig): AdamW {
  const { adamBeta1, adamBeta2, adamEpsilon, weightDecay } = config.training;
  return new AdamW({ beta1: adamBeta1, beta2: adamBeta2, epsilon: adamEpsilon, weightDecay });
}

function addGradients(
  total: Record<string, tf.Tensor> | undefined,
  gradients: Record<string, tf.Tensor>,
  scale: number,
): Record<string, tf.Tensor> {
  const next: Record<string, tf.Tensor> = {};
  for (const [name, gradient] of Object.entries(gradients)) {
    next[name] = tf.tidy(() => (total ? tf.add(total[name], tf.mul(gradient, scale)) : tf.mul(gradient, scale)));
    gradient.dispose();
    total?.[name]?.dispose();
  }
  return next;
}

function cloneWeights(weights: Weights): Weights {
  return Object.fromEntries(Object.entries(weights).map(([name, tensor]) => [name, tf.clone(tensor)]));
}

function checkFinite(loss: number, phase: 'warmup' | 'train', step: number, pairIds: string[] = []): void {
  if (Number.isFinite(loss)) return;
  const ids = pairIds.length > 0 ? ` Pairs in the batch: ${pairIds.join(', ')}.` : '';
  throw new RadpoError('numeric', `the ${phase} loss became ${loss} at step ${step}.${ids} Lower the learning rate or check the data.`);
}

/** Lets subscribers (progress bars, signal handlers) run between steps of the otherwise synchronous math. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Draws batches without replacement, reshuffling with a seeded generator at each epoch. */
class PairSampler {
  private readonly rng;
  private order: number[] = [];
  private position = 0;

  constructor(private readonly pairs: TokenizedPair[], seed: number) {
    this.rng = createRng(seed);
  }

  next(size: number): TokenizedPair[] {
    const batch: TokenizedPair[] = [];
    while (batch.length < Math.min(size, this.pairs.length)) {
      if (this.position >= this.order.length) {
        this.order = this.rng.shuffle(this.pairs.map((_, i) => i));
        this.position = 0;
      }
      batch.push(this.pairs[this.order[this.position++]]);
    }
    return batch;
  }
}
