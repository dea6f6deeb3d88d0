import * as fs from 'node:fs';
import * as path from 'node:path';
import { RadpoError } from '@radpo/core';
import { readRunEvents, readRunSummary, runFolderPath } from './run-folder';
import { MANIFEST_FILE, type ComparisonManifest } from './runner';

/** Mean and sample standard deviation (n − 1) of one metric over a group's finished seeds. */
export interface MetricStats {
  mean: number;
  /** Undefined for a single seed. */
  std?: number;
  n: number;
}

/** One point of a training curve, averaged over the group's finished seeds. */
export interface CurvePoint {
  group: string;
  metric: CurveMetric;
  step: number;
  value: number;
}

/** Training-step quantities drawn against the step in report.html. */
export const CURVE_METRICS = ['loss', 'rewards/margins', 'rewards/accuracies'] as const;
export type CurveMetric = (typeof CURVE_METRICS)[number];

/** Final results of one group (all runs that differ only in the seed). */
export interface GroupResult {
  group: string;
  labels: Record<string, string>;
  seedsPlanned: number[];
  seedsFinished: number[];
  /** Final held-out metrics and post-run metrics (summary.json's heldOut and extra), over finished seeds. */
  metrics: Record<string, MetricStats>;
}

export interface ComparisonResults {
  manifest: ComparisonManifest;
  groups: GroupResult[];
  curves: CurvePoint[];
}

/** Most points per curve: longer runs are averaged over equal buckets of steps, which also smooths batch noise. */
const MAX_CURVE_POINTS = 100;

/** Reads comparison.json and every run folder of a comparison's output folder. Unfinished runs are left out. */
export function collectComparison(outDir: string): ComparisonResults {
  const manifest = readManifest(outDir);
  const groups = new Map<string, { result: GroupResult; values: Map<string, number[]>; curves: Array<Map<CurveMetric, Map<number, number>>> }>();

  for (const run of manifest.runs) {
    let entry = groups.get(run.group);
    if (!entry) {
      entry = { result: { group: run.group, labels: run.labels, seedsPlanned: [], seedsFinished: [], metrics: {} }, values: new Map(), curves: [] };
      groups.set(run.group, entry);
    }
    entry.result.seedsPlanned.push(run.seed);
    const dir = runFolderPath(outDir, run.id);
    const summary = readRunSummary(dir);
    if (!summary) continue;

    entry.result.seedsFinished.push(run.seed);
    for (const [metric, value] of Object.entries({ ...summary.heldOut, ...(summary.extra ?? {}) })) {
      if (!Number.isFinite(value)) continue;
      const list = entry.values.get(metric) ?? [];
      list.push(value);
      entry.values.set(metric, list);
    }
    entry.curves.push(readCurves(dir));
  }

  const results: GroupResult[] = [];
  const curves: CurvePoint[] = [];
  for (const { result, values, curves: runCurves } of groups.values()) {
    for (const [metric, list] of values) result.metrics[metric] = describe(list);
    results.push(result);
    curves.push(...averageCurves(result.group, runCurves));
  }
  return { manifest, groups: results, curves };
}

export function readManifest(outDir: string): ComparisonManifest {
  const file = path.join(outDir, MANIFEST_FILE);
  if (!fs.existsSync(file)) {
    throw new RadpoError('io', `${file} not found: ${outDir} is not the output folder of radpo compare or radpo bench.`);
  }
  let manifest: ComparisonManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RadpoError('io', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (manifest.format !== 'radpo-comparison' || !Array.isArray(manifest.runs)) {
    throw new RadpoError('io', `${file} is not a radpo comparison manifest (format is ${JSON.stringify(manifest.format)}).`);
  }
  return manifest;
}

/** Mean and sample standard deviation. */
export function describe(values: number[]): MetricStats {
  const n = values.length;
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  if (n < 2) return { mean, n };
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n };
}

function readCurves(dir: string): Map<CurveMetric, Map<number, number>> {
  const curves = new Map<CurveMetric, Map<number, number>>(CURVE_METRICS.map((metric) => [metric, new Map()]));
  for (const event of readRunEvents(dir)) {
    if (event.type !== 'step' || event.phase !== 'train') continue;
    for (const metric of CURVE_METRICS) {
      const value = metric === 'loss' ? event.loss : event.metrics[metric];
      if (value !== undefined && Number.isFinite(value)) curves.get(metric)!.set(event.step, value);
    }
  }
  return curves;
}

/** Averages the seeds' curves step by step, then over buckets of steps so that a curve has at most MAX_CURVE_POINTS points. */
function averageCurves(group: string, runs: Array<Map<CurveMetric, Map<number, number>>>): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const metric of CURVE_METRICS) {
    const sums = new Map<number, { total: number; count: number }>();
    for (const run of runs) {
      for (const [step, value] of run.get(metric) ?? []) {
        const sum = sums.get(step) ?? { total: 0, count: 0 };
        sum.total += value;
        sum.count++;
        sums.set(step, sum);
      }
    }
    const steps = [...sums.keys()].sort((a, b) => a - b);
    const bucket = Math.max(1, Math.ceil(steps.length / MAX_CURVE_POINTS));
    for (let start = 0; start < steps.length; start += bucket) {
      const slice = steps.slice(start, start + bucket);
      const value = slice.reduce((total, step) => total + sums.get(step)!.total / sums.get(step)!.count, 0) / slice.length;
      points.push({ group, metric, step: slice[slice.length - 1], value });
    }
  }
  return points;
}
