import { RadpoError, describeValue, suggestName } from '@radpo/core';
import { splitDottedPath } from './dotted-path';

/** File formats the readers understand. */
export type DataFormat = 'jsonl' | 'json';

export const DATA_FORMATS: readonly DataFormat[] = ['jsonl', 'json'];

/** Policy for rows that fail validation. */
export type BadRowPolicy = 'fail' | 'skip';

export const BAD_ROW_POLICIES: readonly BadRowPolicy[] = ['fail', 'skip'];

/**
 * Policy for degenerate pairs: an empty response, or chosen identical to rejected. `keep` (the
 * default) keeps them and counts them in `ReadStats.flagged`; `skip` drops and counts them;
 * `fail` throws their DataError.
 */
export type DegeneratePairPolicy = 'keep' | 'skip' | 'fail';

export const DEGENERATE_PAIR_POLICIES: readonly DegeneratePairPolicy[] = ['keep', 'skip', 'fail'];

/** DataError reasons that the degenerate-pair policy governs instead of the bad-row policy. */
export const DEGENERATE_PAIR_REASONS = ['empty-response', 'identical-responses'] as const;

export type DegeneratePairReason = (typeof DEGENERATE_PAIR_REASONS)[number];

/**
 * Dotted paths (`data.answers.good`, `turns.0.text`) that override where a field is read from.
 * Fields left out are found by shape detection.
 */
export interface FieldMap {
  prompt?: string;
  chosen?: string;
  rejected?: string;
  scoreChosen?: string;
  scoreRejected?: string;
  id?: string;
}

export const FIELD_MAP_KEYS: readonly (keyof FieldMap)[] = [
  'prompt',
  'chosen',
  'rejected',
  'scoreChosen',
  'scoreRejected',
  'id',
];

/**
 * Counts kept while reading. `rowsRead` includes bad rows. `skipped` is keyed by DataError reason
 * and is only filled when `onBadRow` is `skip`.
 */
export interface ReadStats {
  rowsRead: number;
  rowsYielded: number;
  skipped: Record<string, number>;
  /** Degenerate pairs kept under onDegeneratePair `keep`, by reason. */
  flagged: Record<string, number>;
  /** Kept rows whose id repeats the id of an earlier kept row; they are kept too, and counted as separate pairs. */
  duplicateIds: number;
  /** The first repeated id, with its line (or element) and the line where it first appeared. */
  firstDuplicateId?: { id: string; line: number; firstLine: number };
}

/** Options of `readPreferenceRecords`. Every field is optional. */
export interface ReadOptions {
  /** Overrides the format implied by the file extension (`.jsonl` or `.json`). */
  format?: DataFormat;
  /** Dotted paths to read fields from, in place of shape detection. */
  fieldMap?: FieldMap;
  /** When true, a row without both scores is a bad row (reason `missing-score`). Default false. */
  requireScores?: boolean;
  /** Bad-row policy: `fail` (default) throws the first DataError, and `skip` drops bad rows and counts them in `stats`. */
  onBadRow?: BadRowPolicy;
  /** Degenerate-pair policy: `keep` (default), `skip` or `fail`; see DegeneratePairPolicy. */
  onDegeneratePair?: DegeneratePairPolicy;
  /** Filled in while reading, so a caller can report counts even after stopping early. */
  stats?: ReadStats;
}

/** The options after validation, with defaults applied. */
export interface ResolvedReadOptions {
  format: DataFormat;
  fieldMap: FieldMap;
  requireScores: boolean;
  onBadRow: BadRowPolicy;
  onDegeneratePair: DegeneratePairPolicy;
  stats: ReadStats;
}

/** Returns a ReadStats with every count at zero. */
export function createReadStats(): ReadStats {
  return { rowsRead: 0, rowsYielded: 0, skipped: {}, flagged: {}, duplicateIds: 0 };
}

/**
 * Validates the options and returns a copy with defaults applied. The caller's `stats` object is
 * used as it is, so that the caller sees the counts. Throws a RadpoError with code `config` on an
 * invalid format, policy, requireScores value or field map.
 */
