import { RadpoError, describeValue, suggestName } from '@radpo/core';
import { splitDottedPath } from './dotted-path';

/** File formats the readers understand. JSONL and JSON files may be gzip-compressed (`.jsonl.gz`, `.json.gz`). */
export type DataFormat = 'jsonl' | 'json' | 'parquet';

export const DATA_FORMATS: readonly DataFormat[] = ['jsonl', 'json', 'parquet'];

/**
 * How pairs are built from several scored responses to one prompt (UltraFeedback's raw completions,
 * HelpSteer2's rows). `best-vs-random` (the default, as in UltraFeedback binarized and Zhang et al.,
 * 2024) pairs the highest-scored response with one other response drawn by the seeded generator.
 * `best-vs-worst` pairs the highest with the lowest. `all-pairs` yields every pair of responses
 * whose scores differ, the higher-scored one as chosen.
 */
export type PairingRule = 'best-vs-random' | 'best-vs-worst' | 'all-pairs';

export const PAIRING_RULES: readonly PairingRule[] = ['best-vs-random', 'best-vs-worst', 'all-pairs'];

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
  /** Rule that builds pairs from several scored responses to one prompt. Default `best-vs-random`. */
  pairing?: PairingRule;
  /** Seed of the generator that `best-vs-random` draws the other response with. Default 0. */
  seed?: number;
  /** Filled in while reading, so a caller can report counts even after stopping early. */
  stats?: ReadStats;
}

/** The options after validation, with defaults applied. */
export interface ResolvedReadOptions {
  format: DataFormat;
  /** True when the file name ends in `.gz`: the file is inflated while it is read. */
  gzip: boolean;
  fieldMap: FieldMap;
  requireScores: boolean;
  onBadRow: BadRowPolicy;
  onDegeneratePair: DegeneratePairPolicy;
  pairing: PairingRule;
  seed: number;
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
  const format = resolveFormat(file, options.format);
  const gzip = file.toLowerCase().endsWith('.gz');
  if (gzip && format === 'parquet') {
    throw new RadpoError(
      'config',
      `"${file}" is a gzip-compressed Parquet file; Parquet compresses its own pages, so store it as plain .parquet.`,
    );
  }
  return {
    format,
    gzip,
    fieldMap: resolveFieldMap(options.fieldMap),
    requireScores: resolveRequireScores(options.requireScores),
    onBadRow: resolveBadRowPolicy(options.onBadRow),
    onDegeneratePair: resolveDegeneratePairPolicy(options.onDegeneratePair),
    pairing: resolvePairingRule(options.pairing),
    seed: resolveSeed(options.seed),
    stats: options.stats ?? createReadStats(),
  };
}

/**
 * Returns the format named by `format`, or else the one implied by the file name: `.jsonl`, `.json`
 * or `.parquet`, each optionally followed by `.gz`. Throws a RadpoError with code `config` otherwise.
 */
export function resolveFormat(file: string, format: unknown): DataFormat {
  if (format !== undefined) {
    if (DATA_FORMATS.includes(format as DataFormat)) return format as DataFormat;
    throw new RadpoError(
      'config',
      `invalid data format ${describeValue(format)}${didYouMean(format, DATA_FORMATS)}. Valid formats: ${DATA_FORMATS.join(', ')}.`,
    );
  }

  const lower = file.toLowerCase().replace(/\.gz$/, '');
  if (lower.endsWith('.jsonl')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.parquet')) return 'parquet';
  throw new RadpoError(
    'config',
    `cannot tell the format of "${file}" from its extension: expected .jsonl (one JSON object per line), ` +
      `.json (a JSON array of objects), either followed by .gz, or .parquet. ` +
      `Set the format option to 'jsonl', 'json' or 'parquet' to read it anyway.`,
  );
}

function resolvePairingRule(rule: unknown): PairingRule {
  if (rule === undefined) return 'best-vs-random';
  if (PAIRING_RULES.includes(rule as PairingRule)) return rule as PairingRule;
  throw new RadpoError(
    'config',
    `invalid pairing rule ${describeValue(rule)}${didYouMean(rule, PAIRING_RULES)}. Valid rules: ${PAIRING_RULES.join(', ')}.`,
  );
}

function resolveSeed(seed: unknown): number {
  if (seed === undefined) return 0;
  if (Number.isInteger(seed)) return seed as number;
  throw new RadpoError('config', `invalid seed ${describeValue(seed)}: expected an integer.`);
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
