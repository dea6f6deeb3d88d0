import * as path from 'node:path';
import { Command, Option } from 'commander';
import { PLUGIN_KINDS, RadpoError, listSchemaOptions, type PluginKind, type PluginRegistry, type SchemaOption } from '@radpo/core';
import { registryWithPluginModules, resolvePluginSpecifier } from '@radpo/runtime';
import { readConfigFile } from '../config-file';

/** Flags of `radpo plugins`. */
export interface PluginsFlags {
  json?: boolean;
  kind?: PluginKind;
  config?: string;
  plugin?: string[];
}

/** One installed plugin as `radpo plugins --json` prints it. */
export interface PluginListing {
  name: string;
  kind: PluginKind;
  description: string;
  packageName: string;
  version: string;
  options: Array<Pick<SchemaOption, 'path' | 'type' | 'constraints' | 'default' | 'required' | 'description'>>;
}

/** Lists the plugins of a registry, by kind then name, with their options read from their schemas. */
export function listPlugins(registry: PluginRegistry, kind?: PluginKind): PluginListing[] {
  const kinds = kind ? [kind] : PLUGIN_KINDS;
  return kinds.flatMap((k) =>
    registry.list(k).map((plugin) => ({
      name: plugin.name,
      kind: plugin.kind,
      description: plugin.description,
      packageName: plugin.packageName,
      version: plugin.version,
      options: listSchemaOptions(plugin.optionsSchema).map(({ path: optionPath, type, constraints, default: value, required, description }) => ({
        path: optionPath,
        type,
        constraints,
        default: value,
        required,
        description,
      })),
    })),
  );
}

/** Formats listings for the terminal: one block per plugin, one line per option. */
export function formatPluginListings(listings: PluginListing[]): string[] {
  const lines: string[] = [];
  for (const kind of PLUGIN_KINDS) {
    const ofKind = listings.filter((listing) => listing.kind === kind);
    if (ofKind.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(`${kind} plugins:`);
    for (const listing of ofKind) {
      lines.push('', `  ${listing.name}  (${listing.packageName}@${listing.version})`, `    ${listing.description}`);
      if (listing.options.length === 0) lines.push('    options: none');
      for (const option of listing.options) {
        const type = option.constraints ? `${option.type}, ${option.constraints}` : option.type;
        const fallback = option.default !== undefined ? `default ${JSON.stringify(option.default)}` : option.required ? 'required' : 'no default';
        lines.push(`    - ${option.path} (${type}; ${fallback}): ${option.description}`);
      }
    }
  }
  return lines;
}

/** Adds the extra plugins named by `--config` and `--plugin` to the built-in registry. */
function registryForFlags(flags: PluginsFlags, builtins: PluginRegistry): PluginRegistry {
  const modulePaths: string[] = [];
  if (flags.config) {
    const listed = (readConfigFile(flags.config) as { plugins?: unknown }).plugins ?? [];
    const label = `"plugins" of ${flags.config}`;
    if (!Array.isArray(listed) || listed.some((entry) => typeof entry !== 'string')) {
      throw new RadpoError('config', `${label}: expected an array of package names or paths, got ${JSON.stringify(listed)}.`);
    }
    const configDir = path.dirname(path.resolve(flags.config));
    for (const specifier of listed) modulePaths.push(resolvePluginSpecifier(specifier, configDir, label));
  }
  for (const specifier of flags.plugin ?? []) modulePaths.push(resolvePluginSpecifier(specifier, process.cwd(), '--plugin'));
  return registryWithPluginModules(builtins, [...new Set(modulePaths)]);
}

/** Registers `radpo plugins` on the program. */
export function registerPluginsCommand(program: Command, builtins: PluginRegistry, collect: (value: string, previous?: string[]) => string[]): void {
  program
    .command('plugins')
    .description('List the installed loss, transform and scheduler plugins with their package, version and options.')
    .option('--json', 'print a JSON array instead of text')
    .addOption(new Option('--kind <kind>', 'list only plugins of this kind').choices([...PLUGIN_KINDS]))
    .option('--config <file>', 'also list the plugins named in this run configuration\'s "plugins" key')
    .option('--plugin <package-or-path>', 'also list the plugins of this package or path (relative to the working directory), repeatable', collect)
    .action((flags: PluginsFlags) => {
      const listings = listPlugins(registryForFlags(flags, builtins), flags.kind);
      const text = flags.json ? JSON.stringify(listings, null, 2) : formatPluginListings(listings).join('\n');
      process.stdout.write(text + '\n');
    });
}
