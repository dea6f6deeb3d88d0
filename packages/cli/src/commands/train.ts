import * as fs from 'node:fs';
import * as path from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { RadpoError, type PluginRegistry, type RunEvent } from '@radpo/core';
import { registryWithPluginModules, resolvePluginSpecifier, resolveRunConfig, train, type RunConfig } from '@radpo/runtime';
import { readConfigFile } from '../config-file';
import { ConsoleReporter, formatDataSummary, formatSummary } from '../reporters/console-reporter';
import { RunDirectory, defaultRunDirectory } from '../run-directory';
import { RunLock } from '../run-lock';

/** Flags of `radpo train`, as commander parses them. */
export interface TrainFlags {
  /** Loss terms as NAME or NAME:WEIGHT, one per --algo. */
  algo?: string[];
  augment?: boolean;
  model?: string;
  tokenizer?: string;
  promptFormat?: string;
  data?: string;
  evalData?: string;
  config?: string;
  plugin?: string[];
  out?: string;
  overwrite?: boolean;
  maxSteps?: number;
  seed?: number;
  beta?: number;
  learningRate?: number;
  batchSize?: number;
  gradientAccumulation?: number;
  maxLength?: number;
  maxPromptLength?: number;
  warmupSteps?: number;
  evalEvery?: number;
  checkpointEvery?: number;
  backend?: string;
  map?: string[];
  onBadRow?: string;
  degeneratePairs?: string;
  resume?: string;
}

const REWARD_AUGMENT = 'reward-augment';

/**
 * Merges a config file (if any) with command-line flags, flags winning, and validates the result.
 * Plugin names are checked against the registry here, before any data is read.
 */
export function buildRunConfig(flags: TrainFlags, builtins: PluginRegistry): RunConfig {
  const raw = (flags.config ? readConfigFile(flags.config) : {}) as Record<string, any>;
  const config: Record<string, any> = structuredClone(raw);
  config.plugins = resolveConfigPlugins(raw.plugins, flags);
  const registry = registryWithPluginModules(builtins, config.plugins);
  const section = (name: string): Record<string, any> => (config[name] ??= {});

  if (flags.algo !== undefined && flags.algo.length > 0) {
    const previousTerms = (config.losses as any[] | undefined) ?? [];
    config.losses = parseLossTerms(flags.algo, registry).map((term) => {
      const previous = previousTerms.find((candidate) => candidate?.name === term.name);
      return { ...term, options: { ...(previous?.options ?? {}) } };
    });
  }
  if (flags.beta !== undefined) applyBeta(config, flags.beta, registry);
  if (flags.augment && !(config.transforms ?? []).some((t: { name?: string }) => t?.name === REWARD_AUGMENT)) {
    config.transforms = [...(config.transforms ?? []), { name: REWARD_AUGMENT, options: {} }];
  }
  if (flags.seed !== undefined) config.seed = flags.seed;
  if (flags.backend !== undefined) config.backend = flags.backend;

  const data = section('data');
  if (flags.data !== undefined) data.train = flags.data;
  if (flags.evalData !== undefined) data.eval = flags.evalData;
  if (flags.onBadRow !== undefined) data.onBadRow = flags.onBadRow;
  if (flags.degeneratePairs !== undefined) data.onDegeneratePair = flags.degeneratePairs;
  if (flags.map && flags.map.length > 0) data.fieldMap = { ...(data.fieldMap ?? {}), ...parseFieldMap(flags.map) };

  const model = section('model');
  if (flags.model !== undefined) model.path = flags.model;
  if (flags.tokenizer !== undefined) model.tokenizer = flags.tokenizer;
  if (flags.promptFormat !== undefined) model.promptFormat = flags.promptFormat;
  if (flags.maxLength !== undefined) model.maxLength = flags.maxLength;
  if (flags.maxPromptLength !== undefined) model.maxPromptLength = flags.maxPromptLength;

  const training = section('training');
  if (flags.maxSteps !== undefined) training.maxSteps = flags.maxSteps;
  if (flags.learningRate !== undefined) training.learningRate = flags.learningRate;
  if (flags.batchSize !== undefined) training.batchSize = flags.batchSize;
  if (flags.gradientAccumulation !== undefined) training.gradientAccumulationSteps = flags.gradientAccumulation;
  if (flags.evalEvery !== undefined) training.evalEvery = flags.evalEvery;
  if (flags.checkpointEvery !== undefined) training.checkpointEvery = flags.checkpointEvery;
  if (flags.warmupSteps !== undefined) training.warmup = { ...(training.warmup ?? {}), steps: flags.warmupSteps };

  const resolved = resolveRunConfig(config, flags.config ? `configuration (${flags.config} and flags)` : 'configuration');
  // Plugin names and options are checked now, so a typo fails before any data is read.
  checkPluginOptions(resolved, registry);
  return resolved;
}

