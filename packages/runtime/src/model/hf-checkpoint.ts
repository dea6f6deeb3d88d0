import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type Tokenizer } from '@radpo/core';
import type { Weights } from './causal-lm';
import { Gpt2Model, type Gpt2Config } from './gpt2';
import { HF_TOKENIZER_FILES, HfTokenizer, readJson } from './hf-tokenizer';
import { LlamaModel, type Llama3RopeScaling, type LlamaConfig } from './llama';
import { Llama2cTokenizer } from './llama2c-tokenizer';
import { transposeMatrix } from './llama2c';
import { readSafetensors, writeSafetensors, type StoredTensor } from './safetensors';

/** Hugging Face model_type values that load. SmolLM checkpoints are model_type llama. */
export const SUPPORTED_MODEL_TYPES = ['gpt2', 'llama', 'mistral', 'qwen2'] as const;

/** A model built from a pretrained checkpoint, with the config.json it came from (kept on save). */
export type PretrainedModel = LlamaModel | Gpt2Model;

/** config.json of each loaded model, so that a save keeps fields radpo does not read. */
const sourceConfigs = new WeakMap<PretrainedModel, Record<string, unknown>>();

/**
 * Loads a Hugging Face model directory: config.json, model.safetensors or a sharded
 * model.safetensors.index.json, and a tokenizer (tokenizer.json + tokenizer_config.json, or a llama2.c
 * tokenizer.bin that radpo writes for models converted from llama2.c). `tokenizer` overrides the
 * directory's own. Every expected tensor must be present with its configured shape.
 */
export function loadHfModel(directory: string, tokenizer?: Tokenizer): { model: PretrainedModel; weights: Weights } {
  const configFile = path.join(directory, 'config.json');
  const config = readJson(configFile);
  const modelType = String(config.model_type ?? '');
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new RadpoError(
      'config',
      `${configFile}: model_type ${JSON.stringify(config.model_type)} (architectures ${JSON.stringify(config.architectures)}) is not supported; ` +
        `supported: ${SUPPORTED_MODEL_TYPES.join(', ')}.`,
    );
  }
  const stored = readStoredTensors(directory);
  let vocabSize: number;
  let model: PretrainedModel;
  if (modelType === 'gpt2') {
    const settings = gpt2Settings(config, configFile);
    vocabSize = settings.vocabSize;
    model = new Gpt2Model(settings, tokenizer ?? readTokenizer(directory, settings.vocabSize));
  } else {
    const settings = llamaSettings(config, configFile, modelType as LlamaConfig['modelType']);
    vocabSize = settings.vocabSize;
    model = new LlamaModel(settings, tokenizer ?? readTokenizer(directory, settings.vocabSize));
  }
  if (model.tokenizer.vocabSize > vocabSize) {
    throw new RadpoError('config', `the tokenizer has ${model.tokenizer.vocabSize} tokens but ${configFile} has vocab_size ${vocabSize}; the tokenizer does not belong to this model.`);
  }
  const weights = tensorsToWeights(model, stored, directory);
  sourceConfigs.set(model, config);
  return { model, weights };
}

/** Reads the tokenizer that a model directory carries: tokenizer.json, or a llama2.c tokenizer.bin. */
export function readTokenizer(directory: string, vocabSize: number): Tokenizer {
  if (fs.existsSync(path.join(directory, 'tokenizer.json'))) return HfTokenizer.read(directory);
  const llama2c = path.join(directory, 'tokenizer.bin');
  if (fs.existsSync(llama2c)) return Llama2cTokenizer.read(llama2c, vocabSize);
  throw new RadpoError('config', `${directory} has no tokenizer.json (or llama2.c tokenizer.bin); pass a tokenizer path.`);
}

