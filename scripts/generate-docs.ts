import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBuiltinRegistry, createProgram } from 'radpo';
import { renderApiIndex, renderApiPages, type ApiPackage } from './docs/api-reference';
import { renderCliReference } from './docs/cli-reference';
import { renderConfigReference } from './docs/config-reference';
import { renderConformanceChecks } from './docs/conformance-checks';

/** The repository root, where the generated files' relative paths start. */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** Packages with an API page, in the order of the index. */
export const API_PACKAGES: readonly ApiPackage[] = [
  { dir: 'packages/core', name: '@radpo/core', summary: 'Contracts: records, losses, transforms, schedules, plugins, the registry, events, errors, validation, tensor helpers.' },
  { dir: 'packages/plugin-kit', name: '@radpo/plugin-kit', summary: 'The conformance suite for plugin authors and the scaffolding behind `radpo new-plugin`.' },
  { dir: 'packages/data', name: '@radpo/data', summary: 'Readers, field maps, the synthetic task, the seeded RNG, pair tokenization.' },
  { dir: 'packages/runtime', name: '@radpo/runtime', summary: 'The trainer, the run config schema, backends, the built-in model, plugin loading.' },
];

/**
 * Renders every generated page and returns them by path relative to the repository root. The pages
 * depend only on the sources, the schemas and the registry, so two runs give identical text.
 */
export function renderDocs(): Map<string, string> {
  const pages = new Map<string, string>();
  pages.set('docs/config-reference.md', renderConfigReference(createBuiltinRegistry()));
  pages.set('docs/cli-reference.md', renderCliReference(createProgram()));
  pages.set('docs/conformance-checks.md', renderConformanceChecks());
  pages.set('docs/api/README.md', renderApiIndex(API_PACKAGES));
  for (const [pkg, text] of renderApiPages(API_PACKAGES, REPO_ROOT)) pages.set(`docs/api/${path.basename(pkg.dir)}.md`, text);
  return pages;
}

/** Writes the pages under `outDir` (default: the repository root) and returns their paths. */
export function writeDocs(outDir = REPO_ROOT): string[] {
  const written: string[] = [];
  for (const [relative, text] of renderDocs()) {
    const file = path.join(outDir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    written.push(relative);
  }
  return written;
}

if (require.main === module) {
  const outFlag = process.argv.indexOf('--out');
  const outDir = outFlag >= 0 ? path.resolve(process.argv[outFlag + 1]) : REPO_ROOT;
  for (const file of writeDocs(outDir)) process.stdout.write(`wrote ${path.join(path.relative(process.cwd(), outDir) || '.', file)}\n`);
}
