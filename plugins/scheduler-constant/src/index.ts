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

/** Options of the constant schedule: only the shared warmup settings. */
export type ConstantScheduleOptions = WarmupOptions;

export const CONSTANT_SCHEDULE_OPTIONS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { ...WARMUP_SCHEMA_PROPERTIES },
};

/**
 * Constant learning rate after linear warmup. With W warmup steps, base rate η and 0-based step t:
 *
 *   lr(t) = η · (t + 1) / W    for t < W
 *   lr(t) = η                  for t ≥ W
 *
 * W is `warmupSteps`, or ceil(warmupRatio · totalSteps) when only the ratio is set.
 */
export function createConstantSchedule(options: ConstantScheduleOptions = {}): LearningRateSchedule {
  const resolved = validateWithDefaults<ConstantScheduleOptions>(
    CONSTANT_SCHEDULE_OPTIONS_SCHEMA,
    options,
    'options of scheduler "constant"',
  );
  return {
    name: 'constant',
    learningRate(step, totalSteps, baseLearningRate) {
      checkScheduleArguments(step, totalSteps, baseLearningRate);
      const warmupSteps = resolveWarmupSteps(resolved, totalSteps);
      return baseLearningRate * warmupFactor(step, warmupSteps);
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

export const constantSchedulePlugin = definePlugin<'scheduler', ConstantScheduleOptions>({
  name: 'constant',
  kind: 'scheduler',
  description: 'Constant learning rate after optional linear warmup.',
  packageName: '@radpo/plugin-scheduler-constant',
  version: '0.1.0',
  optionsSchema: CONSTANT_SCHEDULE_OPTIONS_SCHEMA,
  create: createConstantSchedule,
});

export default constantSchedulePlugin;
