import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry, type RunEvent } from '@radpo/core';
import type { TokenizedPair } from '@radpo/data';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { ktoPlugin } from '@radpo/plugin-kto';
import { simpoPlugin } from '@radpo/plugin-simpo';
import { sftPlugin } from '@radpo/plugin-sft';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import {
  BuiltinTransformer,
  buildMismatchedBatch,
  buildPairBatch,
  buildSequenceBatch,
  disposeBatch,
  mismatchedLogRatios,
  resolveRunConfig,
  responseLogProbs,
  train,
} from '../src';

function registry(): PluginRegistry {
  return new PluginRegistry().register(dpoPlugin, ktoPlugin, simpoPlugin, sftPlugin, constantSchedulePlugin);
}

/** 4 optimizer steps of 2 pairs, no warm-up, and 8 held-out pairs evaluated in one batch. */
function tinyConfig(losses: { name: string; weight?: number }[], batchSize = 2) {
  return resolveRunConfig({
    seed: 5,
    backend: 'wasm',
    // The preflight would add model and loss calls that these tests count.
    preflight: false,
    // Live reference passes, one per batch: the precomputed table has its own tests.
    reference: { precompute: false },
    losses,
    data: { synthetic: { trainPairs: 16, evalPairs: 8 } },
    model: { dModel: 16, nLayers: 1, nHeads: 2, maxLength: 40, maxPromptLength: 24 },
    training: { maxSteps: 4, batchSize, warmup: { steps: 0 }, evalBatchSize: 16, scheduler: { name: 'constant', options: {} } },
  });
}

/** Runs a training and counts forward passes through the built-in model. */
async function countForwardPasses(losses: { name: string; weight?: number }[], batchSize = 2): Promise<{ calls: number; events: RunEvent[] }> {
  const original = BuiltinTransformer.prototype.logits;
  let calls = 0;
  BuiltinTransformer.prototype.logits = function (this: BuiltinTransformer, ...args: Parameters<typeof original>) {
    calls++;
    return original.apply(this, args);
  };
  try {
    const events = await lastValueFrom(train({ config: tinyConfig(losses, batchSize), registry: registry() }).pipe(toArray()));
    return { calls, events };
  } finally {
    BuiltinTransformer.prototype.logits = original;
  }
}

