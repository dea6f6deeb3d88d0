import { RadpoError } from '@radpo/core';
import type { ReadOptions } from './read-options';
import { readPreferenceRecords } from './read-preference-records';

/** Lowest and highest score seen. */
export interface ScoreRange {
  min: number;
  max: number;
}

/** Score ranges seen in a file: overall scores and each fine-grained attribute. */
export interface ScoreScale extends ScoreRange {
  /** Pairs that had scores. */
  pairs: number;
  attributes: Record<string, ScoreRange>;
}

/**
 * Reads a whole file once and returns the range of its scores, for reward augmentation's
 * `scale: "detect"`: the scale must be known before the first pair is conditioned, so a streaming
 * run cannot find it on the way. The result is the observed range, so a file whose scores never
 * reach the ends of the true scale yields a narrower one. Set the scale explicitly when it is known.
 * Throws a RadpoError with code `data` when no pair has scores.
 */
export async function scanScoreScale(file: string, options: ReadOptions = {}): Promise<ScoreScale> {
  const scale: ScoreScale = { min: Infinity, max: -Infinity, pairs: 0, attributes: {} };
  for await (const record of readPreferenceRecords(file, { ...options, stats: undefined })) {
    const scores = record.scores;
    if (!scores) continue;
    scale.pairs++;
    widen(scale, scores.chosen);
    widen(scale, scores.rejected);
    for (const side of [scores.attributes?.chosen, scores.attributes?.rejected]) {
      for (const [name, value] of Object.entries(side ?? {})) widen((scale.attributes[name] ??= { min: Infinity, max: -Infinity }), value);
    }
  }
  if (scale.pairs === 0) {
    throw new RadpoError('data', `cannot detect the score scale of "${file}": no pair has scores. Set scaleMin and scaleMax explicitly.`);
  }
  return scale;
}

function widen(range: ScoreRange, value: number): void {
  if (value < range.min) range.min = value;
  if (value > range.max) range.max = value;
}
