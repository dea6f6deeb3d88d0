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
import type { TokenizedPair } from '@radpo/data';
import { selectBackend, type BackendChoice } from './backend';
import { preflightTraining } from './backends/run-preflight';
import { buildPairBatch, buildSequenceBatch, disposeBatch } from './batch';
import type { RunConfig } from './config';
import { accumulatePreferenceGradients } from './gradient-accumulation';
import { DataParallelGradients } from './parallel/data-parallel';
import { loadOrComputeReferenceTable, resolveReferenceCacheDir, type ReferenceTable } from './reference-table';
import { emptyMetricSums, finalizeMetrics, type MetricSums } from './metrics';
import { saveReferenceCheckpoint } from './reference-checkpoint';
import type { BuiltinModelConfig } from './model/builtin-transformer';
import { countParameters, type CausalLanguageModel, type Weights } from './model/causal-lm';
import { FINAL_MODEL_DIR, createTrainingModel, resolvePromptFormat, saveModelCheckpoint } from './model/training-model';
import { NonFiniteGuard } from './non-finite';
import { AdamW, clipByGlobalNorm } from './optimizer';
import { PairSampler } from './pair-sampler';
import { preparePairs, type PairCache } from './prepared-pairs';
import { evaluatePreferenceBatch, supervisedGradients, type LossTerm, type PreferenceObjective } from './preference-step';
import { CheckpointManager, loadResumePoint, type ResumePoint, type TrainingPhase, type TrainingSnapshot } from './training-state';

export interface TrainOptions {
  /** A resolved configuration (see resolveRunConfig). */
  config: RunConfig;
  /** Where loss, transform and scheduler plugins are looked up. */
  registry: PluginRegistry;
  /**
   * Run directory; checkpoints go to `<outDir>/checkpoint-<step>/`, the newest named by `<outDir>/latest`.
   * Without it no checkpoint is written.
   */
  outDir?: string;
  runId?: string;
  /** Continue from the newest checkpoint in outDir (from the start when there is none yet). The config must be the interrupted run's. */
  resume?: boolean;
  /** Aborting stops the run after the current optimizer step; the checkpoint, final eval and runEnd still follow. */
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
  if (config.training.batchSize < 2 && terms.some((term) => term.loss.requiresMismatchedPairs)) {
    const names = terms.filter((term) => term.loss.requiresMismatchedPairs).map((term) => term.loss.name).join(', ');
    const message = `${names} estimates the KL divergence from other pairs in the batch, but the batch size is 1, so the estimate uses the pair's own responses; use a batch size of 2 or more.`;
    emit(createEvent('warning', { message, source: 'trainer' }));
  }

  // Backend and model: the built-in model, or a pretrained one whose tokenizer the data needs.
  const backend = await selectBackend(config.backend);
  if (config.preflight && config.model.path === undefined) {
    // NOTE: the preflight traces the built-in model; pretrained architectures are not traced yet.
    const preflight = await preflightTraining(backend.name, builtinModelConfig(config), terms, usesReference);
    backend.kernels = { checked: preflight.kernels.length, filled: preflight.filled };
  }
  const { model, weights: loadedWeights } = await createTrainingModel(config);
  if (config.model.path !== undefined && config.training.warmup.steps > 0) {
    const { steps, learningRate } = config.training.warmup;
    const message = `${steps} supervised warm-up steps at learning rate ${learningRate} run on the pretrained model before it becomes the reference; set training.warmup.steps to 0 (--warmup-steps 0) to use the pretrained model itself.`;
    emit(createEvent('warning', { message, source: 'trainer' }));
  }
  const tokenization = {
    maxLength: config.model.maxLength,
    maxPromptLength: config.model.maxPromptLength,
    promptFormat: resolvePromptFormat(model, config.model.promptFormat),
  };

