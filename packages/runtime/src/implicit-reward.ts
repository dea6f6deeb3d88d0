import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type PreferenceRecord } from '@radpo/core';
import { tokenizePairs } from '@radpo/data';
import { buildPairBatch, disposeBatch, responseLogProbs, splitPairs } from './batch';
import { readCheckpoint } from './checkpoint';
import { BuiltinTransformer, type BuiltinModelConfig } from './model/builtin-transformer';
import type { Weights } from './model/causal-lm';
import { REFERENCE_CHECKPOINT_DIR } from './reference-checkpoint';

/** A trained run loaded for scoring: the policy, its frozen reference and the run's settings. */
export interface ScoringRun {
  model: BuiltinTransformer;
  policy: Weights;
  reference: Weights;
  /** β of the run's first loss term (default 0.1 when the term sets none). */
  beta: number;
  maxLength: number;
  maxPromptLength: number;
}

const DEFAULT_BETA = 0.1;

/**
 * Loads the run's latest checkpoint (the policy) and `<runDir>/checkpoint-reference` (the reference) with
 * the model settings recorded in them, and β and the length limits from `<runDir>/config.json`.
 * A backend must be selected first. Throws a RadpoError with code `io` naming a missing part.
 */
export async function loadScoringRun(runDir: string): Promise<ScoringRun> {
  const referenceDir = path.join(runDir, REFERENCE_CHECKPOINT_DIR);
  if (!fs.existsSync(referenceDir)) {
    throw new RadpoError(
      'io',
      `"${referenceDir}" not found: implicit rewards need the reference model. radpo saves it there at the start of ` +
        'preference training when the loss uses a reference; retrain the run (with dpo, ipo or slic) to create it.',
    );
  }
  const config = readRunConfig(runDir);
  const policy = await readCheckpoint(runDir);
  const reference = await readCheckpoint(referenceDir);

  const settings = policy.metadata.model as unknown as BuiltinModelConfig & { architecture?: string };
  if (settings.architecture !== undefined && settings.architecture !== 'radpo-builtin-gpt') {
    throw new RadpoError('config', `the checkpoint in ${runDir} is a ${settings.architecture} model; relabel supports radpo-builtin-gpt.`);
  }
  const model = new BuiltinTransformer({
    dModel: settings.dModel,
    nLayers: settings.nLayers,
    nHeads: settings.nHeads,
    dFf: settings.dFf,
    maxPositions: settings.maxPositions,
  });
  const firstTerm = config.losses?.[0];
  const beta = typeof firstTerm?.options?.beta === 'number' ? firstTerm.options.beta : DEFAULT_BETA;
  return {
    model,
    policy: policy.weights,
    reference: reference.weights,
    beta,
    maxLength: config.model?.maxLength ?? settings.maxPositions,
    maxPromptLength: config.model?.maxPromptLength ?? Math.floor(settings.maxPositions / 2),
  };
}

interface SavedRunConfig {
  losses?: { name: string; options?: { beta?: unknown } }[];
  model?: { maxLength?: number; maxPromptLength?: number };
}

function readRunConfig(runDir: string): SavedRunConfig {
  const file = path.join(runDir, 'config.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SavedRunConfig;
  } catch (error) {
    throw new RadpoError('io', `cannot read ${file}: ${(error as Error).message}. Is "${runDir}" a radpo run directory?`, { cause: error });
  }
}

/**
 * Returns the implicit reward β·(log π(y|x) − log π_ref(y|x)) of each pair's chosen and rejected
 * response, with log-probabilities summed over the response tokens after the run's truncation.
 * Records are scored together, so a caller bounds memory by the number of records it passes.
 */
export function implicitRewards(run: ScoringRun, records: PreferenceRecord[], beta = run.beta): { chosen: number[]; rejected: number[] } {
  if (records.length === 0) return { chosen: [], rejected: [] };
  const pairs = tokenizePairs(records, run.model.tokenizer, {
    maxLength: run.maxLength,
    maxPromptLength: run.maxPromptLength,
    keepIdentical: true,
  });
  const batch = buildPairBatch(pairs, run.model.tokenizer.padId);
  try {
    const rewards = tf.tidy(() => {
      const policy = responseLogProbs(run.model, run.policy, batch).summed;
      const reference = responseLogProbs(run.model, run.reference, batch).summed;
      return tf.mul(beta, tf.sub(policy, reference)) as tf.Tensor1D;
    });
    const [chosen, rejected] = splitPairs(rewards, batch.pairs);
    const values = { chosen: Array.from(chosen.dataSync()), rejected: Array.from(rejected.dataSync()) };
    tf.dispose([rewards, chosen, rejected]);
    return values;
  } finally {
    disposeBatch(batch);
  }
}

/** Frees the tensors of a loaded run. */
export function disposeScoringRun(run: ScoringRun): void {
  tf.dispose([...Object.values(run.policy), ...Object.values(run.reference)]);
}
