import { validateWithDefaults, type JsonSchema } from '@radpo/core';

/** Options of the reward-augmentation ground-truth benchmark, defaults filled in. */
export interface RaBenchmarkOptions {
  algorithms: string[];
  seeds: number[];
  alphabet: string;
  minLetters: number;
  maxLetters: number;
  trainPrompts: number;
  evalPrompts: number;
  samplesPerPrompt: number;
  sampleTemperature: number;
  evalTemperature: number;
  maxNewTokens: number;
  highScore: number;
  doubledControl: boolean;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  model: { dModel: number; nLayers: number; nHeads: number; maxLength: number; maxPromptLength: number };
  reference: { seed: number; pairs: number; steps: number; batchSize: number; learningRate: number };
  training: { maxSteps: number; batchSize: number; learningRate: number };
  augment: { template: string; placement: 'system' | 'user-prefix' };
  /** Set: the on-policy variant on this pretrained model and story openings (see stories.ts). */
  pretrained?: { path: string; tokenizer?: string };
}

const positive = (description: string, value: number) => ({ type: 'integer', minimum: 1, default: value, description: `${description} Default ${value}.` });

/** JSON Schema of the benchmark options (`radpo bench ra --config FILE`). */
export const RA_BENCHMARK_SCHEMA: JsonSchema = {
  $id: 'radpo/bench-ra',
  type: 'object',
  additionalProperties: false,
  properties: {
    algorithms: {
      type: 'array',
      minItems: 1,
      items: { type: 'string' },
      default: ['dpo', 'ipo', 'slic'],
      description: 'Loss plugins to train, each plain, reward-augmented and (with doubledControl) on doubled data. Default ["dpo", "ipo", "slic"].',
    },
    seeds: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'integer' },
      default: [0, 1, 2],
      description: 'Seeds of every run: each picks its own "random other" responses for the pairs and its own data order. Default [0, 1, 2].',
    },
    alphabet: {
      type: 'string',
      pattern: '^[a-z]+$',
      default: 'abcdefgh',
      description:
        'Letters the prompts draw from. Fewer letters than the built-in task\'s 26 let the small reference learn the task well enough ' +
        'to sample a spread of scores within the time budget. Default "abcdefgh".',
    },
    minLetters: { type: 'integer', minimum: 4, default: 4, description: 'Minimum letters to sort per prompt, at least 4. Default 4.' },
    maxLetters: { type: 'integer', minimum: 4, default: 5, description: 'Maximum letters to sort per prompt, below the alphabet size. Default 5.' },
    trainPrompts: positive('Training prompts; the reference samples samplesPerPrompt responses for each.', 192),
    evalPrompts: positive('Held-out prompts, never among the training or warm-up prompts; policies are scored on their generations.', 64),
    samplesPerPrompt: { type: 'integer', minimum: 2, default: 4, description: 'Responses the reference samples per prompt; the best one is chosen. Default 4.' },
    sampleTemperature: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Temperature of the reference samples that make the pairs. Default 1.' },
    evalTemperature: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 0.7,
      description: 'Temperature of the generations on held-out prompts, for the policies and for the reference they are compared with. Default 0.7.',
    },
    maxNewTokens: positive('Longest generated response in bytes, EOS included; the longest correct answer (6 letters) is 11 bytes.', 16),
    highScore: {
      type: 'number',
      default: 7,
      description: 'Rejected responses scoring at least this make the unlearning measure (their log-probability change over training). Default 7.',
    },
    doubledControl: {
      type: 'boolean',
      default: true,
      description: 'Also train each algorithm on the plain pairs listed twice, unconditioned: as many pairs as augmentation makes. Default true.',
    },
    backend: { type: 'string', enum: ['auto', 'tensorflow', 'wasm', 'cpu'], default: 'auto', description: 'TensorFlow.js backend. Default "auto".' },
    model: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The built-in byte-level model shared by the reference and every run.',
      properties: {
        dModel: positive('Width of the residual stream.', 32),
        nLayers: positive('Transformer blocks.', 2),
        nHeads: positive('Attention heads; must divide dModel.', 2),
        maxLength: positive('Longest prompt + response in bytes.', 80),
        maxPromptLength: positive('Longest prompt in bytes, the score condition included.', 64),
      },
    },
    reference: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'The reference policy: the model after supervised training on responses of mixed quality. Half of its warm-up prompts carry the ' +
        'augmentation\'s condition text with a random score, so conditioned prompts are familiar to it but carry no information yet.',
      properties: {
        seed: { type: 'integer', default: 1000, description: 'Seed of the initialization and of the warm-up data. Default 1000.' },
        pairs: positive('Synthetic pairs whose chosen and rejected responses (mixed quality) are the warm-up targets.', 1024),
        steps: positive('Supervised steps.', 400),
        batchSize: positive('Sequences per supervised step.', 32),
        learningRate: { type: 'number', exclusiveMinimum: 0, default: 0.003, description: 'Constant AdamW learning rate of the warm-up. Default 3e-3.' },
      },
    },
    training: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Preference training of every run, starting from the reference.',
      properties: {
        maxSteps: positive('Optimizer steps.', 60),
        batchSize: positive('Pairs per step.', 8),
        learningRate: { type: 'number', exclusiveMinimum: 0, default: 0.001, description: 'Peak learning rate (cosine schedule). Default 1e-3.' },
      },
    },
    augment: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Options of the reward-augment transform in the augmented runs; short, so conditioned prompts fit the small model.',
      properties: {
        template: { type: 'string', default: 'Score {score}/{max}.', description: 'Condition text. Default "Score {score}/{max}.".' },
        placement: {
          type: 'string',
          enum: ['system', 'user-prefix'],
          default: 'user-prefix',
          description: 'Where the condition goes. Default "user-prefix" (fewer bytes than a system turn).',
        },
      },
    },
    pretrained: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      description:
        'A pretrained model (llama2.c .bin) for the on-policy variant: it is the reference, samples its own continuations of story ' +
        'openings, and a programmatic judge scores them; the built-in model, its warm-up and the letter task are not used. ' +
        'Absent (default): the letter-sorting task on the built-in model. `radpo bench ra --model/--tokenizer` set it.',
      properties: {
        path: { type: 'string', description: 'The model file; the CLI makes it absolute.' },
        tokenizer: { type: 'string', description: 'Its tokenizer (llama2.c tokenizer.bin). Absent: tokenizer.bin beside the model.' },
      },
    },
  },
};

/** Sizes of `radpo bench ra --quick`: one algorithm, one seed and a few steps, to check the pipeline in seconds. */
export const QUICK_RA_BENCHMARK: Record<string, unknown> = {
  algorithms: ['dpo'],
  seeds: [0],
  trainPrompts: 16,
  evalPrompts: 8,
  model: { dModel: 16, nLayers: 1, nHeads: 2 },
  reference: { pairs: 32, steps: 10, batchSize: 8 },
  training: { maxSteps: 4, batchSize: 4 },
};

export function resolveRaBenchmarkOptions(raw: unknown, label = 'benchmark options'): RaBenchmarkOptions {
  return validateWithDefaults<RaBenchmarkOptions>(RA_BENCHMARK_SCHEMA, raw, label);
}
