import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type Conversation, type PreferenceRecord } from '@radpo/core';
import {
  createRng,
  generateSyntheticPreferences,
  scoreSyntheticResponse,
  tokenizePairs,
  type Rng,
} from '@radpo/data';
import {
  AdamW,
  BuiltinTransformer,
  buildSequenceBatch,
  clipByGlobalNorm,
  disposeBatch,
  readCheckpoint,
  selectBackend,
  supervisedGradients,
  writeCheckpoint,
  type Weights,
} from '@radpo/runtime';
import { conditionPrompt, renderCondition } from '@radpo/plugin-reward-augment';
import { canonicalJson, writeJsonAtomic } from '../run-folder';
import type { RaBenchmarkOptions } from './options';
import { sampleResponses } from './sampling';

/** One prompt with the reference's scored samples. */
export interface ScoredSamples {
  prompt: string;
  responses: Array<{ text: string; score: number }>;
}

/** Files and numbers of a prepared benchmark, written to `<out>/data/benchmark.json`. */
export interface PreparedBenchmark {
  options: RaBenchmarkOptions;
  /** The reference's weights: a radpo checkpoint folder, or the pretrained model file in the on-policy variant. */
  referenceCheckpoint: string;
  /** Per seed: plain pairs, the doubled control and the held-out pairs, as JSONL files. */
  files: Record<string, { train: string; doubled: string; eval: string }>;
  /** Held-out prompts and the reference's generation for each, at evalTemperature. */
  heldOut: Array<{ prompt: string; reference: string; referenceScore: number }>;
  referenceScore: number;
  /** The reference's mean score on the held-out prompts conditioned on the top score, as augmented runs see them. */
  referenceConditionedScore: number;
  /** Training prompts whose samples were all identical, so no pair could be made. */
  skippedPrompts: number;
}

const BENCHMARK_FILE = 'benchmark.json';
/** Prompts per forward pass when sampling. */
const SAMPLING_BATCH = 64;

/**
 * Prepares the benchmark once per output folder: trains the reference, samples and scores responses,
 * and writes the pair files. A folder prepared with the same options is reused. A folder prepared
 * with other options is an error, because its finished runs were trained on other data.
 */
export async function prepareBenchmark(outDir: string, options: RaBenchmarkOptions, note: (message: string) => void): Promise<PreparedBenchmark> {
  const dataDir = path.join(outDir, 'data');
  const manifestFile = path.join(dataDir, BENCHMARK_FILE);
  await selectBackend(options.backend);
  const existing = readPreparedBenchmark(outDir, options);
  if (existing) {
    note(`reusing the reference and pairs in ${dataDir}`);
    return existing;
  }
  fs.mkdirSync(dataDir, { recursive: true });

  // Prompts: training and held-out prompts are disjoint from each other and from the warm-up prompts.
  const warmupRecords = generateSyntheticPreferences({ seed: options.reference.seed, pairs: options.reference.pairs, ...promptShape(options) });
  const { trainPrompts, evalPrompts } = drawPrompts(options, new Set(warmupRecords.map((record) => record.prompt as string)));

  // Reference: supervised training on the warm-up pairs' chosen and rejected responses (mixed quality).
  const model = new BuiltinTransformer({ ...options.model, maxPositions: options.model.maxLength });
  const referenceCheckpoint = path.join(outDir, 'reference', 'checkpoint');
  note(`training the reference: ${options.reference.steps} supervised steps on ${warmupRecords.length * 2} responses of mixed quality`);
  const reference = trainReference(model, warmupRecords, options);
  await writeCheckpoint(referenceCheckpoint, reference, {
    format: 'radpo-checkpoint',
    formatVersion: 1,
    step: options.reference.steps,
    phase: 'warmup',
    model: model.config,
    runConfig: { benchmark: 'ra', reference: options.reference },
  });

  // Samples: samplesPerPrompt responses per prompt from the reference, scored by the ground truth.
  note(`sampling ${options.samplesPerPrompt} responses for each of ${trainPrompts.length + evalPrompts.length} prompts`);
  const rng = createRng(options.reference.seed + 1);
  const trainSamples = sampleScored(model, reference, trainPrompts, options, rng);
  const evalSamples = sampleScored(model, reference, evalPrompts, options, rng);
  writeJsonLines(path.join(dataDir, 'samples.jsonl'), [...trainSamples, ...evalSamples]);

  const referenceEval = generate(model, reference, evalPrompts, options.evalTemperature, options, createRng(options.reference.seed + 2));
  const topCondition = renderCondition(options.augment.template, 10, 1, 10);
  const conditionedEval = evalPrompts.map((prompt) => conditionPrompt(prompt, topCondition, options.augment.placement) ?? prompt);
  const referenceConditioned = generate(model, reference, conditionedEval, options.evalTemperature, options, createRng(options.reference.seed + 2));
  tf.dispose(Object.values(reference));
  const heldOut = evalPrompts.map((prompt, index) => ({
    prompt,
    reference: referenceEval[index],
    referenceScore: scoreSyntheticResponse(prompt, referenceEval[index]),
  }));

  // Pairs: per seed, the best sample against a seeded random other one.
  const files: PreparedBenchmark['files'] = {};
  let skippedPrompts = 0;
  for (const seed of options.seeds) {
    const pairRng = createRng(seed * 7919 + 11);
    const train = buildPairs(trainSamples, pairRng, `train-${seed}`);
    const evalPairs = buildPairs(evalSamples, pairRng, `eval-${seed}`);
    skippedPrompts = trainSamples.length - train.length;
    const names = { train: `train-seed${seed}.jsonl`, doubled: `train-doubled-seed${seed}.jsonl`, eval: `eval-seed${seed}.jsonl` };
    writeJsonLines(path.join(dataDir, names.train), train.map(toRow));
    writeJsonLines(path.join(dataDir, names.doubled), [...train, ...train.map((record) => ({ ...record, id: `${record.id}#copy` }))].map(toRow));
    writeJsonLines(path.join(dataDir, names.eval), evalPairs.map(toRow));
    files[String(seed)] = {
      train: path.join(dataDir, names.train),
      doubled: path.join(dataDir, names.doubled),
      eval: path.join(dataDir, names.eval),
    };
  }

  const prepared: PreparedBenchmark = {
    options,
    referenceCheckpoint,
    files,
    heldOut,
    referenceScore: mean(heldOut.map((entry) => entry.referenceScore)),
    referenceConditionedScore: mean(referenceConditioned.map((text, index) => scoreSyntheticResponse(evalPrompts[index], text))),
    skippedPrompts,
  };
  // Written last: its presence marks the preparation complete.
  writeJsonAtomic(manifestFile, prepared);
  return prepared;
}

