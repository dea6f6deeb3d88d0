import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry, type RunEvent } from '@radpo/core';
import { tokenizePairsForTokenizer, type TokenizedPair } from '@radpo/data';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import {
  createKeyValueCache,
  disposeKeyValueCache,
  loadModel,
  pairLogProbs,
  resolvePromptFormat,
  resolveRunConfig,
  saveHfModel,
  selectBackend,
  supportsKeyValueCache,
  train,
  type LoadedModel,
  type PretrainedModel,
  type Weights,
} from '../src';
import { writeTinyGpt2, writeTinyLlama, writeTinyPairs } from './tiny-checkpoints';

const VARIANTS: { name: string; write: (dir: string) => void }[] = [
  { name: 'gpt2', write: (dir) => writeTinyGpt2(dir) },
  { name: 'llama (tied, BOS)', write: (dir) => writeTinyLlama(dir, { modelType: 'llama', tied: true, withBos: true }) },
  { name: 'mistral (SentencePiece, [INST])', write: (dir) => writeTinyLlama(dir, { modelType: 'mistral', tied: false, withBos: true, sentencePiece: true }) },
  { name: 'qwen2 (untied, q/k/v biases, no BOS)', write: (dir) => writeTinyLlama(dir, { modelType: 'qwen2', tied: false, withBos: false }) },
];

function tensorValues(weights: Weights): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(weights).map(([name, tensor]) => [name, tensor.dataSync() as Float32Array]));
}

function tokenize(loaded: LoadedModel, file: string): TokenizedPair[] {
  const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  return tokenizePairsForTokenizer(rows, loaded.model.tokenizer, { maxLength: 48, maxPromptLength: 24, promptFormat: resolvePromptFormat(loaded.model) });
}

