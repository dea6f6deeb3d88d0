import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, selectBackend } from '../src';
import { writeTinyGpt2, writeTinyLlama } from './tiny-checkpoints';

/** Reads a float32 safetensors file into float64 arrays keyed by name, without the library's reader. */
function readTensors(file: string): Map<string, { shape: number[]; values: Float64Array }> {
  const bytes = fs.readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const tensors = new Map<string, { shape: number[]; values: Float64Array }>();
  for (const [name, entry] of Object.entries<any>(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    const values = new Float64Array((end - begin) / 4);
    for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(8 + headerLength + begin + 4 * i);
    tensors.set(name, { shape: entry.shape, values });
  }
  return tensors;
}

/** y = W x for a PyTorch Linear weight W of shape (out, in), plus an optional bias. */
function linearOutIn(w: Float64Array, x: Float64Array, out: number, bias?: Float64Array): Float64Array {
  const inputs = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let sum = bias ? bias[o] : 0;
    for (let i = 0; i < inputs; i++) sum += w[o * inputs + i] * x[i];
    y[o] = sum;
  }
  return y;
}

/** y = x W for a GPT-2 Conv1D weight W of shape (in, out), plus bias. */
function conv1d(w: Float64Array, x: Float64Array, out: number, bias: Float64Array): Float64Array {
  const y = Float64Array.from(bias);
  for (let i = 0; i < x.length; i++) for (let o = 0; o < out; o++) y[o] += x[i] * w[i * out + o];
  return y;
}

function softmaxInPlace(scores: number[]): number[] {
  const max = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/**
 * Causal attention for one position: query heads [heads][headSize] over cached keys and values
 * [positions][kvHeads·headSize], query head h reading kv head floor(h / (heads / kvHeads)).
 */
function attend(q: Float64Array, keys: Float64Array[], values: Float64Array[], heads: number, kvHeads: number, headSize: number): Float64Array {
  const out = new Float64Array(heads * headSize);
  for (let h = 0; h < heads; h++) {
    const kv = Math.floor(h / (heads / kvHeads));
    const weights = softmaxInPlace(
      keys.map((key) => {
        let dot = 0;
        for (let i = 0; i < headSize; i++) dot += q[h * headSize + i] * key[kv * headSize + i];
        return dot / Math.sqrt(headSize);
      }),
    );
    weights.forEach((weight, t) => {
      for (let i = 0; i < headSize; i++) out[h * headSize + i] += weight * values[t][kv * headSize + i];
    });
  }
  return out;
}

/** Hugging Face Llama/Qwen2 forward in float64, one position at a time, rotary in rotate-half form. */
function referenceLlama(dir: string, tokens: number[]): Float64Array[] {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const t = readTensors(path.join(dir, 'model.safetensors'));
  const get = (name: string) => t.get(name)!.values;
  const has = (name: string) => t.has(name);
  const { hidden_size: hidden, num_attention_heads: heads, num_key_value_heads: kvHeads, num_hidden_layers: layers, intermediate_size: inter, vocab_size: vocab } = config;
  const headSize = hidden / heads;
  const eps = config.rms_norm_eps;
  const rms = (x: Float64Array, gain: Float64Array) => {
    const scale = 1 / Math.sqrt(x.reduce((sum, v) => sum + v * v, 0) / x.length + eps);
    return x.map((v, i) => v * scale * gain[i]);
  };
  // Llama 3 scaling, written from transformers' description of rope_type "llama3".
  const inverseFrequency = (i: number) => {
    const base = 1 / Math.pow(config.rope_theta, (2 * i) / headSize);
    const scaling = config.rope_scaling;
    if (!scaling) return base;
    const wavelength = (2 * Math.PI) / base;
    const lowWavelength = scaling.original_max_position_embeddings / scaling.low_freq_factor;
    const highWavelength = scaling.original_max_position_embeddings / scaling.high_freq_factor;
    if (wavelength < highWavelength) return base;
    if (wavelength > lowWavelength) return base / scaling.factor;
    const smooth = (scaling.original_max_position_embeddings / wavelength - scaling.low_freq_factor) / (scaling.high_freq_factor - scaling.low_freq_factor);
    return (1 - smooth) * (base / scaling.factor) + smooth * base;
  };
  const rope = (vector: Float64Array, count: number, position: number) => {
    const half = headSize / 2;
    for (let h = 0; h < count; h++) {
      for (let i = 0; i < half; i++) {
        const angle = position * inverseFrequency(i);
        const [a, b] = [vector[h * headSize + i], vector[h * headSize + i + half]];
        vector[h * headSize + i] = a * Math.cos(angle) - b * Math.sin(angle);
        vector[h * headSize + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
  };
  const keys: Float64Array[][] = Array.from({ length: layers }, () => []);
  const values: Float64Array[][] = Array.from({ length: layers }, () => []);
  const head = config.tie_word_embeddings ? get('model.embed_tokens.weight') : get('lm_head.weight');
  return tokens.map((token, position) => {
    const x = get('model.embed_tokens.weight').slice(token * hidden, (token + 1) * hidden);
    for (let l = 0; l < layers; l++) {
      const p = `model.layers.${l}`;
      const bias = (name: string) => (has(`${p}.self_attn.${name}.bias`) ? get(`${p}.self_attn.${name}.bias`) : undefined);
      const normed = rms(x, get(`${p}.input_layernorm.weight`));
      const q = linearOutIn(get(`${p}.self_attn.q_proj.weight`), normed, heads * headSize, bias('q_proj'));
      const k = linearOutIn(get(`${p}.self_attn.k_proj.weight`), normed, kvHeads * headSize, bias('k_proj'));
      const v = linearOutIn(get(`${p}.self_attn.v_proj.weight`), normed, kvHeads * headSize, bias('v_proj'));
      rope(q, heads, position);
      rope(k, kvHeads, position);
      keys[l].push(k);
      values[l].push(v);
      const attended = linearOutIn(get(`${p}.self_attn.o_proj.weight`), attend(q, keys[l], values[l], heads, kvHeads, headSize), hidden);
      attended.forEach((value, i) => (x[i] += value));
      const mlpIn = rms(x, get(`${p}.post_attention_layernorm.weight`));
      const gate = linearOutIn(get(`${p}.mlp.gate_proj.weight`), mlpIn, inter);
      const up = linearOutIn(get(`${p}.mlp.up_proj.weight`), mlpIn, inter);
      const down = linearOutIn(get(`${p}.mlp.down_proj.weight`), gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]), hidden);
      down.forEach((value, i) => (x[i] += value));
    }
    return linearOutIn(head, rms(x, get('model.norm.weight')), vocab);
  });
}

/** Hugging Face GPT-2 forward in float64, one position at a time. */
function referenceGpt2(dir: string, tokens: number[]): Float64Array[] {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const t = readTensors(path.join(dir, 'model.safetensors'));
  const get = (name: string) => t.get(`transformer.${name}`)!.values;
  const { n_embd: hidden, n_head: heads, n_layer: layers, vocab_size: vocab } = config;
  const headSize = hidden / heads;
  const layerNorm = (x: Float64Array, prefix: string) => {
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    const [gain, bias] = [get(`${prefix}.weight`), get(`${prefix}.bias`)];
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + config.layer_norm_epsilon)) * gain[i] + bias[i]);
  };
  const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  const keys: Float64Array[][] = Array.from({ length: layers }, () => []);
  const values: Float64Array[][] = Array.from({ length: layers }, () => []);
  return tokens.map((token, position) => {
    const x = get('wte.weight').slice(token * hidden, (token + 1) * hidden).map((v, i) => v + get('wpe.weight')[position * hidden + i]);
    for (let l = 0; l < layers; l++) {
      const p = `h.${l}`;
      const qkv = conv1d(get(`${p}.attn.c_attn.weight`), layerNorm(x, `${p}.ln_1`), 3 * hidden, get(`${p}.attn.c_attn.bias`));
      keys[l].push(qkv.slice(hidden, 2 * hidden));
      values[l].push(qkv.slice(2 * hidden));
      const attended = attend(qkv.slice(0, hidden), keys[l], values[l], heads, heads, headSize);
      conv1d(get(`${p}.attn.c_proj.weight`), attended, hidden, get(`${p}.attn.c_proj.bias`)).forEach((value, i) => (x[i] += value));
      const inner = conv1d(get(`${p}.mlp.c_fc.weight`), layerNorm(x, `${p}.ln_2`), 4 * hidden, get(`${p}.mlp.c_fc.bias`)).map(gelu);
      conv1d(get(`${p}.mlp.c_proj.weight`), inner, hidden, get(`${p}.mlp.c_proj.bias`)).forEach((value, i) => (x[i] += value));
    }
    return linearOutIn(get('wte.weight'), layerNorm(x, 'ln_f'), vocab);
  });
}

