import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { listSchemaOptions } from '@radpo/core';
import { RUN_CONFIG_SCHEMA } from '@radpo/runtime';
import { BUILTIN_PLUGINS } from '../packages/cli/src/plugins';
import { createProgram } from '../packages/cli/src/main';
import { writeDocs } from '../scripts/generate-docs';
import { REPO_ROOT, makeTempDir } from './helpers';

function readDoc(relative: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, relative), 'utf8');
}

/** Returns the text of one plugin's section, from its heading to the next heading. */
function pluginSection(reference: string, name: string): string {
  const start = reference.indexOf(`\n#### ${name}\n`);
  if (start < 0) return '';
  const end = reference.indexOf('\n###', start + 1);
  return reference.slice(start, end < 0 ? undefined : end);
}

describe('generated docs', () => {
  it('should match what npm run docs generates now', function () {
    const work = makeTempDir('docs');
    try {
      const files = writeDocs(work);
      const stale = files.filter((file) => !fs.existsSync(path.join(REPO_ROOT, file)) || readDoc(file) !== fs.readFileSync(path.join(work, file), 'utf8'));
      assert.deepEqual(stale, [], `stale generated docs: ${stale.join(', ')}. Run "npm run docs" and commit the result.`);
      const apiPages = fs.readdirSync(path.join(REPO_ROOT, 'docs/api')).map((file) => `docs/api/${file}`);
      const orphans = apiPages.filter((file) => !files.includes(file));
      assert.deepEqual(orphans, [], `docs/api holds pages no generator writes: ${orphans.join(', ')}`);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('should list every run config key in the config reference', () => {
    const reference = readDoc('docs/config-reference.md');
    const missing = listSchemaOptions(RUN_CONFIG_SCHEMA)
      .map((option) => option.path)
      .filter((key) => !reference.includes(`| \`${key}\` |`));
    assert.deepEqual(missing, []);
  });

  it('should list every built-in plugin option in the config reference', () => {
    const reference = readDoc('docs/config-reference.md');
    for (const plugin of BUILTIN_PLUGINS) {
      const section = pluginSection(reference, plugin.name);
      assert.notEqual(section, '', `no section for ${plugin.kind} plugin ${plugin.name}`);
      const missing = listSchemaOptions(plugin.optionsSchema)
        .map((option) => option.path)
        .filter((key) => !section.includes(`| \`${key}\` |`));
      assert.deepEqual(missing, [], `${plugin.name} options missing`);
    }
  });

  it('should list every command and option in the CLI reference', () => {
    const reference = readDoc('docs/cli-reference.md');
    const missing: string[] = [];
    const visit = (command: Command, parents: string[]) => {
      const name = [...parents, command.name()].join(' ');
      if (parents.length > 0 && !reference.includes(`\`${name}\``)) missing.push(name);
      for (const option of command.options) if (!reference.includes(`\`${option.flags}\``)) missing.push(`${name} ${option.flags}`);
      for (const sub of command.commands) visit(sub, [...parents, command.name()]);
    };
    visit(createProgram(), []);
    assert.deepEqual(missing, []);
  });
});