  // Data: read, transform and tokenize both splits (or reuse the pairs of an identical earlier run).
  let trainPairs: TokenizedPair[];
  let evalPairs: TokenizedPair[];
  try {
    const tokenizerId = JSON.stringify([model.architecture, config.model.path ?? null, config.model.tokenizer ?? null]);
    const prepared = await preparePairs(config, transforms, model.tokenizer, tokenizerId, tokenization, emit, options.pairCache);
    trainPairs = prepared.train;
    evalPairs = prepared.eval;
    if (trainPairs.length === 0) {
      throw new RadpoError('data', 'no training pairs are left after reading, transforms and truncation; check the data file and the transforms.');
    }
  } catch (error) {
    tf.dispose(Object.values(loadedWeights));
    throw error;
  }
  // A caller may start every run of a comparison from the same weights, such as a shared warm-up.
  let initialWeights = loadedWeights;
  if (options.initialWeights) {
    tf.dispose(Object.values(loadedWeights));
    initialWeights = cloneWeights(options.initialWeights);
  }

  // When resuming, the checkpoint to continue from replaces the freshly loaded weights.
  if (options.resume && !options.outDir) throw new RadpoError('config', 'resuming needs the run directory (outDir) that contains the checkpoints.');
  const checkpoints = options.outDir ? new CheckpointManager(options.outDir, config.training.keepCheckpoints, model, config) : undefined;
  const resumePoint = options.resume ? await loadResumePoint(options.outDir!, config) : undefined;
  if (options.resume && !resumePoint) {
    emit(createEvent('warning', { message: `${options.outDir} contains no checkpoint yet, so the run starts from the beginning.`, source: 'trainer' }));
  }
  if (resumePoint) tf.dispose(Object.values(initialWeights));
  const weights = resumePoint?.weights ?? initialWeights;
  let reference = resumePoint?.reference;
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
      ...(resumePoint ? { resumedFrom: { path: resumePoint.path, phase: resumePoint.phase, step: resumePoint.step } } : {}),
    }),
  );

  const run: RunContext = { config, emit, control, checkpoints, latest: undefined };
  try {
    if (resumePoint?.phase !== 'train') {
      await supervisedWarmup(run, model, weights, trainPairs, resumePoint);
      if (control.stopRequested) {
        const checkpoint = run.latest ? await saveCheckpoint(run, run.latest) : undefined;
        emit(createEvent('runEnd', { status: 'stopped', steps: 0, durationMs: Date.now() - startedAt, summary: {}, ...(checkpoint ? { checkpoint } : {}) }));
        return;
      }
      // The warmed-up policy, frozen, is the reference. Reference-free losses never build one.
      if (usesReference) reference = cloneWeights(weights);
      if (reference && options.outDir) await saveReferenceCheckpoint(options.outDir, model, reference, config);
    }
    // Reference log-probs of every pair, computed once or read from the disk cache, when
    // reference.precompute calls for it; else each batch runs the reference. The reference weights stay
    // either way, because checkpoints save them for resuming and kto scores mismatched pairs with them.
    const referenceTable =
      reference && shouldPrecomputeReference(config, trainPairs.length)
        ? precomputeReference(config, model, reference, [...trainPairs, ...evalPairs], options.outDir, emit)
        : undefined;
    const objective: PreferenceObjective = { model, terms, reference, referenceTable };
    const resumeTraining = resumePoint?.phase === 'train' ? resumePoint : undefined;
    const pool = await startDataParallel(config, registry, backend.name, objective);
    let steps: number;
    try {
      steps = await preferenceTraining(run, objective, weights, trainPairs, evalPairs, schedule, resumeTraining, pool);
    } finally {
      await pool?.close();
    }

    const checkpoint = run.latest ? await saveCheckpoint(run, run.latest) : undefined;
    if (options.outDir) {
      // The final policy in the model's own format: a Hugging Face directory for pretrained architectures.
      const metadata = { format: 'radpo-checkpoint', formatVersion: 1, step: steps, phase: 'train', model: model.config, runConfig: config } as const;
      await saveModelCheckpoint(path.join(options.outDir, FINAL_MODEL_DIR), model, weights, metadata);
    }
    const summary = evaluate(config, objective, weights, evalPairs, steps, emit);
    emit(
      createEvent('runEnd', {
        status: control.stopRequested ? 'stopped' : 'completed',
        steps,
        durationMs: Date.now() - startedAt,
        summary,
        skippedBatches: run.latest?.skippedBatches ?? 0,
        ...(checkpoint ? { checkpoint } : {}),
      }),
    );
  } finally {
    if (run.latest) run.latest.optimizer.dispose();
    tf.dispose([...Object.values(weights), ...Object.values(reference ?? {})]);
  }
}

