import { DataError, type PreferenceRecord } from '@radpo/core';
import { readJsonArrayElements } from './json-array-scanner';
import { readNonBlankLines, type NumberedText } from './jsonl-lines';
import { DEGENERATE_PAIR_REASONS, resolveReadOptions, type ReadOptions, type ReadStats, type ResolvedReadOptions } from './read-options';
import { badRow, type RowLocation } from './row-errors';
import { rowToRecord } from './row-to-record';

/**
 * Streams the preference records of a `.jsonl` file (one JSON object per line, blank lines skipped)
 * or a `.json` file (one JSON array of objects), parsing one row at a time.
 * Each record gets `origin` (file and 1-based line or element number) and an `id`.
 *
 * A bad row throws a DataError naming the file, line and field. With `onBadRow: 'skip'` bad rows are
 * left out instead and counted by reason in `options.stats`. Problems with the whole file (missing
 * file, unknown extension, a .json file that is not one closed array) always throw a RadpoError.
 * An empty file yields nothing.
 */
export async function* readPreferenceRecords(file: string, options: ReadOptions = {}): AsyncGenerator<PreferenceRecord> {
  const resolved = resolveReadOptions(file, options);
  const { stats } = resolved;
  const rows = resolved.format === 'jsonl' ? readNonBlankLines(file) : readJsonArrayElements(file);
  // Line of the first row with each id. NOTE: grows with the number of distinct ids in the file.
  const firstLineOfId = new Map<string, number>();

  for await (const row of rows) {
    stats.rowsRead++;

    let record: PreferenceRecord;
    try {
      record = parseRow(row, file, resolved);
    } catch (error) {
      if (!(error instanceof DataError) || !shouldSkip(error, resolved)) throw error;
      stats.skipped[error.reason] = (stats.skipped[error.reason] ?? 0) + 1;
      continue;
    }

    countDuplicateId(record, row.line, firstLineOfId, stats);
    stats.rowsYielded++;
    yield record;
  }
}

/**
 * Counts a record whose id an earlier record of the file already had. Such rows are kept: a
 * repeated id is suspicious (a file concatenated twice, a wrong id mapping) but not invalid.
 */
function countDuplicateId(record: PreferenceRecord, line: number, firstLineOfId: Map<string, number>, stats: ReadStats): void {
  if (record.id === undefined) return;
  const firstLine = firstLineOfId.get(record.id);
  if (firstLine === undefined) {
    firstLineOfId.set(record.id, line);
    return;
  }
  stats.duplicateIds++;
  stats.firstDuplicateId ??= { id: record.id, line, firstLine };
}

/** Reads every record into an array, for files small enough to keep in memory. */
export async function readAllPreferenceRecords(file: string, options: ReadOptions = {}): Promise<PreferenceRecord[]> {
  const records: PreferenceRecord[] = [];
  for await (const record of readPreferenceRecords(file, options)) records.push(record);
  return records;
}

/**
 * Degenerate pairs follow onDegeneratePair when it is `skip` or `fail`. Every other bad row follows
 * onBadRow, and so does a degenerate pair under `keep` that cannot be kept (identical conversations
 * with an implicit prompt leave no response to split off).
 */
function shouldSkip(error: DataError, options: ResolvedReadOptions): boolean {
  const degenerate = (DEGENERATE_PAIR_REASONS as readonly string[]).includes(error.reason);
  if (degenerate && options.onDegeneratePair !== 'keep') return options.onDegeneratePair === 'skip';
  return options.onBadRow === 'skip';
}

function parseRow(row: NumberedText, file: string, options: ResolvedReadOptions): PreferenceRecord {
  const location: RowLocation = { file, line: row.line, format: options.format };
  const flag = (reason: string) => {
    options.stats.flagged[reason] = (options.stats.flagged[reason] ?? 0) + 1;
  };
  return rowToRecord(parseJson(row.text, location), location, { ...options, flag });
}

function parseJson(text: string, location: RowLocation): unknown {
  if (text === '') {
    throw badRow(location, 'invalid-json', 'invalid JSON: the element is empty (two commas in a row, or a comma before "]")');
  }

  try {
    return JSON.parse(text);
  } catch (error) {
    const expected =
      location.format === 'jsonl'
        ? 'Expected one JSON object per line.'
        : 'Expected each element of the array to be a JSON object.';
    const arrayHint =
      location.format === 'jsonl' && location.line === 1 && text.trimStart().startsWith('[')
        ? " The line starts with '[': if the file is one JSON array, name it .json or set the format option to 'json'."
        : '';
    throw badRow(location, 'invalid-json', `invalid JSON: ${(error as Error).message}. ${expected}${arrayHint}`, undefined, error);
  }
}
