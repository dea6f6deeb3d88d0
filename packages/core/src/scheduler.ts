/**
 * A learning-rate schedule. `step` counts optimizer steps from 0 (never micro-batches); `totalSteps`
 * is the run's number of optimizer steps. Returns the learning rate for that step.
 */
export interface LearningRateSchedule {
  readonly name: string;
  learningRate(step: number, totalSteps: number, baseLearningRate: number): number;
}

/** Warmup settings shared by the built-in schedules. `warmupSteps` wins over `warmupRatio` when both are set. */
export interface WarmupOptions {
  warmupSteps?: number;
  warmupRatio?: number;
}

/** JSON Schema properties for WarmupOptions, for schedule plugins to spread into their options schema. */
export const WARMUP_SCHEMA_PROPERTIES = {
  warmupSteps: {
    type: 'integer',
    minimum: 0,
    description:
      'Optimizer steps of linear warmup from 0 to the base learning rate. Takes precedence over warmupRatio. Default: 0 unless warmupRatio is set.',
  },
  warmupRatio: {
    type: 'number',
    minimum: 0,
    maximum: 1,
    default: 0,
    description: 'Fraction of the run\'s optimizer steps spent in linear warmup, used when warmupSteps is not set. Default 0.',
  },
} as const;

/** Returns the number of warmup steps for a run of `totalSteps` optimizer steps. */
export function resolveWarmupSteps(options: WarmupOptions, totalSteps: number): number {
  if (options.warmupSteps !== undefined) return options.warmupSteps;
  return Math.ceil((options.warmupRatio ?? 0) * totalSteps);
}

/**
 * Linear warmup factor in (0, 1] for optimizer step `step` (0-based): step 0 trains at 1/warmup of the
 * base rate, and the base rate is reached on step `warmup − 1`, so no step is wasted at rate 0.
 */
export function warmupFactor(step: number, warmupSteps: number): number {
  if (warmupSteps <= 0 || step >= warmupSteps) return 1;
  return (step + 1) / warmupSteps;
}
