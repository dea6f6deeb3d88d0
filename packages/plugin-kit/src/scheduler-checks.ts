import type { LearningRateSchedule, RadpoPlugin } from '@radpo/core';
import { createInstance, runChecks, type ConformanceCheck, type ConformanceFinding } from './findings';
import { checkOptionsSchema } from './schema-checks';

/** Settings of the scheduler conformance suite. */
export interface SchedulerConformanceOptions {
  /** Plugin options the instance is created with. Default `{}`: the schema's defaults. */
  options?: Record<string, unknown>;
  /** Set for a schedule that may exceed the base rate (a cyclic one, say); the ceiling check is then skipped with this reason. */
  exceedsBaseRate?: string;
}

/** Run lengths (optimizer steps) and base rates the rates are checked on. */
const RUN_LENGTHS = [1, 2, 7, 100, 1000];
const BASE_RATES = [0, 5e-4, 1];
const WARMUP_STEPS = 5;

function createSchedule(plugin: RadpoPlugin<'scheduler'>, settings: SchedulerConformanceOptions, extra: Record<string, unknown> = {}): LearningRateSchedule {
  return createInstance(plugin, { ...(settings.options ?? {}), ...extra });
}

function schemaProperties(plugin: RadpoPlugin<'scheduler'>): Record<string, unknown> {
  return (plugin.optionsSchema.properties ?? {}) as Record<string, unknown>;
}

/** Checks one warmup: rates rise step by step, stay below the base rate until the last warmup step, and reach it no later than step W. */
function warmupProblems(schedule: LearningRateSchedule, warmupSteps: number, totalSteps: number, label: string): string[] {
  const base = 1e-3;
  const rates = Array.from({ length: warmupSteps + 1 }, (_, step) => schedule.learningRate(step, totalSteps, base));
  const problems: string[] = [];
  if (!(rates[0] > 0)) problems.push(`${label}: step 0 has rate ${rates[0]}; expected a positive rate below the base, so that the first step trains`);
  for (let step = 1; step < warmupSteps; step++) {
    if (!(rates[step] > rates[step - 1])) problems.push(`${label}: the rate does not rise during warmup: step ${step - 1} ${rates[step - 1]}, step ${step} ${rates[step]}`);
  }
  for (let step = 0; step < warmupSteps - 1; step++) {
    if (!(rates[step] < base)) problems.push(`${label}: step ${step} of ${warmupSteps} warmup steps has rate ${rates[step]}, not below the base rate ${base}`);
  }
  if (rates[warmupSteps] > base * (1 + 1e-12)) problems.push(`${label}: step ${warmupSteps}, after warmup, has rate ${rates[warmupSteps]} above the base rate ${base}`);
  return problems;
}

/** The checks every scheduler plugin must pass, in the order they run. */
export const SCHEDULER_CHECKS: readonly ConformanceCheck<'scheduler', SchedulerConformanceOptions>[] = [
  {
    id: 'options-schema',
    title: 'have an options schema that compiles and whose defaults validate',
    run: (plugin, settings) => checkOptionsSchema(plugin, settings.options),
  },
  {
    id: 'instance',
    title: 'create a schedule named after the plugin',
    async run(plugin, settings) {
      const schedule = createSchedule(plugin, settings);
      const problems: string[] = [];
      if (schedule.name !== plugin.name) problems.push(`the instance is named "${schedule.name}"; expected "${plugin.name}", the plugin's name`);
      if (typeof schedule.learningRate !== 'function') problems.push('learningRate is not a function');
      return problems;
    },
  },
  {
    id: 'finite-rates',
    title: 'return finite non-negative rates for every step of a run',
    async run(plugin, settings) {
      const schedule = createSchedule(plugin, settings);
      const problems: string[] = [];
      for (const totalSteps of RUN_LENGTHS) {
        for (const base of BASE_RATES) {
          for (let step = 0; step < totalSteps; step++) {
            const rate = schedule.learningRate(step, totalSteps, base);
            if (!Number.isFinite(rate) || rate < 0) {
              problems.push(`step ${step} of ${totalSteps} with base rate ${base} gives ${rate}; expected a finite number >= 0`);
              break;
            }
          }
        }
      }
      return problems;
    },
  },
  {
    id: 'base-rate-ceiling',
    title: 'never exceed the base rate',
    async run(plugin, settings) {
      if (settings.exceedsBaseRate) return { skipped: settings.exceedsBaseRate };
      const schedule = createSchedule(plugin, settings);
      const problems: string[] = [];
      for (const totalSteps of RUN_LENGTHS) {
        for (let step = 0; step < totalSteps; step++) {
          const rate = schedule.learningRate(step, totalSteps, 1);
          if (rate > 1 + 1e-12) {
            problems.push(`step ${step} of ${totalSteps} gives ${rate} times the base rate; set exceedsBaseRate if that is intended`);
            break;
          }
        }
      }
      return problems;
    },
  },
  {
    id: 'warmup',
    title: 'respect warmupSteps and warmupRatio',
    async run(plugin, settings) {
      const properties = schemaProperties(plugin);
      const problems: string[] = [];
      if (!('warmupSteps' in properties) && !('warmupRatio' in properties)) {
        return { skipped: 'the options schema has neither warmupSteps nor warmupRatio (spread WARMUP_SCHEMA_PROPERTIES from @radpo/core to add them)' };
      }
      if ('warmupSteps' in properties) {
        problems.push(...warmupProblems(createSchedule(plugin, settings, { warmupSteps: WARMUP_STEPS }), WARMUP_STEPS, 100, `warmupSteps ${WARMUP_STEPS} of 100`));
      }
      if ('warmupRatio' in properties) {
        // ceil(0.1 · 50) = 5 warmup steps.
        problems.push(...warmupProblems(createSchedule(plugin, settings, { warmupRatio: 0.1 }), 5, 50, 'warmupRatio 0.1 of 50 steps'));
      }
      return problems;
    },
  },
  {
    id: 'deterministic',
    title: 'give identical rates for identical arguments',
    async run(plugin, settings) {
      const first = createSchedule(plugin, settings);
      const second = createSchedule(plugin, settings);
      const problems: string[] = [];
      for (let step = 0; step < 100; step++) {
        const rates = [first.learningRate(step, 100, 1e-3), first.learningRate(step, 100, 1e-3), second.learningRate(step, 100, 1e-3)];
        if (!Object.is(rates[0], rates[1]) || !Object.is(rates[0], rates[2])) {
          problems.push(`step ${step} of 100 gives ${rates.join(', ')} on repeated calls and a second instance`);
          break;
        }
      }
      return problems;
    },
  },
];

/** Runs every scheduler check and returns one finding per check; never throws for a failing plugin. */
export function checkSchedulerPlugin(plugin: RadpoPlugin<'scheduler'>, settings: SchedulerConformanceOptions = {}): Promise<ConformanceFinding[]> {
  return runChecks(SCHEDULER_CHECKS, plugin, settings);
}