/**
 * Reads the manifest of a benchmark already prepared in `outDir`, or returns undefined when there is none.
 * A manifest with other options is an error, because the finished runs beside it were trained on other data.
 */
export function readPreparedBenchmark(outDir: string, options: RaBenchmarkOptions): PreparedBenchmark | undefined {
  const manifestFile = path.join(outDir, 'data', BENCHMARK_FILE);
  if (!fs.existsSync(manifestFile)) return undefined;
  const prepared = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as PreparedBenchmark;
  if (canonicalJson(prepared.options) !== canonicalJson(options)) {
    throw new RadpoError(
      'config',
      `${outDir} holds a benchmark prepared with other options (${manifestFile}). Use another --out, or delete that folder to start over.`,
    );
  }
  return prepared;
}

/** Reads the reference weights of a prepared benchmark. */
export async function readReference(prepared: PreparedBenchmark): Promise<Weights> {
  return (await readCheckpoint(prepared.referenceCheckpoint)).weights;
}

function drawPrompts(options: RaBenchmarkOptions, excluded: Set<string>): { trainPrompts: string[]; evalPrompts: string[] } {
  const seen = new Set(excluded);
  const prompts: string[] = [];
  const required = options.trainPrompts + options.evalPrompts;
  // Prompts come from the synthetic generator's prompt distribution (4-6 distinct letters).
  for (let batch = 0; prompts.length < required && batch < 100; batch++) {
    for (const record of generateSyntheticPreferences({ seed: options.reference.seed + 100 + batch, pairs: required, ...promptShape(options) })) {
      const prompt = record.prompt as string;
      if (seen.has(prompt)) continue;
      seen.add(prompt);
      prompts.push(prompt);
      if (prompts.length === required) break;
    }
  }
  if (prompts.length < required) {
    throw new RadpoError(
      'config',
      `only ${prompts.length} distinct prompts of ${options.minLetters}-${options.maxLetters} letters from "${options.alphabet}" are left ` +
        `after the warm-up prompts, but trainPrompts + evalPrompts is ${required}. Use a larger alphabet or fewer prompts.`,
    );
  }
  return { trainPrompts: prompts.slice(0, options.trainPrompts), evalPrompts: prompts.slice(options.trainPrompts) };
}

function promptShape(options: RaBenchmarkOptions) {
  return { alphabet: options.alphabet, minLetters: options.minLetters, maxLetters: options.maxLetters };
}