/**
 * Reads the configuration of an interrupted run from `dir/config.json`. Only --backend may be given
 * beside --resume: every other flag would change the run, and the resumed metrics would no longer
 * continue the interrupted ones.
 */
export function buildResumeConfig(dir: string, flags: TrainFlags, registry: PluginRegistry): RunConfig {
  const conflicting = Object.entries(flags)
    .filter(([name, value]) => value !== undefined && name !== 'resume' && name !== 'backend')
    .map(([name]) => `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`);
  if (conflicting.length > 0) {
    throw new RadpoError(
      'config',
      `--resume continues the run with the configuration in ${path.join(dir, 'config.json')}; drop ${conflicting.join(', ')} (only --backend may change).`,
    );
  }
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) {
    throw new RadpoError('io', `${dir} contains no run to resume: ${file} is missing. Pass the --out directory of the interrupted run.`);
  }
  const raw = readConfigFile(file) as Record<string, unknown>;
  if (flags.backend !== undefined) raw.backend = flags.backend;
  const resolved = resolveRunConfig(raw, `configuration (${file})`);
  checkPluginOptions(resolved, registry);
  return resolved;
}

function checkPluginOptions(config: RunConfig, registry: PluginRegistry): void {
  for (const term of config.losses) registry.resolveOptions('loss', term.name, term.options);
  for (const transform of config.transforms) registry.resolveOptions('transform', transform.name, transform.options);
  registry.resolveOptions('scheduler', config.training.scheduler.name, config.training.scheduler.options);
}

/**
 * Parses --algo values of the form NAME or NAME:WEIGHT into loss terms. Names must be installed loss
 * plugins, each at most once (its metrics are reported as NAME/loss), and weights finite and positive.
 */
export function parseLossTerms(values: string[], registry: PluginRegistry): { name: string; weight: number }[] {
  const terms: { name: string; weight: number }[] = [];
  for (const value of values) {
    const separator = value.lastIndexOf(':');
    const name = separator === -1 ? value : value.slice(0, separator);
    const weightText = separator === -1 ? undefined : value.slice(separator + 1);
    registry.get('loss', name);
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (weightText !== undefined && (weightText.trim() === '' || !Number.isFinite(weight) || weight <= 0)) {
      throw new RadpoError(
        'config',
        `--algo "${value}": the weight must be a finite number above 0, got "${weightText}". Write NAME or NAME:WEIGHT, for example --algo dpo:0.8.`,
      );
    }
    if (terms.some((term) => term.name === name)) {
      throw new RadpoError('config', `--algo names the loss "${name}" twice; give each loss once, with its weight (NAME:WEIGHT).`);
    }
    terms.push({ name, weight });
  }
  return terms;
}

/** Sets β on every loss term whose plugin has a beta option; an error when none has one. */
function applyBeta(config: Record<string, any>, beta: number, registry: PluginRegistry): void {
  config.losses ??= [{ name: 'dpo', weight: 1, options: {} }];
  const takesBeta = (name: string) => {
    const properties = (registry.get('loss', name).optionsSchema as { properties?: Record<string, unknown> }).properties ?? {};
    return 'beta' in properties;
  };
  const withBeta = (config.losses as { name: string; options?: Record<string, unknown> }[]).filter((term) => takesBeta(term.name));
  if (withBeta.length === 0) {
    const names = (config.losses as { name: string }[]).map((term) => term.name).join(', ');
    throw new RadpoError('config', `--beta was given, but no loss term of this run (${names}) has a beta option; remove --beta.`);
  }
  for (const term of withBeta) term.options = { ...(term.options ?? {}), beta };
}

/**
 * Resolves the config file's `plugins` (relative to the config file) and `--plugin` flags (relative to
 * the working directory) to absolute module paths, so that the run's config.json loads the same modules.
 */
