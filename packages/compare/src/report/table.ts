import type { ComparisonResults, GroupResult, MetricStats } from '../aggregate';

/** Label columns of a report: the union of the groups' label keys, in first-seen order. */
export function labelColumns(results: ComparisonResults): string[] {
  const keys: string[] = [];
  for (const group of results.groups) for (const key of Object.keys(group.labels)) if (!keys.includes(key)) keys.push(key);
  return keys;
}

/** Lists every metric any group has, the report metrics first. */
export function allMetrics(results: ComparisonResults): string[] {
  const metrics = [...results.manifest.reportMetrics];
  for (const group of results.groups) for (const metric of Object.keys(group.metrics)) if (!metrics.includes(metric)) metrics.push(metric);
  return metrics;
}

/** Formats a number with 4 significant digits, in exponent notation when very large or small. */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

/** "mean ± std" over seeds, only the mean for one seed, and "n/a" when no seed finished or reported the metric. */
export function formatStats(stats: MetricStats | undefined): string {
  if (!stats) return 'n/a';
  return stats.std === undefined ? formatNumber(stats.mean) : `${formatNumber(stats.mean)} ± ${formatNumber(stats.std)}`;
}

/** "finished/planned" seeds of a group. */
export function formatSeeds(group: GroupResult): string {
  return `${group.seedsFinished.length}/${group.seedsPlanned.length}`;
}

/** Builds the report table as rows of cells, header first: group, labels, seeds and one column per report metric. */
export function reportTable(results: ComparisonResults): string[][] {
  const labels = labelColumns(results);
  const metrics = results.manifest.reportMetrics;
  const header = ['group', ...labels, 'seeds', ...metrics];
  const rows = results.groups.map((group) => [
    group.group,
    ...labels.map((key) => group.labels[key] ?? ''),
    formatSeeds(group),
    ...metrics.map((metric) => formatStats(group.metrics[metric])),
  ]);
  return [header, ...rows];
}
