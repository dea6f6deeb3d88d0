import { Container } from 'inversify';
import { RadpoError, suggestName } from './errors';
import { PLUGIN_FACTORY, type PluginFactory, type PluginInstanceMap, type PluginKind, type RadpoPlugin } from './plugin';
import { compileSchema, validateWithDefaults } from './validation';

/**
 * The set of plugins a run can use. Registering loads the plugin's ContainerModule into an inversify
 * container; `create` validates options (defaults applied to a copy) and resolves the factory by name.
 * Every call into the created instance is wrapped so that a throw names the plugin and the hook.
 */
export class PluginRegistry {
  private readonly container = new Container();
  private readonly plugins = new Map<string, RadpoPlugin>();

  register(...plugins: RadpoPlugin[]): this {
    for (const plugin of plugins) {
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
      this.container.loadSync(plugin.module);
      if (!this.container.isBound(PLUGIN_FACTORY[plugin.kind], { name: plugin.name })) {
        throw new RadpoError(
          'plugin',
          `${plugin.kind} plugin "${plugin.name}" from ${plugin.packageName} loaded a module that binds no factory ` +
            `under PLUGIN_FACTORY.${plugin.kind} named "${plugin.name}"; build it with definePlugin().`,
        );
      }
      this.plugins.set(key, plugin);
    }
    return this;
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
    const factory = this.container.get<PluginFactory<K, unknown>>(PLUGIN_FACTORY[kind], { name });
    const instance = guardPluginCall(name, kind, 'create', () => factory(resolved));
    return wrapPluginInstance(instance, `${kind} plugin "${name}"`);
  }
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
