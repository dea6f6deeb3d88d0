import { Container } from 'inversify';
import { RadpoError, describeValue, suggestName } from './errors';
import { PLUGIN_FACTORY, PLUGIN_KINDS, type PluginFactory, type PluginInstanceMap, type PluginKind, type RadpoPlugin } from './plugin';
import { compileSchema, validateWithDefaults } from './validation';

/**
 * The set of plugins a run can use. Each plugin's ContainerModule is loaded into a container of its
 * own, so a module can bind nothing that other plugins or radpo's services resolve: the registry only
 * takes the factory bound under the plugin's own kind and name, and rejects a module that also binds a
 * factory under another registered plugin's name. `create` validates options (defaults applied to a
 * copy) and calls the factory. Every call into the created instance is wrapped so that a throw names
 * the plugin and the hook.
 */
export class PluginRegistry {
  private readonly plugins = new Map<string, RadpoPlugin>();
  private readonly containers = new Map<string, Container>();
  private readonly factories = new Map<string, PluginFactory<PluginKind, unknown>>();

  register(...plugins: RadpoPlugin[]): this {
    for (const plugin of plugins) {
      assertPluginShape(plugin);
      const key = `${plugin.kind}:${plugin.name}`;
      const existing = this.plugins.get(key);
      if (existing) {
        throw new RadpoError(
          'plugin',
          `two ${plugin.kind} plugins are named "${plugin.name}": one from ${existing.packageName}@${existing.version}, ` +
            `one from ${plugin.packageName}@${plugin.version}. Remove one of them or rename it.`,
        );
      }
      compileSchema(plugin.optionsSchema, `the options of ${plugin.kind} plugin "${plugin.name}"`);
      const container = loadPluginModule(plugin);
      this.checkForeignBindings(plugin, container);
      const factory = container.get<PluginFactory<PluginKind, unknown>>(PLUGIN_FACTORY[plugin.kind], { name: plugin.name });
      if (typeof factory !== 'function') {
        throw new RadpoError(
          'plugin',
          `${plugin.kind} plugin "${plugin.name}" from ${plugin.packageName} binds ${describeValue(factory)} as its factory; expected a function. Build it with definePlugin().`,
        );
      }
      this.plugins.set(key, plugin);
      this.containers.set(key, container);
      this.factories.set(key, factory);
    }
    return this;
  }

  /**
   * Rejects a module that binds a factory under the name of another registered plugin, and an earlier
   * module that binds one under the new plugin's name: either would let one package stand in for another.
   */
  private checkForeignBindings(plugin: RadpoPlugin, container: Container): void {
    for (const other of this.plugins.values()) {
      if (container.isBound(PLUGIN_FACTORY[other.kind], { name: other.name })) {
        throw new RadpoError(
          'plugin',
          `${plugin.kind} plugin "${plugin.name}" from ${plugin.packageName}@${plugin.version} binds a factory for ` +
            `${other.kind} plugin "${other.name}", which belongs to ${other.packageName}@${other.version}. ` +
            'A plugin module may bind only its own factory; build it with definePlugin().',
        );
      }
    }
    for (const [key, earlier] of this.containers) {
      if (earlier.isBound(PLUGIN_FACTORY[plugin.kind], { name: plugin.name })) {
        const owner = this.plugins.get(key)!;
        throw new RadpoError(
          'plugin',
          `${owner.kind} plugin "${owner.name}" from ${owner.packageName}@${owner.version} also binds a factory for ` +
            `${plugin.kind} plugin "${plugin.name}" from ${plugin.packageName}@${plugin.version}. ` +
            'A plugin module may bind only its own factory; build it with definePlugin().',
        );
      }
    }
  }

  has(kind: PluginKind, name: string): boolean {
    return this.plugins.has(`${kind}:${name}`);
  }

  list(kind?: PluginKind): RadpoPlugin[] {
    const all = [...this.plugins.values()];
    return (kind ? all.filter((plugin) => plugin.kind === kind) : all).sort((a, b) => a.name.localeCompare(b.name));
  }

  names(kind: PluginKind): string[] {
    return this.list(kind).map((plugin) => plugin.name);
  }

  /** Returns the plugin, or throws listing the installed plugins of that kind and the nearest name. */
  get<K extends PluginKind>(kind: K, name: string): RadpoPlugin<K> {
    const plugin = this.plugins.get(`${kind}:${name}`);
    if (!plugin) {
      const available = this.names(kind);
      const suggestion = suggestName(name, available);
      throw new RadpoError(
        'plugin',
        `unknown ${kind} "${name}".${suggestion ? ` Did you mean "${suggestion}"?` : ''} ` +
          `Available: ${available.length > 0 ? available.join(', ') : '(none installed)'}.`,
      );
    }
    return plugin as RadpoPlugin<K>;
  }

