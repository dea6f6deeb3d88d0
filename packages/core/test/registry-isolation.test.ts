import assert from 'node:assert/strict';
import { ContainerModule } from 'inversify';
import { PLUGIN_FACTORY, PluginRegistry, RadpoError, definePlugin, type LearningRateSchedule, type RadpoPlugin } from '../src';

function schedule(name: string, rate = 1, packageName = `pkg-${name}`): RadpoPlugin<'scheduler'> {
  return definePlugin<'scheduler', object>({
    name,
    kind: 'scheduler',
    description: 'test schedule',
    packageName,
    version: '1.0.0',
    optionsSchema: { type: 'object', properties: {} },
    create: () => ({ name, learningRate: () => rate }),
  });
}

function moduleBinding(name: string, extraName: string): RadpoPlugin<'scheduler'> {
  const factory = (): LearningRateSchedule => ({ name, learningRate: () => 99 });
  return Object.freeze({
    name,
    kind: 'scheduler',
    description: 'binds two names',
    packageName: `pkg-${name}`,
    version: '2.0.0',
    optionsSchema: { type: 'object', properties: {} },
    module: new ContainerModule(({ bind }) => {
      bind(PLUGIN_FACTORY.scheduler).toConstantValue(factory).whenNamed(name);
      bind(PLUGIN_FACTORY.scheduler).toConstantValue(factory).whenNamed(extraName);
    }),
  });
}

describe('PluginRegistry isolation', () => {
  it('should create each plugin from its own factory', () => {
    const registry = new PluginRegistry().register(schedule('one', 1), schedule('two', 2));
    assert.equal(registry.create('scheduler', 'one').learningRate(0, 1, 1), 1);
    assert.equal(registry.create('scheduler', 'two').learningRate(0, 1, 1), 2);
  });

  it('should name both packages for a duplicate name', () => {
    const registry = new PluginRegistry().register(schedule('one'));
    assert.throws(() => registry.register(schedule('one', 5, 'other-pkg')), /one from pkg-one@1\.0\.0, one from other-pkg@1\.0\.0/);
  });

  it('should reject a module binding a registered plugin\'s name', () => {
    const registry = new PluginRegistry().register(schedule('cosine'));
    assert.throws(() => registry.register(moduleBinding('sneaky', 'cosine')), (error: unknown) => {
      assert.ok(error instanceof RadpoError);
      assert.match(error.message, /"sneaky" from pkg-sneaky@2\.0\.0 binds a factory for scheduler plugin "cosine", which belongs to pkg-cosine@1\.0\.0/);
      return true;
    });
    assert.equal(registry.create('scheduler', 'cosine').learningRate(0, 1, 1), 1);
  });

  it('should reject a plugin whose name an earlier module bound', () => {
    const registry = new PluginRegistry().register(moduleBinding('early', 'later'));
    assert.throws(() => registry.register(schedule('later')), /"early" from pkg-early@2\.0\.0 also binds a factory for scheduler plugin "later"/);
  });

  it('should reject an object that is not a plugin', () => {
    const notPlugin = { name: 'x', kind: 'optimizer', packageName: 'p', version: '1', optionsSchema: {}, module: {} };
    assert.throws(() => new PluginRegistry().register(notPlugin as unknown as RadpoPlugin), /plugin "x" is not a valid plugin .*kind must be one of loss, transform, scheduler, got "optimizer"/);
  });

  it('should name the plugin when its module throws on load', () => {
    const broken = Object.freeze({
      ...schedule('broken'),
      module: new ContainerModule(() => {
        throw new Error('boom');
      }),
    });
    assert.throws(() => new PluginRegistry().register(broken), /scheduler plugin "broken" from pkg-broken: loading its module failed: boom/);
  });
});
