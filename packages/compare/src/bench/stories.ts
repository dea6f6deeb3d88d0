import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type Conversation, type PluginRegistry } from '@radpo/core';
import { createRng, readAllPreferenceRecords, tokenizePairs } from '@radpo/data';
import { generate as generateTokens, loadModel, selectBackend, type CausalLanguageModel, type LoadedModel, type Weights } from '@radpo/runtime';
import { conditionPrompt, renderCondition } from '@radpo/plugin-reward-augment';
import { writeJsonAtomic } from '../run-folder';
import type { AfterRun } from '../runner';
import { formatNumber } from '../report/table';
import type { RaBenchmarkOptions } from './options';
import { buildPairs, mean, readPreparedBenchmark, toRow, writeJsonLines, type PreparedBenchmark, type ScoredSamples } from './prepare';
import { conditionForEval, logProbChange, ownScorePrompt, winValue } from './ra-benchmark';
import { StoryJudge, type StoryJudgement } from './story-judge';

/**
 * First sentences of the on-policy benchmark's training prompts, written for it in the style of
 * TinyStories. The model continues each one; the held-out openings below are never trained on.
 */
export const STORY_TRAIN_OPENINGS: readonly string[] = [
  'Once upon a time, there was a little dog named Max.',
  'Lily went to the park with her mom.',
  'One day, a small bird could not fly.',
  'Tim had a red ball that he loved very much.',
  'There was a big tree in the garden.',
  'Sue wanted to bake a cake for her friend.',
  'Once upon a time, a cat lived in a small house.',
  'Ben saw a shiny rock near the water.',
  'It was a sunny day, and the kids went outside.',
  'A little girl named Mia found a lost toy.',
  'The boy was sad because it was raining.',
  'Once upon a time, there was a kind bear in the forest.',
  'Anna and Tom played with their blocks.',
  'One morning, a duck went for a swim.',
  'The little car wanted to go fast.',
  'Spot the dog dug a hole in the yard.',
];

/** First sentences of the held-out prompts on which every policy is scored. */
export const STORY_HELD_OUT_OPENINGS: readonly string[] = [
  'Once upon a time, there was a little boy named Sam.',
  'The sun was bright, and the flowers were happy.',
  'A small fish lived in a big blue lake.',
  'Lily had a new doll with a pink dress.',
  'One day, Tim found a box under his bed.',
  'There was a kind old man who liked to sing.',
  'The puppy wanted to play with the ball.',
  'Once upon a time, a girl went to the beach.',
];

/**
 * Sizes of the on-policy variant on a pretrained model, under the options file and --quick: the
 * 24 openings, 40-token stories and 12 steps, so that stories260K finishes in minutes on 2 cores.
 */
export const STORIES_RA_BENCHMARK: Record<string, unknown> = {
  trainPrompts: STORY_TRAIN_OPENINGS.length,
  evalPrompts: STORY_HELD_OUT_OPENINGS.length,
  maxNewTokens: 40,
  highScore: 8.5,
  model: { maxLength: 96, maxPromptLength: 32 },
  training: { maxSteps: 12, batchSize: 4, learningRate: 0.0005 },
};

/** Sizes of `radpo bench ra --model ... --quick`: one algorithm and seed, a few prompts and steps. */
export const QUICK_STORIES_RA_BENCHMARK: Record<string, unknown> = {
  algorithms: ['dpo'],
  seeds: [0],
  trainPrompts: 4,
  evalPrompts: 2,
  samplesPerPrompt: 2,
  maxNewTokens: 12,
  doubledControl: false,
  training: { maxSteps: 2, batchSize: 2 },
};

/** Metrics the on-policy variant adds to each run's summary.json, in report order. */
export const STORIES_RA_METRICS = [
  'bench/score',
  'bench/winRate',
  'bench/unlearning',
  'bench/unlearningOwnScore',
  'bench/fluency',
  'bench/distinct',
  'bench/completeness',
  'bench/length',
  'rewards/accuracies',
  'bench/highRejected',
];

/** A pretrained model and its judge, loaded once per process. */
interface StoryContext {
  loaded: LoadedModel;
  judge: StoryJudge;
}

async function loadStoryContext(options: RaBenchmarkOptions): Promise<StoryContext> {
  const pretrained = options.pretrained!;
  const loaded = await loadModel(pretrained.path, { tokenizerPath: pretrained.tokenizer });
  return { loaded, judge: new StoryJudge(loaded.model.tokenizer) };
}

/**
 * Prepares the on-policy variant: the pretrained model samples samplesPerPrompt continuations of each
 * story opening, the judge scores them, and the pairs follow the rule of Zhang et al. (2024) as in
 * the letter task. There is no warm-up: the pretrained model is the reference. A folder prepared with
 * the same options is reused; one prepared with other options is an error.
 */
