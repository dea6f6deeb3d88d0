import {
  DataError,
  describeValue,
  type DataErrorLocation,
  type DataTransform,
  type PairScores,
  type PreferenceRecord,
  type TransformContext,
} from '@radpo/core';
import { conditionPrompt, renderCondition } from './condition';
import { resolveRewardAugmentOptions, type ResolvedRewardAugmentOptions, type RewardAugmentOptions } from './options';

type Split = TransformContext['split'];

/**
 * Counts of one pass over a split. `ties` counts input pairs with equal scores under every tie policy.
 * `tiesDropped` counts tied pairs removed entirely, so it is non-zero only under `ties: "drop"`.
 */
export type RewardAugmentStats = {
  rowsIn: number;
  rowsOut: number;
  ties: number;
  tiesDropped: number;
};

/** The reward-augment transform, with the options it resolved (defaults filled in). */
export interface RewardAugmentTransform extends DataTransform {
  readonly options: ResolvedRewardAugmentOptions;
  stats(split: Split): RewardAugmentStats;
}

/**
 * Reward-augmented preference data (Zhang et al., 2024, "Reward-Augmented Data Enhances Direct
 * Preference Alignment of LLMs"). A scored pair (x, y_c, y_r) with scores s_c and s_r becomes two pairs:
 *
 *   (x | goal s_c, chosen y_c, rejected y_r)   id suffix "#goal=chosen"
 *   (x | goal s_r, chosen y_r, rejected y_c)   id suffix "#goal=rejected"
 *
 * In the second copy y_r is the response that meets the lower goal, so the preference flips. Held-out
 * prompts are conditioned on `evalGoal` with no swap and no second copy.
 *
 * Both passes stream: one record is held at a time. Each call to `apply` or `applyEval` resets the
 * counts of its split, so `stats` reports the latest pass (in progress or finished).
 */
export function createRewardAugment(options: RewardAugmentOptions = {}): RewardAugmentTransform {
  const resolved = resolveRewardAugmentOptions(options);
  const counts: Record<Split, RewardAugmentStats> = { train: emptyStats(), eval: emptyStats() };

  const conditionRecordPrompt = (record: PreferenceRecord, goal: number, location: DataErrorLocation) => {
    const text = renderCondition(resolved.template, goal, resolved.scaleMin, resolved.scaleMax);
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

  return {
    name: 'reward-augment',
    options: resolved,

    async *apply(source, context) {
      const stats = emptyStats();
      counts[context.split] = stats;
      let position = 0;

      for await (const record of source) {
        position += 1;
        stats.rowsIn += 1;
        const location = locate(record, position);
        const scores = checkScores(record, location, resolved);
        const tie = scores.chosen === scores.rejected;
        if (tie) stats.ties += 1;
        if (tie && resolved.ties === 'drop') {
          stats.tiesDropped += 1;
          continue;
        }

        const baseId = record.id ?? (record.origin ? `${record.origin.file}:${record.origin.line}` : undefined);

        const chosenGoalCopy: PreferenceRecord = {
          ...record,
          ...suffixedId(baseId, 'chosen'),
          prompt: conditionRecordPrompt(record, scores.chosen, location),
          scores: { ...scores },
        };
        stats.rowsOut += 1;
        yield chosenGoalCopy;

        if (tie && resolved.ties === 'chosen-goal') continue;

        const rejectedGoalCopy: PreferenceRecord = {
          ...record,
          ...suffixedId(baseId, 'rejected'),
          prompt: conditionRecordPrompt(record, scores.rejected, location),
          chosen: record.rejected,
          rejected: record.chosen,
          scores: swapScores(scores),
        };
        stats.rowsOut += 1;
        yield rejectedGoalCopy;
      }
    },

    async *applyEval(source, context) {
      const stats = emptyStats();
      counts[context.split] = stats;
      let position = 0;

      for await (const record of source) {
        position += 1;
        stats.rowsIn += 1;
        if (record.scores && record.scores.chosen === record.scores.rejected) stats.ties += 1;
        const conditioned = { ...record, prompt: conditionRecordPrompt(record, resolved.evalGoal, locate(record, position)) };
        stats.rowsOut += 1;
        yield conditioned;
      }
    },

    stats(split) {
      return { ...counts[split] };
    },
  };
}

function emptyStats(): RewardAugmentStats {
  return { rowsIn: 0, rowsOut: 0, ties: 0, tiesDropped: 0 };
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

/** Returns the record's scores. Throws a DataError when they are missing, not numbers or off the scale. */
function checkScores(
  record: PreferenceRecord,
  location: DataErrorLocation,
  options: ResolvedRewardAugmentOptions,
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
    if (value < options.scaleMin || value > options.scaleMax) {
      throw new DataError(
        { ...location, field },
        'score-out-of-range',
        `score ${value} is outside the scale [${options.scaleMin}, ${options.scaleMax}]. ` +
          'Set the transform options scaleMin and scaleMax to the dataset\'s scale.',
      );
    }
  }
  return scores;
}

/** Returns the scores of the swapped copy, whose chosen response is the original rejected one. */
function swapScores(scores: PairScores): PairScores {
  const swapped: PairScores = { chosen: scores.rejected, rejected: scores.chosen };
  if (scores.attributes) {
    swapped.attributes = { chosen: scores.attributes.rejected, rejected: scores.attributes.chosen };
  }
  return swapped;
}
