import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { RadpoError, type PluginRegistry } from '@radpo/core';
import {
  QUICK_RA_BENCHMARK,
  QUICK_STORIES_RA_BENCHMARK,
  RA_METRICS,
  STORIES_RA_BENCHMARK,
  STORIES_RA_METRICS,
  deepMerge,
  planRaBenchmark,
  prepareBenchmark,
  prepareStoriesBenchmark,
  raBenchmarkAfterRun,
  raBenchmarkNotes,
  resolveRaBenchmarkOptions,
  storiesBenchmarkAfterRun,
  storiesBenchmarkNotes,
} from '@radpo/compare';
import { readConfigFile } from '../config-file';
import { executePlannedRuns, type CommandIo } from './compare';

export interface BenchRaFlags {
  out: string;
  quick?: boolean;
  config?: string;
  parallel?: number;
  model?: string;
  tokenizer?: string;
}

/**
 * Runs `radpo bench ra`: prepares the reference and pairs (or reuses them), trains every algorithm
 * plain, augmented and on doubled data over the seeds, scores the generations with the ground truth
 * and writes the report. Running it again on the same --out resumes.
 */
export async function runBenchRaCommand(flags: BenchRaFlags, registry: PluginRegistry, io: CommandIo): Promise<void> {
  const fromFile = flags.config ? (readConfigFile(flags.config) as Record<string, unknown>) : {};
  if (flags.tokenizer && !flags.model) throw new RadpoError('config', '--tokenizer needs --model (the pretrained model it belongs to).');
  const stories = flags.model !== undefined;
  let raw: Record<string, unknown> = fromFile;
  if (flags.quick) raw = deepMerge(stories ? QUICK_STORIES_RA_BENCHMARK : QUICK_RA_BENCHMARK, raw);
  if (stories) {
    const pretrained = { path: path.resolve(flags.model!), ...(flags.tokenizer ? { tokenizer: path.resolve(flags.tokenizer) } : {}) };
    raw = { ...deepMerge(STORIES_RA_BENCHMARK, raw), pretrained };
  }
  const options = resolveRaBenchmarkOptions(raw, flags.config ? `benchmark options ${flags.config}` : 'benchmark options');
  for (const algorithm of options.algorithms) registry.get('loss', algorithm);

  const started = Date.now();
  const note = (message: string) => io.stderr(`bench ra: ${message}`);
  const prepared = stories ? await prepareStoriesBenchmark(flags.out, options, note) : await prepareBenchmark(flags.out, options, note);
  io.stderr(`bench ra: reference ready in ${((Date.now() - started) / 1000).toFixed(1)} s; held-out reference score ${prepared.referenceScore.toFixed(2)}`);

  await executePlannedRuns(planRaBenchmark(prepared), {
    outDir: flags.out,
    parallel: flags.parallel ?? 1,
    title: `Reward-augmentation ground-truth benchmark${stories ? ', on-policy on a pretrained model' : ''}${flags.quick ? ' (quick)' : ''}`,
    reportMetrics: stories ? STORIES_RA_METRICS : RA_METRICS,
    registry,
    io,
    afterRun: stories ? storiesBenchmarkAfterRun(prepared, registry) : raBenchmarkAfterRun(prepared, registry),
    notes: stories ? storiesBenchmarkNotes(prepared) : raBenchmarkNotes(prepared),
  });
  io.stdout(fs.readFileSync(path.join(flags.out, 'report.md'), 'utf8'));
  io.stderr(`bench ra: finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new RadpoError('config', `expected a positive integer, got "${value}".`);
  return parsed;
}

/** Adds `radpo bench ra` to the program. */
export function registerBenchCommands(program: Command, registry: PluginRegistry, io: () => CommandIo): void {
  const bench = program.command('bench').description('Benchmarks with a ground truth.');
  bench
    .command('ra')
    .description(
      'Reward-augmentation benchmark on the synthetic letter-sorting task with a programmatic 1-10 score: dpo, ipo and slic, each plain, ' +
        'reward-augmented and on doubled data, over 3 seeds; reports the ground-truth score of generations, the win rate against the ' +
        'reference and the unlearning of high-scoring rejected responses (see docs/benchmarks.md).',
    )
    .requiredOption('--out <dir>', 'output folder: data/, reference/, runs/ and the reports; running again resumes')
    .option('--quick', 'a tiny version (one algorithm, one seed, a few steps) that checks the pipeline in seconds')
    .option('--config <file>', 'benchmark options, JSON or YAML (sizes, algorithms, seeds; see RA_BENCHMARK_SCHEMA); merged over --quick')
    .option(
      '--model <file>',
      'pretrained llama2.c model (.bin): runs the on-policy variant, where the model continues story openings and a programmatic judge scores them',
    )
    .option('--tokenizer <file>', 'tokenizer of --model (llama2.c tokenizer.bin); default tokenizer.bin beside the model')
    .option('--parallel <n>', 'runs at the same time, each in its own child process (default 1)', positiveInteger)
    .action(async (flags: BenchRaFlags) => {
      await runBenchRaCommand(flags, registry, io());
    });
}