describe('Hugging Face checkpoints', () => {
  let root: string;

  before(async () => {
    await selectBackend('wasm');
  });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-hf-'));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const variant of VARIANTS) {
    describe(variant.name, () => {
      it(`should give the same logits with the key-value cache (${variant.name})`, async () => {
        variant.write(path.join(root, 'model'));
        const loaded = await loadModel(path.join(root, 'model'));
        const ids = [5, 80, 120, 33, 7, 64, 200];
        const model = loaded.model;
        assert.ok(supportsKeyValueCache(model));
        const full = tf.tidy(() => model.logits(loaded.weights, tf.tensor2d(ids, [1, ids.length], 'int32')).arraySync()[0]);
        const cache = createKeyValueCache();
        const first = tf.tidy(() => model.logitsWithCache(loaded.weights, tf.tensor2d(ids.slice(0, 4), [1, 4], 'int32'), cache).arraySync()[0]);
        const rest = ids.slice(4).map((id) => tf.tidy(() => model.logitsWithCache(loaded.weights, tf.tensor2d([id], [1, 1], 'int32'), cache).arraySync()[0][0]));
        disposeKeyValueCache(cache);
        const incremental = [...first, ...rest];
        let maxError = 0;
        full.forEach((row, t) => row.forEach((value, v) => (maxError = Math.max(maxError, Math.abs(value - incremental[t][v])))));
        assert.ok(maxError < 1e-5, `largest logit difference ${maxError}`);
        tf.dispose(Object.values(loaded.weights));
      });

      it(`should train DPO steps, save and load back identically (${variant.name})`, async () => {
        const modelDir = path.join(root, 'model');
        const runDir = path.join(root, 'run');
        const pairsFile = path.join(root, 'pairs.jsonl');
        variant.write(modelDir);
        writeTinyPairs(pairsFile);
        const config = resolveRunConfig({
          seed: 1,
          backend: 'wasm',
          losses: [{ name: 'dpo', options: { beta: 0.5 } }],
          data: { train: pairsFile, evalFraction: 0.3 },
          model: { path: modelDir, maxLength: 48, maxPromptLength: 24 },
          training: { maxSteps: 3, batchSize: 2, learningRate: 0.01, warmup: { steps: 0 }, scheduler: { name: 'constant', options: {} } },
        });
        fs.mkdirSync(runDir);
        fs.writeFileSync(path.join(runDir, 'config.json'), JSON.stringify(config));
        const registry = new PluginRegistry().register(dpoPlugin, constantSchedulePlugin);
        const events: RunEvent[] = await lastValueFrom(train({ config, registry, outDir: runDir }).pipe(toArray()));
        const steps = events.filter((event) => event.type === 'step');
        assert.equal(steps.length, 3);
        assert.ok(steps.every((event) => Number.isFinite((event as RunEvent<'step'>).loss)));

        const original = await loadModel(modelDir);
        const trained = await loadModel(runDir);
        assert.equal(trained.format, 'huggingface');
        const before = tensorValues(original.weights);
        const after = tensorValues(trained.weights);
        const unchanged = Object.keys(before).filter((name) => !/embed|wte|wpe/.test(name) && before[name].every((v, i) => v === after[name][i]));
        assert.deepEqual(unchanged, [], 'every non-embedding tensor should change in training');

        const copyDir = path.join(root, 'copy');
        await saveHfModel(copyDir, trained.model as PretrainedModel, trained.weights);
        const reloaded = await loadModel(copyDir);
        const again = tensorValues(reloaded.weights);
        assert.deepEqual(Object.keys(again).sort(), Object.keys(after).sort());
        for (const name of Object.keys(after)) assert.ok(Buffer.from(again[name].buffer).equals(Buffer.from(after[name].buffer)), `tensor ${name} differs after reload`);
        assert.ok(
          fs.readFileSync(path.join(copyDir, 'model.safetensors')).equals(fs.readFileSync(path.join(runDir, 'model', 'model.safetensors'))),
          'a re-saved checkpoint should be byte-identical',
        );

        const pairs = tokenize(trained, pairsFile);
        assert.deepEqual(pairLogProbs(reloaded.model, reloaded.weights, pairs, 4), pairLogProbs(trained.model, trained.weights, pairs, 4));
        for (const loaded of [original, trained, reloaded]) tf.dispose(Object.values(loaded.weights));
      });
    });
  }

  it('should start every chat-template sequence with exactly one BOS', async () => {
    writeTinyLlama(path.join(root, 'model'), { modelType: 'llama', tied: true, withBos: true });
    const loaded = await loadModel(path.join(root, 'model'));
    const pairsFile = path.join(root, 'pairs.jsonl');
    writeTinyPairs(pairsFile);
    const pairs = tokenize(loaded, pairsFile);
    const bos = loaded.model.tokenizer.bosId!;
    for (const pair of pairs) {
      assert.equal(pair.promptIds[0], bos);
      assert.notEqual(pair.promptIds[1], bos);
    }
    tf.dispose(Object.values(loaded.weights));
  });

  it('should tokenize [INST] pairs with a SentencePiece tokenizer', async () => {
    writeTinyLlama(path.join(root, 'model'), { modelType: 'mistral', tied: false, withBos: true, sentencePiece: true });
    const loaded = await loadModel(path.join(root, 'model'));
    const tokenizer = loaded.model.tokenizer;
    const rows = [{ prompt: 'Say the cat sat.', chosen: 'The cat sat.', rejected: 'No.' }];
    const stats = { pairs: 0, truncatedPrompts: 0, truncatedResponses: 0, identicalAfterTruncation: 0, boundaryRepairs: 0 };
    const [pair] = tokenizePairsForTokenizer(rows, tokenizer, { maxLength: 64, maxPromptLength: 32, promptFormat: 'template' }, stats);
    assert.equal(stats.boundaryRepairs, 0);
    assert.equal(pair.promptIds.filter((id) => id === tokenizer.bosId).length, 1);
    assert.equal(tokenizer.decode(pair.promptIds), '[INST] Say the cat sat. [/INST]');
    // The template writes ' ' + content + ' ' + eos_token; the decoder strips the leading space only.
    assert.equal(tokenizer.decode(pair.chosenIds), 'The cat sat. ');
    assert.equal(pair.chosenIds.at(-1), tokenizer.eosId);
    assert.equal(pair.chosenIds.filter((id) => id === tokenizer.eosId).length, 1);
    tf.dispose(Object.values(loaded.weights));
  });

  it('should warn when the warm-up runs on a pretrained model', async () => {
    const modelDir = path.join(root, 'model');
    const pairsFile = path.join(root, 'pairs.jsonl');
    writeTinyGpt2(modelDir);
    writeTinyPairs(pairsFile);
    const config = resolveRunConfig({
      backend: 'wasm',
      data: { train: pairsFile },
      model: { path: modelDir, maxLength: 48, maxPromptLength: 24 },
      training: { maxSteps: 1, batchSize: 2, warmup: { steps: 1 }, scheduler: { name: 'constant', options: {} } },
    });
    const registry = new PluginRegistry().register(dpoPlugin, constantSchedulePlugin);
    const events: RunEvent[] = await lastValueFrom(train({ config, registry }).pipe(toArray()));
    const warnings = events.filter((event): event is RunEvent<'warning'> => event.type === 'warning').map((event) => event.message);
    assert.ok(warnings.some((message) => /1 supervised warm-up steps .* pretrained model/.test(message)), warnings.join('\n'));
  });

  it('should name the roles when a chat template rejects them', async () => {
    const modelDir = path.join(root, 'model');
    writeTinyLlama(modelDir, { modelType: 'llama', tied: true, withBos: true });
    const configFile = path.join(modelDir, 'tokenizer_config.json');
    const tokenizerConfig = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    tokenizerConfig.chat_template =
      "{% for message in messages %}{% if message['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{{ message['content'] }}{% endfor %}";
    fs.writeFileSync(configFile, JSON.stringify(tokenizerConfig));
    const loaded = await loadModel(modelDir);
    const rows = [{ prompt: [{ role: 'system' as const, content: 'Score 9.' }, { role: 'user' as const, content: 'hi' }], chosen: 'a', rejected: 'b' }];
    assert.throws(
      () => tokenizePairsForTokenizer(rows, loaded.model.tokenizer, { maxLength: 48, maxPromptLength: 24, promptFormat: 'template' }),
      /roles \[system, user\]: System role not supported\. .*placement "user-prefix"/,
    );
    tf.dispose(Object.values(loaded.weights));
  });

  it('should end a ChatML response with the template EOS only once', async () => {
    writeTinyLlama(path.join(root, 'model'), { modelType: 'qwen2', tied: false, withBos: false });
    const loaded = await loadModel(path.join(root, 'model'));
    const pairsFile = path.join(root, 'pairs.jsonl');
    writeTinyPairs(pairsFile);
    const eos = loaded.model.tokenizer.eosId!;
    for (const pair of tokenize(loaded, pairsFile)) {
      assert.equal(pair.chosenIds.filter((id) => id === eos).length, 1);
      assert.equal(loaded.model.tokenizer.decode(pair.chosenIds.slice(0, pair.chosenIds.indexOf(eos))).length > 0, true);
    }
    tf.dispose(Object.values(loaded.weights));
  });
});

