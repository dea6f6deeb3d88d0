import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError } from '@radpo/core';
import type { Weights } from './model/causal-lm';

/** Metadata a checkpoint directory stores besides the weights. */
export interface CheckpointMetadata {
  format: 'radpo-checkpoint';
  formatVersion: 1;
  step: number;
  phase: 'warmup' | 'train';
  model: Record<string, unknown>;
  runConfig: unknown;
  /** Resume state (optimizer step, data position, ...); see training-state.ts. Absent in weights-only checkpoints. */
  training?: unknown;
}

/** Named sets of tensors stored beside the weights, such as the reference weights or the optimizer moments. */
export type TensorGroups = Record<string, Weights>;

interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset in float32 elements into the group's .bin file. */
  offset: number;
}

interface CheckpointManifest extends CheckpointMetadata {
  tensors: TensorEntry[];
  groups?: Record<string, TensorEntry[]>;
}

/** Name of the file in a run directory that names its newest checkpoint directory. */
export const LATEST_CHECKPOINT_FILE = 'latest';

const GROUP_NAME = /^[a-z][a-z0-9.-]*$/i;

/**
 * Writes a checkpoint as `dir/checkpoint.json` (metadata and tensor manifests), `dir/weights.bin`
 * and one `dir/<group>.bin` per tensor group (little-endian float32). The files go to a temporary
 * sibling folder first, which is renamed into place, so a crash never leaves a half-written
 * checkpoint under the final name.
 */
export async function writeCheckpoint(dir: string, weights: Weights, metadata: CheckpointMetadata, groups: TensorGroups = {}): Promise<void> {
  const temporary = `${dir}.tmp-${process.pid}`;
  await fs.promises.rm(temporary, { recursive: true, force: true });
  await fs.promises.mkdir(temporary, { recursive: true });

  const tensors = await writeTensorFile(path.join(temporary, 'weights.bin'), weights);
  const groupEntries: Record<string, TensorEntry[]> = {};
  for (const [group, groupTensors] of Object.entries(groups)) {
    if (!GROUP_NAME.test(group) || group === 'weights') {
      throw new RadpoError('io', `invalid checkpoint tensor group name "${group}": expected letters, digits, dots and dashes, other than "weights".`);
    }
    groupEntries[group] = await writeTensorFile(path.join(temporary, `${group}.bin`), groupTensors);
  }
  const manifest: CheckpointManifest = { ...metadata, tensors, ...(Object.keys(groupEntries).length > 0 ? { groups: groupEntries } : {}) };
  await fs.promises.writeFile(path.join(temporary, 'checkpoint.json'), JSON.stringify(manifest, null, 2) + '\n');

  const previous = `${dir}.old-${process.pid}`;
  const hadPrevious = fs.existsSync(dir);
  if (hadPrevious) await fs.promises.rename(dir, previous);
  await fs.promises.rename(temporary, dir);
  if (hadPrevious) await fs.promises.rm(previous, { recursive: true, force: true });
}

/**
 * Reads a checkpoint written by writeCheckpoint. `dir` is the checkpoint directory itself, or a run
 * directory whose `latest` file names one.
 */
export async function readCheckpoint(dir: string): Promise<{ weights: Weights; metadata: CheckpointMetadata; groups: TensorGroups }> {
  const checkpointDir = resolveCheckpointDir(dir);
  const manifestPath = path.join(checkpointDir, 'checkpoint.json');
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(await fs.promises.readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw new RadpoError('io', `cannot read checkpoint ${manifestPath}: ${(error as Error).message}`, { cause: error });
  }
  if (manifest.format !== 'radpo-checkpoint') {
    throw new RadpoError('io', `${manifestPath} is not a radpo checkpoint (format is ${JSON.stringify(manifest.format)}).`);
  }

  const weights = await readTensorFile(path.join(checkpointDir, 'weights.bin'), manifest.tensors);
  const groups: TensorGroups = {};
  try {
    for (const [group, entries] of Object.entries(manifest.groups ?? {})) {
      groups[group] = await readTensorFile(path.join(checkpointDir, `${group}.bin`), entries);
    }
  } catch (error) {
    tf.dispose([...Object.values(weights), ...Object.values(groups).flatMap((tensors) => Object.values(tensors))]);
    throw error;
  }
  const { tensors: _tensors, groups: _groups, ...metadata } = manifest;
  return { weights, metadata, groups };
}

/**
 * Returns the checkpoint directory `dir` names: `dir` itself when it contains checkpoint.json, else the
 * directory that `dir/latest` points to. Throws when neither exists.
 */
export function resolveCheckpointDir(dir: string): string {
  if (fs.existsSync(path.join(dir, 'checkpoint.json'))) return dir;
  const latest = readLatestPointer(dir);
  if (latest === undefined) {
    throw new RadpoError('io', `${dir} contains no checkpoint: neither checkpoint.json nor a "${LATEST_CHECKPOINT_FILE}" file was found.`);
  }
  return path.join(dir, latest);
}

/** Returns the checkpoint directory name stored in `runDir/latest`, or undefined when there is none. */
export function readLatestPointer(runDir: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runDir, LATEST_CHECKPOINT_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RadpoError('io', `cannot read ${path.join(runDir, LATEST_CHECKPOINT_FILE)}: ${(error as Error).message}`, { cause: error });
  }
  const name = text.trim();
  if (name === '' || name.includes('/') || name.includes('\\') || name.startsWith('.')) {
    throw new RadpoError('io', `${path.join(runDir, LATEST_CHECKPOINT_FILE)} should name a checkpoint directory such as "checkpoint-12", but contains ${JSON.stringify(text)}.`);
  }
  return name;
}

/** Points `runDir/latest` at the checkpoint directory `name`, atomically: a reader sees the old or the new name, never a partial one. */
export function writeLatestPointer(runDir: string, name: string): void {
  const target = path.join(runDir, LATEST_CHECKPOINT_FILE);
  const temporary = `${target}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, name + '\n');
  fs.renameSync(temporary, target);
}

async function writeTensorFile(file: string, tensors: Weights): Promise<TensorEntry[]> {
  const names = Object.keys(tensors).sort();
  const entries: TensorEntry[] = [];
  let total = 0;
  for (const name of names) {
    entries.push({ name, shape: tensors[name].shape, offset: total });
    total += tensors[name].size;
  }
  const buffer = new Float32Array(total);
  for (const entry of entries) buffer.set(await tensors[entry.name].data<'float32'>(), entry.offset);
  await fs.promises.writeFile(file, Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  return entries;
}

async function readTensorFile(file: string, entries: TensorEntry[]): Promise<Weights> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (error) {
    throw new RadpoError('io', `cannot read checkpoint tensors ${file}: ${(error as Error).message}`, { cause: error });
  }
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const values = new Float32Array(new Uint8Array(bytes).buffer);
  const tensors: Weights = {};
  for (const entry of entries) {
    const size = entry.shape.reduce((product, dimension) => product * dimension, 1);
    if (entry.offset + size > values.length) {
      tf.dispose(Object.values(tensors));
      throw new RadpoError('io', `${file} is too short for tensor "${entry.name}" (shape ${JSON.stringify(entry.shape)}).`);
    }
    tensors[entry.name] = tf.tensor(values.slice(entry.offset, entry.offset + size), entry.shape);
  }
  return tensors;
}
