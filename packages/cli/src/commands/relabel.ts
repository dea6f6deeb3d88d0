import * as fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { RadpoError, type PreferenceRecord } from '@radpo/core';
import { DATA_FORMATS, createReadStats, openPreferenceWriter, readPreferenceRecords, type ReadOptions } from '@radpo/data';
import { BACKEND_CHOICES, disposeScoringRun, implicitRewards, loadScoringRun, selectBackend, type BackendChoice } from '@radpo/runtime';
import { parseFieldMap } from './train';

/** Flags of `radpo relabel`, as commander parses them. */
export interface RelabelFlags {
  model: string;
  data: string;
  out: string;
  overwrite?: boolean;
  beta?: number;
  batchSize?: number;
  backend?: string;
  format?: string;
  map?: string[];
  onBadRow?: string;
  degeneratePairs?: string;
}

const DEFAULT_BATCH_PAIRS = 16;

/**
 * Runs `radpo relabel`: scores both responses of every pair with the trained policy's implicit reward
 * β·log(π/π_ref) and writes the pairs with those as score_chosen and score_rejected.
 */
export async function runRelabelCommand(flags: RelabelFlags, io: { stdout: (line: string) => void; stderr: (line: string) => void }): Promise<void> {
  const started = Date.now();
  const batchPairs = flags.batchSize ?? DEFAULT_BATCH_PAIRS;
  if (fs.existsSync(flags.out) && !flags.overwrite) {
    throw new RadpoError('io', `"${flags.out}" already exists. Choose another --out file, or pass --overwrite to replace it.`);
  }

  const backend = await selectBackend((flags.backend ?? 'auto') as BackendChoice);
  io.stderr(`backend: ${backend.name} (${backend.detail})`);
  const run = await loadScoringRun(flags.model);
  const beta = flags.beta ?? run.beta;

  const readStats = createReadStats();
  const readOptions: ReadOptions = {
    format: flags.format as ReadOptions['format'],
    fieldMap: flags.map && flags.map.length > 0 ? parseFieldMap(flags.map) : undefined,
    onBadRow: flags.onBadRow as ReadOptions['onBadRow'],
    onDegeneratePair: flags.degeneratePairs as ReadOptions['onDegeneratePair'],
    stats: readStats,
  };
  const writer = openPreferenceWriter(flags.out, { overwrite: flags.overwrite });
  let written = 0;
  try {
    let batch: PreferenceRecord[] = [];
    const flush = async () => {
      const rewards = implicitRewards(run, batch, beta);
      await writer.write(batch.map((record, i) => ({ ...record, scores: { ...record.scores, chosen: rewards.chosen[i], rejected: rewards.rejected[i] } })));
      written += batch.length;
      batch = [];
    };
    for await (const record of readPreferenceRecords(flags.data, readOptions)) {
      batch.push(record);
      if (batch.length >= batchPairs) await flush();
    }
    await flush();
    await writer.close();
  } catch (error) {
    await writer.close().catch(() => undefined);
    fs.rmSync(flags.out, { force: true });
    throw error;
  } finally {
    disposeScoringRun(run);
  }

  const skipped = Object.entries(readStats.skipped).map(([reason, count]) => `${reason} ${count}`);
  io.stdout(`radpo relabel: ${flags.data} -> ${flags.out} with the implicit reward of ${flags.model} (β ${beta})`);
  io.stdout(`  rows read ${readStats.rowsRead}, pairs scored ${written}, skipped ${skipped.length > 0 ? skipped.join(', ') : 0}`);
  io.stdout(`  ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}".`);
  return parsed;
}

function number(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError(`expected a number, got "${value}".`);
  return parsed;
}

/** Adds `radpo relabel` to the program. */
export function addRelabelCommand(program: Command): void {
  program
    .command('relabel')
    .description(
      "Score preference pairs with a trained run's implicit reward β·log(π/π_ref) and write them with those scores " +
        'as score_chosen and score_rejected (TRL conversational rows), ready for radpo augment.',
    )
    .requiredOption('--model <run-dir>', 'run directory with checkpoint/, checkpoint-reference/ and config.json')
    .requiredOption('--data <file>', 'pairs to score: .jsonl, .json, either with .gz, or .parquet')
    .requiredOption('--out <file>', 'output: .jsonl, .json, either with .gz, or .parquet (by extension)')
    .option('--overwrite', 'replace --out when it exists')
    .option('--beta <value>', "β of the reward (default: the run's first loss β, else 0.1)", number)
    .option('--batch-size <pairs>', 'pairs per forward pass (default 16)', integer)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices([...BACKEND_CHOICES]))
    .addOption(new Option('--format <format>', 'input format, overriding the extension').choices([...DATA_FORMATS]))
    .option('--map <key=path>', 'field mapping, repeatable: prompt, chosen, rejected, scoreChosen, scoreRejected or id = dotted path', (value: string, previous: string[] = []) => [...previous, value])
    .addOption(new Option('--on-bad-row <policy>', 'bad rows: fail (default) or skip and count').choices(['fail', 'skip']))
    .addOption(new Option('--degenerate-pairs <policy>', 'empty or identical responses: keep (default), skip, or fail').choices(['keep', 'skip', 'fail']))
    .action(async (flags: RelabelFlags) => {
      await runRelabelCommand(flags, {
        stdout: (line) => process.stdout.write(line + '\n'),
        stderr: (line) => process.stderr.write(line + '\n'),
      });
    });
}