describe('checkpoint validation', () => {
  let dir: string;

  before(async () => {
    await selectBackend('wasm');
  });

  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-bad-')), 'model');
    writeTinyLlama(dir, { modelType: 'llama', tied: false, withBos: true });
  });

  afterEach(() => {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  function editConfig(edit: (config: Record<string, unknown>) => void): void {
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(config);
    fs.writeFileSync(file, JSON.stringify(config));
  }

  it('should name the tensor whose shape does not match config.json', async () => {
    editConfig((config) => (config.intermediate_size = 32));
    await assert.rejects(loadModel(dir), /tensor "model\.layers\.0\.mlp\.gate_proj\.weight".*shape \[24,16\].*implies \[32,16\]/);
  });

  it('should name a missing tensor', async () => {
    editConfig((config) => (config.num_hidden_layers = 3));
    await assert.rejects(loadModel(dir), /tensor "model\.layers\.2\.input_layernorm\.weight" is missing/);
  });

  it('should name a tensor the config does not expect', async () => {
    editConfig((config) => (config.num_hidden_layers = 1));
    await assert.rejects(loadModel(dir), /tensor "model\.layers\.1\.[a-z_.]+" .*is not part of a llama model/);
  });

  it('should reject an unknown model_type and list the supported ones', async () => {
    editConfig((config) => (config.model_type = 'falcon'));
    await assert.rejects(loadModel(dir), /model_type "falcon".*supported: gpt2, llama, mistral, qwen2/);
  });

  it('should name a missing config field', async () => {
    editConfig((config) => delete config.num_attention_heads);
    await assert.rejects(loadModel(dir), /field num_attention_heads is undefined; expected a number/);
  });

  it('should reject a tokenizer larger than vocab_size', async () => {
    editConfig((config) => (config.vocab_size = 100));
    await assert.rejects(loadModel(dir), /tokenizer has 269 tokens but .*vocab_size 100/);
  });

  it('should reject rope scaling it does not implement', async () => {
    editConfig((config) => (config.rope_scaling = { rope_type: 'yarn', factor: 4 }));
    await assert.rejects(loadModel(dir), /rope_scaling .*"yarn".* is not supported/);
  });

  it('should limit Mistral sequences to the sliding window', async () => {
    editConfig((config) => Object.assign(config, { model_type: 'mistral', sliding_window: 16 }));
    const loaded = await loadModel(dir);
    assert.equal(loaded.model.maxSequenceLength, 16);
    const ids = tf.zeros([1, 17], 'int32') as tf.Tensor2D;
    assert.throws(() => loaded.model.logits(loaded.weights, ids), /17 tokens exceeds the model's 16 positions/);
    tf.dispose([ids, ...Object.values(loaded.weights)]);
  });

  it('should name a missing llama3 rope_scaling field', async () => {
    editConfig((config) => (config.rope_scaling = { rope_type: 'llama3', factor: 8 }));
    await assert.rejects(loadModel(dir), /field rope_scaling\.low_freq_factor is undefined/);
  });

  it('should report a llama2.c file whose size does not match its header', async () => {
    const file = path.join(path.dirname(dir), 'broken.bin');
    const header = Buffer.alloc(28 + 400);
    [16, 32, 1, 2, 2, 300, 32].forEach((value, i) => header.writeInt32LE(value, 4 * i));
    fs.writeFileSync(file, header);
    fs.writeFileSync(path.join(path.dirname(dir), 'tokenizer.bin'), Buffer.alloc(4));
    await assert.rejects(loadModel(file), /implies \d+ bytes, but the file has 428/);
  });
});
