import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type Tokenizer } from '@radpo/core';
import { createRng } from '@radpo/data';
import type { IncrementalLanguageModel, Weights } from './causal-lm';
import {
  causalMask,
  embed,
  extendCache,
  gaussian,
  groupedAttention,
  linear,
  rmsNorm,
  silu,
  sizeOf,
  splitHeads,
  tiedOutputProjection,
  type KeyValueCache,
} from './layers';

/** Hyperparameters of a Llama-family decoder (Llama, Mistral, Qwen2, SmolLM and llama2.c checkpoints). */
export interface LlamaConfig {
  /** Hugging Face model_type written back on save: llama, mistral or qwen2. */
  modelType: 'llama' | 'mistral' | 'qwen2';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  maxPositions: number;
  ropeTheta: number;
  rmsNormEps: number;
  /** The output projection is the transposed token embedding (no lm_head tensor). */
  tieWordEmbeddings: boolean;
  /** q, k and v projections have biases (Qwen2). */
  attentionBias: boolean;
  /**
   * Mistral's attention window. Sequences are limited to it, because within the window sliding-window
   * attention equals full causal attention, which is what this forward computes.
   */
  slidingWindow?: number;
  /** Llama 3.1's frequency-dependent rotary scaling (rope_scaling with rope_type "llama3"); absent for plain rotary embeddings. */
  ropeScaling?: Llama3RopeScaling;
}

/** rope_scaling of Llama 3.1 and later: long wavelengths are slowed by `factor`, short ones kept, the band between interpolated. */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  /** original_max_position_embeddings: the context length the model was pretrained at. */
  originalMaxPositions: number;
}

/**
 * Returns the rotary inverse frequencies theta^(−2i / headDim) for i < headDim / 2, with Llama 3
 * scaling applied when given. A wavelength 2π / f above originalMaxPositions / lowFreqFactor is
 * divided by `factor`, one below originalMaxPositions / highFreqFactor is kept, and one between is
 * blended linearly in originalMaxPositions / wavelength.
 */
export function rotaryInverseFrequencies(headDim: number, theta: number, scaling?: Llama3RopeScaling): Float64Array {
  const frequencies = new Float64Array(headDim / 2);
  for (let i = 0; i < frequencies.length; i++) {
    const frequency = Math.pow(theta, (-2 * i) / headDim);
    frequencies[i] = scaling ? scaleFrequency(frequency, scaling) : frequency;
  }
  return frequencies;
}

function scaleFrequency(frequency: number, scaling: Llama3RopeScaling): number {
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
  const wavelength = (2 * Math.PI) / frequency;
  if (wavelength < originalMaxPositions / highFreqFactor) return frequency;
  if (wavelength > originalMaxPositions / lowFreqFactor) return frequency / factor;
  const smooth = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
  return (1 - smooth) * (frequency / factor) + smooth * frequency;
}

/**
 * A Llama-family decoder: RMSNorm, rotary position embeddings in Hugging Face's rotate-half layout
 * (dimension i pairs with i + headDim/2), grouped-query attention, a SwiGLU MLP
 * down(silu(gate x) · up x), a final RMSNorm and a tied or separate output projection.
 *
 * Weight names are Hugging Face's (`model.layers.0.self_attn.q_proj.weight`, ...). Matrices are stored
 * [in, out], the transpose of PyTorch's nn.Linear layout, so the forward matmuls are plain. Checkpoints
 * are transposed once when loaded and once when saved.
 */
export class LlamaModel implements IncrementalLanguageModel {
  readonly architecture = 'llama';
  readonly maxSequenceLength: number;
  readonly config: Record<string, unknown>;

  constructor(
    readonly settings: LlamaConfig,
    readonly tokenizer: Tokenizer,
  ) {
    if (settings.numHeads % settings.numKvHeads !== 0) {
      throw new RadpoError('config', `num_attention_heads (${settings.numHeads}) must be a multiple of num_key_value_heads (${settings.numKvHeads}).`);
    }
    if (settings.headDim % 2 !== 0) throw new RadpoError('config', `head_dim (${settings.headDim}) must be even for rotary embeddings.`);
    this.maxSequenceLength = Math.min(settings.maxPositions, settings.slidingWindow ?? Infinity);
    this.config = { architecture: this.architecture, ...settings };
  }

