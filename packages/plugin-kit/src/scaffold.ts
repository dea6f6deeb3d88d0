import * as fs from 'node:fs';
import * as path from 'node:path';
import { PLUGIN_KINDS, RadpoError, type PluginKind } from '@radpo/core';

/** Versions of the development tools a scaffolded package installs; a test keeps them equal to radpo's own. */
export const SCAFFOLD_TOOL_VERSIONS = {
  typescript: '^5.9.3',
  mocha: '^12.0.3',
  tsx: '^4.23.15',
  '@types/mocha': '^10.0.10',
  '@types/node': '^20.19.43',
} as const;

/** Settings of `radpo new-plugin`. */
export interface ScaffoldOptions {
  /** Plugin name in lowercase kebab case, such as `hinge-squared`; the name a run config uses. */
  name: string;
  kind: PluginKind;
  /** Folder to create; it must not exist or be empty. */
  dir: string;
  /** npm package name. Default `radpo-plugin-<name>`. */
  packageName?: string;
  /** One-sentence description for package.json, the plugin object and the README. */
  description?: string;
}

/** The package that scaffoldPlugin wrote. */
export interface ScaffoldResult {
  dir: string;
  packageName: string;
  files: string[];
  /** References to @radpo/core and @radpo/plugin-kit: `file:` links to a radpo checkout, or version ranges. */
  dependencies: { core: string; kit: string };
}

const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const TEMPLATES = path.resolve(__dirname, '..', 'templates');

const CONFIG_EXAMPLES: Record<PluginKind, string> = {
  loss: 'losses:\n  - name: {{name}}\n    options: { beta: 0.1 }',
  transform: 'transforms:\n  - name: {{name}}',
  scheduler: 'training:\n  scheduler:\n    name: {{name}}',
};

const DESCRIBE_FUNCTIONS: Record<PluginKind, string> = {
  loss: 'describeLossConformance',
  transform: 'describeTransformConformance',
  scheduler: 'describeSchedulerConformance',
};

/**
 * Writes a plugin package that builds and passes its tests as written: TypeScript source with its
 * options schema, a test that runs the conformance suite, a README, package.json and tsconfig.
 */
export function scaffoldPlugin(options: ScaffoldOptions): ScaffoldResult {
  const { name, kind } = options;
  if (!NAME_PATTERN.test(name)) {
    throw new RadpoError('config', `invalid plugin name "${name}": expected lowercase words joined by hyphens, such as hinge-squared.`);
  }
  if (!PLUGIN_KINDS.includes(kind)) {
    throw new RadpoError('config', `invalid plugin kind "${kind}": expected one of ${PLUGIN_KINDS.join(', ')}.`);
  }
  const dir = path.resolve(options.dir);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    throw new RadpoError('config', `${dir} already exists and is not empty; choose another --dir or remove it.`);
  }

  const packageName = options.packageName ?? `radpo-plugin-${name}`;
  const description = options.description ?? `A ${kind} plugin for radpo.`;
  const dependencies = { core: radpoDependency('@radpo/core', dir), kit: radpoDependency('@radpo/plugin-kit', dir) };
  const words = name.split('-');
  const pascal = words.map((word) => word[0].toUpperCase() + word.slice(1)).join('');
  const values: Record<string, string> = {
    name,
    kind,
    packageName,
    description: description.replace(/'/g, "\\'"),
    folderName: path.basename(dir),
    Pascal: pascal,
    camel: pascal[0].toLowerCase() + pascal.slice(1),
    CONSTANT: words.join('_').toUpperCase(),
    schemaConstant: `${words.join('_').toUpperCase()}_OPTIONS_SCHEMA`,
    describeFunction: DESCRIBE_FUNCTIONS[kind],
    coreDependency: dependencies.core,
    kitDependency: dependencies.kit,
    typescriptVersion: SCAFFOLD_TOOL_VERSIONS.typescript,
    mochaVersion: SCAFFOLD_TOOL_VERSIONS.mocha,
    tsxVersion: SCAFFOLD_TOOL_VERSIONS.tsx,
    typesMochaVersion: SCAFFOLD_TOOL_VERSIONS['@types/mocha'],
    typesNodeVersion: SCAFFOLD_TOOL_VERSIONS['@types/node'],
  };
  values.configExample = fill(CONFIG_EXAMPLES[kind], values);

  const files: Array<[string, string]> = [
    ['package.json', 'common/package.json.template'],
    ['tsconfig.json', 'common/tsconfig.json.template'],
    ['.mocharc.json', 'common/mocharc.json.template'],
    ['.gitignore', 'common/gitignore.template'],
    ['README.md', 'common/README.md.template'],
    ['src/index.ts', `${kind}/index.ts.template`],
    [`test/${name}.test.ts`, `${kind}/test.ts.template`],
  ];
  for (const [target, template] of files) {
    const file = path.join(dir, target);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, fill(fs.readFileSync(path.join(TEMPLATES, template), 'utf8'), values));
  }
  return { dir, packageName, files: files.map(([target]) => target), dependencies };
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (match, key: string) => {
    if (!(key in values)) throw new Error(`scaffold template placeholder ${match} has no value`);
    return values[key];
  });
}

/**
 * Returns the new package's reference to a radpo package. When radpo runs from a source checkout it
 * is a `file:` link relative to `dir`, because radpo's packages are not published to npm yet. When
 * radpo runs from node_modules it is a caret range of the installed version.
 */
function radpoDependency(packageName: string, dir: string): string {
  const manifestPath = fs.realpathSync(require.resolve(`${packageName}/package.json`));
  const packageDir = path.dirname(manifestPath);
  if (packageDir.split(path.sep).includes('node_modules')) {
    const { version } = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { version: string };
    return `^${version}`;
  }
  const relative = path.relative(dir, packageDir).split(path.sep).join('/');
  return `file:${relative.startsWith('.') ? relative : `./${relative}`}`;
}
