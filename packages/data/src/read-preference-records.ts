import { DataError, type PreferenceRecord } from '@radpo/core';
import { selectCandidatePairs } from './candidate-pairs';
import type { CandidateGroup } from './candidate-rows';
import { conversationsEqual } from './conversation';
import { readJsonArrayElements } from './json-array-scanner';
import { readNonBlankLines } from './jsonl-lines';
import { readParquetRows } from './parquet-rows';
import { DEGENERATE_PAIR_REASONS, resolveReadOptions, type ReadOptions, type ReadStats, type ResolvedReadOptions } from './read-options';
import { createRng, type Rng } from './rng';
import { badRow, type RowLocation } from './row-errors';
import { checkCandidatePair, parseRowValue, type ParsedRow, type RowRules } from './row-to-record';

/** One row of a data file before parsing: JSON text (JSONL, JSON arrays) or a decoded value (Parquet). */
type SourceRow = { line: number; text: string } | { line: number; value: unknown };

/** Reason counted in `ReadStats.skipped` for a prompt with a single scored response, which makes no pair. */
export const SINGLE_CANDIDATE = 'single-candidate';

/** Reason counted in `ReadStats.skipped` when pairing `all-pairs` finds every response of a prompt tied. */
export const NO_DISTINCT_SCORES = 'no-distinct-scores';

/**
 * Streams the preference records of a `.jsonl` file (one JSON object per line, blank lines skipped),
 * a `.json` file (one JSON array of objects), either of them gzip-compressed (`.jsonl.gz`,
 * `.json.gz`), or a `.parquet` file, parsing one row at a time. Each record gets `origin` (file and
 * 1-based line, element or row number) and an `id`.
 *
 * Rows of scored single responses (HelpSteer2) are grouped while adjacent rows share a prompt. A row
 * that lists scored responses (UltraFeedback completions) is a group of its own. Each group becomes
 * pairs by `options.pairing`. A group with one response yields nothing and is counted in
 * `stats.skipped["single-candidate"]`, whatever onBadRow says, and so is a group without two
 * distinct scores under `all-pairs`, as "no-distinct-scores". Memory holds one row, or one group of candidate rows.
 *
 * A bad row throws a DataError naming the file, line and field. With `onBadRow: 'skip'` bad rows are
 * left out instead and counted by reason in `options.stats`. Problems with the whole file (missing
 * file, unknown extension, a .json file that is not one closed array) always throw a RadpoError.
 * An empty file yields nothing.
 */
export async function* readPreferenceRecords(file: string, options: ReadOptions = {}): AsyncGenerator<PreferenceRecord> {
  const resolved = resolveReadOptions(file, options);
  const { stats } = resolved;
  const rules = rowRules(resolved);
  const rng = createRng(resolved.seed);
  let pending: { group: CandidateGroup; location: RowLocation } | undefined;
  // Line of the first row with each id. NOTE: grows with the number of distinct ids in the file.
  const firstLineOfId = new Map<string, number>();

  for await (const row of readRows(file, resolved)) {
    stats.rowsRead++;
    const location: RowLocation = { file, line: row.line, format: resolved.format };

    let parsed: ParsedRow;
    try {
      parsed = parseRowValue('text' in row ? parseJson(row.text, location) : row.value, location, rules);
    } catch (error) {
      skipOrThrow(error, resolved);
      continue;
    }

    // Adjacent single-response rows with an equal prompt are one group; anything else closes it.
    if (parsed.kind === 'candidates' && !parsed.group.complete && pending && conversationsEqual(pending.group.prompt, parsed.group.prompt)) {
      pending.group.candidates.push(...parsed.group.candidates);
      continue;
    }
    if (pending) yield* pairGroup(pending.group, pending.location, rules, resolved, rng);
    pending = undefined;

    if (parsed.kind === 'pair') {
      countDuplicateId(parsed.record, row.line, firstLineOfId, stats);
      stats.rowsYielded++;
      yield parsed.record;
    } else if (parsed.group.complete) {
      yield* pairGroup(parsed.group, location, rules, resolved, rng);
    } else {
      pending = { group: parsed.group, location };
    }
  }
  if (pending) yield* pairGroup(pending.group, pending.location, rules, resolved, rng);
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

function readRows(file: string, options: ResolvedReadOptions): AsyncIterable<SourceRow> {
  switch (options.format) {
    case 'jsonl':
      return readNonBlankLines(file, options.gzip);
    case 'json':
      return readJsonArrayElements(file, options.gzip);
    case 'parquet':
      return readParquetRows(file);
  }
}

function rowRules(options: ResolvedReadOptions): RowRules {
  return {
    ...options,
    flag: (reason) => {
      options.stats.flagged[reason] = (options.stats.flagged[reason] ?? 0) + 1;
    },
  };
}

/** Yields the pairs of one group of scored responses, each checked like a pair row. */
function* pairGroup(
  group: CandidateGroup,
  location: RowLocation,
  rules: RowRules,
  options: ResolvedReadOptions,
  rng: Rng,
): Generator<PreferenceRecord> {
  const { stats } = options;
  const pairs = selectCandidatePairs(group.candidates, options.pairing, rng);
  if (pairs.length === 0) {
    const reason = group.candidates.length < 2 ? SINGLE_CANDIDATE : NO_DISTINCT_SCORES;
    stats.skipped[reason] = (stats.skipped[reason] ?? 0) + 1;
    return;
  }

  for (const pair of pairs) {
    const chosen = group.candidates[pair.chosen];
    const rejected = group.candidates[pair.rejected];
    const pairLocation: RowLocation = { ...location, line: chosen.line };
    const text = { prompt: group.prompt, chosen: chosen.response, rejected: rejected.response };
    try {
      checkCandidatePair(text, pairLocation, rules);
    } catch (error) {
      skipOrThrow(error, options);
      continue;
    }

    const hasAttributes = Object.keys(chosen.attributes).length > 0 && Object.keys(rejected.attributes).length > 0;
    stats.rowsYielded++;
    yield {
      id: group.candidates.length === 2 && pairs.length === 1 ? group.id : `${group.id}:${pair.chosen}>${pair.rejected}`,
      ...text,
      scores: {
        chosen: chosen.score,
        rejected: rejected.score,
        ...(hasAttributes ? { attributes: { chosen: { ...chosen.attributes }, rejected: { ...rejected.attributes } } } : {}),
      },
      origin: { file: location.file, line: chosen.line },
    };
  }
}

/** Counts a skippable DataError under its reason, or rethrows the error. */
function skipOrThrow(error: unknown, options: ResolvedReadOptions): void {
  if (!(error instanceof DataError) || !shouldSkip(error, options)) throw error;
  options.stats.skipped[error.reason] = (options.stats.skipped[error.reason] ?? 0) + 1;
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
