import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError } from '@radpo/core';
import { readCheckpoint, readLatestPointer, writeCheckpoint, writeLatestPointer, type TensorGroups } from './checkpoint';
import type { RunConfig } from './config';
import type { CausalLanguageModel, Weights } from './model/causal-lm';
import type { AdamW, AdamWState } from './optimizer';
import type { PairSampler, PairSamplerState } from './pair-sampler';

export type TrainingPhase = 'warmup' | 'train';

/**
 * Everything a resumed run needs besides tensors, stored as `training` in checkpoint.json. The
 * learning-rate schedule is a function of the optimizer step, so `step` is its position too.
 */
export interface TrainingStateRecord {
  phase: TrainingPhase;
  /** Optimizer steps completed in this phase. */
  step: number;
  /** AdamW's own step count, which sets its bias correction. */
  optimizerStep: number;
  /** The data order and position of this phase's sampler. */
  sampler: PairSamplerState;
  /** Batches of this phase skipped because of a non-finite loss or gradient. */
  skippedBatches: number;
}

/** The live objects of the current phase at a step boundary: what a checkpoint saves. */
export interface TrainingSnapshot {
  phase: TrainingPhase;
  step: number;
  weights: Weights;
  /** The frozen reference; absent in the warm-up and for reference-free losses. */
  reference?: Weights;
  optimizer: AdamW;
  sampler: PairSampler;
  skippedBatches: number;
}

/** A checkpoint loaded for resuming. The caller owns its tensors. */
export interface ResumePoint {
  /** The checkpoint directory. */
  path: string;
  phase: TrainingPhase;
  step: number;
  weights: Weights;
  reference?: Weights;
  optimizerState: AdamWState;
  sampler: PairSamplerState;
  skippedBatches: number;
}

const FIRST_MOMENTS = 'adam-first-moments';
const SECOND_MOMENTS = 'adam-second-moments';
const REFERENCE = 'reference';
const CHECKPOINT_NAME = /^checkpoint-(warmup-)?(\d+)$/;
const LEFTOVER_NAME = /^(checkpoint-(warmup-)?\d+\.(tmp|old)-\d+|latest\.tmp-\d+)$/;

/** Returns the directory name of a checkpoint: `checkpoint-<step>` in preference training, `checkpoint-warmup-<step>` in the warm-up. */
export function checkpointName(phase: TrainingPhase, step: number): string {
  return phase === 'warmup' ? `checkpoint-warmup-${step}` : `checkpoint-${step}`;
}

/**
 * Writes full training checkpoints into a run directory and keeps the newest `keep` of them. Each
 * checkpoint is written atomically (see writeCheckpoint) before `latest` is pointed at it, and older
 * ones are removed only after that, so a kill at any moment leaves `latest` naming a complete checkpoint.
 */
export class CheckpointManager {
  private lastPath?: string;

  constructor(
    private readonly runDir: string,
    private readonly keep: number,
    private readonly model: CausalLanguageModel,
    private readonly config: RunConfig,
  ) {
    if (!Number.isInteger(keep) || keep < 1) {
      throw new RadpoError('config', `training.keepCheckpoints must be a positive integer, got ${keep}.`);
    }
    removeLeftovers(runDir);
    const latest = readLatestPointer(runDir);
    if (latest !== undefined) this.lastPath = path.join(runDir, latest);
  }

  /** The newest complete checkpoint of this run directory, if any. */
  get latest(): string | undefined {
    return this.lastPath;
  }

  /** Writes a checkpoint of `snapshot`, points `latest` at it, prunes older ones and returns its path. */
  async save(snapshot: TrainingSnapshot): Promise<string> {
    const name = checkpointName(snapshot.phase, snapshot.step);
    const dir = path.join(this.runDir, name);
    // The same phase and step as `latest` means the same state (a resume that took no step). Writing it
    // again would replace the directory `latest` names, and a kill in between would leave it missing.
    if (this.lastPath === dir && fs.existsSync(path.join(dir, 'checkpoint.json'))) return dir;
    const optimizerState = snapshot.optimizer.exportState();
    const training: TrainingStateRecord = {
      phase: snapshot.phase,
      step: snapshot.step,
      optimizerStep: optimizerState.step,
      sampler: snapshot.sampler.exportState(),
      skippedBatches: snapshot.skippedBatches,
    };
    const groups: TensorGroups = {
      [FIRST_MOMENTS]: optimizerState.firstMoments,
      [SECOND_MOMENTS]: optimizerState.secondMoments,
    };
    if (snapshot.reference) groups[REFERENCE] = snapshot.reference;

    await writeCheckpoint(
      dir,
      snapshot.weights,
      { format: 'radpo-checkpoint', formatVersion: 1, step: snapshot.step, phase: snapshot.phase, model: this.model.config, runConfig: this.config, training },
      groups,
    );
    writeLatestPointer(this.runDir, name);
    this.lastPath = dir;
    this.prune(name);
    return dir;
  }