describe('pretrained forward against float64 references', () => {
  let root: string;
  const tokens = [3, 77, 150, 9, 201, 45, 260, 12];

  before(async () => {
    await selectBackend('wasm');
  });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-reference-'));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const cases: { name: string; write: (dir: string) => void; reference: (dir: string, ids: number[]) => Float64Array[] }[] = [
    { name: 'gpt2', write: writeTinyGpt2, reference: referenceGpt2 },
    { name: 'llama', write: (dir) => writeTinyLlama(dir, { modelType: 'llama', tied: true, withBos: true }), reference: referenceLlama },
    { name: 'qwen2', write: (dir) => writeTinyLlama(dir, { modelType: 'qwen2', tied: false, withBos: false }), reference: referenceLlama },
    {
      name: 'llama with llama3 rope scaling',
      write: (dir) => {
        writeTinyLlama(dir, { modelType: 'llama', tied: true, withBos: true });
        // A short original context puts one of the two frequencies of a 4-wide head in the blended band and one in the slowed band.
        const file = path.join(dir, 'config.json');
        const config = JSON.parse(fs.readFileSync(file, 'utf8'));
        config.rope_theta = 100;
        config.rope_scaling = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 };
        fs.writeFileSync(file, JSON.stringify(config));
      },
      reference: referenceLlama,
    },
  ];
  for (const { name, write, reference } of cases) {
    it(`should match the ${name} reference logits within 1e-4`, async () => {
      const dir = path.join(root, name);
      write(dir);
      const loaded = await loadModel(dir);
      const expected = reference(dir, tokens);
      const actual = tf.tidy(() => loaded.model.logits(loaded.weights, tf.tensor2d(tokens, [1, tokens.length], 'int32')).arraySync()[0]);
      tf.dispose(Object.values(loaded.weights));
      let maxError = 0;
      expected.forEach((row, t) => row.forEach((value, v) => (maxError = Math.max(maxError, Math.abs(value - actual[t][v])))));
      assert.ok(maxError < 1e-4, `largest logit difference ${maxError}`);
      // The logits must vary across positions by far more than the tolerance, or the comparison shows nothing.
      const spread = Math.max(...expected.flatMap((row, t) => Array.from(row, (value, v) => Math.abs(value - expected[0][v]))));
      assert.ok(spread > 1e-2, `logits barely depend on the input (spread ${spread})`);
    });
  }
});