function readStoredTensors(directory: string): Map<string, StoredTensor & { file: string }> {
  const single = path.join(directory, 'model.safetensors');
  const index = path.join(directory, 'model.safetensors.index.json');
  const files: string[] = [];
  if (fs.existsSync(single)) {
    files.push(single);
  } else if (fs.existsSync(index)) {
    const weightMap = readJson(index).weight_map;
    if (!weightMap || typeof weightMap !== 'object') throw new RadpoError('io', `${index} has no weight_map object.`);
    files.push(...new Set(Object.values(weightMap as Record<string, string>).map((shard) => path.join(directory, shard))));
  } else {
    throw new RadpoError('io', `${directory} has neither model.safetensors nor model.safetensors.index.json (only safetensors checkpoints load; convert .bin/.pt files first).`);
  }
  const tensors = new Map<string, StoredTensor & { file: string }>();
  for (const file of files) {
    for (const [name, tensor] of readSafetensors(file).tensors) tensors.set(name, { ...tensor, file });
  }
  return tensors;
}

function requireNumber(config: Record<string, any>, file: string, field: string, fallback?: number): number {
  const value = config[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RadpoError('config', `${file}: field ${field} is ${JSON.stringify(config[field])}; expected a number.`);
  }
  return value;
}

function llamaSettings(config: Record<string, any>, file: string, modelType: LlamaConfig['modelType']): LlamaConfig {
  const ropeScaling = readRopeScaling(config.rope_scaling, file);
  if (config.hidden_act !== undefined && config.hidden_act !== 'silu') {
    throw new RadpoError('config', `${file}: hidden_act ${JSON.stringify(config.hidden_act)} is not supported; Llama-family models use silu.`);
  }
  const numHeads = requireNumber(config, file, 'num_attention_heads');
  const hiddenSize = requireNumber(config, file, 'hidden_size');
  return {
    modelType,
    vocabSize: requireNumber(config, file, 'vocab_size'),
    hiddenSize,
    intermediateSize: requireNumber(config, file, 'intermediate_size'),
    numLayers: requireNumber(config, file, 'num_hidden_layers'),
    numHeads,
    numKvHeads: requireNumber(config, file, 'num_key_value_heads', numHeads),
    headDim: requireNumber(config, file, 'head_dim', hiddenSize / numHeads),
    maxPositions: requireNumber(config, file, 'max_position_embeddings'),
    ropeTheta: requireNumber(config, file, 'rope_theta', 10000),
    rmsNormEps: requireNumber(config, file, 'rms_norm_eps', 1e-6),
    tieWordEmbeddings: Boolean(config.tie_word_embeddings ?? false),
    // Qwen2 always has q, k and v biases. Llama and Mistral configs set them with attention_bias.
    attentionBias: modelType === 'qwen2' ? true : Boolean(config.attention_bias ?? false),
    ...(ropeScaling ? { ropeScaling } : {}),
    ...(modelType === 'mistral' && typeof config.sliding_window === 'number' ? { slidingWindow: config.sliding_window } : {}),
  };
}

/** Reads rope_scaling: null or "default" means plain rotary embeddings, "llama3" is supported, others are rejected. */
function readRopeScaling(scaling: Record<string, any> | null | undefined, file: string): Llama3RopeScaling | undefined {
  if (scaling === undefined || scaling === null) return undefined;
  const type = scaling.rope_type ?? scaling.type;
  if (type === 'default') return undefined;
  if (type !== 'llama3') {
    throw new RadpoError('config', `${file}: rope_scaling ${JSON.stringify(scaling)} is not supported; only rope_type "llama3" or plain rotary embeddings (rope_scaling null) are.`);
  }
  const field = (name: string) => {
    const value = scaling[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RadpoError('config', `${file}: field rope_scaling.${name} is ${JSON.stringify(value)}; expected a number for rope_type "llama3".`);
    }
    return value;
  };
  return {
    factor: field('factor'),
    lowFreqFactor: field('low_freq_factor'),
    highFreqFactor: field('high_freq_factor'),
    originalMaxPositions: field('original_max_position_embeddings'),
  };
}

function gpt2Settings(config: Record<string, any>, file: string): Gpt2Config {
  const activation = config.activation_function ?? 'gelu_new';
  if (!['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'].includes(activation)) {
    throw new RadpoError('config', `${file}: activation_function ${JSON.stringify(activation)} is not supported; GPT-2 uses gelu_new.`);
  }
  if (config.tie_word_embeddings === false) {
    throw new RadpoError('config', `${file}: tie_word_embeddings false is not supported for gpt2; GPT-2's output projection is its token embedding.`);
  }
  const hiddenSize = requireNumber(config, file, 'n_embd');
  return {
    vocabSize: requireNumber(config, file, 'vocab_size'),
    hiddenSize,
    numLayers: requireNumber(config, file, 'n_layer'),
    numHeads: requireNumber(config, file, 'n_head'),
    innerSize: requireNumber(config, file, 'n_inner', 4 * hiddenSize),
    maxPositions: requireNumber(config, file, 'n_positions', config.n_ctx),
    layerNormEps: requireNumber(config, file, 'layer_norm_epsilon', 1e-5),
  };
}