function resolveConfigPlugins(listed: unknown, flags: TrainFlags): string[] {
  const label = flags.config ? `"plugins" of ${flags.config}` : '"plugins"';
  if (listed !== undefined && (!Array.isArray(listed) || listed.some((entry) => typeof entry !== 'string'))) {
    throw new RadpoError('config', `${label}: expected an array of package names or paths, got ${JSON.stringify(listed)}.`);
  }
  const configDir = flags.config ? path.dirname(path.resolve(flags.config)) : process.cwd();
  const fromConfig = ((listed as string[] | undefined) ?? []).map((specifier) => resolvePluginSpecifier(specifier, configDir, label));
  const fromFlags = (flags.plugin ?? []).map((specifier) => resolvePluginSpecifier(specifier, process.cwd(), '--plugin'));
  return [...new Set([...fromConfig, ...fromFlags])];
}

export function parseFieldMap(entries: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const match = /^([A-Za-z]+)=(.+)$/.exec(entry);
    if (!match) {
      throw new RadpoError('config', `--map "${entry}" is not of the form key=dotted.path, for example --map chosen=answers.good.`);
    }
    map[match[1]] = match[2];
  }
  return map;
}

export interface TrainCommandIo {
  stderr: (line: string) => void;
  stdout: (line: string) => void;
  interactive: boolean;
}

/**
 * Runs `radpo train`: resolves the config, prepares the run directory, trains and reports. Returns
 * the run's status: `stopped` after Ctrl-C, when the CLI exits with 130.
 */
export async function runTrainCommand(flags: TrainFlags, builtins: PluginRegistry, io: TrainCommandIo): Promise<'completed' | 'stopped'> {
  const resume = flags.resume !== undefined;
  const config = resume ? buildResumeConfig(flags.resume!, flags, builtins) : buildRunConfig(flags, builtins);
  const registry = registryWithPluginModules(builtins, config.plugins ?? []);
  const outDir =
    flags.resume ?? flags.out ?? defaultRunDirectory(config.losses.map((term) => term.name), config.transforms.some((t) => t.name === REWARD_AUGMENT));
  const lock = RunLock.acquire(outDir);
  try {
    return await trainInDirectory(flags, registry, io, config, outDir, resume);
  } finally {
    lock.release();
  }
}

async function trainInDirectory(
  flags: TrainFlags,
  registry: PluginRegistry,
  io: TrainCommandIo,
  config: RunConfig,
  outDir: string,
  resume: boolean,
): Promise<'completed' | 'stopped'> {
  const runDir = new RunDirectory(outDir, flags.overwrite ?? false, resume);
  if (!resume) runDir.writeJson('config.json', config);

  const reporter = new ConsoleReporter(io.interactive, io.stderr);
  const stop = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr('stopping after the current step (press Ctrl-C again to quit at once)');
    stop.abort();
  };
  process.on('SIGINT', onInterrupt);

  let lastEnd: RunEvent<'runEnd'> | undefined;
  let started = false;
  const reads: RunEvent<'read'>[] = [];
  try {
    await lastValueFrom(
      train({ config, registry, outDir, runId: path.basename(outDir), resume, stopSignal: stop.signal }).pipe(
        tap((event) => {
          runDir.appendEvent(event);
          reporter.handle(event);
          if (event.type === 'read') reads.push(event);
          if (event.type === 'runStart') started = true;
          if (event.type === 'runEnd') lastEnd = event;
        }),
      ),
    );
  } catch (error) {
    // A run that failed before training (bad data, bad options) leaves nothing behind, so the same
    // command can run again once the input is fixed. The error itself goes to the terminal.
    if (!resume && !started) runDir.discard();
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    reporter.close();
  }

  if (!lastEnd) return 'completed';
  runDir.writeJson('summary.json', {
    status: lastEnd.status,
    steps: lastEnd.steps,
    heldOut: lastEnd.summary,
    data: reads.map(({ split, file, rowsRead, rowsYielded, skipped, flagged, duplicateIds }) => ({ split, file, rowsRead, rowsYielded, skipped, flagged, duplicateIds })),
    skippedBatches: lastEnd.skippedBatches ?? 0,
    checkpoint: lastEnd.checkpoint,
  });
  for (const line of formatDataSummary(reads, lastEnd.skippedBatches ?? 0)) io.stdout(line);
  io.stdout(`Held-out metrics (${outDir}):`);
  for (const line of formatSummary(lastEnd.summary)) io.stdout(line);
  if (lastEnd.status === 'stopped') {
    io.stdout(lastEnd.checkpoint ? `Stopped; continue with: radpo train --resume ${outDir}` : 'Stopped before the first step; nothing was saved.');
  }
  return lastEnd.status;
}