export async function prepareStoriesBenchmark(outDir: string, options: RaBenchmarkOptions, note: (message: string) => void): Promise<PreparedBenchmark> {
  const pretrained = options.pretrained;
  if (!pretrained) throw new RadpoError('config', 'the on-policy benchmark needs a pretrained model: pass --model (a llama2.c .bin).');
  checkPromptCounts(options);
  const dataDir = path.join(outDir, 'data');
  const manifestFile = path.join(dataDir, 'benchmark.json');
  await selectBackend(options.backend);
  const existing = readPreparedBenchmark(outDir, options);
  if (existing) {
    note(`reusing the samples and pairs in ${dataDir}`);
    return existing;
  }
  fs.mkdirSync(dataDir, { recursive: true });

  const { loaded, judge } = await loadStoryContext(options);
  const { model, weights } = loaded;
  try {
    const trainPrompts = STORY_TRAIN_OPENINGS.slice(0, options.trainPrompts);
    const evalPrompts = STORY_HELD_OUT_OPENINGS.slice(0, options.evalPrompts);

    // Samples: the model's own continuations, scored by the judge.
    note(`sampling ${options.samplesPerPrompt} continuations of each of ${trainPrompts.length + evalPrompts.length} story openings`);
    const sample = (prompts: readonly string[], seedBase: number): ScoredSamples[] =>
      prompts.map((prompt, index) => {
        const texts = Array.from({ length: options.samplesPerPrompt }, (_, draw) =>
          continueStory(model, weights, prompt, options.sampleTemperature, seedBase + index * 1009 + draw, options),
        );
        return { prompt, responses: texts.map((text) => ({ text, score: judge.score(text) })) };
      });
    const trainSamples = sample(trainPrompts, options.reference.seed);
    const evalSamples = sample(evalPrompts, options.reference.seed + 500_000);
    writeJsonLines(path.join(dataDir, 'samples.jsonl'), [...trainSamples, ...evalSamples]);

    // The reference's own generation on each held-out opening, plain and conditioned on the top score.
    const evalSeed = (index: number) => options.reference.seed + 900_000 + index;
    const referenceEval = evalPrompts.map((prompt, index) => continueStory(model, weights, prompt, options.evalTemperature, evalSeed(index), options));
    const topCondition = renderCondition(options.augment.template, 10, 1, 10);
    const referenceConditioned = evalPrompts.map((prompt, index) =>
      continueStory(model, weights, conditionPrompt(prompt, topCondition, options.augment.placement) ?? prompt, options.evalTemperature, evalSeed(index), options),
    );
    const heldOut = evalPrompts.map((prompt, index) => ({ prompt, reference: referenceEval[index], referenceScore: judge.score(referenceEval[index]) }));

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
      files[String(seed)] = { train: path.join(dataDir, names.train), doubled: path.join(dataDir, names.doubled), eval: path.join(dataDir, names.eval) };
    }

    const prepared: PreparedBenchmark = {
      options,
      referenceCheckpoint: pretrained.path,
      files,
      heldOut,
      referenceScore: mean(heldOut.map((entry) => entry.referenceScore)),
      referenceConditionedScore: mean(referenceConditioned.map((text) => judge.score(text))),
      skippedPrompts,
    };
    // Written last: its presence marks the preparation complete.
    writeJsonAtomic(manifestFile, prepared);
    return prepared;
  } finally {
    tf.dispose(Object.values(weights));
  }
}

