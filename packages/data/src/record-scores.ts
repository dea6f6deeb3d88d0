import { describeValue, type PairScores } from '@radpo/core';
import { getAtPath, isJsonObject } from './dotted-path';
import type { FieldMap } from './read-options';
import { badRow, type RowLocation } from './row-errors';
import { parseScore } from './score-value';

/** Result of looking up one score, with the value undefined when it was missing or null. */
interface ScoreLookup {
  /** The path reported in errors: where the value was found, or where it was expected. */
  path: string;
  /** Every path that was tried, for messages. */
  tried: string;
  value: unknown;
}

/**
 * Reads the pair's scores. Without a field map, each score is taken from the top-level key
 * (`score_chosen`) or else from `metadata` (`metadata.score_chosen`). Null counts as missing.
 * Returns undefined when both are missing and scores are optional. Throws a DataError when only
 * one is present (`missing-score`), when both are missing and `requireScores` is set
 * (`missing-score`), or when a value is not a finite number or decimal string (`invalid-score`).
 * Chosen scoring below rejected is allowed, because some data sets contain such pairs on purpose.
 */
export function readScores(
  row: Record<string, unknown>,
  location: RowLocation,
  fieldMap: FieldMap,
  requireScores: boolean,
): PairScores | undefined {
  const chosen = lookUpScore(row, fieldMap.scoreChosen, 'score_chosen');
  const rejected = lookUpScore(row, fieldMap.scoreRejected, 'score_rejected');

  if (chosen.value === undefined && rejected.value === undefined) {
    if (!requireScores) return undefined;
    throw badRow(
      location,
      'missing-score',
      `missing score: expected a number at ${chosen.tried} and at ${rejected.tried}, because requireScores is set. ` +
        'If the scores are stored elsewhere, map them with fieldMap.scoreChosen and fieldMap.scoreRejected ' +
        '(--map scoreChosen=<path> --map scoreRejected=<path>).',
      chosen.path,
    );
  }

  for (const [present, missing] of [
    [chosen, rejected],
    [rejected, chosen],
  ]) {
    if (missing.value === undefined) {
      throw badRow(
        location,
        'missing-score',
        `missing score: "${present.path}" is ${describeValue(present.value)} but nothing was found at ${missing.tried}. ` +
          'A row needs both scores or neither.',
        missing.path,
      );
    }
  }

  const scores: PairScores = { chosen: toScore(chosen, location), rejected: toScore(rejected, location) };
  const attributes = readAttributeScores(row, location);
  return attributes === undefined ? scores : { ...scores, attributes };
}

/**
 * Reads fine-grained scores from `attributes_chosen` and `attributes_rejected`, the columns that
 * `radpo augment` writes: objects of attribute name to number. Returns undefined when either is absent.
 */
function readAttributeScores(row: Record<string, unknown>, location: RowLocation): PairScores['attributes'] {
  const chosen = parseJsonText(row.attributes_chosen);
  const rejected = parseJsonText(row.attributes_rejected);
  if (!isJsonObject(chosen) || !isJsonObject(rejected)) return undefined;
  const read = (values: Record<string, unknown>, field: string): Record<string, number> =>
    Object.fromEntries(
      Object.entries(values).map(([name, value]) => {
        const score = parseScore(value);
        if (score === undefined) {
          throw badRow(location, 'invalid-score', `invalid score: expected a number, got ${describeValue(value)}`, `${field}.${name}`);
        }
        return [name, score];
      }),
    );
  return { chosen: read(chosen, 'attributes_chosen'), rejected: read(rejected, 'attributes_rejected') };
}

/** Parquet stores the attribute objects as JSON text; JSON files store them as objects. */
function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function lookUpScore(row: Record<string, unknown>, mappedPath: string | undefined, key: string): ScoreLookup {
  if (mappedPath !== undefined) {
    return { path: mappedPath, tried: `"${mappedPath}"`, value: getAtPath(row, mappedPath) ?? undefined };
  }

  const tried = `"${key}" or "metadata.${key}"`;
  if (row[key] !== undefined && row[key] !== null) return { path: key, tried, value: row[key] };
  const metadata = row.metadata;
  if (isJsonObject(metadata) && metadata[key] !== undefined && metadata[key] !== null) {
    return { path: `metadata.${key}`, tried, value: metadata[key] };
  }
  // Rows with a metadata object keep their scores there, so errors name that path.
  return { path: isJsonObject(metadata) ? `metadata.${key}` : key, tried, value: undefined };
}

function toScore(lookup: ScoreLookup, location: RowLocation): number {
  const score = parseScore(lookup.value);
  if (score === undefined) {
    throw badRow(
      location,
      'invalid-score',
      `invalid score: expected a finite number, or a string containing only a decimal number such as "7.5", ` +
        `got ${describeValue(lookup.value)}`,
      lookup.path,
    );
  }
  return score;
}
