import assert from 'node:assert/strict';
import { DataError, PluginRegistry, RadpoError, definePlugin, type DataTransform, type PreferenceRecord } from '../src';

const EMPTY_OPTIONS = { type: 'object', additionalProperties: false, properties: {} };

function fakeLoss(name: string, packageName = `@test/${name}`, compute: () => never = () => assert.fail('not called')) {
  return definePlugin({
    name,
    kind: 'loss',
    description: `fake loss ${name}`,
    packageName,
    version: '1.0.0',
    optionsSchema: EMPTY_OPTIONS,
    create: () => ({ name, requiresReference: false, compute }),
  });
}

function fakeTransform(name: string, apply: (records: AsyncIterable<PreferenceRecord>) => AsyncIterable<PreferenceRecord>) {
  return definePlugin({
    name,
    kind: 'transform',
    description: `fake transform ${name}`,
    packageName: `@test/${name}`,
    version: '1.0.0',
    optionsSchema: EMPTY_OPTIONS,
    create: (): DataTransform => ({ name, apply, stats: () => ({}) }),
  });
}

async function* records(): AsyncGenerator<PreferenceRecord> {
  yield { prompt: 'p', chosen: 'a', rejected: 'b' };
}

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source);
}

function expectPluginError(error: unknown, message: RegExp, cause: string): boolean {
  assert.ok(error instanceof RadpoError, `expected a RadpoError, got ${String(error)}`);
  assert.equal(error.code, 'plugin');
  assert.match(error.message, message);
  assert.ok(error.cause instanceof Error, 'the original error is not the cause');
  assert.equal((error.cause as Error).message, cause);
  return true;
}

describe('PluginRegistry', () => {
  it('should list the installed plugins for an unknown name', () => {
    const registry = new PluginRegistry().register(fakeLoss('dpo'), fakeLoss('ipo'));

    assert.throws(
      () => registry.get('loss', 'dpoo'),
      (error: unknown) => error instanceof RadpoError && error.message === 'unknown loss "dpoo". Did you mean "dpo"? Available: dpo, ipo.',
    );
  });

  it('should say when no plugin of a kind is installed', () => {
    const registry = new PluginRegistry().register(fakeLoss('dpo'));

    assert.throws(() => registry.get('scheduler', 'cosine'), /unknown scheduler "cosine"\. Available: \(none installed\)\./);
  });

  it('should name both packages of a duplicate plugin', () => {
    const registry = new PluginRegistry().register(fakeLoss('dpo', '@test/first'));

    assert.throws(() => registry.register(fakeLoss('dpo', '@test/second')), /one from @test\/first@1\.0\.0, one from @test\/second@1\.0\.0/);
  });

  it('should wrap a throw in a hook with plugin, hook and cause', () => {
    const registry = new PluginRegistry().register(
      fakeLoss('thrower', undefined, () => {
        throw new TypeError('boom');
      }),
    );
    const loss = registry.create('loss', 'thrower');

    assert.throws(
      () => loss.compute({} as never),
      (error: unknown) => expectPluginError(error, /^loss plugin "thrower" failed in compute\(\): boom$/, 'boom'),
    );
  });

  it('should wrap a throw in the factory as the create hook', () => {
    const plugin = definePlugin({
      name: 'broken',
      kind: 'scheduler',
      description: 'fails to build',
      packageName: '@test/broken',
      version: '1.0.0',
      optionsSchema: EMPTY_OPTIONS,
      create: () => {
        throw new Error('cannot build');
      },
    });
    const registry = new PluginRegistry().register(plugin);

    assert.throws(
      () => registry.create('scheduler', 'broken'),
      (error: unknown) => expectPluginError(error, /^scheduler plugin "broken" failed in create\(\): cannot build$/, 'cannot build'),
    );
  });

  it('should wrap a throw while iterating a transform', async () => {
    const registry = new PluginRegistry().register(
      fakeTransform('faulty', async function* (source) {
        for await (const record of source) {
          yield record;
          throw new Error('second record failed');
        }
      }),
    );
    const transform = registry.create('transform', 'faulty');

    await assert.rejects(drain(transform.apply(records(), { split: 'train', warn: () => undefined })), (error: unknown) =>
      expectPluginError(error, /^transform plugin "faulty" failed in apply\(\): second record failed$/, 'second record failed'),
    );
  });

  it('should pass a data error from a plugin through unchanged', async () => {
    const dataError = new DataError({ file: 'train.jsonl', line: 4, field: 'score_chosen' }, 'missing-score', 'the score is missing');
    const registry = new PluginRegistry().register(
      fakeTransform('strict', async function* () {
        throw dataError;
      }),
    );
    const transform = registry.create('transform', 'strict');

    await assert.rejects(drain(transform.apply(records(), { split: 'train', warn: () => undefined })), (error: unknown) => error === dataError);
  });

  it('should reject invalid plugin options with the plugin named', () => {
    const registry = new PluginRegistry().register(fakeLoss('dpo'));

    assert.throws(() => registry.create('loss', 'dpo', { beta: 1 }), /invalid options of loss "dpo":\n  - unknown key "beta"/);
  });
});
