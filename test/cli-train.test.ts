import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ULTRAFEEDBACK, makeTempDir, readEvents, runCli } from './helpers';

const TRAIN = path.join(ULTRAFEEDBACK, 'train_clean.jsonl');
const EVAL = path.join(ULTRAFEEDBACK, 'eval_clean.jsonl');

describe('radpo train on the UltraFeedback sample', function () {
  let work: string;
  let smallConfig: string;

  before(function () {
    if (!fs.existsSync(TRAIN)) this.skip();
    work = makeTempDir('cli-train');
    // A smaller model and eval set keep the matrix of runs below a minute each on two CPU cores.
    smallConfig = path.join(work, 'small.yaml');
    fs.writeFileSync(
      smallConfig,
      ['data:', '  maxEvalPairs: 24', 'model:', '  dModel: 32', '  nLayers: 1', '  maxLength: 96', '  maxPromptLength: 64', ''].join('\n'),
    );
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('should record 20 ipo steps, augmentation and eval', () => {
    const out = path.join(work, 'ipo-augment');
    const result = runCli(['train', '--algo', 'ipo', '--augment', '--data', TRAIN, '--eval-data', EVAL, '--max-steps', '20', '--warmup-steps', '5', '--config', smallConfig, '--out', out]);
    assert.equal(result.status, 0, result.stderr);

    const events = readEvents(out);
    const steps = events.filter((event) => event.type === 'step' && event.phase === 'train');
    assert.equal(steps.length, 20);
    for (const step of steps) assert.ok(typeof step.loss === 'number' && Number.isFinite(step.loss), `loss ${step.loss}`);

    const augmentation = events.find((event) => event.type === 'transform' && event.split === 'train');
    assert.ok(augmentation, 'no transform event');
    assert.equal(augmentation.transform, 'reward-augment');
    assert.equal(augmentation.stats.rowsIn, 1000);
    assert.equal(augmentation.stats.rowsOut, 2000);
    assert.equal(augmentation.stats.ties, 111);

    const evaluation = events.find((event) => event.type === 'eval');
    assert.ok(evaluation, 'no eval event');
    assert.ok(Number.isFinite(evaluation.metrics['rewards/accuracies']));
    const latest = fs.readFileSync(path.join(out, 'latest'), 'utf8').trim();
    assert.equal(latest, 'checkpoint-20');
    assert.ok(fs.existsSync(path.join(out, latest, 'weights.bin')));
    assert.ok(fs.existsSync(path.join(out, 'config.json')));
    assert.match(result.stdout, /rewards\/accuracies/);
  });

  for (const algo of ['dpo', 'slic', 'ipo']) {
    for (const augment of [false, true]) {
      it(`should train ${algo}${augment ? ' with --augment' : ''} to a finite loss`, () => {
        const out = path.join(work, `${algo}-${augment}`);
        const args = ['train', '--algo', algo, '--data', TRAIN, '--eval-data', EVAL, '--max-steps', '3', '--warmup-steps', '1', '--config', smallConfig, '--out', out];
        if (augment) args.push('--augment');
        const result = runCli(args);
        assert.equal(result.status, 0, result.stderr);
        const events = readEvents(out);
        const start = events.find((event) => event.type === 'runStart');
        assert.deepEqual(start?.losses, [algo]);
        const read = events.find((event) => event.type === 'read' && event.split === 'train');
        assert.equal(read?.rowsRead, 1000);
        assert.equal(read?.rowsYielded, 1000);
        const transform = events.find((event) => event.type === 'transform' && event.split === 'train');
        assert.equal(transform?.stats.rowsOut, augment ? 2000 : undefined);
        // Pairs whose responses become identical once cut to 96 tokens are dropped, and only those.
        const expectedPairs = augment ? 2000 : 1000;
        assert.ok(start!.trainPairs <= expectedPairs, `trainPairs ${start!.trainPairs}`);
        assert.ok(start!.trainPairs > expectedPairs * 0.9, `trainPairs ${start!.trainPairs}`);
        const losses = events.filter((event) => event.type === 'step' && event.phase === 'train').map((event) => event.loss);
        assert.equal(losses.length, 3);
        assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
      });
    }
  }
});

describe('radpo train input errors', () => {
  let work: string;

  before(() => {
    work = makeTempDir('cli-errors');
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('should exit non-zero and list the algorithms for an unknown --algo', () => {
    const result = runCli(['train', '--algo', 'nosuch', '--out', path.join(work, 'nosuch')]);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /unknown loss "nosuch"/);
    for (const name of ['dpo', 'ipo', 'slic']) assert.match(result.stderr, new RegExp(`\\b${name}\\b`));
    assert.ok(!fs.existsSync(path.join(work, 'nosuch')), 'a run directory was created for a rejected command');
  });

  it('should fail before training when --augment meets a row without scores', () => {
    const file = path.join(work, 'unscored.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ prompt: 'p1', chosen: 'a', rejected: 'b', score_chosen: 8, score_rejected: 3 }),
        JSON.stringify({ prompt: 'p2', chosen: 'c', rejected: 'd' }),
      ].join('\n') + '\n',
    );
    const out = path.join(work, 'unscored-run');
    const result = runCli(['train', '--augment', '--data', file, '--out', out]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`${escape(file)}:2`));
    assert.match(result.stderr, /score_chosen/);
    // Nothing started, so the run left no files behind and the same command can run again.
    assert.ok(!fs.existsSync(path.join(out, 'metrics.jsonl')), 'metrics.jsonl of a run that never started');
    assert.ok(!fs.existsSync(path.join(out, 'config.json')), 'config.json of a run that never started');
  });

  it('should name the file and line of a malformed JSONL row', () => {
    const file = path.join(work, 'broken.jsonl');
    fs.writeFileSync(file, JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b' }) + '\n{"prompt": "p", "chosen": \n');
    const result = runCli(['train', '--data', file, '--out', path.join(work, 'broken-run')]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`${escape(file)}:2`));
    assert.match(result.stderr, /JSON/);
  });

  it('should refuse to overwrite a run directory without --overwrite', () => {
    const out = path.join(work, 'existing');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'metrics.jsonl'), '{"type":"runEnd"}\n');
    const result = runCli(['train', '--max-steps', '1', '--out', out]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /already holds a run.*--overwrite/);
    assert.equal(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8'), '{"type":"runEnd"}\n');
  });

  it('should report an invalid config key with its path and a suggestion', () => {
    const config = path.join(work, 'typo.json');
    fs.writeFileSync(config, JSON.stringify({ training: { maxStep: 3 } }));
    const result = runCli(['train', '--config', config, '--out', path.join(work, 'typo-run')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown key "maxStep" in training/);
    assert.match(result.stderr, /Did you mean "maxSteps"/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
