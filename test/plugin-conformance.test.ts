import type { PluginKind } from '@radpo/core';
import { describeConformance, type ConformanceOptionsMap } from '@radpo/plugin-kit';
import { BUILTIN_PLUGINS } from '../packages/cli/src/plugins';

// Every plugin that ships with radpo passes the suite that third-party plugins are held to. The list
// comes from the CLI's registry, so a plugin added there is checked without touching this file.
// Suite settings for a built-in plugin that needs them, keyed by "kind:name": options without
// defaults, or the reason a transform buffers its input (see ConformanceOptionsMap).
const SUITE_SETTINGS: Record<string, ConformanceOptionsMap[PluginKind]> = {};

describe('built-in plugin conformance', () => {
  for (const plugin of BUILTIN_PLUGINS) describeConformance(plugin, SUITE_SETTINGS[`${plugin.kind}:${plugin.name}`] ?? {});
});
