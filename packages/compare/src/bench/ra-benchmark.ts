import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Conversation, DataTransform, PluginRegistry, PreferenceRecord } from '@radpo/core';
import { createRng, readAllPreferenceRecords, scoreSyntheticAttributes, scoreSyntheticResponse } from '@radpo/data';
import { BuiltinTransformer, FINAL_MODEL_DIR, readCheckpoint, resolveRunConfig, type CausalLanguageModel, type Weights } from '@radpo/runtime';
import { conditionPrompt, renderCondition } from '@radpo/plugin-reward-augment';
import type { PlannedRun } from '../matrix';
import type { AfterRun } from '../runner';
import { formatNumber } from '../report/table';
import type { RaBenchmarkOptions } from './options';
import { generate, mean, promptIds, readReference, type PreparedBenchmark } from './prepare';
import { sequenceLogProbs } from './sampling';

/** Training data of a benchmark run: the plain pairs, the same pairs reward-augmented, or listed twice. */
export type RaVariant = 'plain' | 'augment' | 'doubled';

/** Metrics the benchmark adds to each run's summary.json, in report order. */
export const RA_METRICS = [
  'bench/score',
  'bench/winRate',
  'bench/unlearning',
  'bench/unlearningOwnScore',
  'bench/correctness',
  'bench/completeness',
  'bench/format',
  'rewards/accuracies',
  'bench/highRejected',
];

/** Plans the benchmark's runs: algorithms × variants × seeds, each starting from the reference checkpoint. */
export function planRaBenchmark(prepared: PreparedBenchmark): PlannedRun[] {
  const { options } = prepared;
  const variants: RaVariant[] = options.doubledControl ? ['plain', 'augment', 'doubled'] : ['plain', 'augment'];
  const runs: PlannedRun[] = [];
  for (const algorithm of options.algorithms) {
    for (const variant of variants) {
      const group = variant === 'plain' ? algorithm : `${algorithm}-${variant}`;
      for (const seed of options.seeds) {
        const files = prepared.files[String(seed)];
        const config = resolveRunConfig(
          {
            seed,
            backend: options.backend,
            losses: [{ name: algorithm }],
            transforms: variant === 'augment' ? [{ name: 'reward-augment', options: augmentOptions(options) }] : [],
            data: { train: variant === 'doubled' ? files.doubled : files.train, eval: files.eval },
            model: runModel(options),
            training: { ...options.training, warmup: { steps: 0 } },
          },
          `benchmark run ${group}/seed-${seed}`,
        );
        runs.push({
          id: `${group}/seed-${seed}`,
          group,
          seed,
          labels: { algorithm, data: variant },
          config,
          // A pretrained model is its own reference: the run loads it from model.path.
          initialCheckpoint: options.pretrained ? undefined : prepared.referenceCheckpoint,
        });
      }
    }
  }
  return runs;
}

/** Builds the runs' model config: the built-in model's sizes, or the pretrained model with raw prompts (story text as it was trained on). */
function runModel(options: RaBenchmarkOptions): Record<string, unknown> {
  if (!options.pretrained) return options.model;
  const { maxLength, maxPromptLength } = options.model;
  return { path: options.pretrained.path, tokenizer: options.pretrained.tokenizer, promptFormat: 'raw', maxLength, maxPromptLength };
}

function augmentOptions(options: RaBenchmarkOptions): Record<string, unknown> {
  return { template: options.augment.template, placement: options.augment.placement };
}

/** Returns the lines under the report's title: how the benchmark was set up and what the reference scores. */
export function raBenchmarkNotes(prepared: PreparedBenchmark): string[] {
  const { options } = prepared;
  return [
    `Ground truth: the letter-sorting score (1-10) of each generation on ${prepared.heldOut.length} held-out prompts at temperature ` +
      `${options.evalTemperature}. The reference policy scores ${formatNumber(prepared.referenceScore)} on them, and ` +
      `${formatNumber(prepared.referenceConditionedScore)} when they are conditioned on the top score as augmented runs see them.`,
    `bench/winRate: share of held-out prompts where the policy's generation scores above the reference's (ties count half). ` +
      `bench/unlearning: mean change over training of the summed log-probability of training rejected responses scoring >= ${options.highScore} ` +
      `(bench/highRejected of them), under each run's own evaluation prompt; negative means the policy unlearned them. ` +
      `bench/unlearningOwnScore (augmented runs only): the same change with each response's prompt conditioned on its own score.`,
    `Each run starts from the reference (${options.reference.steps} supervised steps on mixed-quality responses) and trains ` +
      `${options.training.maxSteps} steps of ${options.training.batchSize} pairs; pairs are the best of ${options.samplesPerPrompt} reference samples ` +
      `against a random other one, per seed.`,
  ];
}

/**
 * Scores a finished benchmark run. It generates on the held-out prompts, which augmented runs condition
 * on the top score through the transform's eval conditioning. The ground truth scores the generations,
 * which are compared with the reference's. Last, it measures the unlearning of high-scoring rejected responses.
 */