  /** Validates options against the plugin's schema and returns a copy with its defaults. */
  resolveOptions<O = Record<string, unknown>>(kind: PluginKind, name: string, options: unknown): O {
    const plugin = this.get(kind, name);
    return validateWithDefaults<O>(plugin.optionsSchema, options ?? {}, `options of ${kind} "${name}"`);
  }

  /** Creates a plugin instance from raw options. */
  create<K extends PluginKind>(kind: K, name: string, options?: unknown): PluginInstanceMap[K] {
    const resolved = this.resolveOptions(kind, name, options);
    const factory = this.factories.get(`${kind}:${name}`) as PluginFactory<K, unknown>;
    const instance = guardPluginCall(name, kind, 'create', () => factory(resolved));
    return wrapPluginInstance(instance, `${kind} plugin "${name}"`);
  }
}

/** Checks the fields the registry relies on, so that a module exporting something else fails with a clear message. */
function assertPluginShape(plugin: RadpoPlugin): void {
  const value = plugin as unknown as Record<string, unknown> | null;
  const label = value && typeof value.name === 'string' ? `plugin "${value.name}"` : 'a plugin';
  const problems: string[] = [];
  if (value === null || typeof value !== 'object') {
    throw new RadpoError('plugin', `expected a plugin object built with definePlugin(), got ${describeValue(plugin)}.`);
  }
  if (typeof value.name !== 'string' || value.name === '') problems.push(`name must be a non-empty string, got ${describeValue(value.name)}`);
  if (!PLUGIN_KINDS.includes(value.kind as PluginKind)) {
    problems.push(`kind must be one of ${PLUGIN_KINDS.join(', ')}, got ${describeValue(value.kind)}`);
  }
  if (typeof value.packageName !== 'string') problems.push(`packageName must be a string, got ${describeValue(value.packageName)}`);
  if (typeof value.version !== 'string') problems.push(`version must be a string, got ${describeValue(value.version)}`);
  if (value.optionsSchema === null || typeof value.optionsSchema !== 'object') {
    problems.push(`optionsSchema must be a JSON Schema object, got ${describeValue(value.optionsSchema)}`);
  }
  if (value.module === null || typeof value.module !== 'object') problems.push('module must be an inversify ContainerModule');
  if (problems.length > 0) {
    throw new RadpoError('plugin', `${label} is not a valid plugin (build it with definePlugin()): ${problems.join('; ')}.`);
  }
}

/** Loads a plugin's module into a fresh container and checks that it binds the plugin's own factory. */
function loadPluginModule(plugin: RadpoPlugin): Container {
  const container = new Container();
  try {
    container.loadSync(plugin.module);
  } catch (error) {
    throw new RadpoError(
      'plugin',
      `${plugin.kind} plugin "${plugin.name}" from ${plugin.packageName}: loading its module failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!container.isBound(PLUGIN_FACTORY[plugin.kind], { name: plugin.name })) {
    throw new RadpoError(
      'plugin',
      `${plugin.kind} plugin "${plugin.name}" from ${plugin.packageName} loaded a module that binds no factory ` +
        `under PLUGIN_FACTORY.${plugin.kind} named "${plugin.name}"; build it with definePlugin().`,
    );
  }
  return container;
}

function guardPluginCall<T>(name: string, kind: PluginKind, hook: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw pluginFailure(`${kind} plugin "${name}"`, hook, error);
  }
}

function pluginFailure(label: string, hook: string, error: unknown): RadpoError {
  if (error instanceof RadpoError && error.code !== 'plugin' && error.code !== 'not-implemented') {
    // A data or config error raised inside a plugin already names its file and field; keep it as it is.
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RadpoError('plugin', `${label} failed in ${hook}(): ${message}`, { cause: error });
}

/**
 * Wraps every method of a plugin instance. A throw, a rejected promise or a throw while iterating a
 * returned async iterable comes back as a RadpoError naming the plugin and hook, with the original as cause.
 */
export function wrapPluginInstance<T extends object>(instance: T, label: string): T {
  return new Proxy(instance, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const hook = String(property);
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (error) {
          throw pluginFailure(label, hook, error);
        }
        if (result instanceof Promise) return result.catch((error) => Promise.reject(pluginFailure(label, hook, error)));
        if (isAsyncIterable(result)) return wrapAsyncIterable(result, label, hook);
        return result;
      };
    },
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && Symbol.asyncIterator in value;
}

async function* wrapAsyncIterable<T>(source: AsyncIterable<T>, label: string, hook: string): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw pluginFailure(label, hook, error);
  }
}
