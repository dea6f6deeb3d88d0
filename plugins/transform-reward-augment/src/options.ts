import { RadpoError, validateWithDefaults, type JsonSchema } from '@radpo/core';

/** Policy for a pair whose chosen and rejected scores are equal. */
export type TiePolicy = 'keep' | 'drop' | 'chosen-goal';

/** Position of the condition text in the prompt. */
export type ConditionPlacement = 'system' | 'user-prefix';

/** Which conditioned copies an augmented pair yields. */
export type GoalSelection = 'both' | 'chosen' | 'rejected';

/** What happens to the pairs that `fraction` leaves unaugmented. */
export type UnaugmentedPolicy = 'keep' | 'drop';

/** One fine-grained score that the condition names, with its own scale. */
export interface AttributeGoal {
  name: string;
  scaleMin: number;
  scaleMax: number;
  /** Goal at evaluation and inference; default scaleMax. */
  evalGoal?: number;
}

/** Options of the reward-augment transform as a user writes them. Every field has a default. */
export interface RewardAugmentOptions {
  template?: string;
  scaleMin?: number;
  scaleMax?: number;
  evalGoal?: number;
  ties?: TiePolicy;
  placement?: ConditionPlacement;
  goals?: GoalSelection;
  fraction?: number;
  unaugmented?: UnaugmentedPolicy;
  seed?: number;
  scoreDecimals?: number;
  consistencyFilter?: boolean;
  attributes?: AttributeGoal[];
  attributeFormat?: string;
}

/** Options after validation, with every default filled in. */
export interface ResolvedRewardAugmentOptions {
  template: string;
  scaleMin: number;
  scaleMax: number;
  evalGoal: number;
  ties: TiePolicy;
  placement: ConditionPlacement;
  goals: GoalSelection;
  fraction: number;
  unaugmented: UnaugmentedPolicy;
  seed: number;
  scoreDecimals: number;
  consistencyFilter: boolean;
  attributes: Required<AttributeGoal>[];
  attributeFormat: string;
}

/** Placeholders that a template may use. `{score}` is required unless `attributes` is set, which requires `{attributes}`. */
export const TEMPLATE_PLACEHOLDERS = ['score', 'min', 'max', 'attributes'] as const;

/** Placeholders of `attributeFormat`, all required but `{min}`. */
export const ATTRIBUTE_FORMAT_PLACEHOLDERS = ['name', 'score', 'min', 'max'] as const;

export const DEFAULT_TEMPLATE = 'Write a response rated {score} on a scale of {min} to {max}.';

/** The template when `attributes` is set and no template is given. */
export const DEFAULT_ATTRIBUTE_TEMPLATE = 'Write a response with these ratings: {attributes}.';

export const DEFAULT_ATTRIBUTE_FORMAT = '{name} {score} ({min}-{max})';

export const REWARD_AUGMENT_OPTIONS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    template: {
      type: 'string',
      minLength: 1,
      description:
        'Condition text placed in each prompt. Must contain {score}, the goal score, and may contain {min} and {max}, ' +
        'the ends of the scale. With attributes set it must contain {attributes} instead, the list of attribute goals. ' +
        `Default: "${DEFAULT_TEMPLATE}", or "${DEFAULT_ATTRIBUTE_TEMPLATE}" with attributes.`,
    },
    scaleMin: {
      type: 'number',
      default: 1,
      description:
        "Lowest score on the dataset's scale. A score below it is a data error. Default 1 (UltraFeedback). " +
        '`radpo augment --scale detect` sets it from a first pass over the file.',
    },
    scaleMax: {
      type: 'number',
      default: 10,
      description:
        "Highest score on the dataset's scale. A score above it is a data error. Must be greater than scaleMin. " +
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
        'Handling of pairs with equal scores. "keep" emits the copies as for any other pair. "drop" removes the ' +
        'pair. "chosen-goal" emits only the copy conditioned on the chosen score, whatever goals says. Default "keep".',
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
    goals: {
      type: 'string',
      enum: ['both', 'chosen', 'rejected'],
      default: 'both',
      description:
        'Copies of each augmented pair. "both" (the method of Zhang et al., 2024) emits the copy conditioned on the ' +
        'chosen score, order kept, then the copy conditioned on the rejected score, chosen and rejected swapped. ' +
        '"chosen" or "rejected" emits only that copy. Default "both".',
    },
    fraction: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 1,
      description:
        'Share of pairs that are augmented, in [0, 1]. The pairs are chosen by a generator seeded with seed, in ' +
        'windows of 1000 pairs, so that exactly round(fraction × pairs) are augmented. With fraction 0.5 and ' +
        'unaugmented "drop" the output has as many rows as the input (the half-augmentation ablation). Default 1.',
    },
    unaugmented: {
      type: 'string',
      enum: ['keep', 'drop'],
      default: 'keep',
      description:
        'Pairs that fraction leaves out: "keep" passes them through unconditioned and unchanged, "drop" removes them. ' +
        'Default "keep".',
    },
    seed: {
      type: 'integer',
      default: 0,
      description: 'Seed of the generator that chooses which pairs fraction augments. Default 0.',
    },
    scoreDecimals: {
      type: 'integer',
      minimum: 0,
      maximum: 6,
      default: 2,
      description:
        'Most decimals of a score in the condition text. Integers are written without a decimal point (9.0 as "9") ' +
        'and trailing zeros are dropped (7.50 as "7.5"). Default 2.',
    },
    consistencyFilter: {
      type: 'boolean',
      default: false,
      description:
        'Drop pairs whose chosen response has a lower mean attribute score than the rejected one (counted as ' +
        '"inconsistent"). The mean is over the attributes listed in attributes, or else over those both responses ' +
        'have. Pairs without attribute scores pass. Default false.',
    },
    attributes: {
      type: 'array',
      default: [],
      description:
        'Condition on several fine-grained scores at once, such as HelpSteer2\'s helpfulness, correctness, ' +
        'coherence, complexity and verbosity (0-4 each). Each copy names every attribute\'s score of the response ' +
        'it prefers; held-out prompts name each attribute\'s evalGoal. Every pair must have all listed attributes. ' +
        'Default [] (condition on the overall score).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'scaleMin', 'scaleMax'],
        properties: {
          name: { type: 'string', minLength: 1, description: 'Attribute name as the data has it, such as "helpfulness".' },
          scaleMin: { type: 'number', description: "Lowest score on this attribute's scale." },
          scaleMax: { type: 'number', description: "Highest score on this attribute's scale; greater than scaleMin." },
          evalGoal: { type: 'number', description: "Goal for held-out prompts and inference. Default: this attribute's scaleMax." },
        },
      },
    },
    attributeFormat: {
      type: 'string',
      minLength: 1,
      default: DEFAULT_ATTRIBUTE_FORMAT,
      description:
        'How one attribute goal reads inside {attributes}; the goals are joined by ", ". Must contain {name} and ' +
        `{score}, and may contain {min} and {max}. Default: "${DEFAULT_ATTRIBUTE_FORMAT}".`,
    },
  },
};

