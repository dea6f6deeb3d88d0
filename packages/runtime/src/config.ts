import { validateWithDefaults, type JsonSchema } from '@radpo/core';
import { BACKEND_CHOICES, type BackendChoice } from './backend';
import { NON_FINITE_POLICIES, type NonFinitePolicy } from './non-finite';

/** One term of the training loss: a loss plugin, its weight in the sum and its options. */
export interface LossTermConfig {
  name: string;
  weight: number;
  options: Record<string, unknown>;
}

export interface TransformConfig {
  name: string;
  options: Record<string, unknown>;
}

export interface RunConfig {
  /** Trace and check the backend's kernels before training the built-in model (default true). */
  preflight: boolean;
  /**
   * Extra plugin modules; the CLI stores them as absolute module paths. resolveRunConfig always fills
   * it in; it is optional so that configs built in code need not name it.
   */
  plugins?: string[];
  seed: number;
  backend: BackendChoice;
  losses: LossTermConfig[];
  transforms: TransformConfig[];
  data: {
    train?: string;
    eval?: string;
    format?: 'jsonl' | 'json' | 'parquet';
    fieldMap?: Record<string, string>;
    onBadRow: 'fail' | 'skip';
    onDegeneratePair: 'keep' | 'skip' | 'fail';
    evalFraction: number;
    maxEvalPairs: number;
    synthetic: { trainPairs: number; evalPairs: number };
  };
  model: {
    path?: string;
    tokenizer?: string;
    promptFormat: 'auto' | 'template' | 'tags' | 'raw';
    dModel: number;
    nLayers: number;
    nHeads: number;
    dFf?: number;
    maxLength: number;
    maxPromptLength: number;
  };
  reference: {
    precompute: boolean | 'auto';
    cacheDir?: string;
  };
  training: {
    maxSteps: number;
    batchSize: number;
    gradientAccumulationSteps: number;
    learningRate: number;
    weightDecay: number;
    maxGradNorm: number;
    adamBeta1: number;
    adamBeta2: number;
    adamEpsilon: number;
    warmup: { steps: number; learningRate: number };
    scheduler: { name: string; options: Record<string, unknown> };
    evalEvery: number;
    evalBatchSize: number;
    dataParallelWorkers: number;
    checkpointEvery: number;
    keepCheckpoints: number;
    onNonFinite: NonFinitePolicy;
  };
}

const pluginOptions = {
  type: 'object',
  default: {},
  description: "The plugin's options; each plugin validates them against its own JSON Schema (see `radpo plugins`).",
};

