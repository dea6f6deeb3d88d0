import type { ComparisonResults } from '../aggregate';
import { reportTable } from './table';

/** Renders report.md: the title, a note on what the cells mean, and the table of final held-out metrics per group. */
export function renderMarkdown(results: ComparisonResults): string {
  const [header, ...rows] = reportTable(results);
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const line = (cells: string[]) => `| ${cells.map(escape).join(' | ')} |`;
  const incomplete = results.groups.filter((group) => group.seedsFinished.length < group.seedsPlanned.length);
  return [
    `# ${results.manifest.title}`,
    '',
    'Final held-out metrics per run group (a group is every run that differs only in the seed), as mean ± sample standard ' +
      'deviation over the finished seeds; "seeds" is finished/planned.',
    '',
    ...(results.manifest.notes ?? []).flatMap((note) => [note, '']),
    line(header),
    line(header.map(() => '---')),
    ...rows.map(line),
    '',
    ...(incomplete.length > 0
      ? [`Unfinished: ${incomplete.map((group) => group.group).join(', ')}. Run the comparison again to finish the missing runs.`, '']
      : []),
  ].join('\n');
}