/** State shared by every phase: the config, the event sink, the stop flag and the checkpoint writer. */
interface RunContext {
  config: RunConfig;
  emit: Emit;
  control: RunControl;
  checkpoints?: CheckpointManager;
  /** The state at the last completed step; the final checkpoint saves it. Its optimizer is released at the end of the run. */
  latest?: TrainingSnapshot;
}

/** Writes a checkpoint of `snapshot` when the run has an output directory, emits the event and returns its path. */
async function saveCheckpoint(run: RunContext, snapshot: TrainingSnapshot): Promise<string | undefined> {
  if (!run.checkpoints) return undefined;
  const dir = await run.checkpoints.save(snapshot);
  run.emit(createEvent('checkpoint', { step: snapshot.step, path: dir }));
  return dir;
}

/** Makes the phase's optimizer and sampler, restored from `resumePoint` when it is of this phase. */
function startPhase(config: RunConfig, pairs: TokenizedPair[], seed: number, resumePoint: ResumePoint | undefined): { optimizer: AdamW; sampler: PairSampler } {
  const optimizer = createOptimizer(config);
  const sampler = new PairSampler(pairs, seed);
  if (resumePoint) {
    optimizer.importState(resumePoint.optimizerState);
    sampler.importState(resumePoint.sampler);
  }
  return { optimizer, sampler };
}

async function supervisedWarmup(
  run: RunContext,
  model: CausalLanguageModel,
  weights: Weights,
  pairs: TokenizedPair[],
  resumePoint: ResumePoint | undefined,
): Promise<void> {
  const { config, emit, control } = run;
  const { warmup, batchSize, maxGradNorm, checkpointEvery } = config.training;
  if (warmup.steps === 0) return;
  const { optimizer, sampler } = startPhase(config, pairs, config.seed + 1, resumePoint);
  const guard = new NonFiniteGuard(config.training.onNonFinite, () => run.checkpoints?.latest, emit, resumePoint?.skippedBatches);
  const snapshot = (step: number): TrainingSnapshot => ({ phase: 'warmup', step, weights, optimizer, sampler, skippedBatches: guard.skippedBatches });
  let step = resumePoint?.step ?? 0;
  run.latest = snapshot(step);
  try {
    while (step < warmup.steps && !control.stopRequested) {
      const started = Date.now();
      const pairsOfBatch = sampler.next(batchSize);
      const batch = buildSequenceBatch(
        pairsOfBatch.map((pair) => ({ promptIds: pair.promptIds, responseIds: pair.chosenIds })),
        model.tokenizer.padId,
      );
      const { loss, gradients } = supervisedGradients(model, weights, batch);
      const tokens = batch.tokens;
      disposeBatch(batch);

      const clipped = clipByGlobalNorm(gradients, maxGradNorm);
      try {
        const pairIds = pairsOfBatch.map((pair) => pair.id);
        if (guard.check({ phase: 'warmup', step: step + 1, loss, gradNorm: clipped.norm, pairIds })) {
          optimizer.apply(weights, clipped.gradients, warmup.learningRate);
        }
      } finally {
        tf.dispose(Object.values(clipped.gradients));
      }
      step++;
      run.latest = snapshot(step);

      emit(
        createEvent('step', {
          phase: 'warmup',
          step,
          maxSteps: warmup.steps,
          loss,
          learningRate: warmup.learningRate,
          gradNorm: clipped.norm,
          tokens,
          tokensPerSecond: tokens / Math.max(1e-3, (Date.now() - started) / 1000),
          metrics: { 'sft/nll': loss },
          skippedBatches: guard.skippedBatches,
        }),
      );

      // A checkpoint at the last warm-up step too, so that a resume can start preference training directly.
      if (checkpointEvery > 0 && step % checkpointEvery === 0) await saveCheckpoint(run, run.latest);
      await yieldToEventLoop();
    }
  } finally {
    // When stopped, the run still saves this phase's state, so its optimizer lives until the end of the run.
    if (!control.stopRequested) {
      optimizer.dispose();
      run.latest = undefined;
    }
  }
}

