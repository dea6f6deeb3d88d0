import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry, type RunEvent } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import { Llama2cTokenizer, generate, loadModel, resolveRunConfig, selectBackend, train, type LoadedModel } from '../src';

const DATA = path.resolve(__dirname, '../../../../shared/data/stories260K');
const MODEL = path.join(DATA, 'stories260K.bin');
const TOKENIZER = path.join(DATA, 'tok512.bin');

/**
 * llama2.c's forward written from the format's description in plain float64 loops, one position at a
 * time with a key-value cache, independent of the tfjs code under test.
 */
function referenceLogits(file: string, tokens: number[]): Float64Array[] {
  const bytes = fs.readFileSync(file);
  const header = Array.from({ length: 7 }, (_, i) => bytes.readInt32LE(4 * i));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize] = header;
  const headSize = dim / nHeads;
  const kvDim = nKvHeads * headSize;
  let offset = 28;
  const take = (count: number) => {
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(offset + 4 * i);
    offset += 4 * count;
    return values;
  };
  const embedding = take(vocabSize * dim);
  const rmsAtt = take(nLayers * dim);
  const wq = take(nLayers * dim * dim);
  const wk = take(nLayers * kvDim * dim);
  const wv = take(nLayers * kvDim * dim);
  const wo = take(nLayers * dim * dim);
  const rmsFfn = take(nLayers * dim);
  const w1 = take(nLayers * hiddenDim * dim);
  const w2 = take(nLayers * dim * hiddenDim);
  const w3 = take(nLayers * hiddenDim * dim);
  const rmsFinal = take(dim);

  const matvec = (w: Float64Array, base: number, x: Float64Array, rows: number, columns: number) => {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < columns; c++) sum += w[base + r * columns + c] * x[c];
      out[r] = sum;
    }
    return out;
  };
  const rmsnorm = (x: Float64Array, w: Float64Array, base: number) => {
    let ss = 0;
    for (const v of x) ss += v * v;
    const scale = 1 / Math.sqrt(ss / x.length + 1e-5);
    return x.map((v, i) => v * scale * w[base + i]);
  };

  const keyCache = Array.from({ length: nLayers }, () => [] as Float64Array[]);
  const valueCache = Array.from({ length: nLayers }, () => [] as Float64Array[]);
  const outputs: Float64Array[] = [];
  tokens.forEach((token, pos) => {
    const x = embedding.slice(token * dim, (token + 1) * dim);
    for (let l = 0; l < nLayers; l++) {
      const xb = rmsnorm(x, rmsAtt, l * dim);
      const q = matvec(wq, l * dim * dim, xb, dim, dim);
      const k = matvec(wk, l * kvDim * dim, xb, kvDim, dim);
      const v = matvec(wv, l * kvDim * dim, xb, kvDim, dim);
      // RoPE on (even, odd) pairs within each head.
      for (let i = 0; i < dim; i += 2) {
        const headDim = i % headSize;
        const angle = pos / Math.pow(10000, headDim / headSize);
        const [c, s] = [Math.cos(angle), Math.sin(angle)];
        for (const vec of i < kvDim ? [q, k] : [q]) {
          const [a, b] = [vec[i], vec[i + 1]];
          vec[i] = a * c - b * s;
          vec[i + 1] = a * s + b * c;
        }
      }
      keyCache[l].push(k);
      valueCache[l].push(v);
      const attended = new Float64Array(dim);
      for (let h = 0; h < nHeads; h++) {
        const kvHead = Math.floor(h / (nHeads / nKvHeads));
        const scores = keyCache[l].map((key) => {
          let dot = 0;
          for (let i = 0; i < headSize; i++) dot += q[h * headSize + i] * key[kvHead * headSize + i];
          return dot / Math.sqrt(headSize);
        });
        const max = Math.max(...scores);
        const exps = scores.map((score) => Math.exp(score - max));
        const total = exps.reduce((a, b) => a + b, 0);
        exps.forEach((e, t) => {
          for (let i = 0; i < headSize; i++) attended[h * headSize + i] += (e / total) * valueCache[l][t][kvHead * headSize + i];
        });
      }
      const projected = matvec(wo, l * dim * dim, attended, dim, dim);
      for (let i = 0; i < dim; i++) x[i] += projected[i];
      const xf = rmsnorm(x, rmsFfn, l * dim);
      const gate = matvec(w1, l * hiddenDim * dim, xf, hiddenDim, dim);
      const up = matvec(w3, l * hiddenDim * dim, xf, hiddenDim, dim);
      const hidden = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
      const down = matvec(w2, l * dim * hiddenDim, hidden, dim, hiddenDim);
      for (let i = 0; i < dim; i++) x[i] += down[i];
    }
    outputs.push(matvec(embedding, 0, rmsnorm(x, rmsFinal, 0), vocabSize, dim));
  });
  return outputs;
}

