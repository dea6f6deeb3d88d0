import { PluginRegistry, type PluginInstanceMap, type PluginKind, type RadpoPlugin } from '@radpo/core';

/** Outcome of one conformance check. */
export type ConformanceStatus = 'passed' | 'failed' | 'skipped';

/** The result of one check on one plugin; `problems` lists what is wrong, one sentence each. */
export interface ConformanceFinding {
  check: string;
  title: string;
  status: ConformanceStatus;
  problems: string[];
  /** Why the check was skipped, when it was. */
  reason?: string;
}

/** What a check returns: the problems found, or a reason to skip. */
export type CheckOutcome = string[] | { skipped: string };

/** One conformance check. `title` completes the sentence "the plugin should ...". */
export interface ConformanceCheck<K extends PluginKind, O> {
  id: string;
  title: string;
  run(plugin: RadpoPlugin<K>, options: O): Promise<CheckOutcome>;
}

/** Runs one check, turning a throw into a failed finding that names the error. */
export async function runCheck<K extends PluginKind, O>(check: ConformanceCheck<K, O>, plugin: RadpoPlugin<K>, options: O): Promise<ConformanceFinding> {
  let outcome: CheckOutcome;
  try {
    outcome = await check.run(plugin, options);
  } catch (error) {
    outcome = [`threw ${describeError(error)}`];
  }
  if (!Array.isArray(outcome)) return { check: check.id, title: check.title, status: 'skipped', problems: [], reason: outcome.skipped };
  return { check: check.id, title: check.title, status: outcome.length === 0 ? 'passed' : 'failed', problems: outcome };
}

/** Runs every check in order and returns one finding per check. */
export async function runChecks<K extends PluginKind, O>(
  checks: readonly ConformanceCheck<K, O>[],
  plugin: RadpoPlugin<K>,
  options: O,
): Promise<ConformanceFinding[]> {
  const findings: ConformanceFinding[] = [];
  for (const check of checks) findings.push(await runCheck(check, plugin, options));
  return findings;
}

/** Creates an instance the way radpo does: register the plugin, validate the options, call its factory. */
export function createInstance<K extends PluginKind>(plugin: RadpoPlugin<K>, options: unknown): PluginInstanceMap[K] {
  return new PluginRegistry().register(plugin).create(plugin.kind, plugin.name, options);
}

/** Formats an error with its causes, for a finding. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current !== undefined && parts.length < 4) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' (caused by ') + ')'.repeat(parts.length - 1);
}
