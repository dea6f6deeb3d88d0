import {
  DataError,
  describeValue,
  type Conversation,
  type DataErrorLocation,
  type DataTransform,
  type PairScores,
  type PreferenceRecord,
  type TransformContext,
} from '@radpo/core';
import { conditionPrompt, renderAttributeCondition, renderCondition } from './condition';
import { FractionSelector } from './fraction-selector';
import { resolveRewardAugmentOptions, type ResolvedRewardAugmentOptions, type RewardAugmentOptions } from './options';

type Split = TransformContext['split'];

/**
 * Counts of one pass over a split. `ties` counts input pairs with equal scores under every tie policy,
 * and `tiesDropped` counts tied pairs removed under `ties: "drop"`. `inconsistent` counts pairs that the
 * consistency filter removed. Of the pairs left, `augmented` were conditioned, and `unaugmentedKept`
 * and `unaugmentedDropped` are those that `fraction` left out.
 */
export type RewardAugmentStats = {
  rowsIn: number;
  rowsOut: number;
  ties: number;
  tiesDropped: number;
  inconsistent: number;
  augmented: number;
  unaugmentedKept: number;
  unaugmentedDropped: number;
};

/** The reward-augment transform, with the options it resolved (defaults filled in). */
export interface RewardAugmentTransform extends DataTransform {
  readonly options: ResolvedRewardAugmentOptions;
  stats(split: Split): RewardAugmentStats;
}

/** A pair that passed the checks and filters, waiting for the fraction selector. */
interface CheckedPair {
  record: PreferenceRecord;
  scores: PairScores;
  tie: boolean;
  location: DataErrorLocation;
}

/**
 * Reward-augmented preference data (Zhang et al., 2024, "Reward-Augmented Data Enhances Direct
 * Preference Alignment of LLMs"). A scored pair (x, y_c, y_r) with scores s_c and s_r becomes two pairs:
 *
 *   (x | goal s_c, chosen y_c, rejected y_r)   id suffix "#goal=chosen"
 *   (x | goal s_r, chosen y_r, rejected y_c)   id suffix "#goal=rejected"
 *
 * In the second copy y_r is the response that meets the lower goal, so the preference flips. Held-out
 * prompts are conditioned on `evalGoal` with no swap and no second copy. With `attributes`, the goal
 * is the response's score on each named attribute, and held-out prompts get each attribute's evalGoal.
 *
 * Both passes stream. The training pass keeps one record, or one selection window of pairs (1000)
 * when 0 < fraction < 1. Each call to `apply` or `applyEval` resets the counts of its split, so
 * `stats` reports the latest pass (in progress or finished).
 */