function trainReference(model: BuiltinTransformer, records: PreferenceRecord[], options: RaBenchmarkOptions): Weights {
  const { steps, batchSize, learningRate, seed } = options.reference;
  const sequences = tokenizeForModel(model, withRandomConditions(records, options, createRng(seed + 4)), options).flatMap((pair) => [
    { promptIds: pair.promptIds, responseIds: pair.chosenIds },
    { promptIds: pair.promptIds, responseIds: pair.rejectedIds },
  ]);
  const weights = model.initWeights(seed);
  const optimizer = new AdamW({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  const rng = createRng(seed + 3);
  let order: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      if (order.length < batchSize) order = [...order, ...rng.shuffle(sequences.map((_, index) => index))];
      const batch = buildSequenceBatch(order.splice(0, batchSize).map((index) => sequences[index]), model.tokenizer.padId);
      const { loss, gradients } = supervisedGradients(model, weights, batch);
      disposeBatch(batch);
      if (!Number.isFinite(loss)) {
        throw new RadpoError('numeric', `the reference warm-up loss became ${loss} at step ${step + 1}; lower reference.learningRate.`);
      }
      const clipped = clipByGlobalNorm(gradients, 1);
      optimizer.apply(weights, clipped.gradients, learningRate);
      tf.dispose(Object.values(clipped.gradients));
    }
  } finally {
    optimizer.dispose();
  }
  return weights;
}

/**
 * Puts the augmentation's condition text, with a score drawn uniformly from 1 to 10 in steps of 0.5
 * and unrelated to the response, in front of half of the warm-up prompts. The reference then reads
 * conditioned prompts as well as plain ones but learns nothing about scores from them. Without this,
 * the condition shifts every byte of a prompt to positions the model never saw, and augmented runs
 * start from a policy that fails on conditioned prompts.
 */
function withRandomConditions(records: PreferenceRecord[], options: RaBenchmarkOptions, rng: Rng): PreferenceRecord[] {
  return records.map((record) => {
    if (rng.next() < 0.5) return record;
    const score = 1 + rng.int(19) / 2;
    const condition = renderCondition(options.augment.template, score, 1, 10);
    return { ...record, prompt: conditionPrompt(record.prompt, condition, options.augment.placement) ?? record.prompt };
  });
}

/** Tokenizes records exactly as the trainer does, so prompts end with the same assistant tag. */
export function tokenizeForModel(model: BuiltinTransformer, records: PreferenceRecord[], options: RaBenchmarkOptions) {
  return tokenizePairs(records, model.tokenizer, { maxLength: options.model.maxLength, maxPromptLength: options.model.maxPromptLength });
}

/** Token ids of a prompt as the trainer renders it. */
export function promptIds(model: BuiltinTransformer, prompt: Conversation, options: RaBenchmarkOptions): number[] {
  // Two different one-byte responses, so the pair is never dropped as identical.
  const [pair] = tokenizeForModel(model, [{ prompt, chosen: 'a', rejected: 'b' }], options);
  return pair.promptIds;
}

function sampleScored(model: BuiltinTransformer, weights: Weights, prompts: string[], options: RaBenchmarkOptions, rng: Rng): ScoredSamples[] {
  const samples: ScoredSamples[] = prompts.map((prompt) => ({ prompt, responses: [] }));
  for (let draw = 0; draw < options.samplesPerPrompt; draw++) {
    const texts = generate(model, weights, prompts, options.sampleTemperature, options, rng);
    texts.forEach((text, index) => samples[index].responses.push({ text, score: scoreSyntheticResponse(prompts[index], text) }));
  }
  return samples;
}

/** Generates one response per prompt and decodes it. */
export function generate(
  model: BuiltinTransformer,
  weights: Weights,
  prompts: Conversation[],
  temperature: number,
  options: RaBenchmarkOptions,
  rng: Rng,
): string[] {
  const ids = prompts.map((prompt) => promptIds(model, prompt, options));
  const responses = sampleResponses(model, weights, ids, { maxNewTokens: options.maxNewTokens, temperature, batchSize: SAMPLING_BATCH, rng });
  return responses.map((response) => model.tokenizer.decode(response));
}

/**
 * Builds one pair per prompt with the rule of Zhang et al. (2024): the highest-scoring sample is
 * chosen (the first one among equals), and a uniformly drawn other sample with different text is
 * rejected. A prompt whose samples are all the same text makes no pair.
 */
export function buildPairs(samples: ScoredSamples[], rng: Rng, idPrefix: string): PreferenceRecord[] {
  const pairs: PreferenceRecord[] = [];
  samples.forEach((sample, index) => {
    let best = sample.responses[0];
    for (const response of sample.responses) if (response.score > best.score) best = response;
    const others = sample.responses.filter((response) => response.text !== best.text);
    if (others.length === 0) return;
    const other = rng.pick(others);
    pairs.push({
      id: `${idPrefix}-${index}`,
      prompt: sample.prompt,
      chosen: best.text,
      rejected: other.text,
      scores: { chosen: best.score, rejected: other.score },
    });
  });
  return pairs;
}

export function toRow(record: PreferenceRecord) {
  return {
    id: record.id,
    prompt: record.prompt,
    chosen: record.chosen,
    rejected: record.rejected,
    score_chosen: record.scores!.chosen,
    score_rejected: record.scores!.rejected,
  };
}

export function writeJsonLines(file: string, rows: unknown[]): void {
  fs.writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
}

export function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}
