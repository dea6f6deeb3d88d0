import { RadpoError } from '@radpo/core';
import type { BuiltinModelConfig } from '../model/builtin-transformer';

/** One benchmark workload: a model shape and one preference step's batch. */
export interface BenchPreset {
  name: string;
  description: string;
  model: BuiltinModelConfig;
  /** Preference pairs per step; each pair is two sequences (chosen and rejected). */
  pairs: number;
  /** Tokens per sequence, prompt included. */
  sequenceLength: number;
  /** Prompt tokens at the start of each sequence; the rest is the response that the loss scores. */
  promptLength: number;
  /** β of the DPO loss. */
  beta: number;
  /** Adam learning rate. */
  learningRate: number;
}

/**
 * Benchmark presets. `bench-small` is the workload of radpo bench's PyTorch reference script
 * (`--torch-script`): a GPT-2-style decoder with vocab 512, d_model 256,
 * 4 layers, 4 heads, MLP 4×, learned positions and tied input/output embeddings; 4 pairs = 8 sequences
 * of 128 tokens (prompt 32, response 96); policy forward and backward, reference forward, DPO loss,
 * Adam update. `bench-tiny` is the same step on a model small enough for tests.
 */
export const BENCH_PRESETS: Readonly<Record<string, BenchPreset>> = {
  'bench-small': {
    name: 'bench-small',
    description: 'GPT-2-style, vocab 512, d_model 256, 4 layers, 4 heads, seq 128, 4 pairs per step, DPO with a reference forward',
    model: { vocabSize: 512, dModel: 256, nLayers: 4, nHeads: 4, maxPositions: 128, tieEmbeddings: true },
    pairs: 4,
    sequenceLength: 128,
    promptLength: 32,
    beta: 0.1,
    learningRate: 1e-4,
  },
  'bench-tiny': {
    name: 'bench-tiny',
    description: 'bench-small step on a small model (vocab 512, d_model 32, 1 layer, seq 32), for tests',
    model: { vocabSize: 512, dModel: 32, nLayers: 1, nHeads: 2, maxPositions: 32, tieEmbeddings: true },
    pairs: 2,
    sequenceLength: 32,
    promptLength: 8,
    beta: 0.1,
    learningRate: 1e-4,
  },
};

/** Returns the named preset; an unknown name is an error that lists the known ones. */
export function getBenchPreset(name: string): BenchPreset {
  const preset = BENCH_PRESETS[name];
  if (!preset) {
    throw new RadpoError('config', `unknown benchmark preset "${name}"; available: ${Object.keys(BENCH_PRESETS).join(', ')}.`);
  }
  return preset;
}
