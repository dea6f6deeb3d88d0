import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type Tokenizer } from '@radpo/core';
import type { Weights } from './causal-lm';
import { LlamaModel, type LlamaConfig } from './llama';

/** The seven int32 fields at the start of a llama2.c checkpoint. */
export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** Negative in the file when the output classifier is stored separately; positive here. */
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

/** Reads the header of a llama2.c legacy (version 0) checkpoint. */
export function readLlama2cHeader(file: string, bytes: Buffer): Llama2cHeader {
  if (bytes.length < 28) throw new RadpoError('io', `${file} is not a llama2.c checkpoint: it has ${bytes.length} bytes, fewer than the 28-byte header.`);
  const fields = Array.from({ length: 7 }, (_, i) => bytes.readInt32LE(4 * i));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = fields;
  const names = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'];
  fields.forEach((value, i) => {
    if (value === 0 || (i !== 5 && value < 0)) {
      throw new RadpoError('io', `${file} is not a llama2.c legacy checkpoint: header field ${names[i]} is ${value}.`);
    }
  });
  if (dim % nHeads !== 0 || nHeads % nKvHeads !== 0) {
    throw new RadpoError('io', `${file}: header dim ${dim}, n_heads ${nHeads}, n_kv_heads ${nKvHeads} are inconsistent (dim must divide by n_heads, n_heads by n_kv_heads).`);
  }
  return { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), seqLen, sharedClassifier: vocab > 0 };
}

/**
 * Loads a llama2.c legacy checkpoint as a Llama model. The file stores float32 matrices row-major as
 * (out, in) in this order: token embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final,
 * the unused RoPE tables (seq_len × head_size/2, twice), then wcls when vocab_size is negative.
 *
 * `tokenizerSource` is a tokenizer or a function that reads one for the checkpoint's vocab_size.
 *
 * llama2.c rotates (even, odd) pairs of each head. The rows of wq and wk are permuted once here
 * (evens first, then odds, within each head), so Hugging Face's rotate-half rotary embedding gives the
 * same attention scores and the model saves as a standard Hugging Face Llama checkpoint.
 */
