import { RUN_CONFIG_SCHEMA } from '@radpo/runtime';
import { validateWithDefaults, type JsonSchema } from '@radpo/core';

/** A loss of the matrix: a plugin name, or a name with options and an optional label for run names. */
export type AlgorithmEntry = string | { name: string; options?: Record<string, unknown>; label?: string };

/** A comparison as a user writes it, after validation with defaults filled in. */
export interface CompareConfig {
  title?: string;
  base: Record<string, unknown>;
  augmentTransform: { name: string; options: Record<string, unknown> };
  matrix?: {
    algorithms: AlgorithmEntry[];
    augment: boolean[];
    seeds: number[];
    params: Record<string, unknown[]>;
  };
  runs: Array<{ name: string; config: Record<string, unknown>; seeds?: number[] }>;
  report: { metrics: string[] };
}

/** Run and group names become folder names, so they keep to characters every file system accepts. */
export const RUN_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._=+-]*$';

/** Held-out metrics shown in report tables unless `report.metrics` says otherwise. */
export const DEFAULT_REPORT_METRICS = ['loss', 'rewards/accuracies', 'rewards/margins', 'rewards/chosen', 'rewards/rejected'];

/** Returns a copy of a schema with every `default` and `$id` removed, for partial configurations that are merged later. */
function withoutDefaults(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDefaults);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'default' || key === '$id') continue;
    copy[key] = key === 'enum' || key === 'required' ? value : withoutDefaults(value);
  }
  return copy;
}

const PARTIAL_RUN_CONFIG = withoutDefaults(RUN_CONFIG_SCHEMA) as JsonSchema;

const seedList = (description: string) => ({
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: { type: 'integer' },
  description,
});

/** JSON Schema of a comparison file. Every key has a description; docs/compare.md is written from it. */
export const COMPARE_CONFIG_SCHEMA: JsonSchema = {
  $id: 'radpo/compare-config',
  type: 'object',
  additionalProperties: false,
  properties: {
    title: { type: 'string', description: 'Heading of report.md and report.html. Default: "radpo comparison".' },
    base: {
      ...PARTIAL_RUN_CONFIG,
      default: {},
      description:
        'Settings every run shares: a partial run configuration with the keys of `radpo train --config` (seed, backend, losses, ' +
        'transforms, data, model, training). Matrix cells and named runs are merged over it; unset keys take the run defaults.',
    },
    augmentTransform: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The transform that matrix cells with augment true append to the base transforms.',
      properties: {
        name: { type: 'string', default: 'reward-augment', description: 'Transform plugin name. Default "reward-augment".' },
        options: { type: 'object', default: {}, description: "The transform's options, validated by the plugin. Default {}." },
      },
    },
    matrix: {
      type: 'object',
      additionalProperties: false,
      required: ['algorithms'],
      description:
        'Runs formed as the product algorithms × augment × params × seeds. A cell is named <algorithm>[-augment][-<key>=<value>...] ' +
        'and its seeds run in <out>/runs/<name>/seed-<n>. Omit it to run only the named runs.',
      properties: {
        algorithms: {
          type: 'array',
          minItems: 1,
          description:
            'Loss plugins to compare, each a name (such as "dpo") or {name, options, label}; options are merged over the base ' +
            'loss options and label replaces the name in run names. Each algorithm becomes the single loss term of its runs.',
          items: {
            oneOf: [
              { type: 'string', minLength: 1 },
              {
                type: 'object',
                additionalProperties: false,
                required: ['name'],
                properties: {
                  name: { type: 'string', minLength: 1, description: 'Loss plugin name.' },
                  options: { type: 'object', description: 'Options of the loss plugin.' },
                  label: { type: 'string', pattern: RUN_NAME_PATTERN, description: 'Name used in run names. Default: the plugin name.' },
                },
              },
            ],
          },
        },
        augment: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'boolean' },
          default: [false, true],
          description: 'Whether cells run with augmentTransform: [false, true] runs both. Default [false, true].',
        },
        seeds: { ...seedList('Seeds of every cell; the report averages over them. Default [0].'), default: [0] },
        params: {
          type: 'object',
          default: {},
          additionalProperties: { type: 'array', minItems: 1 },
          description:
            'Hyperparameters to sweep: a dotted path of the run configuration (such as "training.learningRate") or "loss.<option>" ' +
            '(an option set on every loss term, such as "loss.beta"), mapped to the list of values to try. Default {}.',
        },
      },
    },
    runs: {
      type: 'array',
      default: [],
      description: 'Named single runs besides the matrix, each with its own partial run configuration merged over base. Default [].',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: RUN_NAME_PATTERN, description: 'Group name of the run; must differ from every other group.' },
          config: { ...PARTIAL_RUN_CONFIG, default: {}, description: 'Partial run configuration merged over base. Default {}.' },
          seeds: seedList('Seeds of this run. Default: matrix.seeds, or [0] without a matrix.'),
        },
      },
    },
    report: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'What the report tables show.',
      properties: {
        metrics: {
          type: 'array',
          minItems: 1,
          items: { type: 'string' },
          default: DEFAULT_REPORT_METRICS,
          description:
            'Final held-out metrics in the tables of report.md and report.html, in order; results.csv has every metric. ' +
            `Default ${JSON.stringify(DEFAULT_REPORT_METRICS)}.`,
        },
      },
    },
  },
};

/** Validates a raw comparison configuration and returns a copy with defaults filled in. */
export function resolveCompareConfig(raw: unknown, label = 'comparison configuration'): CompareConfig {
  return validateWithDefaults<CompareConfig>(COMPARE_CONFIG_SCHEMA, raw, label);
}