/** Returns the number of optimizer steps taken, counting those before a resume. */
async function preferenceTraining(
  run: RunContext,
  objective: PreferenceObjective,
  weights: Weights,
  trainPairs: TokenizedPair[],
  evalPairs: TokenizedPair[],
  schedule: LearningRateSchedule,
  resumePoint: ResumePoint | undefined,
  pool: DataParallelGradients | undefined,
): Promise<number> {
  const { config, emit, control } = run;
  const { maxSteps, batchSize, gradientAccumulationSteps, learningRate: baseRate, maxGradNorm, evalEvery, checkpointEvery } = config.training;
  const { optimizer, sampler } = startPhase(config, trainPairs, config.seed + 2, resumePoint);
  const guard = new NonFiniteGuard(config.training.onNonFinite, () => run.checkpoints?.latest, emit, resumePoint?.skippedBatches);
  const snapshot = (step: number): TrainingSnapshot => ({
    phase: 'train',
    step,
    weights,
    reference: objective.reference,
    optimizer,
    sampler,
    skippedBatches: guard.skippedBatches,
  });
  let step = resumePoint?.step ?? 0;
  // The final checkpoint saves this state even when no step is left to take.
  run.latest = snapshot(step);
  while (step < maxSteps && !control.stopRequested) {
    const started = Date.now();
    const learningRate = schedule.learningRate(step, maxSteps, baseRate);

    // Batches, forward and backward: gradients of the mean loss over every pair of the micro-batches.
    const sums = emptyMetricSums();
    const microBatches = Array.from({ length: gradientAccumulationSteps }, () => sampler.next(batchSize));
    const result = await accumulatePreferenceGradients(objective, weights, microBatches, sums, pool);

    // Clip, check for NaN and infinity, update.
    const clipped = clipByGlobalNorm(result.gradients, maxGradNorm);
    try {
      if (guard.check({ phase: 'train', step: step + 1, loss: result.loss, gradNorm: clipped.norm, pairIds: result.pairIds })) {
        optimizer.apply(weights, clipped.gradients, learningRate);
      }
    } finally {
      tf.dispose(Object.values(clipped.gradients));
    }
    step++;
    run.latest = snapshot(step);

    // Report.
    emit(
      createEvent('step', {
        phase: 'train',
        step,
        maxSteps,
        loss: result.loss,
        learningRate,
        gradNorm: clipped.norm,
        tokens: result.tokens,
        tokensPerSecond: result.tokens / Math.max(1e-3, (Date.now() - started) / 1000),
        metrics: finalizeMetrics(sums),
        skippedBatches: guard.skippedBatches,
      }),
    );

    // Periodic evaluation and checkpoint; the final ones are done by the caller.
    if (evalEvery > 0 && step % evalEvery === 0 && step < maxSteps) evaluate(config, objective, weights, evalPairs, step, emit);
    if (checkpointEvery > 0 && step % checkpointEvery === 0 && step < maxSteps) await saveCheckpoint(run, run.latest);
    await yieldToEventLoop();
  }
  return step;
}

