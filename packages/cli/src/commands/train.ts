import * as path from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { RadpoError, type PluginRegistry, type RunEvent } from '@radpo/core';
import { resolveRunConfig, train, type RunConfig } from '@radpo/runtime';
import { readConfigFile } from '../config-file';
import { ConsoleReporter, formatSummary } from '../reporters/console-reporter';
import { RunDirectory, defaultRunDirectory } from '../run-directory';

/** Flags of `radpo train`, as commander parses them. */
export interface TrainFlags {
  algo?: string;
  augment?: boolean;
  model?: string;
  tokenizer?: string;
  promptFormat?: string;
  data?: string;
  evalData?: string;
  config?: string;
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
  backend?: string;
  map?: string[];
  onBadRow?: string;
  degeneratePairs?: string;
}

const REWARD_AUGMENT = 'reward-augment';

/**
 * Merges a config file (if any) with command-line flags, flags winning, and validates the result.
 * Plugin names are checked against the registry here, before any data is read.
 */
export function buildRunConfig(flags: TrainFlags, registry: PluginRegistry): RunConfig {
  const raw = (flags.config ? readConfigFile(flags.config) : {}) as Record<string, any>;
  const config: Record<string, any> = structuredClone(raw);
  const section = (name: string): Record<string, any> => (config[name] ??= {});

  if (flags.algo !== undefined) {
    registry.get('loss', flags.algo);
    const previous = (config.losses as any[] | undefined)?.find((term) => term?.name === flags.algo);
    config.losses = [{ name: flags.algo, weight: 1, options: { ...(previous?.options ?? {}) } }];
  }
  if (flags.beta !== undefined) {
    config.losses ??= [{ name: 'dpo', weight: 1, options: {} }];
    for (const term of config.losses) term.options = { ...(term.options ?? {}), beta: flags.beta };
  }
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
  if (flags.warmupSteps !== undefined) training.warmup = { ...(training.warmup ?? {}), steps: flags.warmupSteps };

  const resolved = resolveRunConfig(config, flags.config ? `configuration (${flags.config} and flags)` : 'configuration');
  // Plugin names and options are checked now, so a typo fails before any data is read.
  for (const term of resolved.losses) registry.resolveOptions('loss', term.name, term.options);
  for (const transform of resolved.transforms) registry.resolveOptions('transform', transform.name, transform.options);
  registry.resolveOptions('scheduler', resolved.training.scheduler.name, resolved.training.scheduler.options);
  return resolved;
}

function parseFieldMap(entries: string[]): Record<string, string> {
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

/** Runs `radpo train`: resolves the config, prepares the run directory, trains and reports. */
export async function runTrainCommand(flags: TrainFlags, registry: PluginRegistry, io: TrainCommandIo): Promise<void> {
  const config = buildRunConfig(flags, registry);
  const outDir = flags.out ?? defaultRunDirectory(config.losses.map((term) => term.name), config.transforms.some((t) => t.name === REWARD_AUGMENT));
  const runDir = new RunDirectory(outDir, flags.overwrite ?? false);
  runDir.writeJson('config.json', config);

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
  try {
    await lastValueFrom(
      train({ config, registry, outDir, runId: path.basename(outDir), stopSignal: stop.signal }).pipe(
        tap((event) => {
          runDir.appendEvent(event);
          reporter.handle(event);
          if (event.type === 'runEnd') lastEnd = event;
        }),
      ),
    );
  } finally {
    process.off('SIGINT', onInterrupt);
    reporter.close();
  }

  if (lastEnd) {
    runDir.writeJson('summary.json', { status: lastEnd.status, steps: lastEnd.steps, heldOut: lastEnd.summary });
    io.stdout(`Held-out metrics (${outDir}):`);
    for (const line of formatSummary(lastEnd.summary)) io.stdout(line);
  }
}
