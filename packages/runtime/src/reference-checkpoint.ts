import * as path from 'node:path';
import { writeCheckpoint } from './checkpoint';
import type { RunConfig } from './config';
import type { CausalLanguageModel, Weights } from './model/causal-lm';

/** Folder of a run directory that stores the frozen reference model (the warmed-up policy). */
export const REFERENCE_CHECKPOINT_DIR = 'checkpoint-reference';

/**
 * Saves the reference weights as `<outDir>/checkpoint-reference`, so that implicit rewards
 * β·log(π/π_ref) can be computed after the run (radpo relabel). The reference is the warmed-up
 * policy at the start of preference training, which no other checkpoint keeps.
 */
export async function saveReferenceCheckpoint(outDir: string, model: CausalLanguageModel, reference: Weights, config: RunConfig): Promise<string> {
  const dir = path.join(outDir, REFERENCE_CHECKPOINT_DIR);
  await writeCheckpoint(dir, reference, {
    format: 'radpo-checkpoint',
    formatVersion: 1,
    step: 0,
    phase: 'warmup',
    model: model.config,
    runConfig: config,
  });
  return dir;
}
