import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, makeTempDir, readEvents, runCli } from './helpers';

const EXAMPLE = path.join(REPO_ROOT, 'examples/plugins/loss-savage');

describe('example savage loss plugin through the CLI', () => {
  let work: string;

  before(function () {
    // The root build compiles the example; without dist/ there is nothing to load.
    if (!fs.existsSync(path.join(EXAMPLE, 'dist/index.js'))) this.skip();
    work = makeTempDir('example-plugin');
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('should train with the savage loss listed in plugins', () => {
    const config = path.join(work, 'savage.yaml');
    fs.writeFileSync(
      config,
      [
        `plugins: [${path.relative(work, EXAMPLE)}]`,
        'losses: [{ name: savage, options: { beta: 0.5 } }]',
        'data: { synthetic: { trainPairs: 48, evalPairs: 8 } }',
        'model: { dModel: 16, nLayers: 1, maxLength: 64, maxPromptLength: 40 }',
        'training: { maxSteps: 4, warmup: { steps: 2 } }',
        '',
      ].join('\n'),
    );
    const out = path.join(work, 'run');
    const result = runCli(['train', '--config', config, '--out', out]);
    assert.equal(result.status, 0, result.stderr);

    const events = readEvents(out);
    const start = events.find((event) => event.type === 'runStart');
    assert.deepEqual(start?.losses, ['savage']);
    assert.equal(start?.usesReference, true);
    const steps = events.filter((event) => event.type === 'step' && event.phase === 'train');
    assert.equal(steps.length, 4);
    // The first preference step starts from the reference itself, where σ(−β·0)² = 1/4 for every pair.
    assert.ok(Math.abs(steps[0].loss - 0.25) < 1e-4, `first loss ${steps[0].loss}`);
    assert.ok(steps.every((step) => Number.isFinite(step.loss)), 'a loss is not finite');
    const evaluation = events.find((event) => event.type === 'eval');
    assert.ok(Number.isFinite(evaluation?.metrics['rewards/accuracies']), 'no rewards/accuracies in the eval event');

    const saved = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.deepEqual(saved.plugins, [path.join(EXAMPLE, 'dist/index.js')]);
  });
});