export function loadLlama2cCheckpoint(file: string, tokenizerSource: Tokenizer | ((vocabSize: number) => Tokenizer)): { model: LlamaModel; weights: Weights } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new RadpoError('io', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const header = readLlama2cHeader(file, bytes);
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, sharedClassifier } = header;
  const headSize = dim / nHeads;
  const kvDim = nKvHeads * headSize;

  const sections: [string, number][] = [
    ['token_embedding_table', vocabSize * dim],
    ['rms_att_weight', nLayers * dim],
    ['wq', nLayers * dim * dim],
    ['wk', nLayers * kvDim * dim],
    ['wv', nLayers * kvDim * dim],
    ['wo', nLayers * dim * dim],
    ['rms_ffn_weight', nLayers * dim],
    ['w1', nLayers * hiddenDim * dim],
    ['w2', nLayers * dim * hiddenDim],
    ['w3', nLayers * hiddenDim * dim],
    ['rms_final_weight', dim],
    ['freq_cis_real', (seqLen * headSize) / 2],
    ['freq_cis_imag', (seqLen * headSize) / 2],
  ];
  if (!sharedClassifier) sections.push(['wcls', vocabSize * dim]);
  const expectedBytes = 28 + 4 * sections.reduce((sum, [, count]) => sum + count, 0);
  if (bytes.length !== expectedBytes) {
    throw new RadpoError(
      'io',
      `${file}: the header (dim ${dim}, hidden_dim ${hiddenDim}, n_layers ${nLayers}, n_heads ${nHeads}, n_kv_heads ${nKvHeads}, ` +
        `vocab_size ${sharedClassifier ? '' : '-'}${vocabSize}, seq_len ${seqLen}) implies ${expectedBytes} bytes, but the file has ${bytes.length}.`,
    );
  }
  // The tokenizer is read only after the checkpoint's size checks out, so a broken checkpoint is reported first.
  const tokenizer = typeof tokenizerSource === 'function' ? tokenizerSource(vocabSize) : tokenizerSource;
  if (tokenizer.vocabSize !== vocabSize) {
    throw new RadpoError('config', `the tokenizer has ${tokenizer.vocabSize} tokens but ${file} has vocab_size ${vocabSize}; use the tokenizer the model was trained with.`);
  }

  const arrays = new Map<string, Float32Array>();
  let offset = 28;
  for (const [name, count] of sections) {
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(offset + 4 * i);
    arrays.set(name, values);
    offset += 4 * count;
  }

  const config: LlamaConfig = {
    modelType: 'llama',
    vocabSize,
    hiddenSize: dim,
    intermediateSize: hiddenDim,
    numLayers: nLayers,
    numHeads: nHeads,
    numKvHeads: nKvHeads,
    headDim: headSize,
    maxPositions: seqLen,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: sharedClassifier,
    attentionBias: false,
  };
  const layerSlice = (name: string, layer: number, size: number) => arrays.get(name)!.subarray(layer * size, (layer + 1) * size);
  const weights: Weights = { 'model.embed_tokens.weight': tf.tensor2d(arrays.get('token_embedding_table')!, [vocabSize, dim]) };
  for (let layer = 0; layer < nLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const matrix = (name: string, rows: number, columns: number, permuteHeads = 0) => {
      let values = layerSlice(name, layer, rows * columns);
      if (permuteHeads > 0) values = interleavedToHalfRows(values, permuteHeads, rows / permuteHeads, columns);
      return tf.tensor2d(transposeMatrix(values, rows, columns), [columns, rows]);
    };
    weights[`${prefix}.input_layernorm.weight`] = tf.tensor1d(layerSlice('rms_att_weight', layer, dim));
    weights[`${prefix}.self_attn.q_proj.weight`] = matrix('wq', dim, dim, nHeads);
    weights[`${prefix}.self_attn.k_proj.weight`] = matrix('wk', kvDim, dim, nKvHeads);
    weights[`${prefix}.self_attn.v_proj.weight`] = matrix('wv', kvDim, dim);
    weights[`${prefix}.self_attn.o_proj.weight`] = matrix('wo', dim, dim);
    weights[`${prefix}.post_attention_layernorm.weight`] = tf.tensor1d(layerSlice('rms_ffn_weight', layer, dim));
    weights[`${prefix}.mlp.gate_proj.weight`] = matrix('w1', hiddenDim, dim);
    weights[`${prefix}.mlp.down_proj.weight`] = matrix('w2', dim, hiddenDim);
    weights[`${prefix}.mlp.up_proj.weight`] = matrix('w3', hiddenDim, dim);
  }
  weights['model.norm.weight'] = tf.tensor1d(arrays.get('rms_final_weight')!);
  if (!sharedClassifier) weights['lm_head.weight'] = tf.tensor2d(transposeMatrix(arrays.get('wcls')!, vocabSize, dim), [dim, vocabSize]);
  return { model: new LlamaModel(config, tokenizer), weights };
}

/** Transposes a row-major rows × columns matrix. */
export function transposeMatrix(values: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) result[column * rows + row] = values[row * columns + column];
  }
  return result;
}

/**
 * Reorders the output rows of a q or k projection (out, in) from interleaved rotary pairs (2i, 2i + 1)
 * to rotate-half pairs (i, i + headSize/2) within each head.
 */
function interleavedToHalfRows(values: Float32Array, heads: number, headSize: number, columns: number): Float32Array {
  const result = new Float32Array(values.length);
  const half = headSize / 2;
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < half; i++) {
      const base = head * headSize;
      result.set(values.subarray((base + 2 * i) * columns, (base + 2 * i + 1) * columns), (base + i) * columns);
      result.set(values.subarray((base + 2 * i + 1) * columns, (base + 2 * i + 2) * columns), (base + half + i) * columns);
    }
  }
  return result;
}
