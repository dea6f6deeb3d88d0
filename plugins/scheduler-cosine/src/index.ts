import {
  RadpoError,
  WARMUP_SCHEMA_PROPERTIES,
  definePlugin,
  resolveWarmupSteps,
  validateWithDefaults,
  warmupFactor,
  type JsonSchema,
  type LearningRateSchedule,
  type WarmupOptions,
} from '@radpo/core';

/** Options of the cosine schedule: the shared warmup settings and the final rate as a fraction of the base. */
export interface CosineScheduleOptions extends WarmupOptions {
  minRatio?: number;
}

export const COSINE_SCHEDULE_OPTIONS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...WARMUP_SCHEMA_PROPERTIES,
    minRatio: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0,
      description:
        'Learning rate the cosine decays to at totalSteps, as a fraction of the base rate, in [0, 1]. ' +
        'Default 0 (decay to zero); 1 keeps the base rate.',
    },
  },
};

/**
 * Linear warmup, then a half cosine from the base rate down to minRatio × base. With W warmup steps,
 * T total steps, base rate η, m = minRatio and 0-based step t:
 *
 *   lr(t) = η · (t + 1) / W                                  for t < W
 *   p     = (t − W) / (T − W)
 *   lr(t) = η · (m + (1 − m) · (1 + cos(π · p)) / 2)         for W ≤ t < T
 *
 * The rate is η on step W and would reach m·η on step T, one past the last step. Steps at or past T
 * return m·η. W is `warmupSteps`, or ceil(warmupRatio · T) when only the ratio is set.
 */
export function createCosineSchedule(options: CosineScheduleOptions = {}): LearningRateSchedule {
  const resolved = validateWithDefaults<Required<Pick<CosineScheduleOptions, 'minRatio'>> & WarmupOptions>(
    COSINE_SCHEDULE_OPTIONS_SCHEMA,
    options,
    'options of scheduler "cosine"',
  );
  const { minRatio } = resolved;
  return {
    name: 'cosine',
    learningRate(step, totalSteps, baseLearningRate) {
      checkScheduleArguments(step, totalSteps, baseLearningRate);
      const warmupSteps = resolveWarmupSteps(resolved, totalSteps);
      if (step < warmupSteps) return baseLearningRate * warmupFactor(step, warmupSteps);
      if (step >= totalSteps) return baseLearningRate * minRatio;

      const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
      const cosineFactor = (1 + Math.cos(Math.PI * progress)) / 2;
      return baseLearningRate * (minRatio + (1 - minRatio) * cosineFactor);
    },
  };
}

function checkScheduleArguments(step: number, totalSteps: number, baseLearningRate: number): void {
  if (!Number.isInteger(step) || step < 0) {
    throw new RadpoError('plugin', `step must be a non-negative integer (0-based optimizer step), got ${step}.`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new RadpoError('plugin', `totalSteps must be a positive integer, got ${totalSteps}.`);
  }
  if (!Number.isFinite(baseLearningRate) || baseLearningRate < 0) {
    throw new RadpoError('plugin', `baseLearningRate must be a finite number >= 0, got ${baseLearningRate}.`);
  }
}

export const cosineSchedulePlugin = definePlugin<'scheduler', CosineScheduleOptions>({
  name: 'cosine',
  kind: 'scheduler',
  description: 'Half-cosine decay from the base learning rate to minRatio × base at the last step, after optional linear warmup.',
  packageName: '@radpo/plugin-scheduler-cosine',
  version: '0.1.0',
  optionsSchema: COSINE_SCHEDULE_OPTIONS_SCHEMA,
  create: createCosineSchedule,
});

export default cosineSchedulePlugin;