export function resolveReadOptions(file: string, options: ReadOptions): ResolvedReadOptions {
  return {
    format: resolveFormat(file, options.format),
    fieldMap: resolveFieldMap(options.fieldMap),
    requireScores: resolveRequireScores(options.requireScores),
    onBadRow: resolveBadRowPolicy(options.onBadRow),
    onDegeneratePair: resolveDegeneratePairPolicy(options.onDegeneratePair),
    stats: options.stats ?? createReadStats(),
  };
}

function resolveFormat(file: string, format: unknown): DataFormat {
  if (format !== undefined) {
    if (DATA_FORMATS.includes(format as DataFormat)) return format as DataFormat;
    throw new RadpoError(
      'config',
      `invalid data format ${describeValue(format)}${didYouMean(format, DATA_FORMATS)}. Valid formats: ${DATA_FORMATS.join(', ')}.`,
    );
  }

  const lower = file.toLowerCase();
  if (lower.endsWith('.jsonl')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  throw new RadpoError(
    'config',
    `cannot tell the format of "${file}" from its extension: expected .jsonl (one JSON object per line) ` +
      `or .json (a JSON array of objects). Set the format option to 'jsonl' or 'json' to read it anyway.`,
  );
}

function resolveFieldMap(fieldMap: unknown): FieldMap {
  if (fieldMap === undefined) return {};
  if (fieldMap === null || typeof fieldMap !== 'object' || Array.isArray(fieldMap)) {
    throw new RadpoError('config', `invalid field map ${describeValue(fieldMap)}: expected an object of dotted paths.`);
  }

  const resolved: FieldMap = {};
  for (const [key, path] of Object.entries(fieldMap)) {
    if (!FIELD_MAP_KEYS.includes(key as keyof FieldMap)) {
      throw new RadpoError(
        'config',
        `unknown field map key "${key}"${didYouMean(key, FIELD_MAP_KEYS)}. Valid keys: ${FIELD_MAP_KEYS.join(', ')}.`,
      );
    }
    if (path === undefined) continue;
    if (typeof path !== 'string' || splitDottedPath(path) === undefined) {
      throw new RadpoError(
        'config',
        `invalid field map path for "${key}": expected a dotted path such as "data.answers.good", got ${describeValue(path)}.`,
      );
    }
    resolved[key as keyof FieldMap] = path;
  }
  return resolved;
}

function resolveRequireScores(requireScores: unknown): boolean {
  if (requireScores === undefined) return false;
  if (typeof requireScores === 'boolean') return requireScores;
  throw new RadpoError('config', `invalid requireScores ${describeValue(requireScores)}: expected true or false.`);
}

function resolveBadRowPolicy(policy: unknown): BadRowPolicy {
  if (policy === undefined) return 'fail';
  if (BAD_ROW_POLICIES.includes(policy as BadRowPolicy)) return policy as BadRowPolicy;
  throw new RadpoError(
    'config',
    `invalid onBadRow ${describeValue(policy)}${didYouMean(policy, BAD_ROW_POLICIES)}. Valid values: ${BAD_ROW_POLICIES.join(', ')}.`,
  );
}

function resolveDegeneratePairPolicy(policy: unknown): DegeneratePairPolicy {
  if (policy === undefined) return 'keep';
  if (DEGENERATE_PAIR_POLICIES.includes(policy as DegeneratePairPolicy)) return policy as DegeneratePairPolicy;
  throw new RadpoError(
    'config',
    `invalid onDegeneratePair ${describeValue(policy)}${didYouMean(policy, DEGENERATE_PAIR_POLICIES)}. ` +
      `Valid values: ${DEGENERATE_PAIR_POLICIES.join(', ')}.`,
  );
}

function didYouMean(value: unknown, candidates: readonly string[]): string {
  if (typeof value !== 'string') return '';
  const suggestion = suggestName(value, candidates);
  return suggestion ? ` (did you mean "${suggestion}"?)` : '';
}
