import assert from 'node:assert/strict';
import { RadpoError } from '@radpo/core';
import * as path from 'node:path';
// The CLI's plugin list and config reader, so the tests expand comparisons as `radpo compare` does.
import { readConfigFile } from '../../cli/src/config-file';
import { createBuiltinRegistry } from '../../cli/src/plugins';
import { expandComparison, resolveCompareConfig } from '../src';

const registry = createBuiltinRegistry();

function expand(raw: unknown) {
  return expandComparison(resolveCompareConfig(raw), registry);
}

function assertConfigError(action: () => unknown, pattern: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof RadpoError, String(error));
    assert.equal(error.code, 'config');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('expandComparison', () => {
  it('should form algorithms × augment × seeds', () => {
    const runs = expand({ matrix: { algorithms: ['dpo', 'ipo', 'slic'], seeds: [0, 1] } });

    assert.equal(runs.length, 12);
    assert.deepEqual(
      [...new Set(runs.map((run) => run.group))],
      ['dpo', 'dpo-augment', 'ipo', 'ipo-augment', 'slic', 'slic-augment'],
    );
    assert.deepEqual(runs.slice(0, 2).map((run) => run.id), ['dpo/seed-0', 'dpo/seed-1']);
  });

  it('should give each run its algorithm, transforms and seed', () => {
    const runs = expand({ base: { training: { maxSteps: 7 } }, matrix: { algorithms: ['ipo'], seeds: [3] } });
    const [plain, augmented] = runs;

    assert.deepEqual(plain.config.losses.map((term) => term.name), ['ipo']);
    assert.deepEqual(plain.config.transforms, []);
    assert.deepEqual(augmented.config.transforms.map((transform) => transform.name), ['reward-augment']);
    assert.equal(augmented.config.seed, 3);
    assert.equal(augmented.config.training.maxSteps, 7);
    assert.deepEqual(augmented.labels, { algorithm: 'ipo', augment: 'true' });
  });

  it('should sweep params with loss options and dotted paths', () => {
    const runs = expand({
      matrix: { algorithms: ['dpo'], augment: [false], params: { 'loss.beta': [0.1, 0.5], 'training.learningRate': [0.001] } },
    });

    assert.deepEqual(runs.map((run) => run.group), ['dpo-beta=0.1-learningRate=0.001', 'dpo-beta=0.5-learningRate=0.001']);
    assert.equal(runs[1].config.losses[0].options.beta, 0.5);
    assert.equal(runs[1].config.training.learningRate, 0.001);
    assert.equal(runs[1].labels['loss.beta'], '0.5');
  });

  it('should merge named runs over base', () => {
    const runs = expand({
      base: { training: { maxSteps: 9, batchSize: 2 } },
      runs: [{ name: 'long-slic', config: { losses: [{ name: 'slic' }], training: { maxSteps: 50 } }, seeds: [4, 5] }],
    });

    assert.deepEqual(runs.map((run) => run.id), ['long-slic/seed-4', 'long-slic/seed-5']);
    assert.equal(runs[0].config.training.maxSteps, 50);
    assert.equal(runs[0].config.training.batchSize, 2);
    assert.deepEqual(runs[0].labels, { algorithm: 'slic', augment: 'false' });
  });

  it('should expand examples/compare.yaml to 6 groups of 2 seeds', () => {
    const runs = expand(readConfigFile(path.resolve(__dirname, '../../../examples/compare.yaml')));

    assert.equal(runs.length, 12);
    assert.deepEqual([...new Set(runs.map((run) => run.group))], ['dpo', 'dpo-augment', 'ipo', 'ipo-augment', 'slic', 'slic-augment']);
  });

  it('should list the losses for an unknown algorithm', () => {
    assert.throws(() => expand({ matrix: { algorithms: ['dpx'] } }), /dpo/);
  });

  it('should reject the augment transform in base', () => {
    assertConfigError(
      () => expand({ base: { transforms: [{ name: 'reward-augment' }] }, matrix: { algorithms: ['dpo'] } }),
      /already contains "reward-augment"/,
    );
  });

  it('should reject two groups with one name', () => {
    assertConfigError(() => expand({ matrix: { algorithms: ['dpo'], augment: [false] }, runs: [{ name: 'dpo' }] }), /both named "dpo\/seed-0"/);
  });

  it('should reject a comparison without runs', () => {
    assertConfigError(() => expand({}), /no runs/);
  });

  it('should name a misspelled key of base', () => {
    assertConfigError(() => resolveCompareConfig({ base: { training: { maxStep: 3 } } }), /unknown key "maxStep" in base\.training\. Did you mean "maxSteps"\?/);
  });

  it('should reject an invalid run setting with the run id', () => {
    assertConfigError(() => expand({ matrix: { algorithms: ['dpo'], augment: [false], params: { 'training.batchSize': [0] } } }), /run dpo-batchSize=0\/seed-0/);
  });
});
