import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@radpo/data';
import { generate, loadModel, pickToken, selectBackend, type LoadedModel } from '../src';
import { writeTinyLlama } from './tiny-checkpoints';

const LOGITS = Float32Array.from([1.0, 3.0, 2.5, -1.0, 0.0]);

function softmax(logits: Float32Array, temperature: number): number[] {
  const scaled = Array.from(logits, (value) => value / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((value) => Math.exp(value - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

function frequencies(draws: number, options: Parameters<typeof pickToken>[1]): number[] {
  const rng = createRng(5);
  const counts = new Array(LOGITS.length).fill(0);
  for (let i = 0; i < draws; i++) counts[pickToken(LOGITS, options, rng)]++;
  return counts.map((count) => count / draws);
}

describe('pickToken', () => {
  it('should pick the largest logit at temperature 0', () => {
    assert.equal(pickToken(LOGITS, { temperature: 0 }, createRng(1)), 1);
  });

  it('should sample the softmax at the given temperature', () => {
    const expected = softmax(LOGITS, 0.7);
    const observed = frequencies(20000, { temperature: 0.7 });
    // Standard error of a frequency near 0.5 over 20000 draws is about 0.0035; 0.015 is over 4 of them.
    observed.forEach((frequency, id) => assert.ok(Math.abs(frequency - expected[id]) < 0.015, `token ${id}: ${frequency} vs ${expected[id]}`));
  });

  it('should sample only the k most likely tokens with top-k', () => {
    const observed = frequencies(5000, { temperature: 1, topK: 2 });
    assert.equal(observed[0] + observed[3] + observed[4], 0);
    const p1 = Math.exp(3) / (Math.exp(3) + Math.exp(2.5));
    const p2 = 1 - p1;
    assert.ok(Math.abs(observed[1] - p1) < 0.03, `token 1: ${observed[1]} vs ${p1}`);
    assert.ok(Math.abs(observed[2] - p2) < 0.03, `token 2: ${observed[2]} vs ${p2}`);
  });

  it('should sample the smallest set reaching top-p', () => {
    const probabilities = softmax(LOGITS, 1);
    // Tokens 1 and 2 hold about 0.83 of the mass; top-p 0.8 keeps exactly those two.
    assert.ok(probabilities[1] < 0.8);
    assert.ok(probabilities[1] + probabilities[2] >= 0.8);
    const observed = frequencies(5000, { temperature: 1, topP: 0.8 });
    assert.equal(observed[0] + observed[3] + observed[4], 0);
    assert.ok(observed[1] > observed[2]);
  });
});

describe('generate', () => {
  let root: string;
  let loaded: LoadedModel;

  before(async () => {
    await selectBackend('wasm');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-generate-'));
    writeTinyLlama(path.join(root, 'model'), { modelType: 'llama', tied: true, withBos: true });
    loaded = await loadModel(path.join(root, 'model'));
  });

  after(() => {
    tf.dispose(Object.values(loaded.weights));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('should stop at a stop token and include it', () => {
    const free = generate(loaded.model, loaded.weights, [5, 6], { maxNewTokens: 6, stopIds: [] });
    const stopped = generate(loaded.model, loaded.weights, [5, 6], { maxNewTokens: 6, stopIds: [free.ids[2]] });
    assert.equal(stopped.stopReason, 'stop-token');
    assert.deepEqual(stopped.ids, free.ids.slice(0, free.ids.indexOf(free.ids[2]) + 1));
  });

  it('should stop after max new tokens', () => {
    const result = generate(loaded.model, loaded.weights, [5], { maxNewTokens: 3, stopIds: [] });
    assert.equal(result.stopReason, 'max-new-tokens');
    assert.equal(result.ids.length, 3);
  });

  it('should stop at the model\'s last position', () => {
    const prompt = Array.from({ length: loaded.model.maxSequenceLength - 2 }, (_, i) => 10 + (i % 50));
    const result = generate(loaded.model, loaded.weights, prompt, { maxNewTokens: 10, stopIds: [] });
    assert.equal(result.stopReason, 'max-positions');
    assert.equal(result.ids.length, 2);
  });

  it('should reject invalid sampling options', () => {
    assert.throws(() => generate(loaded.model, loaded.weights, [5], { maxNewTokens: 3, temperature: -1 }), /temperature must be 0 \(greedy\) or positive, got -1/);
    assert.throws(() => generate(loaded.model, loaded.weights, [5], { maxNewTokens: 3, topP: 0 }), /top-p must be in \(0, 1\]/);
    assert.throws(() => generate(loaded.model, loaded.weights, [5], { maxNewTokens: 3, topK: 1.5 }), /top-k must be a non-negative integer/);
  });

  it('should repeat a sampled continuation for the same seed', () => {
    const options = { maxNewTokens: 8, temperature: 1.2, topK: 50, topP: 0.95, seed: 4, stopIds: [] };
    assert.deepEqual(generate(loaded.model, loaded.weights, [5], options).ids, generate(loaded.model, loaded.weights, [5], options).ids);
  });
});