export function createRewardAugment(options: RewardAugmentOptions = {}): RewardAugmentTransform {
  const resolved = resolveRewardAugmentOptions(options);
  const counts: Record<Split, RewardAugmentStats> = { train: emptyStats(), eval: emptyStats() };
  const multi = resolved.attributes.length > 0;
  // With attributes, the overall score reaches the text only through {score}. Without them it is the goal.
  const checksOverallScale = !multi || resolved.template.includes('{score}');

  const conditionText = (overall: number, attributeGoals: Record<string, number>): string =>
    multi
      ? renderAttributeCondition(resolved.template, resolved.attributeFormat, resolved.attributes, attributeGoals, {
          score: overall,
          scaleMin: resolved.scaleMin,
          scaleMax: resolved.scaleMax,
        }, resolved.scoreDecimals)
      : renderCondition(resolved.template, overall, resolved.scaleMin, resolved.scaleMax, resolved.scoreDecimals);

  const conditioned = (record: PreferenceRecord, text: string, location: DataErrorLocation): Conversation => {
    const prompt = conditionPrompt(record.prompt, text, resolved.placement);
    if (prompt === undefined) {
      throw new DataError(
        { ...location, field: 'prompt' },
        'no-user-turn',
        'the prompt has no user turn to put the reward condition in. Use placement "system", or give the prompt a user turn.',
      );
    }
    return prompt;
  };

  function* augmentedCopies(pair: CheckedPair, stats: RewardAugmentStats): Generator<PreferenceRecord> {
    const { record, scores, tie, location } = pair;
    const baseId = record.id ?? (record.origin ? `${record.origin.file}:${record.origin.line}` : undefined);
    const onlyChosenGoal = tie && resolved.ties === 'chosen-goal';
    stats.augmented += 1;

    if (resolved.goals !== 'rejected' || onlyChosenGoal) {
      stats.rowsOut += 1;
      yield {
        ...record,
        ...suffixedId(baseId, 'chosen'),
        prompt: conditioned(record, conditionText(scores.chosen, scores.attributes?.chosen ?? {}), location),
        scores: copyScores(scores),
      };
    }
    if (resolved.goals !== 'chosen' && !onlyChosenGoal) {
      stats.rowsOut += 1;
      yield {
        ...record,
        ...suffixedId(baseId, 'rejected'),
        prompt: conditioned(record, conditionText(scores.rejected, scores.attributes?.rejected ?? {}), location),
        chosen: record.rejected,
        rejected: record.chosen,
        scores: swapScores(scores),
      };
    }
  }

  function* emitWindow(window: CheckedPair[], selector: FractionSelector, stats: RewardAugmentStats): Generator<PreferenceRecord> {
    const selected = selector.select(window.length);
    for (let index = 0; index < window.length; index++) {
      if (selected[index]) {
        yield* augmentedCopies(window[index], stats);
      } else if (resolved.unaugmented === 'keep') {
        stats.unaugmentedKept += 1;
        stats.rowsOut += 1;
        yield window[index].record;
      } else {
        stats.unaugmentedDropped += 1;
      }
    }
  }

  return {
    name: 'reward-augment',
    options: resolved,

    async *apply(source, context) {
      const stats = emptyStats();
      counts[context.split] = stats;
      const selector = new FractionSelector(resolved.fraction, resolved.seed);
      let window: CheckedPair[] = [];
      let position = 0;

      for await (const record of source) {
        position += 1;
        stats.rowsIn += 1;
        const location = locate(record, position);
        const scores = checkScores(record, location, resolved, checksOverallScale);
        const tie = scores.chosen === scores.rejected;
        if (tie) stats.ties += 1;
        if (tie && resolved.ties === 'drop') {
          stats.tiesDropped += 1;
          continue;
        }
        if (multi) checkAttributes(scores, location, resolved);
        if (resolved.consistencyFilter && !isConsistent(scores, resolved)) {
          stats.inconsistent += 1;
          continue;
        }

        window.push({ record, scores, tie, location });
        if (window.length >= selector.windowSize) {
          yield* emitWindow(window, selector, stats);
          window = [];
        }
      }
      yield* emitWindow(window, selector, stats);
    },

    async *applyEval(source, context) {
      const stats = emptyStats();
      counts[context.split] = stats;
      const evalGoals = Object.fromEntries(resolved.attributes.map((attribute) => [attribute.name, attribute.evalGoal]));
      const text = conditionText(resolved.evalGoal, evalGoals);
      let position = 0;

      for await (const record of source) {
        position += 1;
        stats.rowsIn += 1;
        if (record.scores && record.scores.chosen === record.scores.rejected) stats.ties += 1;
        const prompt = conditioned(record, text, locate(record, position));
        stats.rowsOut += 1;
        yield { ...record, prompt };
      }
    },

    stats(split) {
      return { ...counts[split] };
    },
  };
}

function emptyStats(): RewardAugmentStats {
  return { rowsIn: 0, rowsOut: 0, ties: 0, tiesDropped: 0, inconsistent: 0, augmented: 0, unaugmentedKept: 0, unaugmentedDropped: 0 };
}

/** Returns `{ id }` with the goal suffix, or an empty object when the record has neither id nor origin. */
function suffixedId(baseId: string | undefined, goal: 'chosen' | 'rejected'): { id?: string } {
  return baseId === undefined ? {} : { id: `${baseId}#goal=${goal}` };
}

/** Returns where a record came from. A record without origin is named by its id and stream position. */
function locate(record: PreferenceRecord, position: number): DataErrorLocation {
  if (record.origin) return { file: record.origin.file, line: record.origin.line };
  const file = record.id !== undefined ? `record "${record.id}" (no origin), stream position` : 'stream position';
  return { file, line: position };
}