function checkPromptCounts(options: RaBenchmarkOptions): void {
  const problems = [
    options.trainPrompts > STORY_TRAIN_OPENINGS.length && `trainPrompts is ${options.trainPrompts}, above the ${STORY_TRAIN_OPENINGS.length} training openings`,
    options.evalPrompts > STORY_HELD_OUT_OPENINGS.length && `evalPrompts is ${options.evalPrompts}, above the ${STORY_HELD_OUT_OPENINGS.length} held-out openings`,
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new RadpoError('config', `invalid on-policy benchmark options: ${problems.join('; ')}.`);
}

/** Token ids of a prompt as the trainer renders it for a pretrained model: BOS, then the raw text. */
function storyPromptIds(model: CausalLanguageModel, prompt: Conversation, options: RaBenchmarkOptions): number[] {
  // Two different one-word responses, so the pair is never dropped as identical.
  const [pair] = tokenizePairs([{ prompt, chosen: 'a', rejected: 'b' }], model.tokenizer, {
    maxLength: options.model.maxLength,
    maxPromptLength: options.model.maxPromptLength,
    promptFormat: 'raw',
  });
  return pair.promptIds;
}

/** Continues a prompt once and decodes the new tokens without the stop token. */
function continueStory(model: CausalLanguageModel, weights: Weights, prompt: Conversation, temperature: number, seed: number, options: RaBenchmarkOptions): string {
  const promptIds = storyPromptIds(model, prompt, options);
  const maxNewTokens = Math.min(options.maxNewTokens, options.model.maxLength - promptIds.length);
  const { ids, stopReason } = generateTokens(model, weights, promptIds, { maxNewTokens, temperature, seed });
  return model.tokenizer.decode(stopReason === 'stop-token' ? ids.slice(0, -1) : ids).trim();
}

/** Returns the lines under the report's title for the on-policy variant. */
export function storiesBenchmarkNotes(prepared: PreparedBenchmark): string[] {
  const { options } = prepared;
  return [
    `On-policy on ${path.basename(options.pretrained?.path ?? '')}: the pretrained model is the reference; it continues ${options.trainPrompts} ` +
      `training story openings ${options.samplesPerPrompt} times at temperature ${options.sampleTemperature} (at most ${options.maxNewTokens} tokens), ` +
      `and a programmatic judge (StoryJudge: known words, distinct bigrams, finished sentences, length) scores each from 1 to 10.`,
    `Ground truth: the judge's score of each policy's continuation of ${prepared.heldOut.length} held-out openings at temperature ` +
      `${options.evalTemperature}. The reference scores ${formatNumber(prepared.referenceScore)} on them, and ` +
      `${formatNumber(prepared.referenceConditionedScore)} when they are conditioned on the top score as augmented runs see them.`,
    `bench/winRate: share of held-out openings where the policy's story scores above the reference's (ties count half). ` +
      `bench/unlearning: mean change over training of the summed log-probability of training rejected stories scoring >= ${options.highScore} ` +
      `(bench/highRejected of them), under each run's own evaluation prompt. bench/unlearningOwnScore (augmented runs only): the same ` +
      `change with each story's prompt conditioned on its own score. bench/fluency, distinct, completeness and length are the judge's parts, 1-10.`,
    `Each run starts from the pretrained model and trains ${options.training.maxSteps} steps of ${options.training.batchSize} pairs.`,
  ];
}

/**
 * Scores a finished run of the on-policy variant, as raBenchmarkAfterRun does for the letter task.
 * The policy continues the held-out openings, which augmented runs condition on the top score. The
 * judge scores the stories against the reference's. Last, it measures the unlearning of high-scoring rejected stories.
 */
export function storiesBenchmarkAfterRun(prepared: PreparedBenchmark, registry: PluginRegistry): AfterRun {
  let context: Promise<StoryContext> | undefined;
  return async (run, runDir, note) => {
    context ??= loadStoryContext(prepared.options);
    const { loaded, judge } = await context;
    const { options } = prepared;
    const model = loaded.model;
    const policy = (await loadModel(runDir, { tokenizerPath: options.pretrained?.tokenizer })).weights;
    try {
      const transforms = run.config.transforms.map((transform) => registry.create('transform', transform.name, transform.options));
      const condition = (prompts: string[]) => conditionForEval(prompts, transforms);

      note('generating on the held-out openings');
      const heldOutPrompts = await condition(prepared.heldOut.map((entry) => entry.prompt));
      const generations = heldOutPrompts.map((prompt, index) =>
        continueStory(model, policy, prompt, options.evalTemperature, run.seed * 104729 + 7 + index, options),
      );
      const scores = generations.map((text) => judge.score(text));
      const parts = generations.map((text) => judge.judge(text));
      const wins = scores.map((score, index) => winValue(score, prepared.heldOut[index].referenceScore));
      fs.writeFileSync(
        path.join(runDir, 'generations.jsonl'),
        generations.map((text, index) => JSON.stringify({ prompt: heldOutPrompts[index], response: text, score: scores[index] })).join('\n') + '\n',
      );

      note('measuring the log-probability of high-scoring rejected stories');
      const high = (await readAllPreferenceRecords(prepared.files[String(run.seed)].train, {})).filter(
        (record) => (record.scores?.rejected ?? -Infinity) >= options.highScore,
      );
      const idsOf = (prompt: Conversation) => storyPromptIds(model, prompt, options);
      const unlearning = await logProbChange(model, policy, loaded.weights, high, condition, idsOf);
      const ownScore =
        run.labels.data === 'augment'
          ? await logProbChange(model, policy, loaded.weights, high, async () => high.map((record) => ownScorePrompt(record, options)), idsOf)
          : Number.NaN;
      const part = (key: keyof StoryJudgement) => 1 + 9 * mean(parts.map((entry) => entry[key]));

      return {
        'bench/score': mean(scores),
        'bench/winRate': mean(wins),
        'bench/unlearning': unlearning,
        'bench/unlearningOwnScore': ownScore,
        'bench/fluency': part('fluency'),
        'bench/distinct': part('distinct'),
        'bench/completeness': part('completeness'),
        'bench/length': part('length'),
        'bench/highRejected': high.length,
      };
    } finally {
      tf.dispose(Object.values(policy));
    }
  };
}
