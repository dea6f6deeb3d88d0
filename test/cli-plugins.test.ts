import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listSchemaOptions } from '@radpo/core';
import { BUILTIN_PLUGINS } from '../packages/cli/src/plugins';
import { REPO_ROOT, makeTempDir, runCli } from './helpers';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/plugins');

describe('radpo plugins', () => {
  it('should list every built-in plugin with its options in --json', () => {
    const result = runCli(['plugins', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const listings = JSON.parse(result.stdout) as Array<Record<string, any>>;
    assert.equal(listings.length, BUILTIN_PLUGINS.length);
    for (const plugin of BUILTIN_PLUGINS) {
      const listing = listings.find((item) => item.name === plugin.name && item.kind === plugin.kind);
      assert.ok(listing, `${plugin.kind} ${plugin.name} is missing`);
      assert.equal(listing.packageName, plugin.packageName);
      assert.equal(listing.version, plugin.version);
      const expected = listSchemaOptions(plugin.optionsSchema);
      assert.deepEqual(listing.options.map((option: { path: string }) => option.path), expected.map((option) => option.path));
      for (const option of expected) {
        const listed = listing.options.find((item: { path: string }) => item.path === option.path);
        assert.equal(listed.description, option.description, `${plugin.name}.${option.path}`);
        assert.deepEqual(listed.default, option.default, `${plugin.name}.${option.path}`);
      }
    }
  });

  it('should name every built-in plugin and option in text', () => {
    const result = runCli(['plugins']);
    assert.equal(result.status, 0, result.stderr);
    for (const plugin of BUILTIN_PLUGINS) {
      assert.match(result.stdout, new RegExp(`^  ${plugin.name}  \\(${plugin.packageName.replace('/', '\\/')}@${plugin.version}\\)$`, 'm'));
      for (const option of listSchemaOptions(plugin.optionsSchema)) assert.ok(result.stdout.includes(`- ${option.path} (`), `${plugin.name}.${option.path}`);
    }
  });

  it('should filter by --kind', () => {
    const result = runCli(['plugins', '--json', '--kind', 'scheduler']);
    const kinds = new Set((JSON.parse(result.stdout) as Array<{ kind: string }>).map((item) => item.kind));
    assert.deepEqual([...kinds], ['scheduler']);
  });

  it('should add every plugin a package exports once', () => {
    const result = runCli(['plugins', '--json', '--kind', 'scheduler', '--plugin', './test/fixtures/plugins/two-schedules.js']);
    assert.equal(result.status, 0, result.stderr);
    const names = (JSON.parse(result.stdout) as Array<{ name: string }>).map((item) => item.name);
    assert.deepEqual(names.filter((name) => name === 'half' || name === 'quarter').sort(), ['half', 'quarter']);
  });
});

describe('plugin loading errors', () => {
  let work: string;

  before(() => {
    work = makeTempDir('plugin-errors');
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  function trainWithPlugin(fixture: string): ReturnType<typeof runCli> {
    const config = path.join(work, `${path.basename(fixture, '.js')}.yaml`);
    fs.writeFileSync(config, `plugins:\n  - ${path.relative(work, path.join(FIXTURES, fixture))}\ntraining:\n  maxSteps: 1\n`);
    return runCli(['train', '--config', config, '--out', path.join(work, 'run')]);
  }

  it('should name the plugin and the cause when its module throws', () => {
    const result = trainWithPlugin('throws-on-load.js');
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /plugin module .*throws-on-load\.js failed to load: cannot find the weights file/);
  });

  it('should list the exports of a module without plugins', () => {
    const result = trainWithPlugin('exports-nothing.js');
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /exports no plugin object.*Its exports: helper\./);
  });

  it('should name both packages when a plugin takes a built-in name', () => {
    const result = trainWithPlugin('duplicate-dpo.js');
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /two loss plugins are named "dpo": one from @radpo\/plugin-dpo@0\.1\.0, one from fake-dpo@9\.9\.9/);
  });

  it('should reject a module that binds a built-in plugin\'s factory', () => {
    const result = trainWithPlugin('binds-foreign.js');
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /"innocent" from innocent-loss@1\.0\.0 binds a factory for loss plugin "dpo", which belongs to @radpo\/plugin-dpo/);
  });

  it('should name a missing plugin path and the config', () => {
    const config = path.join(work, 'missing.yaml');
    fs.writeFileSync(config, 'plugins:\n  - ./no-such-plugin\n');
    const result = runCli(['train', '--config', config, '--out', path.join(work, 'missing-run')]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /cannot find plugin "\.\/no-such-plugin" listed in "plugins" of .*missing\.yaml/);
    assert.ok(!fs.existsSync(path.join(work, 'missing-run')), 'a run directory was created for a rejected config');
  });
});
