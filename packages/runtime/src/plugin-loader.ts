import * as path from 'node:path';
import { PLUGIN_KINDS, PluginRegistry, RadpoError, type PluginKind, type RadpoPlugin } from '@radpo/core';

/**
 * Resolves a plugin specifier from a run config's `plugins` list to the absolute path of the module
 * file Node would load. A specifier that starts with `.` or `/` is a path relative to `baseDir` (a
 * package folder, whose package.json `main` is used, or a file); anything else is a package name,
 * looked up in the node_modules folders above `baseDir`.
 */
export function resolvePluginSpecifier(specifier: string, baseDir: string, label: string): string {
  const isPath = specifier.startsWith('.') || path.isAbsolute(specifier);
  const request = isPath ? path.resolve(baseDir, specifier) : specifier;
  try {
    return require.resolve(request, { paths: [baseDir] });
  } catch (error) {
    const where = isPath ? `${request} does not exist or has no built entry point (run its build first)` : `no package of that name is installed in or above ${baseDir}`;
    throw new RadpoError('plugin', `cannot find plugin "${specifier}" listed in ${label}: ${where}.`, { cause: error });
  }
}

/**
 * Loads a plugin module and returns the plugin objects it exports: the default export and every named
 * export that looks like a plugin (a name, a kind and a module), each once.
 */
export function loadPluginModule(modulePath: string, specifier = modulePath): RadpoPlugin[] {
  const label = specifier === modulePath ? `plugin module ${modulePath}` : `plugin "${specifier}" (${modulePath})`;
  let exported: Record<string, unknown>;
  try {
    exported = require(modulePath);
  } catch (error) {
    throw new RadpoError('plugin', `${label} failed to load: ${(error as Error).message}`, { cause: error });
  }

  const found = new Set<RadpoPlugin>();
  const candidates = exported && typeof exported === 'object' ? [exported.default, ...Object.values(exported)] : [exported];
  for (const candidate of candidates) {
    if (isPluginObject(candidate)) found.add(candidate);
  }
  if (found.size === 0) {
    const names = exported && typeof exported === 'object' ? Object.keys(exported) : [];
    throw new RadpoError(
      'plugin',
      `${label} exports no plugin object; expected a default export or named exports built with ` +
        `definePlugin() from @radpo/core. Its exports: ${names.length > 0 ? names.join(', ') : '(none)'}.`,
    );
  }
  return [...found];
}

/** Whether a value has the shape of a plugin object; the registry checks the details on registration. */
export function isPluginObject(value: unknown): value is RadpoPlugin {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.name === 'string' &&
    PLUGIN_KINDS.includes(candidate.kind as PluginKind) &&
    candidate.module !== null &&
    typeof candidate.module === 'object' &&
    candidate.optionsSchema !== null &&
    typeof candidate.optionsSchema === 'object'
  );
}

/**
 * Returns a registry holding the plugins of `base` and those exported by the modules at `modulePaths`
 * (absolute paths, as resolvePluginSpecifier returns them). `base` is left unchanged; with no paths it
 * is returned as it is. A plugin whose name is taken fails with an error naming both packages.
 */
export function registryWithPluginModules(base: PluginRegistry, modulePaths: readonly string[]): PluginRegistry {
  if (modulePaths.length === 0) return base;
  const registry = new PluginRegistry().register(...base.list());
  for (const modulePath of modulePaths) {
    for (const plugin of loadPluginModule(modulePath)) {
      try {
        registry.register(plugin);
      } catch (error) {
        if (error instanceof RadpoError) {
          throw new RadpoError('plugin', `plugin module ${modulePath}: ${error.message}`, { cause: error });
        }
        throw error;
      }
    }
  }
  return registry;
}
