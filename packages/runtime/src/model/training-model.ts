import { RadpoError } from '@radpo/core';
import type { PromptFormat } from '@radpo/data';
import { writeCheckpoint, type CheckpointMetadata } from '../checkpoint';
import type { RunConfig } from '../config';
import { BuiltinTransformer } from './builtin-transformer';
import type { CausalLanguageModel, Weights } from './causal-lm';
import { Gpt2Model } from './gpt2';
import { saveHfModel } from './hf-checkpoint';
import { LlamaModel } from './llama';
import { loadModel } from './load-model';

/**
 * Creates the model a run trains: the pretrained one at config.model.path (llama2.c .bin, Hugging Face
 * directory or radpo run directory), or the built-in byte-level model initialized from the seed.
 * Call after the backend is selected, because loading creates tensors.
 */
export async function createTrainingModel(config: RunConfig): Promise<{ model: CausalLanguageModel; weights: Weights }> {
  const { path: modelPath, tokenizer, maxLength } = config.model;
  if (modelPath === undefined) {
    const model = new BuiltinTransformer({ ...config.model, maxPositions: maxLength });
    return { model, weights: model.initWeights(config.seed) };
  }
  const { model, weights } = await loadModel(modelPath, { tokenizerPath: tokenizer });
  if (maxLength > model.maxSequenceLength) {
    throw new RadpoError('config', `model.maxLength ${maxLength} exceeds the ${model.maxSequenceLength} positions of ${modelPath}; lower --max-length.`);
  }
  return { model, weights };
}

/** Folder of a run directory that receives the final policy, for `--model RUN_DIR`, generate and logprobs. */
export const FINAL_MODEL_DIR = 'model';

/**
 * Writes a checkpoint: a Hugging Face directory (config.json, model.safetensors, tokenizer files and
 * radpo-checkpoint.json with the run metadata) for pretrained architectures, radpo's own format for
 * the built-in model.
 */
export async function saveModelCheckpoint(dir: string, model: CausalLanguageModel, weights: Weights, metadata: CheckpointMetadata): Promise<void> {
  if (model instanceof LlamaModel || model instanceof Gpt2Model) {
    await saveHfModel(dir, model, weights, { 'radpo-checkpoint.json': JSON.stringify(metadata, null, 2) + '\n' });
  } else {
    await writeCheckpoint(dir, weights, metadata);
  }
}

/**
 * Resolves the configured prompt format for a model. "auto" becomes the chat template when the
 * tokenizer has one, and role tags for the built-in model, which learns them from scratch. Other
 * models get raw text, because they saw plain text in pretraining.
 */
export function resolvePromptFormat(model: CausalLanguageModel, configured: RunConfig['model']['promptFormat'] = 'auto'): PromptFormat {
  const hasTemplate = model.tokenizer.applyChatTemplate !== undefined;
  if (configured === 'template' && !hasTemplate) {
    throw new RadpoError('config', 'model.promptFormat is "template" but the tokenizer has no chat template; use "tags" or "raw".');
  }
  if (configured !== 'auto') return configured;
  if (hasTemplate) return 'template';
  return model instanceof BuiltinTransformer ? 'tags' : 'raw';
}