describe('reference model use', () => {
  it('should run one forward pass per batch for reference-free terms', async () => {
    const { calls, events } = await countForwardPasses([{ name: 'simpo' }, { name: 'sft', weight: 0.5 }]);
    const start = events.find((event): event is RunEvent<'runStart'> => event.type === 'runStart');
    assert.equal(start?.usesReference, false);
    // 4 training batches + 1 evaluation batch, each through the policy only.
    assert.equal(calls, 5);
  });

  it('should run policy and reference passes for dpo', async () => {
    const { calls, events } = await countForwardPasses([{ name: 'dpo' }]);
    const start = events.find((event): event is RunEvent<'runStart'> => event.type === 'runStart');
    assert.equal(start?.usesReference, true);
    assert.equal(calls, 10);
  });

  it('should add mismatched policy and reference passes for kto', async () => {
    const { calls, events } = await countForwardPasses([{ name: 'kto' }]);
    // Per batch: policy, reference, and both again on the mismatched sequences.
    assert.equal(calls, 20);
    const steps = events.filter((event): event is RunEvent<'step'> => event.type === 'step');
    assert.equal(steps.length, 4);
    for (const step of steps) {
      assert.ok(Number.isFinite(step.loss), `loss ${step.loss}`);
      assert.ok(Number.isFinite(step.metrics['kto/kl']), `kto/kl ${step.metrics['kto/kl']}`);
    }
    // The policy starts as the reference, so every log-ratio is 0, z0 is 0 and the loss is 1 − σ(0) = 0.5.
    assert.ok(Math.abs(steps[0].loss - 0.5) < 1e-5, `first loss ${steps[0].loss}`);
    assert.ok(Math.abs(steps[0].metrics['kto/kl']) < 1e-6, `first kto/kl ${steps[0].metrics['kto/kl']}`);
  });

  it('should leave no tensors behind after a kto run', async () => {
    await countForwardPasses([{ name: 'kto' }]);
    const before = tf.memory().numTensors;
    await countForwardPasses([{ name: 'kto' }]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('should warn that kto with one pair per batch has no KL estimate', async () => {
    const { events } = await countForwardPasses([{ name: 'kto' }], 1);
    const warning = events.find((event): event is RunEvent<'warning'> => event.type === 'warning' && event.source === 'trainer');
    assert.match(warning?.message ?? '', /kto estimates the KL divergence.*batch size is 1/);
  });

  it('should report each term of a weighted combination', async () => {
    const { events } = await countForwardPasses([{ name: 'simpo' }, { name: 'sft', weight: 0.5 }]);
    const step = events.find((event): event is RunEvent<'step'> => event.type === 'step' && event.phase === 'train');
    assert.ok(step);
    const simpo = step.metrics['simpo/loss'];
    const sft = step.metrics['sft/loss'];
    assert.ok(Number.isFinite(simpo), `simpo/loss ${simpo}`);
    assert.ok(Number.isFinite(sft), `sft/loss ${sft}`);
    // The step loss is Σ weight · mean(term loss).
    assert.ok(Math.abs(step.loss - (simpo + 0.5 * sft)) < 1e-4 * Math.abs(step.loss), `loss ${step.loss} vs ${simpo} + 0.5·${sft}`);
  });
});

describe('mismatched batch', () => {
  const pairs: TokenizedPair[] = [
    { id: 'a', promptIds: [1, 2, 3], chosenIds: [10, 11], rejectedIds: [12] },
    { id: 'b', promptIds: [4], chosenIds: [20, 21, 22, 23, 24, 25], rejectedIds: [26, 27] },
  ];

  it('should pair each prompt with the next pair responses and wrap around', () => {
    const batch = buildMismatchedBatch(pairs, 0, 16);
    const rows = batch.ids.arraySync();
    disposeBatch(batch);
    assert.deepEqual(rows[0].slice(0, 9), [1, 2, 3, 20, 21, 22, 23, 24, 25]);
    assert.deepEqual(rows[1].slice(0, 3), [4, 10, 11]);
    assert.deepEqual(rows[2].slice(0, 5), [1, 2, 3, 26, 27]);
    assert.deepEqual(rows[3].slice(0, 2), [4, 12]);
  });

  it('should cut responses to fit the maximum length', () => {
    const batch = buildMismatchedBatch(pairs, 0, 5);
    const mask = batch.responseMask.arraySync();
    const rows = batch.ids.arraySync();
    disposeBatch(batch);
    assert.deepEqual(rows[0], [1, 2, 3, 20, 21]);
    // Only the 2 response tokens that fit are scored.
    assert.equal(mask[0].reduce((total, value) => total + value, 0), 2);
  });

  it('should leave no tensors behind', () => {
    const before = tf.memory().numTensors;
    disposeBatch(buildMismatchedBatch(pairs, 0, 16));
    assert.equal(tf.memory().numTensors, before);
  });

  it('should give the mean policy minus reference log-ratio of both mismatched responses', () => {
    const model = new BuiltinTransformer({ dModel: 16, nLayers: 1, nHeads: 2, maxLength: 16, maxPromptLength: 8, maxPositions: 16 });
    const policy = model.initWeights(1);
    const reference = model.initWeights(2);
    const objective = { model, terms: [{ loss: registry().create('loss', 'kto'), weight: 1 }], reference };
    const batch = buildPairBatch(pairs, model.tokenizer.padId);
    const ratios = mismatchedLogRatios(objective, policy, batch)!.arraySync();
    disposeBatch(batch);

    // Pair a's prompt with pair b's responses, scored one sequence at a time.
    const score = (weights: typeof policy, responseIds: number[]) => {
      const single = buildSequenceBatch([{ promptIds: pairs[0].promptIds, responseIds }], model.tokenizer.padId);
      const value = responseLogProbs(model, weights, single).summed.arraySync()[0];
      disposeBatch(single);
      return value;
    };
    const withChosen = score(policy, pairs[1].chosenIds) - score(reference, pairs[1].chosenIds);
    const withRejected = score(policy, pairs[1].rejectedIds) - score(reference, pairs[1].rejectedIds);
    const expected = (withChosen + withRejected) / 2;
    assert.ok(Math.abs(expected) > 1e-3, `different weights should give a non-zero log-ratio, got ${expected}`);
    assert.ok(Math.abs(ratios[0] - expected) <= 1e-4 * Math.abs(expected), `expected ${expected}, got ${ratios[0]}`);
    tf.dispose([...Object.values(policy), ...Object.values(reference)]);
  });
});
