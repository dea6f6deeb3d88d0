import type { ComparisonResults } from '../aggregate';
import { allMetrics, labelColumns } from './table';

/** Renders results.csv: one row per group with its labels, seed counts, and mean and std of every metric. */
export function renderCsv(results: ComparisonResults): string {
  const labels = labelColumns(results);
  const metrics = allMetrics(results);
  const header = ['group', ...labels, 'seeds_finished', 'seeds_planned', ...metrics.flatMap((metric) => [`${metric}_mean`, `${metric}_std`])];
  const rows = results.groups.map((group) => [
    group.group,
    ...labels.map((key) => group.labels[key] ?? ''),
    String(group.seedsFinished.length),
    String(group.seedsPlanned.length),
    ...metrics.flatMap((metric) => {
      const stats = group.metrics[metric];
      return [stats ? String(stats.mean) : '', stats?.std !== undefined ? String(stats.std) : ''];
    }),
  ]);
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** Quotes a cell when it contains a comma, quote or line break (RFC 4180). */
function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
