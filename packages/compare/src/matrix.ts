import { RadpoError, type PluginRegistry } from '@radpo/core';
import { resolveRunConfig, type RunConfig } from '@radpo/runtime';
import type { AlgorithmEntry, CompareConfig } from './compare-config';

/** One run of a comparison: a group (everything but the seed) and a seed, with its resolved configuration. */
export interface PlannedRun {
  /** `<group>/seed-<seed>`, also the run's folder under `<out>/runs`. */
  id: string;
  group: string;
  seed: number;
  /** What distinguishes the group, for report columns: algorithm, augment and each swept parameter. */
  labels: Record<string, string>;
  config: RunConfig;
  /** Checkpoint folder whose weights the policy starts from, in place of a fresh initialization. */
  initialCheckpoint?: string;
}

type Raw = Record<string, any>;

/**
 * Expands a comparison into its runs: the matrix cells (algorithms × augment × params, in that order,
 * each over every seed), then the named runs. Every run configuration is validated, and every plugin
 * name and options checked against the registry, before anything trains.
 */
export function expandComparison(config: CompareConfig, registry: PluginRegistry): PlannedRun[] {
  const runs: PlannedRun[] = [];
  const augmentName = config.augmentTransform.name;
  registry.resolveOptions('transform', augmentName, config.augmentTransform.options);

  if (config.matrix) {
    const baseTransforms = (config.base.transforms as Raw[] | undefined) ?? [];
    if (baseTransforms.some((transform) => transform?.name === augmentName)) {
      throw new RadpoError(
        'config',
        `base.transforms already contains "${augmentName}", so matrix cells with augment false would not be plain runs. ` +
          'Remove it from base.transforms; matrix.augment adds it to the cells that need it.',
      );
    }
    for (const algorithm of config.matrix.algorithms) {
      for (const augment of config.matrix.augment) {
        for (const assignment of parameterProduct(config.matrix.params)) {
          const { raw, name, labels } = matrixCell(config, algorithm, augment, assignment);
          for (const seed of config.matrix.seeds) runs.push(planRun(name, seed, { ...raw, seed }, labels, registry));
        }
      }
    }
  }

  for (const run of config.runs) {
    const seeds = run.seeds ?? config.matrix?.seeds ?? [0];
    const raw = deepMerge(config.base, run.config);
    const losses = ((raw.losses as Raw[] | undefined) ?? [{ name: 'dpo' }]).map((term) => term.name).join('+');
    const augmented = ((raw.transforms as Raw[] | undefined) ?? []).some((transform) => transform?.name === augmentName);
    for (const seed of seeds) {
      runs.push(planRun(run.name, seed, { ...raw, seed }, { algorithm: losses, augment: String(augmented) }, registry));
    }
  }

  checkUniqueGroups(runs);
  if (runs.length === 0) {
    throw new RadpoError('config', 'the comparison has no runs: add a matrix with at least one algorithm, or named runs.');
  }
  return runs;
}

function matrixCell(
  config: CompareConfig,
  algorithm: AlgorithmEntry,
  augment: boolean,
  assignment: Array<[string, unknown]>,
): { raw: Raw; name: string; labels: Record<string, string> } {
  const entry = typeof algorithm === 'string' ? { name: algorithm } : algorithm;
  const raw: Raw = structuredClone(config.base);
  const baseTerm = ((raw.losses as Raw[] | undefined) ?? []).find((term) => term?.name === entry.name);
  raw.losses = [{ name: entry.name, weight: 1, options: { ...(baseTerm?.options ?? {}), ...(entry.options ?? {}) } }];
  if (augment) {
    raw.transforms = [...((raw.transforms as Raw[] | undefined) ?? []), structuredClone(config.augmentTransform)];
  }

  const label = entry.label ?? entry.name;
  const labels: Record<string, string> = { algorithm: label, augment: String(augment) };
  const nameParts = [label, ...(augment ? ['augment'] : [])];
  for (const [key, value] of assignment) {
    setParameter(raw, key, value);
    labels[key] = formatValue(value);
    nameParts.push(`${key.split('.').pop()}=${formatValue(value).replace(/[^A-Za-z0-9._+-]/g, '_')}`);
  }
  return { raw, name: nameParts.join('-'), labels };
}

function planRun(group: string, seed: number, raw: Raw, labels: Record<string, string>, registry: PluginRegistry): PlannedRun {
  const id = `${group}/seed-${seed}`;
  const config = resolveRunConfig(raw, `configuration of run ${id}`);
  for (const term of config.losses) registry.resolveOptions('loss', term.name, term.options);
  for (const transform of config.transforms) registry.resolveOptions('transform', transform.name, transform.options);
  registry.resolveOptions('scheduler', config.training.scheduler.name, config.training.scheduler.options);
  return { id, group, seed, labels, config };
}

/** Every combination of the swept parameters, in key order; one empty assignment when nothing is swept. */
function parameterProduct(params: Record<string, unknown[]>): Array<Array<[string, unknown]>> {
  let combinations: Array<Array<[string, unknown]>> = [[]];
  for (const [key, values] of Object.entries(params)) {
    combinations = combinations.flatMap((combination) => values.map((value) => [...combination, [key, value] as [string, unknown]]));
  }
  return combinations;
}

/** Sets a dotted path of the run configuration; "loss.<option>" sets that option on every loss term. */
function setParameter(raw: Raw, key: string, value: unknown): void {
  if (key.startsWith('loss.')) {
    const option = key.slice('loss.'.length);
    for (const term of raw.losses as Raw[]) term.options = { ...(term.options ?? {}), [option]: value };
    return;
  }
  const parts = key.split('.');
  if (parts.some((part) => part === '')) {
    throw new RadpoError('config', `matrix.params key "${key}" is not a dotted path such as "training.learningRate".`);
  }
  let target = raw;
  for (const part of parts.slice(0, -1)) {
    if (target[part] === undefined) target[part] = {};
    if (target[part] === null || typeof target[part] !== 'object' || Array.isArray(target[part])) {
      throw new RadpoError('config', `matrix.params key "${key}": "${part}" is not an object in the run configuration.`);
    }
    target = target[part];
  }
  target[parts[parts.length - 1]] = value;
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Merges `override` over `base`: objects merge key by key, arrays and other values replace. Neither
 * input is modified.
 */
export function deepMerge(base: Raw, override: Raw): Raw {
  const merged: Raw = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    const bothObjects = isPlainObject(current) && isPlainObject(value);
    merged[key] = bothObjects ? deepMerge(current, value as Raw) : structuredClone(value);
  }
  return merged;
}

function isPlainObject(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkUniqueGroups(runs: PlannedRun[]): void {
  const seen = new Set<string>();
  for (const run of runs) {
    if (seen.has(run.id)) {
      throw new RadpoError(
        'config',
        `two runs are both named "${run.id}". Give named runs names that differ from each other and from the matrix cells ` +
          '(such as "dpo" or "dpo-augment"), and list each seed once.',
      );
    }
    seen.add(run.id);
  }
}
