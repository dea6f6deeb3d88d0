import { describeConformance } from '@radpo/plugin-kit';
import { BUILTIN_PLUGINS } from '../packages/cli/src/plugins';

// Every plugin that ships with radpo passes the suite that third-party plugins are held to. The list
// comes from the CLI's registry, so a plugin added there is checked without touching this file.
describe('built-in plugin conformance', () => {
  for (const plugin of BUILTIN_PLUGINS) describeConformance(plugin);
});