/** True for PyTorch nn.Linear weights, stored (out, in) in Hugging Face checkpoints and [in, out] here. */
function isLinearWeight(model: PretrainedModel, name: string): boolean {
  return model instanceof LlamaModel && (name.endsWith('_proj.weight') || name === 'lm_head.weight');
}

/** Stored tensors that carry no parameters (buffers) or duplicate a tied one, and are skipped. */
function isIgnorable(model: PretrainedModel, name: string): boolean {
  if (name.endsWith('rotary_emb.inv_freq')) return true;
  if (model instanceof Gpt2Model) return /\.attn\.(masked_)?bias$/.test(name) || name === 'lm_head.weight';
  return name === 'lm_head.weight' && model.settings.tieWordEmbeddings;
}

function tensorsToWeights(model: PretrainedModel, stored: Map<string, StoredTensor & { file: string }>, directory: string): Weights {
  // GPT2LMHeadModel prefixes its tensors with "transformer."; GPT2Model does not.
  const canonical = new Map<string, StoredTensor & { file: string }>();
  for (const [name, tensor] of stored) canonical.set(model instanceof Gpt2Model ? name.replace(/^transformer\./, '') : name, tensor);

  const expected = model.expectedShapes();
  for (const name of canonical.keys()) {
    if (!expected.has(name) && !isIgnorable(model, name)) {
      throw new RadpoError('config', `${directory}: tensor "${name}" (${canonical.get(name)!.file}) is not part of a ${model.architecture} model with this config.json; check that the checkpoint and config belong together.`);
    }
  }
  const weights: Weights = {};
  try {
    for (const [name, shape] of expected) {
      const tensor = canonical.get(name);
      if (!tensor) {
        throw new RadpoError('config', `${directory}: tensor "${name}" is missing from the checkpoint; config.json implies it with shape ${JSON.stringify(storedShape(model, name, shape))}.`);
      }
      const transposed = isLinearWeight(model, name);
      const expectedStored = storedShape(model, name, shape);
      if (tensor.shape.length !== expectedStored.length || tensor.shape.some((dimension, i) => dimension !== expectedStored[i])) {
        throw new RadpoError(
          'config',
          `${directory}: tensor "${name}" in ${path.basename(tensor.file)} has shape ${JSON.stringify(tensor.shape)}; config.json implies ${JSON.stringify(expectedStored)}.`,
        );
      }
      const values = transposed ? transposeMatrix(tensor.values, tensor.shape[0], tensor.shape[1]) : tensor.values;
      weights[name] = tf.tensor(values, shape);
    }
  } catch (error) {
    tf.dispose(Object.values(weights));
    throw error;
  }
  return weights;
}

/** Returns the shape a tensor has in a Hugging Face checkpoint: (out, in) for Linear weights. */
function storedShape(model: PretrainedModel, name: string, shape: number[]): number[] {
  return isLinearWeight(model, name) ? [shape[1], shape[0]] : shape;
}

/** Both names transformers has used for the checkpoint's dtype; radpo saves float32. */
const FLOAT32_DTYPE = { torch_dtype: 'float32', dtype: 'float32' };

