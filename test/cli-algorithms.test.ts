import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ULTRAFEEDBACK, makeTempDir, readEvents, runCli } from './helpers';

const TRAIN = path.join(ULTRAFEEDBACK, 'train_clean.jsonl');
const EVAL = path.join(ULTRAFEEDBACK, 'eval_clean.jsonl');

describe('radpo train with the reference-free losses, kto and weighted terms', function () {
  let work: string;
  let smallConfig: string;

  before(function () {
    if (!fs.existsSync(TRAIN)) this.skip();
    work = makeTempDir('cli-algorithms');
    // A small model and eval set keep each run to a few seconds on two CPU cores.
    smallConfig = path.join(work, 'small.yaml');
    fs.writeFileSync(
      smallConfig,
      ['data:', '  maxEvalPairs: 16', 'model:', '  dModel: 32', '  nLayers: 1', '  maxLength: 96', '  maxPromptLength: 64', ''].join('\n'),
    );
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function train(out: string, extra: string[]): Array<Record<string, any>> {
    const args = ['train', '--data', TRAIN, '--eval-data', EVAL, '--max-steps', '3', '--warmup-steps', '1', '--config', smallConfig, '--out', out, ...extra];
    const result = runCli(args);
    assert.equal(result.status, 0, result.stderr);
    return readEvents(out);
  }

  const cases: [string, boolean, boolean][] = [
    ['simpo', false, false],
    ['cpo', false, false],
    ['orpo', false, false],
    ['sft', false, false],
    ['kto', true, false],
    ['orpo', false, true],
    ['kto', true, true],
  ];
  for (const [algo, usesReference, augment] of cases) {
    it(`should train ${algo}${augment ? ' with --augment' : ''} to finite losses`, () => {
      const events = train(path.join(work, `${algo}-${augment}`), ['--algo', algo, ...(augment ? ['--augment'] : [])]);
      const start = events.find((event) => event.type === 'runStart');
      assert.deepEqual(start?.losses, [algo]);
      assert.equal(start?.usesReference, usesReference);
      const losses = events.filter((event) => event.type === 'step' && event.phase === 'train').map((event) => event.loss);
      assert.equal(losses.length, 3);
      assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
      const evaluation = events.find((event) => event.type === 'eval');
      assert.ok(Number.isFinite(evaluation?.metrics['rewards/accuracies']), 'no finite held-out accuracy');
    });
  }

  it('should sum 0.8 dpo and 1.0 sft and report each term', () => {
    const out = path.join(work, 'dpo-sft');
    const events = train(out, ['--algo', 'dpo:0.8', '--algo', 'sft:1', '--beta', '0.2']);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.losses, [
      { name: 'dpo', weight: 0.8, options: { beta: 0.2 } },
      { name: 'sft', weight: 1, options: {} },
    ]);
    const steps = events.filter((event) => event.type === 'step' && event.phase === 'train');
    assert.equal(steps.length, 3);
    for (const step of steps) {
      const dpo = step.metrics['dpo/loss'];
      const sft = step.metrics['sft/loss'];
      assert.ok(Number.isFinite(dpo), `dpo/loss ${dpo}`);
      assert.ok(Number.isFinite(sft), `sft/loss ${sft}`);
      const expected = 0.8 * dpo + sft;
      assert.ok(Math.abs(step.loss - expected) <= 1e-4 * Math.abs(expected), `step ${step.step}: loss ${step.loss}, 0.8·dpo + sft = ${expected}`);
    }
    const evaluation = events.find((event) => event.type === 'eval');
    assert.ok(Number.isFinite(evaluation?.metrics['dpo/loss']), 'no dpo/loss in the eval event');
    assert.ok(Number.isFinite(evaluation?.metrics['sft/loss']), 'no sft/loss in the eval event');
  });
});

describe('radpo train --algo weights', () => {
  it('should exit with status 2 for a zero weight', () => {
    const result = runCli(['train', '--algo', 'dpo:0', '--out', path.join('/nonexistent', 'never-created')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--algo "dpo:0": the weight must be a finite number above 0/);
  });

  it('should reject --beta when no term has a beta option', () => {
    const result = runCli(['train', '--algo', 'sft', '--beta', '0.3', '--out', path.join('/nonexistent', 'never-created')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no loss term of this run \(sft\) has a beta option/);
  });
});
