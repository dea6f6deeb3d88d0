import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError } from '@radpo/core';
import type { Weights } from './model/causal-lm';

/** What a checkpoint directory stores besides the weights. */
export interface CheckpointMetadata {
  format: 'radpo-checkpoint';
  formatVersion: 1;
  step: number;
  phase: 'warmup' | 'train';
  model: Record<string, unknown>;
  runConfig: unknown;
}

interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset in float32 elements into weights.bin. */
  offset: number;
}

/**
 * Writes a checkpoint as `dir/checkpoint.json` (metadata and tensor manifest) and `dir/weights.bin`
 * (little-endian float32). The files go to a temporary sibling folder first, which is renamed into
 * place, so a crash never leaves a half-written checkpoint under the final name.
 */
export async function writeCheckpoint(dir: string, weights: Weights, metadata: CheckpointMetadata): Promise<void> {
  const names = Object.keys(weights).sort();
  const entries: TensorEntry[] = [];
  let total = 0;
  for (const name of names) {
    entries.push({ name, shape: weights[name].shape, offset: total });
    total += weights[name].size;
  }
  const buffer = new Float32Array(total);
  for (const entry of entries) buffer.set(await weights[entry.name].data<'float32'>(), entry.offset);

  const temporary = `${dir}.tmp-${process.pid}`;
  await fs.promises.rm(temporary, { recursive: true, force: true });
  await fs.promises.mkdir(temporary, { recursive: true });
  await fs.promises.writeFile(path.join(temporary, 'weights.bin'), Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  await fs.promises.writeFile(
    path.join(temporary, 'checkpoint.json'),
    JSON.stringify({ ...metadata, tensors: entries }, null, 2) + '\n',
  );

  const previous = `${dir}.old-${process.pid}`;
  const hadPrevious = fs.existsSync(dir);
  if (hadPrevious) await fs.promises.rename(dir, previous);
  await fs.promises.rename(temporary, dir);
  if (hadPrevious) await fs.promises.rm(previous, { recursive: true, force: true });
}

/** Reads a checkpoint written by writeCheckpoint. */
export async function readCheckpoint(dir: string): Promise<{ weights: Weights; metadata: CheckpointMetadata }> {
  const manifestPath = path.join(dir, 'checkpoint.json');
  let manifest: CheckpointMetadata & { tensors: TensorEntry[] };
  try {
    manifest = JSON.parse(await fs.promises.readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw new RadpoError('io', `cannot read checkpoint ${manifestPath}: ${(error as Error).message}`, { cause: error });
  }
  if (manifest.format !== 'radpo-checkpoint') {
    throw new RadpoError('io', `${manifestPath} is not a radpo checkpoint (format is ${JSON.stringify(manifest.format)}).`);
  }
  const bytes = await fs.promises.readFile(path.join(dir, 'weights.bin'));
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const weights: Weights = {};
  for (const entry of manifest.tensors) {
    const size = entry.shape.reduce((product, dimension) => product * dimension, 1);
    if (entry.offset + size > values.length) {
      throw new RadpoError('io', `${dir}/weights.bin is too short for tensor "${entry.name}" (shape ${JSON.stringify(entry.shape)}).`);
    }
    weights[entry.name] = tf.tensor(values.slice(entry.offset, entry.offset + size), entry.shape);
  }
  const { tensors: _tensors, ...metadata } = manifest;
  return { weights, metadata };
}
