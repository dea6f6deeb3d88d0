import type { PluginKind, RadpoPlugin } from '@radpo/core';
import type { ConformanceCheck, ConformanceFinding } from './findings';
import { runCheck } from './findings';
import { LOSS_CHECKS, checkLossPlugin, type LossConformanceOptions } from './loss-checks';
import { SCHEDULER_CHECKS, checkSchedulerPlugin, type SchedulerConformanceOptions } from './scheduler-checks';
import { TRANSFORM_CHECKS, checkTransformPlugin, type TransformConformanceOptions } from './transform-checks';

/** Suite settings by plugin kind. */
export interface ConformanceOptionsMap {
  loss: LossConformanceOptions;
  transform: TransformConformanceOptions;
  scheduler: SchedulerConformanceOptions;
}

/** Runs the suite of the plugin's kind and returns one finding per check. */
export function checkPlugin<K extends PluginKind>(plugin: RadpoPlugin<K>, options: ConformanceOptionsMap[K] = {}): Promise<ConformanceFinding[]> {
  switch (plugin.kind) {
    case 'loss':
      return checkLossPlugin(plugin as RadpoPlugin<'loss'>, options);
    case 'transform':
      return checkTransformPlugin(plugin as RadpoPlugin<'transform'>, options);
    case 'scheduler':
      return checkSchedulerPlugin(plugin as RadpoPlugin<'scheduler'>, options);
    default:
      throw new Error(`unknown plugin kind ${JSON.stringify((plugin as RadpoPlugin).kind)}; expected loss, transform or scheduler`);
  }
}

/** Formats findings as a report, one line per check and one indented line per problem. */
export function formatFindings(plugin: RadpoPlugin, findings: readonly ConformanceFinding[]): string {
  const lines = [`${plugin.kind} plugin "${plugin.name}" (${plugin.packageName}@${plugin.version}):`];
  for (const finding of findings) {
    lines.push(`  ${finding.status.padEnd(7)} ${finding.title}${finding.reason ? ` (${finding.reason})` : ''}`);
    for (const problem of finding.problems) lines.push(`      - ${problem}`);
  }
  return lines.join('\n');
}

const CHECKS_BY_KIND: { [K in PluginKind]: readonly ConformanceCheck<K, ConformanceOptionsMap[K]>[] } = {
  loss: LOSS_CHECKS,
  transform: TRANSFORM_CHECKS,
  scheduler: SCHEDULER_CHECKS,
};

interface MochaContext {
  skip(): void;
  timeout(ms: number): void;
}
type MochaDescribe = (title: string, body: () => void) => void;
type MochaIt = (title: string, body: (this: MochaContext) => Promise<void>) => void;

function mochaGlobals(caller: string): { describe: MochaDescribe; it: MochaIt } {
  const scope = globalThis as unknown as { describe?: MochaDescribe; it?: MochaIt };
  if (typeof scope.describe !== 'function' || typeof scope.it !== 'function') {
    throw new Error(`${caller}() defines mocha tests, so call it at the top level of a test file that mocha runs; for a plain report use checkPlugin().`);
  }
  return { describe: scope.describe, it: scope.it };
}

/**
 * Defines a mocha `describe` block with one `it` per conformance check of the plugin's kind. A failing
 * check fails its test with every problem listed; a skipped check is reported as pending.
 */
export function describeConformance<K extends PluginKind>(plugin: RadpoPlugin<K>, options: ConformanceOptionsMap[K] = {}): void {
  const { describe, it } = mochaGlobals('describeConformance');
  const checks = CHECKS_BY_KIND[plugin.kind] as readonly ConformanceCheck<K, ConformanceOptionsMap[K]>[];
  describe(`${plugin.kind} plugin "${plugin.name}" conformance`, () => {
    for (const check of checks) {
      it(`should ${check.title}`, async function () {
        this.timeout(30_000);
        const finding = await runCheck(check, plugin, options);
        if (finding.status === 'skipped') {
          this.skip();
          return;
        }
        if (finding.status === 'failed') {
          throw new Error(`${plugin.kind} plugin "${plugin.name}" should ${check.title}:\n${finding.problems.map((problem) => `  - ${problem}`).join('\n')}`);
        }
      });
    }
  });
}

/** Defines the loss conformance tests for a loss plugin (see describeConformance). */
export function describeLossConformance(plugin: RadpoPlugin<'loss'>, options: LossConformanceOptions = {}): void {
  describeConformance(plugin, options);
}

/** Defines the transform conformance tests for a transform plugin (see describeConformance). */
export function describeTransformConformance(plugin: RadpoPlugin<'transform'>, options: TransformConformanceOptions = {}): void {
  describeConformance(plugin, options);
}

/** Defines the scheduler conformance tests for a scheduler plugin (see describeConformance). */
export function describeSchedulerConformance(plugin: RadpoPlugin<'scheduler'>, options: SchedulerConformanceOptions = {}): void {
  describeConformance(plugin, options);
}
