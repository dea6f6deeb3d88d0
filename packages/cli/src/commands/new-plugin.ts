import { Command, Option } from 'commander';
import { PLUGIN_KINDS, type PluginKind } from '@radpo/core';
import { scaffoldPlugin } from '@radpo/plugin-kit';

/** Flags of `radpo new-plugin`. */
export interface NewPluginFlags {
  kind: PluginKind;
  dir?: string;
  packageName?: string;
  description?: string;
}

/** Registers `radpo new-plugin` on the program. */
export function registerNewPluginCommand(program: Command): void {
  program
    .command('new-plugin')
    .description('Create a plugin package (TypeScript source, options schema, tests with the conformance suite, README) that builds and passes its tests as created.')
    .argument('<name>', 'plugin name in lowercase words joined by hyphens, such as hinge-squared; the name run configs use')
    .addOption(new Option('--kind <kind>', 'plugin kind').choices([...PLUGIN_KINDS]).makeOptionMandatory())
    .option('--dir <dir>', 'folder to create (default ./radpo-plugin-<name>); must not exist or be empty')
    .option('--package-name <name>', 'npm package name (default radpo-plugin-<name>)')
    .option('--description <text>', 'one-sentence description for package.json, the plugin and the README')
    .action((name: string, flags: NewPluginFlags) => {
      const result = scaffoldPlugin({
        name,
        kind: flags.kind,
        dir: flags.dir ?? `radpo-plugin-${name}`,
        packageName: flags.packageName,
        description: flags.description,
      });
      const lines = [
        `Created ${flags.kind} plugin "${name}" (${result.packageName}) in ${result.dir}:`,
        ...result.files.map((file) => `  ${file}`),
        '',
        `@radpo/core: ${result.dependencies.core}`,
        `@radpo/plugin-kit: ${result.dependencies.kit}`,
        '',
        'Next:',
        `  cd ${result.dir}`,
        '  npm install        # installs the dependencies and builds dist/',
        '  npm test           # builds dist/, then runs your tests and the conformance suite',
        '',
        'Then list the folder under "plugins" in a run config, as a path relative to the config file;',
        'README.md in the folder shows an example.',
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