  /** Tensor names and shapes ([in, out] for matrices) that a checkpoint of this config must provide. */
  expectedShapes(): Map<string, number[]> {
    const { vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, tieWordEmbeddings, attentionBias } = this.settings;
    const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [vocabSize, hiddenSize]]]);
    for (let layer = 0; layer < numLayers; layer++) {
      const prefix = `model.layers.${layer}`;
      shapes.set(`${prefix}.input_layernorm.weight`, [hiddenSize]);
      shapes.set(`${prefix}.self_attn.q_proj.weight`, [hiddenSize, numHeads * headDim]);
      shapes.set(`${prefix}.self_attn.k_proj.weight`, [hiddenSize, numKvHeads * headDim]);
      shapes.set(`${prefix}.self_attn.v_proj.weight`, [hiddenSize, numKvHeads * headDim]);
      if (attentionBias) {
        shapes.set(`${prefix}.self_attn.q_proj.bias`, [numHeads * headDim]);
        shapes.set(`${prefix}.self_attn.k_proj.bias`, [numKvHeads * headDim]);
        shapes.set(`${prefix}.self_attn.v_proj.bias`, [numKvHeads * headDim]);
      }
      shapes.set(`${prefix}.self_attn.o_proj.weight`, [numHeads * headDim, hiddenSize]);
      shapes.set(`${prefix}.post_attention_layernorm.weight`, [hiddenSize]);
      shapes.set(`${prefix}.mlp.gate_proj.weight`, [hiddenSize, intermediateSize]);
      shapes.set(`${prefix}.mlp.up_proj.weight`, [hiddenSize, intermediateSize]);
      shapes.set(`${prefix}.mlp.down_proj.weight`, [intermediateSize, hiddenSize]);
    }
    shapes.set('model.norm.weight', [hiddenSize]);
    if (!tieWordEmbeddings) shapes.set('lm_head.weight', [hiddenSize, vocabSize]);
    return shapes;
  }

  initWeights(seed: number): Weights {
    const rng = createRng(seed);
    const weights: Weights = {};
    for (const [name, shape] of this.expectedShapes()) {
      if (name.endsWith('layernorm.weight') || name === 'model.norm.weight') weights[name] = tf.ones(shape);
      else if (name.endsWith('.bias')) weights[name] = tf.zeros(shape);
      else weights[name] = tf.tensor(gaussian(rng, sizeOf(shape), 0.02), shape);
    }
    return weights;
  }

  logits(weights: Weights, ids: tf.Tensor2D): tf.Tensor3D {
    return this.forward(weights, ids, undefined);
  }

  logitsWithCache(weights: Weights, ids: tf.Tensor2D, cache: KeyValueCache): tf.Tensor3D {
    const logits = this.forward(weights, ids, cache);
    cache.length += ids.shape[1];
    return logits;
  }

  private forward(weights: Weights, ids: tf.Tensor2D, cache: KeyValueCache | undefined): tf.Tensor3D {
    const { numLayers, numHeads, numKvHeads, headDim, rmsNormEps, vocabSize, tieWordEmbeddings, attentionBias } = this.settings;
    const [batch, time] = ids.shape;
    const past = cache?.length ?? 0;
    if (past + time > this.maxSequenceLength) {
      throw new RadpoError(
        'config',
        `a sequence of ${past + time} tokens exceeds the model's ${this.maxSequenceLength} positions (max_position_embeddings, or sliding_window when smaller); lower max length.`,
      );
    }
    return tf.tidy(() => {
      const { cos, sin } = this.rope(past, time);
      const mask = causalMask(time, past, numHeads / numKvHeads);
      let hidden = embed(ids, weights['model.embed_tokens.weight']);

      for (let layer = 0; layer < numLayers; layer++) {
        const prefix = `model.layers.${layer}`;
        const bias = (name: string) => (attentionBias ? weights[`${prefix}.self_attn.${name}.bias`] : undefined);

        // Attention.
        const normed = rmsNorm(hidden, weights[`${prefix}.input_layernorm.weight`], rmsNormEps);
        const q = rotate(splitHeads(linear(normed, weights[`${prefix}.self_attn.q_proj.weight`], bias('q_proj')), batch, time, numHeads, headDim), cos, sin);
        let k = rotate(splitHeads(linear(normed, weights[`${prefix}.self_attn.k_proj.weight`], bias('k_proj')), batch, time, numKvHeads, headDim), cos, sin);
        let v = splitHeads(linear(normed, weights[`${prefix}.self_attn.v_proj.weight`], bias('v_proj')), batch, time, numKvHeads, headDim);
        if (cache) ({ key: k, value: v } = extendCache(cache, layer, k, v));
        const attended = groupedAttention(q, k, v, mask);
        hidden = tf.add(hidden, linear(attended, weights[`${prefix}.self_attn.o_proj.weight`]));

        // SwiGLU MLP.
        const mlpIn = rmsNorm(hidden, weights[`${prefix}.post_attention_layernorm.weight`], rmsNormEps);
        const gated = tf.mul(silu(linear(mlpIn, weights[`${prefix}.mlp.gate_proj.weight`])), linear(mlpIn, weights[`${prefix}.mlp.up_proj.weight`]));
        hidden = tf.add(hidden, linear(gated as tf.Tensor2D, weights[`${prefix}.mlp.down_proj.weight`]));
      }

      const final = rmsNorm(hidden, weights['model.norm.weight'], rmsNormEps);
      // A tied output reuses the [vocab, hidden] embedding; an explicit transpose keeps the matmul plain.
      const head = tieWordEmbeddings ? tiedOutputProjection(weights['model.embed_tokens.weight'], cache) : weights['lm_head.weight'];
      return tf.reshape(tf.matMul(final, head as tf.Tensor2D), [batch, time, vocabSize]) as tf.Tensor3D;
    });
  }

  /** cos and sin of the rotary angles for positions past … past + time − 1, [time, headDim], each half repeated. */
  private rope(past: number, time: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    const { headDim, ropeTheta, ropeScaling } = this.settings;
    const half = headDim / 2;
    const frequencies = rotaryInverseFrequencies(headDim, ropeTheta, ropeScaling);
    const cos = new Float32Array(time * headDim);
    const sin = new Float32Array(time * headDim);
    for (let t = 0; t < time; t++) {
      for (let i = 0; i < half; i++) {
        const angle = (past + t) * frequencies[i];
        cos[t * headDim + i] = cos[t * headDim + i + half] = Math.cos(angle);
        sin[t * headDim + i] = sin[t * headDim + i + half] = Math.sin(angle);
      }
    }
    return { cos: tf.tensor2d(cos, [time, headDim]), sin: tf.tensor2d(sin, [time, headDim]) };
  }
}

/** Rotary embedding in rotate-half form: x · cos + [−x₂, x₁] · sin, with x₁, x₂ the halves of each head. */
function rotate(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  const half = x.shape[3] / 2;
  const [first, second] = tf.split(x, [half, half], 3);
  const rotated = tf.concat([tf.neg(second), first], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}
