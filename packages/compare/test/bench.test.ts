import assert from 'node:assert/strict';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@radpo/data';
import { BuiltinTransformer, selectBackend } from '@radpo/runtime';
import { buildPairs, sampleResponses, sequenceLogProbs, type ScoredSamples } from '../src';

describe('buildPairs', () => {
  const samples: ScoredSamples[] = [
    {
      prompt: 'Sort the letters: b a c d',
      responses: [
        { text: 'a b', score: 3 },
        { text: 'a b c d', score: 10 },
        { text: 'a b c d', score: 10 },
        { text: 'b a c d', score: 5.5 },
      ],
    },
    { prompt: 'Sort the letters: d c b a', responses: [{ text: 'a', score: 1 }, { text: 'a', score: 1 }] },
  ];

  it('should choose the best against a different other', () => {
    const pairs = buildPairs(samples, createRng(1), 'p');

    assert.equal(pairs.length, 1);
    assert.equal(pairs[0].chosen, 'a b c d');
    assert.ok(['a b', 'b a c d'].includes(pairs[0].rejected as string), String(pairs[0].rejected));
    assert.equal(pairs[0].scores!.chosen, 10);
  });

  it('should draw the rejected response by seed', () => {
    const rejected = new Set<string>();
    for (let seed = 0; seed < 20; seed++) rejected.add(buildPairs(samples, createRng(seed), 'p')[0].rejected as string);

    assert.deepEqual([...rejected].sort(), ['a b', 'b a c d']);
  });
});

describe('sampleResponses', () => {
  const model = new BuiltinTransformer({ dModel: 16, nLayers: 1, nHeads: 2, maxPositions: 32 });
  let weights: Record<string, tf.Tensor>;

  before(async () => {
    await selectBackend('cpu');
    weights = model.initWeights(3);
  });
  after(() => tf.dispose(Object.values(weights)));

  const prompts = [[256, 72, 105], [256, 65]];

  it('should repeat for one seed and stop at maxNewTokens', () => {
    const options = { maxNewTokens: 5, temperature: 1, batchSize: 1 };

    const first = sampleResponses(model, weights, prompts, { ...options, rng: createRng(9) });
    const second = sampleResponses(model, weights, prompts, { ...options, rng: createRng(9) });

    assert.deepEqual(first, second);
    for (const response of first) assert.ok(response.length <= 5, `${response.length} tokens`);
    for (const response of first) assert.ok(response.every((id) => id < 256 && id >= 0), JSON.stringify(response));
  });

  it('should sample batched prompts as one at a time', () => {
    // With a near-zero temperature sampling is greedy, so padding in a batch must not change the output.
    const options = { maxNewTokens: 4, temperature: 1e-4 };

    const single = sampleResponses(model, weights, prompts, { ...options, batchSize: 1, rng: createRng(1) });
    const batched = sampleResponses(model, weights, prompts, { ...options, batchSize: 2, rng: createRng(1) });

    assert.deepEqual(batched, single);
  });

  it('should sum response log-probabilities', () => {
    const sequences = [{ promptIds: [256, 72], responseIds: [105, 257] }];

    const [summed] = sequenceLogProbs(model, weights, sequences, 4);

    const manual = tf.tidy(() => {
      const logits = model.logits(weights, tf.tensor2d([[256, 72, 105, 257]], [1, 4], 'int32'));
      const logProbs = tf.logSoftmax(logits).arraySync() as number[][][];
      return logProbs[0][1][105] + logProbs[0][2][257];
    });
    assert.ok(Math.abs(summed - manual) < 1e-4, `${summed} vs ${manual}`);
  });
});
