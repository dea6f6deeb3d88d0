import * as fs from 'node:fs';
import * as path from 'node:path';
import { RadpoError } from '@radpo/core';

/** Browser builds of vega, vega-lite and vega-embed, inlined into report.html so it opens offline. */
export interface VegaBundles {
  vega: string;
  vegaLite: string;
  vegaEmbed: string;
}

const BUNDLE_FILES: Record<keyof VegaBundles, [string, string]> = {
  vega: ['vega', 'build/vega.min.js'],
  vegaLite: ['vega-lite', 'build/vega-lite.min.js'],
  vegaEmbed: ['vega-embed', 'build/vega-embed.min.js'],
};

let cached: VegaBundles | undefined;

/**
 * Reads the minified browser builds from the installed npm packages. Their package.json "exports"
 * hide the build folder from require.resolve, so the packages are looked up along Node's module paths.
 */
export function readVegaBundles(): VegaBundles {
  if (cached) return cached;
  const bundles: Partial<VegaBundles> = {};
  for (const [key, [packageName, file]] of Object.entries(BUNDLE_FILES) as Array<[keyof VegaBundles, [string, string]]>) {
    const searched = require.resolve.paths(packageName) ?? [];
    const found = searched.map((dir) => path.join(dir, packageName, file)).find((candidate) => fs.existsSync(candidate));
    if (!found) {
      throw new RadpoError('io', `cannot find ${packageName}/${file}, needed for report.html. Reinstall radpo's dependencies with "npm ci".`);
    }
    bundles[key] = fs.readFileSync(found, 'utf8');
  }
  cached = bundles as VegaBundles;
  return cached;
}