  /** Removes every checkpoint but the `keep` newest up to `current`, including ones past it left by an earlier, interrupted attempt. */
  private prune(current: string): void {
    const ordered = listCheckpoints(this.runDir);
    const currentIndex = ordered.indexOf(current);
    if (currentIndex < 0) return;
    const kept = new Set(ordered.slice(Math.max(0, currentIndex - this.keep + 1), currentIndex + 1));
    for (const name of ordered) {
      if (!kept.has(name)) fs.rmSync(path.join(this.runDir, name), { recursive: true, force: true });
    }
  }
}

/**
 * Loads the checkpoint that `runDir/latest` names, for resuming. Returns undefined when the run
 * directory has no checkpoint yet (the run was killed before its first one). Throws when the
 * checkpoint contains no training state or was written with another configuration.
 */
export async function loadResumePoint(runDir: string, config: RunConfig): Promise<ResumePoint | undefined> {
  removeLeftovers(runDir);
  const latest = readLatestPointer(runDir);
  if (latest === undefined) return undefined;
  const dir = path.join(runDir, latest);
  const { weights, metadata, groups } = await readCheckpoint(dir);
  const release = () => tf.dispose([...Object.values(weights), ...Object.values(groups).flatMap((tensors) => Object.values(tensors))]);

  const training = metadata.training as TrainingStateRecord | undefined;
  if (!training || !groups[FIRST_MOMENTS] || !groups[SECOND_MOMENTS]) {
    release();
    throw new RadpoError('io', `${dir} contains weights only, without the optimizer and data state needed to resume.`);
  }
  const changed = differingKeys(metadata.runConfig, config);
  if (changed.length > 0) {
    release();
    throw new RadpoError(
      'config',
      `${dir} was written with another configuration (differences at ${changed.join(', ')}); resume needs the configuration of the interrupted run.`,
    );
  }
  return {
    path: dir,
    phase: training.phase,
    step: training.step,
    weights,
    reference: groups[REFERENCE],
    optimizerState: { step: training.optimizerStep, firstMoments: groups[FIRST_MOMENTS], secondMoments: groups[SECOND_MOMENTS] },
    sampler: training.sampler,
    skippedBatches: training.skippedBatches,
  };
}

/** Checkpoint directory names in a run directory, oldest first: warm-up ones, then preference ones, each by step. */
export function listCheckpoints(runDir: string): string[] {
  if (!fs.existsSync(runDir)) return [];
  const order = (name: string): [number, number] => {
    const match = CHECKPOINT_NAME.exec(name)!;
    return [match[1] ? 0 : 1, Number(match[2])];
  };
  return fs
    .readdirSync(runDir)
    .filter((name) => CHECKPOINT_NAME.test(name))
    .sort((a, b) => {
      const [phaseA, stepA] = order(a);
      const [phaseB, stepB] = order(b);
      return phaseA - phaseB || stepA - stepB;
    });
}

/** Removes temporary folders and pointer files that a killed process left half-written. */
function removeLeftovers(runDir: string): void {
  if (!fs.existsSync(runDir)) return;
  for (const name of fs.readdirSync(runDir)) {
    if (LEFTOVER_NAME.test(name)) fs.rmSync(path.join(runDir, name), { recursive: true, force: true });
  }
}

/** Dotted paths at which two JSON values differ; the backend may change between attempts. */
function differingKeys(saved: unknown, current: unknown, prefix = ''): string[] {
  if (prefix === 'backend') return [];
  const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object';
  if (isObject(saved) && isObject(current) && Array.isArray(saved) === Array.isArray(current)) {
    const keys = new Set([...Object.keys(saved), ...Object.keys(current)]);
    return [...keys].flatMap((key) => differingKeys(saved[key], current[key], prefix ? `${prefix}.${key}` : key));
  }
  return JSON.stringify(saved) === JSON.stringify(current) ? [] : [prefix || '(top level)'];
}
