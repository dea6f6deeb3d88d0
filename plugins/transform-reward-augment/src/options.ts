import { RadpoError, validateWithDefaults, type JsonSchema } from '@radpo/core';

/** Policy for a pair whose chosen and rejected scores are equal. */
export type TiePolicy = 'keep' | 'drop' | 'chosen-goal';

/** Position of the condition text in the prompt. */
export type ConditionPlacement = 'system' | 'user-prefix';

/** Options of the reward-augment transform as a user writes them. Every field has a default. */
export interface RewardAugmentOptions {
  template?: string;
  scaleMin?: number;
  scaleMax?: number;
  evalGoal?: number;
  ties?: TiePolicy;
  placement?: ConditionPlacement;
}

/** Options after validation, with every default filled in. */
export interface ResolvedRewardAugmentOptions {
  template: string;
  scaleMin: number;
  scaleMax: number;
  evalGoal: number;
  ties: TiePolicy;
  placement: ConditionPlacement;
}

/** Placeholders that a template may use. `{score}` is required. */
export const TEMPLATE_PLACEHOLDERS = ['score', 'min', 'max'] as const;

export const DEFAULT_TEMPLATE =
  'Write a response rated {score} on a scale of {min} to {max}.';

export const REWARD_AUGMENT_OPTIONS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    template: {
      type: 'string',
      minLength: 1,
      default: DEFAULT_TEMPLATE,
      description:
        'Condition text placed in each prompt. Must contain {score}, the goal score, and may contain {min} and {max}, ' +
        `the ends of the scale. Default: "${DEFAULT_TEMPLATE}"`,
    },
    scaleMin: {
      type: 'number',
      default: 1,
      description: 'Lowest score on the dataset\'s scale. A score below it is a data error. Default 1 (UltraFeedback).',
    },
    scaleMax: {
      type: 'number',
      default: 10,
      description:
        'Highest score on the dataset\'s scale. A score above it is a data error. Must be greater than scaleMin. ' +
        'Default 10 (UltraFeedback).',
    },
    evalGoal: {
      type: 'number',
      description:
        'Score that held-out prompts (and prompts at inference) are conditioned on, within [scaleMin, scaleMax]. ' +
        'Default: scaleMax.',
    },
    ties: {
      type: 'string',
      enum: ['keep', 'drop', 'chosen-goal'],
      default: 'keep',
      description:
        'Handling of pairs with equal scores. "keep" emits both copies as for any other pair. "drop" removes the ' +
        'pair. "chosen-goal" emits only the copy conditioned on the chosen score. Default "keep".',
    },
    placement: {
      type: 'string',
      enum: ['system', 'user-prefix'],
      default: 'system',
      description:
        'Position of the condition text. "system" puts it in a system message at the start of the prompt, or first ' +
        'in the prompt\'s own system message. "user-prefix" puts it before the first user turn\'s text. A blank ' +
        'line separates it from existing text. Default "system".',
    },
  },
};

/**
 * Validates options against the schema, fills defaults (evalGoal defaults to scaleMax) and checks what
 * the schema cannot express: `{score}` in the template, no unknown placeholder, scaleMin < scaleMax
 * and evalGoal on the scale. Throws a RadpoError with code 'config' on the first problem found.
 */
export function resolveRewardAugmentOptions(options: RewardAugmentOptions = {}): ResolvedRewardAugmentOptions {
  const filled = validateWithDefaults<RewardAugmentOptions & Omit<ResolvedRewardAugmentOptions, 'evalGoal'>>(
    REWARD_AUGMENT_OPTIONS_SCHEMA,
    options,
    'options of transform "reward-augment"',
  );
  checkTemplate(filled.template);

  if (!(filled.scaleMin < filled.scaleMax)) {
    throw new RadpoError(
      'config',
      `invalid options of transform "reward-augment": scaleMin (${filled.scaleMin}) must be less than ` +
        `scaleMax (${filled.scaleMax}).`,
    );
  }

  const evalGoal = filled.evalGoal ?? filled.scaleMax;
  if (evalGoal < filled.scaleMin || evalGoal > filled.scaleMax) {
    throw new RadpoError(
      'config',
      `invalid options of transform "reward-augment": evalGoal ${evalGoal} is outside the scale ` +
        `[${filled.scaleMin}, ${filled.scaleMax}]. Set evalGoal within the scale, or leave it unset to use scaleMax.`,
    );
  }
  return { ...filled, evalGoal };
}

function checkTemplate(template: string): void {
  if (!template.includes('{score}')) {
    throw new RadpoError(
      'config',
      `invalid options of transform "reward-augment": template must contain {score}, the goal score, ` +
        `but got ${JSON.stringify(template)}.`,
    );
  }

  // A misspelled placeholder such as {scores} would otherwise reach the model as literal text.
  const known: readonly string[] = TEMPLATE_PLACEHOLDERS;
  for (const match of template.matchAll(/\{([A-Za-z_]\w*)\}/g)) {
    if (!known.includes(match[1])) {
      throw new RadpoError(
        'config',
        `invalid options of transform "reward-augment": unknown placeholder {${match[1]}} in template. ` +
          `Valid placeholders: ${TEMPLATE_PLACEHOLDERS.map((name) => `{${name}}`).join(', ')}.`,
      );
    }
  }
}
