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

/** Options of the linear schedule: only the shared warmup settings. */
export type LinearScheduleOptions = WarmupOptions;

export const LINEAR_SCHEDULE_OPTIONS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { ...WARMUP_SCHEMA_PROPERTIES },
};

/**
 * Linear warmup, then linear decay to 0. With W warmup steps, T total steps, base rate η and 0-based
 * step t:
 *
 *   lr(t) = η · (t + 1) / W              for t < W
 *   lr(t) = η · (T − t) / (T − W)        for W ≤ t < T
 *
 * The rate is η on step W and would reach 0 on step T, one past the last step, so every step trains.
 * Steps at or past T return 0. W is `warmupSteps`, or ceil(warmupRatio · T) when only the ratio is set.
 */
export function createLinearSchedule(options: LinearScheduleOptions = {}): LearningRateSchedule {
  const resolved = validateWithDefaults<LinearScheduleOptions>(
    LINEAR_SCHEDULE_OPTIONS_SCHEMA,
    options,
    'options of scheduler "linear"',
  );
  return {
    name: 'linear',
    learningRate(step, totalSteps, baseLearningRate) {
      checkScheduleArguments(step, totalSteps, baseLearningRate);
      const warmupSteps = resolveWarmupSteps(resolved, totalSteps);
      if (step < warmupSteps) return baseLearningRate * warmupFactor(step, warmupSteps);
      if (step >= totalSteps) return 0;
      return (baseLearningRate * (totalSteps - step)) / (totalSteps - warmupSteps);
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

export const linearSchedulePlugin = definePlugin<'scheduler', LinearScheduleOptions>({
  name: 'linear',
  kind: 'scheduler',
  description: 'Linear decay from the base learning rate to 0 at the last step, after optional linear warmup.',
  packageName: '@radpo/plugin-scheduler-linear',
  version: '0.1.0',
  optionsSchema: LINEAR_SCHEDULE_OPTIONS_SCHEMA,
  create: createLinearSchedule,
});

export default linearSchedulePlugin;
