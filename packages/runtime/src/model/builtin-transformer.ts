import * as tf from '@tensorflow/tfjs-core';
import { RadpoError } from '@radpo/core';
import { createRng } from '@radpo/data';
import type { CausalLanguageModel, Weights } from './causal-lm';
import { ByteTokenizer } from './byte-tokenizer';
import { gelu, layerNormalization, linear, plainMatMul, transposeLastTwo } from './plain-layout-ops';

/** Size of the built-in GPT-style model. */
export interface BuiltinModelConfig {
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Width of the MLP's hidden layer; 4 × dModel when omitted. */
  dFf?: number;
  /** Positions of the learned position embedding: the longest sequence the model accepts. */
  maxPositions: number;
  /**
   * Rows of the token embedding and columns of the output layer; at least the byte tokenizer's 259,
   * which is the default. Ids the tokenizer never produces are allowed (benchmarks use 512 so the
   * shapes match a GPT-2-style reference).
   */
  vocabSize?: number;
  /** Computes logits with the token embedding transposed instead of a separate head.weight. Default false. */
  tieEmbeddings?: boolean;
}

const LAYER_NORM_EPSILON = 1e-5;

/**
 * A small GPT-2-style decoder trained from scratch on bytes: learned token and position embeddings,
 * pre-LayerNorm blocks of causal multi-head attention and a GELU MLP, and an untied output projection.
 * Weight matrices are stored as [in, out] so every forward matmul uses the plain layout, which the
 * wasm backend runs far faster than a transposed operand.
 */
export class BuiltinTransformer implements CausalLanguageModel {
  readonly architecture = 'radpo-builtin-gpt';
  readonly tokenizer = new ByteTokenizer();
  readonly maxSequenceLength: number;
  readonly config: Record<string, unknown>;
  private readonly dFf: number;
  private readonly vocabSize: number;

  constructor(private readonly settings: BuiltinModelConfig) {
    if (settings.dModel % settings.nHeads !== 0) {
      throw new RadpoError(
        'config',
        `model.dModel (${settings.dModel}) must be divisible by model.nHeads (${settings.nHeads}).`,
      );
    }
    this.vocabSize = settings.vocabSize ?? this.tokenizer.vocabSize;
    if (this.vocabSize < this.tokenizer.vocabSize) {
      throw new RadpoError(
        'config',
        `model vocabSize (${this.vocabSize}) must be at least the byte tokenizer's ${this.tokenizer.vocabSize} ids.`,
      );
    }
    this.dFf = settings.dFf ?? 4 * settings.dModel;
    this.maxSequenceLength = settings.maxPositions;
    this.config = { architecture: this.architecture, ...settings, vocabSize: this.vocabSize, dFf: this.dFf };
  }

  initWeights(seed: number): Weights {
    const { dModel, nLayers, maxPositions } = this.settings;
    const vocab = this.vocabSize;
    const rng = createRng(seed);
    const normal = (shape: number[], std: number) => tf.tensor(gaussian(rng, sizeOf(shape), std), shape);
    // GPT-2 initialization: N(0, 0.02), with the residual output projections scaled by 1/sqrt(2·layers).
    const residualStd = 0.02 / Math.sqrt(2 * nLayers);
    const weights: Weights = {
      'embed.tokens': normal([vocab, dModel], 0.02),
      'embed.positions': normal([maxPositions, dModel], 0.01),
    };
    for (let layer = 0; layer < nLayers; layer++) {
      const prefix = `layers.${layer}`;
      Object.assign(weights, {
        [`${prefix}.attnNorm.gain`]: tf.ones([dModel]),
        [`${prefix}.attnNorm.bias`]: tf.zeros([dModel]),
        [`${prefix}.attn.qkv.weight`]: normal([dModel, 3 * dModel], 0.02),
        [`${prefix}.attn.qkv.bias`]: tf.zeros([3 * dModel]),
        [`${prefix}.attn.out.weight`]: normal([dModel, dModel], residualStd),
        [`${prefix}.attn.out.bias`]: tf.zeros([dModel]),
        [`${prefix}.mlpNorm.gain`]: tf.ones([dModel]),
        [`${prefix}.mlpNorm.bias`]: tf.zeros([dModel]),
        [`${prefix}.mlp.in.weight`]: normal([dModel, this.dFf], 0.02),
        [`${prefix}.mlp.in.bias`]: tf.zeros([this.dFf]),
        [`${prefix}.mlp.out.weight`]: normal([this.dFf, dModel], residualStd),
        [`${prefix}.mlp.out.bias`]: tf.zeros([dModel]),
      });
    }
    weights['finalNorm.gain'] = tf.ones([dModel]);
    weights['finalNorm.bias'] = tf.zeros([dModel]);
    if (!this.settings.tieEmbeddings) weights['head.weight'] = normal([dModel, vocab], 0.02);
    return weights;
  }

