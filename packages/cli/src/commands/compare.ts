import * as path from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import type { Command } from 'commander';
import { RadpoError, type PluginRegistry } from '@radpo/core';
import {
  createChildProcessExecutor,
  createInProcessExecutor,
  expandComparison,
  resolveCompareConfig,
  runComparison,
  writeReport,
  type AfterRun,
  type ComparisonEvent,
  type PlannedRun,
  type RunExecutor,
} from '@radpo/compare';
import { readConfigFile } from '../config-file';
import { ComparisonReporter } from '../reporters/comparison-reporter';

export interface CompareFlags {
  out: string;
  parallel?: number;
}

export interface CommandIo {
  stderr: (line: string) => void;
  stdout: (line: string) => void;
  interactive: boolean;
}

/** The script that runs one run in a child process for --parallel. */
export const WORKER_PATH = path.join(__dirname, '..', 'compare-worker.js');

/** Runs `radpo compare CONFIG --out DIR`: expands the matrix, runs what is not finished, then writes the report. */
export async function runCompareCommand(configFile: string, flags: CompareFlags, registry: PluginRegistry, io: CommandIo): Promise<void> {
  const config = resolveCompareConfig(readConfigFile(configFile), `comparison configuration ${configFile}`);
  const runs = expandComparison(config, registry);
  await executePlannedRuns(runs, {
    outDir: flags.out,
    parallel: flags.parallel ?? 1,
    title: config.title ?? 'radpo comparison',
    reportMetrics: config.report.metrics,
    registry,
    io,
  });
}

export interface ExecuteOptions {
  outDir: string;
  parallel: number;
  title: string;
  reportMetrics: string[];
  registry: PluginRegistry;
  io: CommandIo;
  afterRun?: AfterRun;
  notes?: string[];
}

/**
 * Runs planned runs with progress on stderr and Ctrl-C handling, writes the report, and throws when a
 * run failed or was stopped (so the exit status is not 0). Shared by `radpo compare` and `radpo bench`.
 */
export async function executePlannedRuns(runs: PlannedRun[], options: ExecuteOptions): Promise<ComparisonEvent<'comparisonEnd'>> {
  const { io } = options;
  if (!Number.isInteger(options.parallel) || options.parallel < 1) {
    throw new RadpoError('config', `--parallel must be a positive integer, got ${options.parallel}.`);
  }
  const inProcess = options.parallel === 1 ? createInProcessExecutor(options.registry) : undefined;
  const executor: RunExecutor = inProcess ?? createChildProcessExecutor(WORKER_PATH);

  const reporter = new ComparisonReporter(io.interactive, io.stderr);
  const stop = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr('stopping the running runs after their current step (press Ctrl-C again to quit at once); run the same command again to resume');
    stop.abort();
  };
  process.on('SIGINT', onInterrupt);

  let end: ComparisonEvent<'comparisonEnd'> | undefined;
  try {
    await lastValueFrom(
      runComparison({
        runs,
        outDir: options.outDir,
        executor,
        parallel: options.parallel,
        title: options.title,
        reportMetrics: options.reportMetrics,
        afterRun: options.afterRun,
        notes: options.notes,
        stopSignal: stop.signal,
      }).pipe(
        tap((event) => {
          reporter.handle(event);
          if (event.type === 'comparisonEnd') end = event;
        }),
      ),
    );
  } finally {
    process.off('SIGINT', onInterrupt);
    reporter.close();
    inProcess?.dispose();
  }

  const { files } = writeReport(options.outDir);
  io.stdout(`Report: ${files.markdown}, ${files.html}, ${files.csv}`);
  if (end!.failed.length > 0) {
    throw new RadpoError('io', `${end!.failed.length} runs failed: ${end!.failed.join(', ')}. Fix the cause and run the same command again; finished runs are kept.`);
  }
  if (end!.stopped.length > 0 || stop.signal.aborted) {
    throw new RadpoError('io', `the comparison was stopped before every run finished. Run the same command again to finish the missing runs.`);
  }
  return end!;
}

/** Runs `radpo report DIR`: re-renders report.md, report.html and results.csv from the run folders. */
export function runReportCommand(outDir: string, io: CommandIo): void {
  const { files, results } = writeReport(outDir);
  const finished = results.groups.reduce((total, group) => total + group.seedsFinished.length, 0);
  const planned = results.groups.reduce((total, group) => total + group.seedsPlanned.length, 0);
  io.stdout(`Report of ${results.groups.length} groups (${finished} of ${planned} runs finished): ${files.markdown}, ${files.html}, ${files.csv}`);
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new RadpoError('config', `expected a positive integer, got "${value}".`);
  return parsed;
}

/** Adds `radpo compare` and `radpo report` to the program. */
export function registerCompareCommands(program: Command, registry: PluginRegistry, io: () => CommandIo): void {
  program
    .command('compare')
    .description(
      'Run a comparison: a matrix of algorithms × augment on/off × seeds × hyperparameters, plus named runs, from a JSON or YAML file ' +
        '(see docs/compare.md). Finished runs in --out are kept, so running it again resumes; then report.md, report.html and results.csv are written.',
    )
    .argument('<config>', 'comparison configuration, JSON or YAML')
    .requiredOption('--out <dir>', 'output folder: comparison.json, runs/<group>/seed-<n>/ and the reports')
    .option('--parallel <n>', 'runs at the same time, each in its own child process (default 1: one after another in this process, sharing tokenized data)', positiveInteger)
    .action(async (configFile: string, flags: CompareFlags) => {
      await runCompareCommand(configFile, flags, registry, io());
    });

  program
    .command('report')
    .description('Re-render report.md, report.html and results.csv of a comparison or benchmark output folder from its run folders.')
    .argument('<dir>', 'output folder of radpo compare or radpo bench')
    .action((dir: string) => runReportCommand(dir, io()));
}
