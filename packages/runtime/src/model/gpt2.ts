import * as tf from '@tensorflow/tfjs-core';
import { RadpoError, type Tokenizer } from '@radpo/core';
import { createRng } from '@radpo/data';
import type { IncrementalLanguageModel, Weights } from './causal-lm';
import { causalMask, embed, extendCache, gaussian, geluTanh, groupedAttention, layerNorm, linear, sizeOf, splitHeads, tiedOutputProjection, type KeyValueCache } from './layers';

/** Hyperparameters of a GPT-2 checkpoint (Hugging Face names in brackets). */
export interface Gpt2Config {
  vocabSize: number;
  /** Residual width (n_embd). */
  hiddenSize: number;
  /** Blocks (n_layer). */
  numLayers: number;
  /** Attention heads (n_head). */
  numHeads: number;
  /** MLP width (n_inner); 4 × n_embd when null in config.json. */
  innerSize: number;
  /** Learned positions (n_positions). */
  maxPositions: number;
  layerNormEps: number;
}

/**
 * GPT-2: learned token and position embeddings, pre-LayerNorm blocks of causal multi-head attention and
 * a tanh-GELU MLP, a final LayerNorm and the output projection tied to the token embedding. Hugging
 * Face stores GPT-2's Conv1D weights as [in, out] already, so they load without a transpose.
 */
export class Gpt2Model implements IncrementalLanguageModel {
  readonly architecture = 'gpt2';
  readonly maxSequenceLength: number;
  readonly config: Record<string, unknown>;

  constructor(
    readonly settings: Gpt2Config,
    readonly tokenizer: Tokenizer,
  ) {
    if (settings.hiddenSize % settings.numHeads !== 0) {
      throw new RadpoError('config', `n_embd (${settings.hiddenSize}) must be divisible by n_head (${settings.numHeads}).`);
    }
    this.maxSequenceLength = settings.maxPositions;
    this.config = { architecture: this.architecture, ...settings };
  }

  expectedShapes(): Map<string, number[]> {
    const { vocabSize, hiddenSize, numLayers, innerSize, maxPositions } = this.settings;
    const shapes = new Map<string, number[]>([
      ['wte.weight', [vocabSize, hiddenSize]],
      ['wpe.weight', [maxPositions, hiddenSize]],
    ]);
    for (let layer = 0; layer < numLayers; layer++) {
      const prefix = `h.${layer}`;
      shapes.set(`${prefix}.ln_1.weight`, [hiddenSize]);
      shapes.set(`${prefix}.ln_1.bias`, [hiddenSize]);
      shapes.set(`${prefix}.attn.c_attn.weight`, [hiddenSize, 3 * hiddenSize]);
      shapes.set(`${prefix}.attn.c_attn.bias`, [3 * hiddenSize]);
      shapes.set(`${prefix}.attn.c_proj.weight`, [hiddenSize, hiddenSize]);
      shapes.set(`${prefix}.attn.c_proj.bias`, [hiddenSize]);
      shapes.set(`${prefix}.ln_2.weight`, [hiddenSize]);
      shapes.set(`${prefix}.ln_2.bias`, [hiddenSize]);
      shapes.set(`${prefix}.mlp.c_fc.weight`, [hiddenSize, innerSize]);
      shapes.set(`${prefix}.mlp.c_fc.bias`, [innerSize]);
      shapes.set(`${prefix}.mlp.c_proj.weight`, [innerSize, hiddenSize]);
      shapes.set(`${prefix}.mlp.c_proj.bias`, [hiddenSize]);
    }
    shapes.set('ln_f.weight', [hiddenSize]);
    shapes.set('ln_f.bias', [hiddenSize]);
    return shapes;
  }

  initWeights(seed: number): Weights {
    const rng = createRng(seed);
    const weights: Weights = {};
    for (const [name, shape] of this.expectedShapes()) {
      if (/ln_(1|2|f)\.weight$/.test(name)) weights[name] = tf.ones(shape);
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
    const { numLayers, numHeads, hiddenSize, layerNormEps, vocabSize } = this.settings;
    const headSize = hiddenSize / numHeads;
    const [batch, time] = ids.shape;
    const past = cache?.length ?? 0;
    if (past + time > this.maxSequenceLength) {
      throw new RadpoError('config', `a sequence of ${past + time} tokens exceeds GPT-2's ${this.maxSequenceLength} positions (n_positions); lower max length.`);
    }
    return tf.tidy(() => {
      const tokens = embed(ids, weights['wte.weight']);
      const positions = tf.slice(weights['wpe.weight'], [past, 0], [time, hiddenSize]);
      let hidden = tf.reshape(tf.add(tf.reshape(tokens, [batch, time, hiddenSize]), positions), [batch * time, hiddenSize]) as tf.Tensor2D;
      const mask = causalMask(time, past);

      for (let layer = 0; layer < numLayers; layer++) {
        const prefix = `h.${layer}`;
        const normed = layerNorm(hidden, weights[`${prefix}.ln_1.weight`], weights[`${prefix}.ln_1.bias`], layerNormEps);
        const qkv = linear(normed, weights[`${prefix}.attn.c_attn.weight`], weights[`${prefix}.attn.c_attn.bias`]);
        const [q, k0, v0] = tf.split(qkv, 3, 1).map((part) => splitHeads(part as tf.Tensor2D, batch, time, numHeads, headSize));
        const { key: k, value: v } = cache ? extendCache(cache, layer, k0, v0) : { key: k0, value: v0 };
        const attended = groupedAttention(q, k, v, mask);
        hidden = tf.add(hidden, linear(attended, weights[`${prefix}.attn.c_proj.weight`], weights[`${prefix}.attn.c_proj.bias`]));

        const mlpIn = layerNorm(hidden, weights[`${prefix}.ln_2.weight`], weights[`${prefix}.ln_2.bias`], layerNormEps);
        const inner = geluTanh(linear(mlpIn, weights[`${prefix}.mlp.c_fc.weight`], weights[`${prefix}.mlp.c_fc.bias`]));
        hidden = tf.add(hidden, linear(inner, weights[`${prefix}.mlp.c_proj.weight`], weights[`${prefix}.mlp.c_proj.bias`]));
      }

      const final = layerNorm(hidden, weights['ln_f.weight'], weights['ln_f.bias'], layerNormEps);
      // The output projection is the transposed token embedding; an explicit transpose keeps the matmul plain.
      return tf.reshape(tf.matMul(final, tiedOutputProjection(weights['wte.weight'], cache)), [batch, time, vocabSize]) as tf.Tensor3D;
    });
  }
}
