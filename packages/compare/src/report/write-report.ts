import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectComparison, type ComparisonResults } from '../aggregate';
import { renderCsv } from './csv';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';

/** Paths of the files writeReport writes. */
export interface ReportFiles {
  markdown: string;
  html: string;
  csv: string;
}

/** Collects a comparison's run folders and writes report.md, report.html and results.csv into its output folder. */
export function writeReport(outDir: string): { files: ReportFiles; results: ComparisonResults } {
  const results = collectComparison(outDir);
  const files: ReportFiles = {
    markdown: path.join(outDir, 'report.md'),
    html: path.join(outDir, 'report.html'),
    csv: path.join(outDir, 'results.csv'),
  };
  fs.writeFileSync(files.markdown, renderMarkdown(results));
  fs.writeFileSync(files.html, renderHtml(results));
  fs.writeFileSync(files.csv, renderCsv(results));
  return { files, results };
}