/** Starts the data-parallel workers of preference training when training.dataParallelWorkers is above 0. */
async function startDataParallel(
  config: RunConfig,
  registry: PluginRegistry,
  backendName: string,
  objective: PreferenceObjective,
): Promise<DataParallelGradients | undefined> {
  const workers = config.training.dataParallelWorkers;
  if (workers === 0) return undefined;
  if (config.model.path !== undefined) {
    throw new RadpoError('config', 'training.dataParallelWorkers supports the built-in model only; set it to 0 for a pretrained --model.');
  }
  const mismatched = objective.terms.filter((term) => term.loss.requiresMismatchedPairs).map((term) => term.loss.name);
  if (mismatched.length > 0) {
    throw new RadpoError('config', `training.dataParallelWorkers does not support ${mismatched.join(', ')}, which scores mismatched pairs; set it to 0.`);
  }
  return DataParallelGradients.start({
    workers,
    // Workers use the backend the main thread ended up with, not a possibly different "auto" outcome.
    backend: backendName as BackendChoice,
    model: builtinModelConfig(config),
    terms: config.losses.map((term) => ({
      packageName: registry.get('loss', term.name).packageName,
      name: term.name,
      options: term.options,
      weight: term.weight,
    })),
    reference: objective.reference,
  });
}

/** Computes (or reads from the cache) the reference log-probs of every pair and reports where they came from. */
function precomputeReference(
  config: RunConfig,
  model: CausalLanguageModel,
  reference: Weights,
  pairs: TokenizedPair[],
  outDir: string | undefined,
  emit: Emit,
): ReferenceTable {
  const started = Date.now();
  const table = loadOrComputeReferenceTable({
    model,
    reference,
    pairs,
    batchSize: config.training.evalBatchSize,
    cacheDir: resolveReferenceCacheDir(config.reference.cacheDir, outDir),
    tokenization: { maxLength: config.model.maxLength, maxPromptLength: config.model.maxPromptLength, tokenizer: model.tokenizer.constructor.name },
  });
  emit(createEvent('reference', { pairs: table.size, source: table.source, cachePath: table.cachePath, durationMs: Date.now() - started }));
  return table;
}

/** Resolves reference.precompute: "auto" precomputes when the run draws at least every training pair once. */
function shouldPrecomputeReference(config: RunConfig, trainPairs: number): boolean {
  const { precompute } = config.reference;
  if (precompute !== 'auto') return precompute;
  const { maxSteps, batchSize, gradientAccumulationSteps } = config.training;
  return maxSteps * batchSize * gradientAccumulationSteps >= trainPairs;
}

function builtinModelConfig(config: RunConfig): BuiltinModelConfig {
  return { ...config.model, maxPositions: config.model.maxLength };
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
    const slice = pairs.slice(start, start + config.training.evalBatchSize);
    const batch = buildPairBatch(slice, objective.model.tokenizer.padId);
    const reference = objective.referenceTable?.lookup(slice);
    lossSum += evaluatePreferenceBatch(objective, weights, batch, sums, reference);
    if (reference) tf.dispose([reference.chosen, reference.rejected]);
    disposeBatch(batch);
  }
  const metrics = finalizeMetrics(sums);
  const loss = lossSum / sums.pairs;
  emit(createEvent('eval', { step, pairs: sums.pairs, loss, metrics, ties: sums.ties }));
  return { loss, ...metrics, ties: sums.ties };
}

function createOptimizer(config: RunConfig): AdamW {
  const { adamBeta1, adamBeta2, adamEpsilon, weightDecay } = config.training;
  return new AdamW({ beta1: adamBeta1, beta2: adamBeta2, epsilon: adamEpsilon, weightDecay });
}

function cloneWeights(weights: Weights): Weights {
  return Object.fromEntries(Object.entries(weights).map(([name, tensor]) => [name, tf.clone(tensor)]));
}

/** Lets subscribers (progress bars, signal handlers) run between steps of the otherwise synchronous math. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