export function raBenchmarkAfterRun(prepared: PreparedBenchmark, registry: PluginRegistry): AfterRun {
  let reference: Promise<Weights> | undefined;
  return async (run, runDir, note) => {
    reference ??= readReference(prepared);
    const referenceWeights = await reference;
    const { options } = prepared;
    const model = new BuiltinTransformer({ ...options.model, maxPositions: options.model.maxLength });
    const policy = (await readCheckpoint(path.join(runDir, FINAL_MODEL_DIR))).weights;
    try {
      const transforms = run.config.transforms.map((transform) => registry.create('transform', transform.name, transform.options));
      const condition = (prompts: string[]) => conditionForEval(prompts, transforms);

      note('generating on the held-out prompts');
      const heldOutPrompts = await condition(prepared.heldOut.map((entry) => entry.prompt));
      const generations = generate(model, policy, heldOutPrompts, options.evalTemperature, options, createRng(run.seed * 104729 + 7));
      const scores = generations.map((text, index) => scoreSyntheticResponse(prepared.heldOut[index].prompt, text));
      const attributes = generations.map((text, index) => scoreSyntheticAttributes(prepared.heldOut[index].prompt, text));
      const wins = scores.map((score, index) => winValue(score, prepared.heldOut[index].referenceScore));
      fs.writeFileSync(
        path.join(runDir, 'generations.jsonl'),
        generations.map((text, index) => JSON.stringify({ prompt: heldOutPrompts[index], response: text, score: scores[index] })).join('\n') + '\n',
      );

      note('measuring the log-probability of high-scoring rejected responses');
      const high = (await readAllPreferenceRecords(prepared.files[String(run.seed)].train, {})).filter(
        (record) => (record.scores?.rejected ?? -Infinity) >= options.highScore,
      );
      const idsOf = (prompt: Conversation) => promptIds(model, prompt, options);
      const unlearning = await logProbChange(model, policy, referenceWeights, high, condition, idsOf);
      // Augmented data marks a good rejected response as preferred under its own score, so its change
      // under that score is measured too; plain runs never see scores in prompts.
      const ownScore = run.labels.data === 'augment'
        ? await logProbChange(model, policy, referenceWeights, high, async () => high.map((record) => ownScorePrompt(record, options)), idsOf)
        : Number.NaN;

      return {
        'bench/score': mean(scores),
        'bench/winRate': mean(wins),
        'bench/unlearning': unlearning,
        'bench/unlearningOwnScore': ownScore,
        'bench/correctness': mean(attributes.map((entry) => entry.correctness)),
        'bench/completeness': mean(attributes.map((entry) => entry.completeness)),
        'bench/format': mean(attributes.map((entry) => entry.format)),
        'bench/highRejected': high.length,
      };
    } finally {
      tf.dispose(Object.values(policy));
    }
  };
}

/** Conditions a record's prompt on its rejected response's score, as the augmented data's swapped copy does. */
export function ownScorePrompt(record: PreferenceRecord, options: RaBenchmarkOptions): Conversation {
  const condition = renderCondition(options.augment.template, record.scores!.rejected, 1, 10);
  return conditionPrompt(record.prompt, condition, options.augment.placement) ?? record.prompt;
}

/** Returns 1 for a win over the reference, 0.5 for a tie and 0 for a loss. */
export function winValue(score: number, referenceScore: number): number {
  if (score > referenceScore) return 1;
  if (score === referenceScore) return 0.5;
  return 0;
}

/** Applies each transform's eval conditioning to bare prompts, as the trainer does to held-out records. */
export async function conditionForEval(prompts: string[], transforms: DataTransform[]): Promise<Conversation[]> {
  let records: PreferenceRecord[] = prompts.map((prompt, index) => ({ id: `prompt-${index}`, prompt, chosen: 'a', rejected: 'b' }));
  for (const transform of transforms) {
    if (!transform.applyEval) continue;
    const conditioned: PreferenceRecord[] = [];
    for await (const record of transform.applyEval(iterate(records), { split: 'eval', warn: () => undefined })) conditioned.push(record);
    records = conditioned;
  }
  return records.map((record) => record.prompt);
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

/** Mean of (policy − reference) summed log-probability of the rejected responses, EOS included; NaN without any. */
export async function logProbChange(
  model: CausalLanguageModel,
  policy: Weights,
  reference: Weights,
  records: PreferenceRecord[],
  condition: (prompts: string[]) => Promise<Conversation[]>,
  promptIdsOf: (prompt: Conversation) => number[],
): Promise<number> {
  if (records.length === 0) return Number.NaN;
  const prompts = await condition(records.map((record) => record.prompt as string));
  const eos = model.tokenizer.eosId !== undefined ? [model.tokenizer.eosId] : [];
  const sequences = records.map((record, index) => ({
    promptIds: promptIdsOf(prompts[index]),
    responseIds: [...model.tokenizer.encode(record.rejected as string), ...eos],
  }));
  const after = sequenceLogProbs(model, policy, sequences, 64);
  const before = sequenceLogProbs(model, reference, sequences, 64);
  return mean(after.map((value, index) => value - before[index]));
}
