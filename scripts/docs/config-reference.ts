import { PLUGIN_KINDS, listSchemaOptions, type JsonSchema, type PluginRegistry, type SchemaOption } from '@radpo/core';
import { RUN_CONFIG_SCHEMA } from '@radpo/runtime';
import { cell, code, generatedNotice, table } from './markdown';

const KIND_KEYS = {
  loss: 'losses[].options',
  transform: 'transforms[].options',
  scheduler: 'training.scheduler.options',
} as const;

function defaultCell(option: SchemaOption): string {
  if (option.hasDefault) return code(option.default);
  return option.required ? 'required' : '';
}

function optionRows(schema: JsonSchema): string[][] {
  return listSchemaOptions(schema).map((option) => [
    `\`${option.path}\``,
    cell(option.constraints ? `${option.type} (${option.constraints})` : option.type),
    defaultCell(option),
    cell(option.description),
  ]);
}

/**
 * Renders docs/config-reference.md from RUN_CONFIG_SCHEMA and the options schema of every plugin in
 * the registry: one table for the run settings, one per plugin.
 */
export function renderConfigReference(registry: PluginRegistry): string {
  const headers = ['key', 'type', 'default', 'description'];
  const lines = [
    generatedNotice('scripts/docs/config-reference.ts'),
    '',
    '# Configuration reference',
    '',
    'A run configuration is a JSON or YAML file passed with `radpo train --config FILE`; command-line flags',
    'override it. Every key is optional: the defaults below apply. Keys are shown as dotted paths, and `[]`',
    'marks the items of a list, so `losses[].name` is the `name` of each entry of `losses`. An unknown key',
    'is an error that names the nearest valid key.',
    '',
    '```yaml',
    'plugins: [./my-plugin]          # extra plugin packages, relative to this file',
    'losses:',
    '  - name: dpo',
    '    options: { beta: 0.1 }',
    'transforms:',
    '  - name: reward-augment',
    'training:',
    '  maxSteps: 200',
    '  scheduler: { name: cosine, options: { warmupRatio: 0.1 } }',
    '```',
    '',
    '## Run settings',
    '',
    table(headers, optionRows(RUN_CONFIG_SCHEMA)),
    '',
    '## Plugin options',
    '',
    "Each plugin validates its `options` against its own JSON Schema. The tables below list the plugins that",
    'ship with radpo; `radpo plugins --config FILE` lists these and the ones a config adds.',
  ];
  for (const kind of PLUGIN_KINDS) {
    lines.push('', `### ${kind[0].toUpperCase()}${kind.slice(1)} plugins (\`${KIND_KEYS[kind]}\`)`);
    for (const plugin of registry.list(kind)) {
      lines.push('', `#### ${plugin.name}`, '', `${plugin.description} Package \`${plugin.packageName}\` ${plugin.version}.`, '');
      const rows = optionRows(plugin.optionsSchema);
      lines.push(rows.length > 0 ? table(headers, rows) : 'No options.');
    }
  }
  return lines.join('\n') + '\n';
}