/** JSON Schema of a run configuration. Every key has a description; the docs and CLI help come from here. */
export const RUN_CONFIG_SCHEMA: JsonSchema = {
  $id: 'radpo/run-config',
  type: 'object',
  additionalProperties: false,
  properties: {
    plugins: {
      type: 'array',
      items: { type: 'string' },
      default: [],
      description:
        'Extra plugin packages to load, each a package name (looked up in node_modules above the config file) or a path ' +
        'starting with "." or "/", relative to the config file. Every plugin object the package exports (default or named) ' +
        'is registered; a name already taken is an error. radpo train and radpo plugins load them; a program that calls ' +
        'train() itself registers them with registryWithPluginModules(). Default: none, only the built-in plugins.',
    },
    seed: { type: 'integer', default: 0, description: 'Seed for weight initialization, data order and the synthetic data. Default 0.' },
    preflight: {
      type: 'boolean',
      default: true,
      description:
        'Before training the built-in model, trace one tiny step on the cpu backend and check that the chosen backend has every kernel the run needs, filling known gaps or failing with the kernel named. Default true; tests that count model or loss calls turn it off.',
    },
    backend: {
      type: 'string',
      enum: [...BACKEND_CHOICES],
      default: 'auto',
      description:
        'TensorFlow.js backend: "auto" tries tensorflow (tfjs-node-gpu, then tfjs-node, when installed), then wasm, then cpu. A named backend that fails is an error, never a silent fallback.',
    },
    losses: {
      type: 'array',
      minItems: 1,
      default: [{ name: 'dpo', weight: 1, options: {} }],
      description: 'Loss terms summed into the training loss, each weighted. Default: one dpo term.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'Name of a loss plugin, such as dpo, ipo or slic.' },
          weight: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Weight of this term in the summed loss; positive. Default 1.' },
          options: pluginOptions,
        },
      },
    },
    transforms: {
      type: 'array',
      default: [],
      description: 'Data transforms applied in order to the training and held-out records, such as reward-augment.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'Name of a transform plugin.' },
          options: pluginOptions,
        },
      },
    },
    data: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Where the preference pairs come from.',
      properties: {
        train: { type: 'string', description: 'Training file (JSONL or JSON array). Absent: the built-in synthetic task.' },
        eval: {
          type: 'string',
          description: 'Held-out file. Absent: evalFraction of the training pairs is held out (or the synthetic eval split).',
        },
        format: { type: 'string', enum: ['jsonl', 'json', 'parquet'], description: 'File format; by default taken from the extension (.jsonl, .json, either with .gz, or .parquet).' },
        fieldMap: {
          type: 'object',
          additionalProperties: false,
          description: 'Dotted paths of fields with other names, such as {"chosen": "answers.good"}.',
          properties: {
            prompt: { type: 'string', description: 'Path of the prompt (text or message list).' },
            chosen: { type: 'string', description: 'Path of the chosen response.' },
            rejected: { type: 'string', description: 'Path of the rejected response.' },
            scoreChosen: { type: 'string', description: 'Path of the chosen response\'s score.' },
            scoreRejected: { type: 'string', description: 'Path of the rejected response\'s score.' },
            id: { type: 'string', description: 'Path of the row id.' },
          },
        },
        onBadRow: {
          type: 'string',
          enum: ['fail', 'skip'],
          default: 'fail',
          description: 'On a bad row: "fail" stops with file, line and field (default); "skip" drops it and counts it by reason.',
        },
        onDegeneratePair: {
          type: 'string',
          enum: ['keep', 'skip', 'fail'],
          default: 'keep',
          description:
            'Pairs with an empty response or identical chosen and rejected: "keep" and count them (default; public sets such as UltraFeedback contain a few), "skip" and count them, or "fail" with file and line.',
        },
        evalFraction: {
          type: 'number',
          minimum: 0,
          exclusiveMaximum: 1,
          default: 0.1,
          description: 'Share of training pairs held out when no eval file is given. Default 0.1.',
        },
        maxEvalPairs: {
          type: 'integer',
          minimum: 1,
          default: 200,
          description: 'At most this many held-out pairs are evaluated (the first ones). Default 200.',
        },
        synthetic: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'Size of the built-in synthetic task, used when data.train is absent.',
          properties: {
            trainPairs: { type: 'integer', minimum: 1, default: 512, description: 'Training pairs generated. Default 512.' },
            evalPairs: { type: 'integer', minimum: 1, default: 64, description: 'Held-out pairs generated. Default 64.' },
          },
        },
      },
    },
    model: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The model to train: a pretrained checkpoint (path), or the built-in byte-level GPT-style model trained from scratch.',
      properties: {
        path: {
          type: 'string',
          description:
            'Pretrained model to train: a llama2.c .bin checkpoint, a Hugging Face model directory (gpt2, llama, mistral, qwen2), or a radpo run directory. Absent: the built-in model (dModel, nLayers, nHeads, dFf apply only to it).',
        },
        tokenizer: {
          type: 'string',
          description: 'Tokenizer for model.path: a llama2.c tokenizer.bin, a tokenizer.json or a directory holding one. Absent: the tokenizer stored with the model.',
        },
        promptFormat: {
          type: 'string',
          enum: ['auto', 'template', 'tags', 'raw'],
          default: 'auto',
          description:
            'How prompts become text: "template" renders them with the tokenizer\'s chat template; "tags" marks each turn with <|role|> and ends with <|assistant|>; "raw" joins the turn contents with blank lines and puts the response right after, as base models saw text. "auto" (default) picks template when the tokenizer has one, tags for the built-in model, raw for other models.',
        },
        dModel: { type: 'integer', minimum: 8, default: 64, description: 'Width of the residual stream. Default 64.' },
        nLayers: { type: 'integer', minimum: 1, default: 2, description: 'Transformer blocks. Default 2.' },
        nHeads: { type: 'integer', minimum: 1, default: 4, description: 'Attention heads; must divide dModel. Default 4.' },
        dFf: { type: 'integer', minimum: 1, description: 'Hidden width of the MLP. Default 4 × dModel.' },
        maxLength: {
          type: 'integer',
          minimum: 4,
          default: 192,
          description: 'Maximum length of prompt + response in tokens (bytes for the built-in model); longer pairs are truncated. Default 192.',
        },
        maxPromptLength: {
          type: 'integer',
          minimum: 2,
          default: 128,
          description:
            'Longest prompt in tokens; a longer prompt keeps its system turns and the end of the rest. Must be below maxLength. Default 128.',
        },
      },
    },
    reference: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How the frozen reference model is run, for losses that need one.',
      properties: {
        precompute: {
          enum: [true, false, 'auto'],
          default: 'auto',
          description:
            "true: compute the reference's log-probs of every train and held-out pair once, after the warm-up, in batches of evalBatchSize pairs without gradients, instead of a reference forward in every step. false: run the reference live in every step; both give the same losses up to float32 rounding. \"auto\" (default): precompute when the run draws at least as many training pairs (maxSteps × batchSize × gradientAccumulationSteps) as there are, so a short run on a large file does not score pairs it never uses.",
        },
        cacheDir: {
          type: 'string',
          description:
            'Folder of cached reference log-probs (with precompute). A cache file is keyed by a SHA-256 of the reference weights, the model config, the tokenization settings and every pair\'s token ids, so a later run with the same warm-up, data and settings reads it instead of computing. "none" disables the cache. Default: .radpo-cache next to the run directory (runs/.radpo-cache for runs/<name>); no cache for runs without a directory.',
        },
      },
    },
    training: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Optimization settings.',
      properties: {
        maxSteps: { type: 'integer', minimum: 1, default: 200, description: 'Preference optimizer steps. Default 200.' },
        batchSize: { type: 'integer', minimum: 1, default: 4, description: 'Pairs per micro-batch. Default 4.' },
        gradientAccumulationSteps: {
          type: 'integer',
          minimum: 1,
          default: 1,
          description: 'Micro-batches whose gradients are averaged into one optimizer step. Default 1.',
        },
        learningRate: { type: 'number', exclusiveMinimum: 0, default: 0.0005, description: 'Peak learning rate of preference training. Default 5e-4.' },
        weightDecay: { type: 'number', minimum: 0, default: 0, description: 'AdamW decoupled weight decay on matrices. Default 0.' },
        maxGradNorm: {
          type: 'number',
          minimum: 0,
          default: 1,
          description: 'Clip gradients to this global L2 norm; 0 disables clipping. Default 1.',
        },
        adamBeta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'AdamW β1. Default 0.9.' },
        adamBeta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.999, description: 'AdamW β2. Default 0.999.' },
        adamEpsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-8, description: 'AdamW ε. Default 1e-8.' },
        warmup: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description:
            'Supervised warm-up on the chosen responses before preference training; the warmed-up policy becomes the frozen reference.',
          properties: {
            steps: { type: 'integer', minimum: 0, default: 100, description: 'Supervised steps; 0 skips the warm-up. Default 100.' },
            learningRate: { type: 'number', exclusiveMinimum: 0, default: 0.003, description: 'Constant learning rate of the warm-up. Default 3e-3.' },
          },
        },
        scheduler: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'Learning-rate schedule of preference training, stepped once per optimizer step.',
          properties: {
            name: { type: 'string', default: 'cosine', description: 'Schedule plugin: constant, linear or cosine. Default cosine.' },
            options: { ...pluginOptions, default: { warmupRatio: 0.1 }, description: 'Schedule options. Default {"warmupRatio": 0.1}.' },
          },
        },
        evalEvery: {
          type: 'integer',
          minimum: 0,
          default: 0,
          description: 'Evaluate every N optimizer steps; 0 evaluates only at the end. Default 0.',
        },
        evalBatchSize: { type: 'integer', minimum: 1, default: 16, description: 'Pairs per evaluation batch. Default 16.' },
        dataParallelWorkers: {
          type: 'integer',
          minimum: 0,
          default: 0,
          description:
            'Worker threads that share each preference micro-batch with the main thread, each with its own backend; gradients are averaged by shard size. Pays off when a micro-batch computes far longer than copying the weights to each worker takes (4 bytes per parameter each way), for example bench-small on 2 cores. The warm-up and evaluation stay on the main thread. 0 (default) uses the main thread only.',
        },
        checkpointEvery: {
          type: 'integer',
          minimum: 0,
          default: 0,
          description:
            'Write a checkpoint every N optimizer steps, counted separately in the warm-up and in preference training; 0 writes one at the end only. ' +
            'A checkpoint holds everything `radpo train --resume` needs. Default 0.',
        },
        keepCheckpoints: {
          type: 'integer',
          minimum: 1,
          default: 2,
          description: 'Checkpoints kept in the run directory (checkpoint-<step>/, the newest named by the file "latest"); older ones are deleted. Default 2.',
        },
        onNonFinite: {
          type: 'string',
          enum: [...NON_FINITE_POLICIES],
          default: 'stop',
          description:
            'On a NaN or infinite loss or gradient: "stop" ends the run with an error naming the step, the pairs in the batch and the last good checkpoint (default); ' +
            '"skip-batch" drops that update, warns, and counts the skip in step events and the run summary.',
        },
      },
    },
  },
};

/** Validates a raw configuration and returns a copy with every default filled in. */
export function resolveRunConfig(raw: unknown, label = 'configuration'): RunConfig {
  return validateWithDefaults<RunConfig>(RUN_CONFIG_SCHEMA, raw, label);
}