type FilledOptions = Omit<ResolvedRewardAugmentOptions, 'evalGoal' | 'template' | 'attributes'> & {
  evalGoal?: number;
  template?: string;
  attributes: AttributeGoal[];
};

/**
 * Validates options against the schema, fills defaults (evalGoal defaults to scaleMax, the template
 * to the one for the mode) and checks what the schema cannot express: the template's placeholders,
 * each scale's order and each evalGoal on its scale. Throws a RadpoError with code 'config' on the
 * first problem found.
 */
export function resolveRewardAugmentOptions(options: RewardAugmentOptions = {}): ResolvedRewardAugmentOptions {
  const filled = validateWithDefaults<FilledOptions>(REWARD_AUGMENT_OPTIONS_SCHEMA, options, 'options of transform "reward-augment"');
  const multi = filled.attributes.length > 0;
  const template = filled.template ?? (multi ? DEFAULT_ATTRIBUTE_TEMPLATE : DEFAULT_TEMPLATE);
  checkPlaceholders('template', template, TEMPLATE_PLACEHOLDERS, [multi ? 'attributes' : 'score']);
  if (!multi && template.includes('{attributes}')) {
    throw configError('template uses {attributes}, but no attributes are set. Set attributes, or use {score}.');
  }
  checkPlaceholders('attributeFormat', filled.attributeFormat, ATTRIBUTE_FORMAT_PLACEHOLDERS, ['name', 'score']);

  const evalGoal = checkScale('', filled.scaleMin, filled.scaleMax, filled.evalGoal);
  const names = new Set<string>();
  const attributes = filled.attributes.map((attribute, index) => {
    if (names.has(attribute.name)) throw configError(`attribute "${attribute.name}" is listed twice in attributes.`);
    names.add(attribute.name);
    const goal = checkScale(`attributes[${index}].`, attribute.scaleMin, attribute.scaleMax, attribute.evalGoal);
    return { ...attribute, evalGoal: goal };
  });
  return { ...filled, template, evalGoal, attributes };
}

/** Checks scaleMin < scaleMax and evalGoal on the scale; returns evalGoal, defaulting to scaleMax. */
function checkScale(prefix: string, scaleMin: number, scaleMax: number, evalGoal: number | undefined): number {
  if (!(scaleMin < scaleMax)) {
    throw configError(`${prefix}scaleMin (${scaleMin}) must be less than ${prefix}scaleMax (${scaleMax}).`);
  }
  const goal = evalGoal ?? scaleMax;
  if (goal < scaleMin || goal > scaleMax) {
    throw configError(
      `${prefix}evalGoal ${goal} is outside the scale [${scaleMin}, ${scaleMax}]. Set evalGoal within the scale, or leave it unset to use scaleMax.`,
    );
  }
  return goal;
}

function checkPlaceholders(option: string, text: string, known: readonly string[], required: readonly string[]): void {
  for (const name of required) {
    if (!text.includes(`{${name}}`)) {
      throw configError(`${option} must contain {${name}}, but got ${JSON.stringify(text)}.`);
    }
  }

  // A misspelled placeholder such as {scores} would otherwise reach the model as literal text.
  for (const match of text.matchAll(/\{([A-Za-z_]\w*)\}/g)) {
    if (!known.includes(match[1])) {
      throw configError(
        `unknown placeholder {${match[1]}} in ${option}. Valid placeholders: ${known.map((name) => `{${name}}`).join(', ')}.`,
      );
    }
  }
}

function configError(detail: string): RadpoError {
  return new RadpoError('config', `invalid options of transform "reward-augment": ${detail}`);
}
