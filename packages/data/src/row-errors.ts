import { DataError } from '@radpo/core';
import type { DataFormat } from './read-options';

/**
 * Reasons a row can be rejected, used as DataError `reason` and as the keys of `ReadStats.skipped`.
 * Problems with the file as a whole (not found, not a JSON array, array not closed) throw a plain
 * RadpoError instead, and are never skipped.
 */
export const BAD_ROW_REASONS = [
  'invalid-json',
  'not-an-object',
  'missing-field',
  'invalid-type',
  'empty-prompt',
  'empty-response',
  'identical-responses',
  'missing-score',
  'invalid-score',
] as const;

export type BadRowReason = (typeof BAD_ROW_REASONS)[number];

/** Location of a row: its file, its 1-based line (JSONL) or element index (JSON array), and the format. */
export interface RowLocation {
  file: string;
  line: number;
  format: DataFormat;
}

/** Names a row in prose: `line 3` in JSONL, `element 3` in a JSON array, `row 3` in Parquet. */
export function describeRow(location: RowLocation): string {
  if (location.format === 'json') return `element ${location.line}`;
  if (location.format === 'parquet') return `row ${location.line}`;
  return `line ${location.line}`;
}

/**
 * Builds the DataError for a bad row. For JSON arrays and Parquet the detail starts with `element N`
 * or `row N`, because the `file:N` prefix that DataError writes would otherwise read as a line number.
 */
export function badRow(
  location: RowLocation,
  reason: BadRowReason,
  detail: string,
  field?: string,
  cause?: unknown,
): DataError {
  const text = location.format === 'jsonl' ? detail : `${describeRow(location)}: ${detail}`;
  return new DataError(
    { file: location.file, line: location.line, ...(field === undefined ? {} : { field }) },
    reason,
    text,
    cause === undefined ? undefined : { cause },
  );
}

const MAX_LISTED_KEYS = 12;

/** Lists a row's top-level keys for a missing-field message, so the user can see what to map. */
export function describeRowKeys(row: Record<string, unknown>): string {
  const keys = Object.keys(row);
  if (keys.length === 0) return 'The row has no keys.';
  const listed = keys.slice(0, MAX_LISTED_KEYS).join(', ');
  const more = keys.length > MAX_LISTED_KEYS ? ` and ${keys.length - MAX_LISTED_KEYS} more` : '';
  return `The row has keys: ${listed}${more}.`;
}
