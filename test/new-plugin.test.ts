import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCAFFOLD_TOOL_VERSIONS } from '@radpo/plugin-kit';
import { REPO_ROOT, makeTempDir, readEvents, runCli } from './helpers';

function npm(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('radpo new-plugin', function () {
  let work: string;

  before(() => {
    work = makeTempDir('new-plugin');
    // The scaffolded packages depend on @radpo/core and @radpo/plugin-kit, which are not published.
    // A node_modules link above them resolves those, and the build and test tools, from this checkout,
    // as `npm install` of their file: links would.
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  for (const kind of ['loss', 'transform', 'scheduler']) {
    it(`should scaffold a ${kind} plugin that builds and passes its tests`, () => {
      const created = runCli(['new-plugin', `my-${kind}`, '--kind', kind], work);
      assert.equal(created.status, 0, created.stderr);
      const dir = path.join(work, `radpo-plugin-my-${kind}`);
      for (const file of ['package.json', 'tsconfig.json', 'README.md', 'src/index.ts', `test/my-${kind}.test.ts`]) {
        assert.ok(fs.existsSync(path.join(dir, file)), `${file} is missing`);
      }
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      assert.match(manifest.dependencies['@radpo/core'], /^file:/);
      assert.ok(fs.existsSync(path.join(dir, manifest.dependencies['@radpo/core'].slice('file:'.length), 'package.json')), 'the file: link to @radpo/core does not resolve');

      // npm test type-checks and builds dist/, then runs mocha.
      const test = npm(['test'], dir);
      assert.equal(test.status, 0, test.output);
      assert.ok(fs.existsSync(path.join(dir, 'dist/index.js')), 'dist/index.js was not built');
      assert.match(test.output, /conformance/);
      assert.doesNotMatch(test.output, /failing/);
    });
  }

  it('should train with all three scaffolded plugins from a config', function () {
    for (const kind of ['loss', 'transform', 'scheduler']) {
      if (!fs.existsSync(path.join(work, `radpo-plugin-my-${kind}/dist/index.js`))) this.skip();
    }
    const config = path.join(work, 'run.yaml');
    fs.writeFileSync(
      config,
      [
        'plugins: [./radpo-plugin-my-loss, ./radpo-plugin-my-transform, ./radpo-plugin-my-scheduler]',
        'losses: [{ name: my-loss }]',
        'transforms: [{ name: my-transform, options: { minScoreGap: 1 } }]',
        'data: { synthetic: { trainPairs: 32, evalPairs: 8 } }',
        'model: { dModel: 16, nLayers: 1, maxLength: 64, maxPromptLength: 40 }',
        'training: { maxSteps: 2, warmup: { steps: 1 }, scheduler: { name: my-scheduler } }',
        '',
      ].join('\n'),
    );
    const out = path.join(work, 'run');
    const result = runCli(['train', '--config', config, '--out', out], work);
    assert.equal(result.status, 0, result.stderr);
    const events = readEvents(out);
    assert.deepEqual(events.find((event) => event.type === 'runStart')?.losses, ['my-loss']);
    const transform = events.find((event) => event.type === 'transform' && event.split === 'train');
    assert.equal(transform?.transform, 'my-transform');
    assert.equal(transform?.stats.rowsIn, 32);
    const losses = events.filter((event) => event.type === 'step' && event.phase === 'train').map((event) => event.loss);
    assert.equal(losses.length, 2);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  });

  it('should reject a name that is not kebab case', () => {
    const result = runCli(['new-plugin', 'My_Loss', '--kind', 'loss'], work);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /invalid plugin name "My_Loss"/);
  });

  it('should reject a --dir that is not empty', () => {
    const dir = path.join(work, 'occupied');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    const result = runCli(['new-plugin', 'other', '--kind', 'loss', '--dir', dir], work);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /occupied already exists and is not empty/);
    assert.deepEqual(fs.readdirSync(dir), ['keep.txt']);
  });

  it('should pin the tool versions radpo itself uses', () => {
    const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    for (const [name, version] of Object.entries(SCAFFOLD_TOOL_VERSIONS)) assert.equal(version, root.devDependencies[name], name);
  });
});