/**
 * Returns the record's scores. Throws a DataError when they are missing or not numbers, or, when
 * `checkScale` is set, off the scale.
 */
function checkScores(
  record: PreferenceRecord,
  location: DataErrorLocation,
  options: ResolvedRewardAugmentOptions,
  checkScale: boolean,
): PairScores {
  const scores = record.scores;
  if (scores === undefined || scores === null) {
    throw new DataError(
      location,
      'missing-scores',
      'the record has no scores, but --augment needs score_chosen/score_rejected on every training row. ' +
        'Add both scores to the data, or run without --augment.',
    );
  }

  for (const side of ['chosen', 'rejected'] as const) {
    const value: unknown = scores[side];
    const field = `scores.${side}`;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new DataError({ ...location, field }, 'invalid-score', `expected a finite number, got ${describeValue(value)}.`);
    }
    if (checkScale && (value < options.scaleMin || value > options.scaleMax)) {
      throw new DataError(
        { ...location, field },
        'score-out-of-range',
        `score ${value} is outside the scale [${options.scaleMin}, ${options.scaleMax}]. ` +
          "Set the transform options scaleMin and scaleMax to the dataset's scale (radpo augment --scale detect finds it).",
      );
    }
  }
  return scores;
}

/** Checks that both responses have every listed attribute, each a finite number on its scale. */
function checkAttributes(scores: PairScores, location: DataErrorLocation, options: ResolvedRewardAugmentOptions): void {
  for (const side of ['chosen', 'rejected'] as const) {
    for (const attribute of options.attributes) {
      const value: unknown = scores.attributes?.[side]?.[attribute.name];
      const field = `scores.attributes.${side}.${attribute.name}`;
      if (value === undefined) {
        const present = Object.keys(scores.attributes?.[side] ?? {});
        throw new DataError(
          { ...location, field },
          'missing-attribute',
          `the ${side} response has no "${attribute.name}" score, which the attributes option lists. ` +
            `It has: ${present.length > 0 ? present.join(', ') : 'no attribute scores'}.`,
        );
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new DataError({ ...location, field }, 'invalid-score', `expected a finite number, got ${describeValue(value)}.`);
      }
      if (value < attribute.scaleMin || value > attribute.scaleMax) {
        throw new DataError(
          { ...location, field },
          'score-out-of-range',
          `score ${value} is outside the scale [${attribute.scaleMin}, ${attribute.scaleMax}] of "${attribute.name}". ` +
            'Set that attribute\'s scaleMin and scaleMax to the dataset\'s scale.',
        );
      }
    }
  }
}

/**
 * Returns true when the chosen response's mean attribute score is at least the rejected one's. The mean is
 * over the listed attributes, or else over the attributes both responses have. No shared attribute: true.
 */
function isConsistent(scores: PairScores, options: ResolvedRewardAugmentOptions): boolean {
  const chosen = scores.attributes?.chosen;
  const rejected = scores.attributes?.rejected;
  if (!chosen || !rejected) return true;
  const names =
    options.attributes.length > 0
      ? options.attributes.map((attribute) => attribute.name)
      : Object.keys(chosen).filter((name) => rejected[name] !== undefined);
  if (names.length === 0) return true;
  const mean = (values: Record<string, number>) => names.reduce((sum, name) => sum + values[name], 0) / names.length;
  return mean(chosen) >= mean(rejected);
}

function copyScores(scores: PairScores): PairScores {
  const copy: PairScores = { chosen: scores.chosen, rejected: scores.rejected };
  if (scores.attributes) copy.attributes = { chosen: { ...scores.attributes.chosen }, rejected: { ...scores.attributes.rejected } };
  return copy;
}

/** Returns the scores of the swapped copy, whose chosen response is the original rejected one. */
function swapScores(scores: PairScores): PairScores {
  const swapped: PairScores = { chosen: scores.rejected, rejected: scores.chosen };
  if (scores.attributes) {
    swapped.attributes = { chosen: { ...scores.attributes.rejected }, rejected: { ...scores.attributes.chosen } };
  }
  return swapped;
}
