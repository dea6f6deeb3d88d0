import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, readEvents, runCli } from './helpers';

/** The reference-based losses beyond dpo, ipo and slic, each from its own plugin package. */
const REFERENCE_LOSSES = [
  'robust-dpo',
  'exo',
  'nca',
  'bco',
  'sppo-hard',
  'aot',
  'aot-unpaired',
  'apo-zero',
  'apo-down',
  'discopop',
  'dpo-norm',
  'r-dpo',
];

describe('radpo train with the reference-based losses', function () {
  let work: string;
  let tinyConfig: string;

  before(() => {
    work = makeTempDir('reference-losses');
    // A tiny model on a few synthetic pairs: each run checks one plugin end to end in a few seconds.
    tinyConfig = path.join(work, 'tiny.yaml');
    fs.writeFileSync(
      tinyConfig,
      [
        'data:',
        '  synthetic:',
        '    trainPairs: 16',
        '    evalPairs: 8',
        'model:',
        '  dModel: 16',
        '  nLayers: 1',
        '  nHeads: 2',
        '  maxLength: 48',
        '  maxPromptLength: 24',
        'training:',
        '  batchSize: 4',
        '  warmup:',
        '    steps: 1',
        '',
      ].join('\n'),
    );
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function trainTwoSteps(algo: string, augment: boolean): Array<Record<string, any>> {
    const out = path.join(work, `${algo}${augment ? '-augment' : ''}`);
    const args = ['train', '--algo', algo, '--config', tinyConfig, '--max-steps', '2', '--out', out];
    if (augment) args.push('--augment');
    const result = runCli(args);
    assert.equal(result.status, 0, result.stderr);
    return readEvents(out);
  }

  function assertFiniteRun(events: Array<Record<string, any>>, algo: string): void {
    const start = events.find((event) => event.type === 'runStart');
    assert.deepEqual(start?.losses, [algo]);
    const losses = events.filter((event) => event.type === 'step' && event.phase === 'train').map((event) => event.loss);
    assert.equal(losses.length, 2);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    const evaluation = events.find((event) => event.type === 'eval');
    assert.ok(evaluation, 'no eval event');
    assert.ok(Number.isFinite(evaluation.loss), `eval loss ${evaluation.loss}`);
    assert.ok(Number.isFinite(evaluation.metrics['rewards/margins']), `eval margin ${evaluation.metrics['rewards/margins']}`);
  }

  for (const algo of REFERENCE_LOSSES) {
    it(`should train ${algo} to finite losses`, () => {
      assertFiniteRun(trainTwoSteps(algo, false), algo);
    });
  }

  it('should train aot on reward-augmented pairs', () => {
    const events = trainTwoSteps('aot', true);
    assertFiniteRun(events, 'aot');
    const transform = events.find((event) => event.type === 'transform' && event.split === 'train');
    assert.equal(transform?.transform, 'reward-augment');
    assert.equal(transform?.stats.rowsOut, 2 * transform?.stats.rowsIn);
  });

  it('should list every reference-based loss for an unknown --algo', () => {
    const result = runCli(['train', '--algo', 'nosuch', '--out', path.join(work, 'nosuch')]);
    assert.notEqual(result.status, 0);
    for (const algo of REFERENCE_LOSSES) assert.match(result.stderr, new RegExp(`(^|[ ,])${algo}([,.]|$)`, 'm'));
  });
});
