import * as fs from 'node:fs';
import * as path from 'node:path';
import { RadpoError, type Tokenizer } from '@radpo/core';
import { readCheckpoint, readLatestPointer } from '../checkpoint';
import type { RunConfig } from '../config';
import { BuiltinTransformer } from './builtin-transformer';
import type { CausalLanguageModel, Weights } from './causal-lm';
import { loadHfModel } from './hf-checkpoint';
import { HfTokenizer, readJson } from './hf-tokenizer';
import { loadLlama2cCheckpoint } from './llama2c';
import { Llama2cTokenizer } from './llama2c-tokenizer';

/** Kind of file or directory a model was loaded from. */
export type ModelFormat = 'llama2c' | 'huggingface' | 'radpo-builtin';

export interface LoadedModel {
  model: CausalLanguageModel;
  weights: Weights;
  format: ModelFormat;
  /** The directory or file the weights were read from (a run directory resolves to its checkpoint). */
  resolvedPath: string;
  /** The run's config.json when `modelPath` is a radpo run directory. */
  runConfig?: RunConfig;
}

/**
 * Loads a model for training, generation or scoring from any of:
 * - a llama2.c checkpoint (`.bin` file), with `tokenizerPath` or a `tokenizer.bin` beside it;
 * - a Hugging Face model directory (config.json + safetensors + tokenizer files);
 * - a radpo run directory (its final `model/`, else its latest checkpoint), or a checkpoint directory itself.
 * `tokenizerPath` may name a llama2.c tokenizer.bin, a tokenizer.json, or a directory holding one.
 */
export async function loadModel(modelPath: string, options: { tokenizerPath?: string } = {}): Promise<LoadedModel> {
  if (!fs.existsSync(modelPath)) throw new RadpoError('config', `model path ${modelPath} does not exist.`);
  if (fs.statSync(modelPath).isFile()) {
    const readTokenizer = (vocabSize: number) => readTokenizerPath(options.tokenizerPath ?? siblingTokenizer(modelPath), vocabSize);
    return { ...loadLlama2cCheckpoint(modelPath, readTokenizer), format: 'llama2c', resolvedPath: modelPath };
  }

  const configFile = path.join(modelPath, 'config.json');
  if (fs.existsSync(configFile)) {
    const config = readJson(configFile);
    // A radpo run's config.json lists its losses; a Hugging Face config.json never does.
    if (Array.isArray(config.losses)) {
      // model/ is written when a run ends; an interrupted run of the built-in model still has its latest checkpoint.
      const finalDir = path.join(modelPath, 'model');
      const checkpointDir = fs.existsSync(finalDir) ? finalDir : latestCheckpointDir(modelPath);
      if (checkpointDir === undefined) {
        throw new RadpoError('config', `${modelPath} is a radpo run directory without model/ or a checkpoint; the run stopped before writing one.`);
      }
      return { ...(await loadModel(checkpointDir, options)), runConfig: config as RunConfig };
    }
    const tokenizer = options.tokenizerPath ? readTokenizerPath(options.tokenizerPath, Number(config.vocab_size)) : undefined;
    return { ...loadHfModel(modelPath, tokenizer), format: 'huggingface', resolvedPath: modelPath };
  }
  if (fs.existsSync(path.join(modelPath, 'checkpoint.json'))) return loadBuiltinCheckpoint(modelPath);
  throw new RadpoError(
    'config',
    `${modelPath} is neither a llama2.c .bin file, a Hugging Face model directory (config.json), nor a radpo run or checkpoint directory.`,
  );
}

function siblingTokenizer(modelPath: string): string {
  const candidate = path.join(path.dirname(modelPath), 'tokenizer.bin');
  if (!fs.existsSync(candidate)) {
    throw new RadpoError('config', `${modelPath} is a llama2.c checkpoint, which needs its tokenizer: pass --tokenizer (a llama2.c tokenizer.bin).`);
  }
  return candidate;
}

/** Reads a tokenizer from a llama2.c .bin file, a tokenizer.json file or a directory holding tokenizer.json. */
export function readTokenizerPath(tokenizerPath: string, vocabSize: number): Tokenizer {
  if (!fs.existsSync(tokenizerPath)) throw new RadpoError('config', `tokenizer path ${tokenizerPath} does not exist.`);
  if (fs.statSync(tokenizerPath).isDirectory()) return HfTokenizer.read(tokenizerPath);
  if (path.basename(tokenizerPath) === 'tokenizer.json') return HfTokenizer.read(path.dirname(tokenizerPath));
  return Llama2cTokenizer.read(tokenizerPath, vocabSize);
}

/** Loads a checkpoint of the built-in byte-level model written by the trainer. */
async function loadBuiltinCheckpoint(dir: string): Promise<LoadedModel> {
  const { weights, metadata } = await readCheckpoint(dir);
  const settings = metadata.model as { dModel: number; nLayers: number; nHeads: number; dFf?: number; maxPositions: number };
  return { model: new BuiltinTransformer(settings), weights, format: 'radpo-builtin', resolvedPath: dir };
}

function latestCheckpointDir(runDir: string): string | undefined {
  const latest = readLatestPointer(runDir);
  return latest === undefined ? undefined : path.join(runDir, latest);
}