describe('llama2.c stories260K', function () {
  let loaded: LoadedModel;

  before(async function () {
    if (!fs.existsSync(MODEL) || !fs.existsSync(TOKENIZER)) this.skip();
    await selectBackend('wasm');
    loaded = await loadModel(MODEL, { tokenizerPath: TOKENIZER });
  });

  after(() => {
    if (loaded) tf.dispose(Object.values(loaded.weights));
  });

  it('should match a float64 reference forward within 1e-4', () => {
    const tokens = [1, ...loaded.model.tokenizer.encode('Lily saw a big dog. She')];
    const expected = referenceLogits(MODEL, tokens);
    const logits = tf.tidy(() => loaded.model.logits(loaded.weights, tf.tensor2d(tokens, [1, tokens.length], 'int32')));
    const actual = logits.arraySync()[0];
    logits.dispose();
    let maxError = 0;
    expected.forEach((row, t) => row.forEach((value, v) => (maxError = Math.max(maxError, Math.abs(value - actual[t][v])))));
    assert.ok(maxError < 1e-4, `largest logit difference ${maxError}`);
  });

  it('should generate fluent English greedily from BOS', () => {
    const result = generate(loaded.model, loaded.weights, [1], { maxNewTokens: 60 });
    const text = loaded.model.tokenizer.decode(result.ids);
    const words = text.split(/[^A-Za-z']+/).filter((word) => word.length > 0);
    assert.ok(text.startsWith('Once upon a time'), `greedy sample: ${text}`);
    assert.ok(words.length >= 30, `only ${words.length} words: ${text}`);
    // Byte-fallback noise or broken merges would show up as non-ASCII or run-together words.
    assert.match(text, /^[\x20-\x7e\n]+$/);
    assert.ok(words.every((word) => word.length <= 12), `implausible word in: ${text}`);
  });

  it('should produce the same tokens with and without the key-value cache', () => {
    const prompt = [1, ...loaded.model.tokenizer.encode('The cat')];
    const cached = generate(loaded.model, loaded.weights, prompt, { maxNewTokens: 20 });
    const plain = generate({ ...loaded.model, logits: loaded.model.logits.bind(loaded.model) } as any, loaded.weights, prompt, { maxNewTokens: 20 });
    assert.deepEqual(cached.ids, plain.ids);
  });

  it('should agree with the reference greedy continuation', () => {
    const prompt = [1, ...loaded.model.tokenizer.encode('Tom')];
    const result = generate(loaded.model, loaded.weights, prompt, { maxNewTokens: 8 });
    const sequence = [...prompt];
    for (let i = 0; i < 8; i++) {
      const last = referenceLogits(MODEL, sequence).at(-1)!;
      sequence.push(last.indexOf(Math.max(...last)));
    }
    assert.deepEqual(result.ids, sequence.slice(prompt.length));
  });
});

describe('DPO on stories260K', function () {
  let root: string;

  before(async function () {
    if (!fs.existsSync(MODEL) || !fs.existsSync(TOKENIZER)) this.skip();
    await selectBackend('wasm');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-stories-'));
  });

  after(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('should lower the DPO loss on its own samples', async () => {
    // Pairs from the model's own samples: greedy continuations are chosen, temperature-2 samples rejected.
    const { model, weights } = await loadModel(MODEL, { tokenizerPath: TOKENIZER });
    const prompts = ['Lily went to the park', 'Tom had a big red ball', 'The cat was sleeping', 'Sue wanted to bake a cake', 'Ben saw a bird', 'Mia and her mom'];
    const rows = prompts.map((prompt, i) => {
      const ids = [1, ...model.tokenizer.encode(prompt)];
      const chosen = model.tokenizer.decode(generate(model, weights, ids, { maxNewTokens: 16 }).ids);
      const rejected = model.tokenizer.decode(generate(model, weights, ids, { maxNewTokens: 16, temperature: 2, seed: i }).ids);
      return { prompt, chosen, rejected };
    });
    tf.dispose(Object.values(weights));
    const pairsFile = path.join(root, 'pairs.jsonl');
    fs.writeFileSync(pairsFile, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');

    const runDir = path.join(root, 'run');
    fs.mkdirSync(runDir);
    const config = resolveRunConfig({
      backend: 'wasm',
      losses: [{ name: 'dpo', options: { beta: 0.1 } }],
      data: { train: pairsFile, evalFraction: 0.2 },
      model: { path: MODEL, tokenizer: TOKENIZER, maxLength: 64, maxPromptLength: 32 },
      training: { maxSteps: 3, batchSize: 2, learningRate: 0.001, warmup: { steps: 0 }, scheduler: { name: 'constant', options: {} } },
    });
    fs.writeFileSync(path.join(runDir, 'config.json'), JSON.stringify(config));
    const registry = new PluginRegistry().register(dpoPlugin, constantSchedulePlugin);
    const events: RunEvent[] = await lastValueFrom(train({ config, registry, outDir: runDir }).pipe(toArray()));
    const steps = events.filter((event): event is RunEvent<'step'> => event.type === 'step');
    assert.equal(steps.length, 3);
    assert.ok(steps[2].loss < steps[0].loss, `losses ${steps.map((step) => step.loss).join(', ')}`);

    // The checkpoint is a Hugging Face Llama directory with the llama2.c tokenizer, and still writes English.
    const trained = await loadModel(runDir);
    assert.equal(trained.format, 'huggingface');
    const text = trained.model.tokenizer.decode(generate(trained.model, trained.weights, [1], { maxNewTokens: 20 }).ids);
    tf.dispose(Object.values(trained.weights));
    assert.match(text, /^[A-Z][a-z]+ [a-z]+/);
  });
});

describe('llama2.c tokenizer', function () {
  let tokenizer: Llama2cTokenizer;

  before(function () {
    if (!fs.existsSync(TOKENIZER)) this.skip();
    tokenizer = Llama2cTokenizer.read(TOKENIZER, 512);
  });

  it('should round-trip text through encode and decode', () => {
    const text = 'Once upon a time, Ben found a shiny key under the tree!';
    assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  });

  it('should merge words into fewer tokens than characters', () => {
    const text = 'The little girl was happy.';
    assert.ok(tokenizer.encode(text).length < text.length / 2);
  });

  it('should fall back to bytes for characters without a piece', () => {
    // Ids 3-258 are the pieces <0x00>…<0xFF>; this vocabulary has no CJK pieces.
    const ids = tokenizer.encode('漢');
    const byteIds = Array.from(Buffer.from('漢', 'utf8')).map((byte) => byte + 3);
    assert.deepEqual(ids.slice(-3), byteIds);
    assert.equal(tokenizer.decode(ids), '漢');
  });

  it('should write a file identical to the one it read', () => {
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-tok-')), 'tokenizer.bin');
    tokenizer.write(copy);
    assert.ok(fs.readFileSync(copy).equals(fs.readFileSync(TOKENIZER)));
    fs.rmSync(path.dirname(copy), { recursive: true, force: true });
  });

  it('should name the vocabulary mismatch for the wrong vocab size', () => {
    assert.throws(() => Llama2cTokenizer.read(TOKENIZER, 256), /vocab_size does not match/);
  });
});