/** config.json for a model: the loaded one with radpo's settings written over it, or a fresh one. */
export function hfConfigFor(model: PretrainedModel): Record<string, unknown> {
  const base = { ...(sourceConfigs.get(model) ?? {}) };
  if (model instanceof Gpt2Model) {
    const s = model.settings;
    return {
      ...base,
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: s.vocabSize,
      n_embd: s.hiddenSize,
      n_layer: s.numLayers,
      n_head: s.numHeads,
      n_inner: s.innerSize,
      n_positions: s.maxPositions,
      n_ctx: s.maxPositions,
      layer_norm_epsilon: s.layerNormEps,
      activation_function: base.activation_function ?? 'gelu_new',
      tie_word_embeddings: true,
      bos_token_id: model.tokenizer.bosId ?? base.bos_token_id,
      eos_token_id: model.tokenizer.eosId ?? base.eos_token_id,
      ...FLOAT32_DTYPE,
    };
  }
  const s = model.settings;
  const architecture = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM' }[s.modelType];
  return {
    ...base,
    architectures: [architecture],
    model_type: s.modelType,
    vocab_size: s.vocabSize,
    hidden_size: s.hiddenSize,
    intermediate_size: s.intermediateSize,
    num_hidden_layers: s.numLayers,
    num_attention_heads: s.numHeads,
    num_key_value_heads: s.numKvHeads,
    head_dim: s.headDim,
    max_position_embeddings: s.maxPositions,
    rope_theta: s.ropeTheta,
    rms_norm_eps: s.rmsNormEps,
    tie_word_embeddings: s.tieWordEmbeddings,
    rope_scaling: s.ropeScaling
      ? {
          rope_type: 'llama3',
          factor: s.ropeScaling.factor,
          low_freq_factor: s.ropeScaling.lowFreqFactor,
          high_freq_factor: s.ropeScaling.highFreqFactor,
          original_max_position_embeddings: s.ropeScaling.originalMaxPositions,
        }
      : null,
    hidden_act: 'silu',
    ...(s.modelType === 'qwen2' ? {} : { attention_bias: s.attentionBias }),
    bos_token_id: model.tokenizer.bosId ?? base.bos_token_id ?? null,
    eos_token_id: model.tokenizer.eosId ?? base.eos_token_id ?? null,
    ...FLOAT32_DTYPE,
  };
}

/**
 * Saves a model as a Hugging Face directory: config.json, model.safetensors (float32, Linear weights
 * back in (out, in) layout) and the tokenizer files. Everything goes to a temporary sibling folder that
 * is renamed into place. `extraFiles` are written alongside (radpo's run metadata).
 */
export async function saveHfModel(directory: string, model: PretrainedModel, weights: Weights, extraFiles: Record<string, string> = {}): Promise<void> {
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, shape] of model.expectedShapes()) {
    const tensor = weights[name];
    if (!tensor) throw new RadpoError('io', `cannot save ${directory}: weight "${name}" is missing.`);
    const values = (await tensor.data()) as Float32Array;
    if (isLinearWeight(model, name)) tensors.set(name, { shape: [shape[1], shape[0]], values: transposeMatrix(values, shape[0], shape[1]) });
    else tensors.set(name, { shape: [...shape], values: Float32Array.from(values) });
  }

  const temporary = `${directory}.tmp-${process.pid}`;
  await fs.promises.rm(temporary, { recursive: true, force: true });
  await fs.promises.mkdir(temporary, { recursive: true });
  writeSafetensors(path.join(temporary, 'model.safetensors'), tensors, { format: 'pt' });
  await fs.promises.writeFile(path.join(temporary, 'config.json'), JSON.stringify(hfConfigFor(model), null, 2) + '\n');
  await copyTokenizer(model.tokenizer, temporary);
  for (const [name, text] of Object.entries(extraFiles)) await fs.promises.writeFile(path.join(temporary, name), text);

  const previous = `${directory}.old-${process.pid}`;
  const hadPrevious = fs.existsSync(directory);
  if (hadPrevious) await fs.promises.rename(directory, previous);
  await fs.promises.rename(temporary, directory);
  if (hadPrevious) await fs.promises.rm(previous, { recursive: true, force: true });
}

async function copyTokenizer(tokenizer: Tokenizer, directory: string): Promise<void> {
  if (tokenizer instanceof HfTokenizer) {
    for (const name of HF_TOKENIZER_FILES) {
      const source = path.join(tokenizer.directory, name);
      if (fs.existsSync(source)) await fs.promises.copyFile(source, path.join(directory, name));
    }
  } else if (tokenizer instanceof Llama2cTokenizer) {
    tokenizer.write(path.join(directory, 'tokenizer.bin'));
  } else {
    throw new RadpoError('not-implemented', `cannot save a tokenizer of type ${tokenizer.constructor.name} with a Hugging Face model.`);
  }
}