  logits(weights: Weights, ids: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [batch, time] = ids.shape;
      if (time > this.maxSequenceLength) {
        throw new RadpoError(
          'config',
          `a sequence of ${time} tokens exceeds the built-in model's ${this.maxSequenceLength} positions; ` +
            `lower max length or raise model.maxPositions.`,
        );
      }
      const { dModel, nLayers } = this.settings;
      const vocab = this.vocabSize;

      const tokens = embeddingLookup(weights['embed.tokens'], tf.reshape(ids, [-1]) as tf.Tensor1D);
      const positions = tf.slice(weights['embed.positions'], [0, 0], [time, dModel]);
      let hidden: tf.Tensor2D = tf.reshape(tf.add(tf.reshape(tokens, [batch, time, dModel]), positions), [batch * time, dModel]);

      const mask = causalMask(time);
      for (let layer = 0; layer < nLayers; layer++) {
        const prefix = `layers.${layer}`;
        const input = hidden;
        // Each sublayer runs in its own tidy: under a gradient tape its intermediates would otherwise
        // live until the whole backward pass ends. The tape keeps its own copies of what the gradients need.
        const attended = tf.tidy(() =>
          this.attention(weights, prefix, layerNorm(input, weights, `${prefix}.attnNorm`), batch, time, mask),
        );
        const afterAttention = tf.add(input, attended) as tf.Tensor2D;
        const mlpOut = tf.tidy(() => this.mlp(weights, prefix, layerNorm(afterAttention, weights, `${prefix}.mlpNorm`)));
        hidden = tf.add(afterAttention, mlpOut) as tf.Tensor2D;
      }

      const normed = layerNorm(hidden, weights, 'finalNorm');
      // A tied head multiplies by the embedding transposed; the explicit transpose keeps the plain layout.
      const head = this.settings.tieEmbeddings ? transposeLastTwo(weights['embed.tokens']) : weights['head.weight'];
      const logits = plainMatMul(normed, head as tf.Tensor2D);
      return tf.reshape(logits, [batch, time, vocab]);
    });
  }

  private attention(weights: Weights, prefix: string, x: tf.Tensor2D, batch: number, time: number, mask: tf.Tensor): tf.Tensor2D {
    const { dModel, nHeads } = this.settings;
    const headSize = dModel / nHeads;
    const qkv = linear(x, weights[`${prefix}.attn.qkv.weight`], weights[`${prefix}.attn.qkv.bias`]);
    const [q, k, v] = tf.split(qkv, 3, 1).map((part) => tf.reshape(part, [batch, time, nHeads, headSize]));
    // [batch, heads, time, headSize] for q and v; k goes straight to [batch, heads, headSize, time] so
    // that q·kᵀ is a plain-layout matmul. The scale is applied to q, the smaller tensor.
    const queries = tf.mul(tf.transpose(q, [0, 2, 1, 3]), 1 / Math.sqrt(headSize));
    const keysTransposed = tf.transpose(k, [0, 2, 3, 1]);
    const values = tf.transpose(v, [0, 2, 1, 3]);
    const scores = tf.add(plainMatMul(queries, keysTransposed), mask);
    const context = plainMatMul(tf.softmax(scores), values);
    const merged: tf.Tensor2D = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * time, dModel]);
    return linear(merged, weights[`${prefix}.attn.out.weight`], weights[`${prefix}.attn.out.bias`]);
  }

  private mlp(weights: Weights, prefix: string, x: tf.Tensor2D): tf.Tensor2D {
    const hidden = gelu(linear(x, weights[`${prefix}.mlp.in.weight`], weights[`${prefix}.mlp.in.bias`]));
    return linear(hidden, weights[`${prefix}.mlp.out.weight`], weights[`${prefix}.mlp.out.bias`]);
  }
}

function layerNorm(x: tf.Tensor2D, weights: Weights, prefix: string): tf.Tensor2D {
  return layerNormalization(x, weights[`${prefix}.gain`], weights[`${prefix}.bias`], LAYER_NORM_EPSILON);
}

/**
 * Rows of the embedding table for the given ids. The forward pass is a gather. The gradient is
 * oneHot(ids)ᵀ·dy as a plain-layout matmul, because the wasm backend of tfjs 4.22 has no kernel for
 * gather's own gradient (UnsortedSegmentSum).
 */
function embeddingLookup(table: tf.Tensor, ids: tf.Tensor1D): tf.Tensor2D {
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const embeddings = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    // Saved so that the ids outlive the forward pass's tidy scope.
    save([ids]);
    return {
      value: tf.gather(embeddings, ids),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const oneHotTransposed = tf.transpose(tf.oneHot(saved[0] as tf.Tensor1D, embeddings.shape[0]));
        return tf.matMul(tf.cast(oneHotTransposed, 'float32') as tf.Tensor2D, dy as tf.Tensor2D);
      },
    };
  });
  return lookup(table) as tf.Tensor2D;
}

/** Additive attention mask of shape [time, time]: 0 on and below the diagonal, −1e9 above. */
function causalMask(time: number): tf.Tensor2D {
  const values = new Float32Array(time * time);
  for (let row = 0; row < time; row++) {
    for (let column = row + 1; column < time; column++) values[row * time + column] = -1e9;
  }
  return tf.tensor2d(values, [time, time]);
}

function sizeOf(shape: number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/** Draws normal samples with Box-Muller from the seeded generator, so weights do not depend on the backend. */
function gaussian(rng: { next(): number }, count: number, std: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const angle = 2 * Math.PI * rng.next();
    values[i] = radius * Math.cos(angle) * std;
    if (i + 1 < count) values[i + 1] = radius * Math.sin(angle) * std;
  }
  return values;
}
