import { ContainerModule } from 'inversify';
import type { PreferenceLoss } from './loss';
import type { LearningRateSchedule } from './scheduler';
import type { DataTransform } from './transform';
import type { JsonSchema } from './validation';

/** What each plugin kind produces. */
export interface PluginInstanceMap {
  loss: PreferenceLoss;
  transform: DataTransform;
  scheduler: LearningRateSchedule;
}

export type PluginKind = keyof PluginInstanceMap;

export const PLUGIN_KINDS: readonly PluginKind[] = ['loss', 'transform', 'scheduler'];

/** Builds a plugin's instance from options that were already validated and given their defaults. */
export type PluginFactory<K extends PluginKind, O> = (options: O) => PluginInstanceMap[K];

/** inversify service identifiers under which plugin modules bind their factories, named by plugin. */
export const PLUGIN_FACTORY: { readonly [K in PluginKind]: symbol } = {
  loss: Symbol.for('radpo.plugin.loss'),
  transform: Symbol.for('radpo.plugin.transform'),
  scheduler: Symbol.for('radpo.plugin.scheduler'),
};

/**
 * A plugin: a plain, named object with its kind, the JSON Schema of its options and an inversify
 * ContainerModule that binds its factory under `PLUGIN_FACTORY[kind]`, named `name`.
 */
export interface RadpoPlugin<K extends PluginKind = PluginKind> {
  readonly name: string;
  readonly kind: K;
  readonly description: string;
  /** The npm package that provides the plugin; named in duplicate-name errors. */
  readonly packageName: string;
  readonly version: string;
  /** JSON Schema (draft-07) of the options object; every property has a description and, where sensible, a default. */
  readonly optionsSchema: JsonSchema;
  readonly module: ContainerModule;
}

/** Everything `definePlugin` needs; the ContainerModule is derived from `create`. */
export interface PluginDefinition<K extends PluginKind, O> {
  name: string;
  kind: K;
  description: string;
  packageName: string;
  version: string;
  optionsSchema: JsonSchema;
  create: PluginFactory<K, O>;
}

/** Builds a plugin object whose module binds `create` for the plugin's kind and name. */
export function definePlugin<K extends PluginKind, O>(definition: PluginDefinition<K, O>): RadpoPlugin<K> {
  const { create, ...rest } = definition;
  const module = new ContainerModule(({ bind }) => {
    bind(PLUGIN_FACTORY[definition.kind]).toConstantValue(create).whenNamed(definition.name);
  });
  return Object.freeze({ ...rest, module });
}
