import { Command, InvalidArgumentError, Option } from 'commander';
import type { PluginRegistry } from '@radpo/core';
import { DATA_FORMATS, PAIRING_RULES } from '@radpo/data';
import { runAugmentCommand, type AugmentFlags } from './augment';

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`expected an integer, got "${value}".`);
  return parsed;
}

function number(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError(`expected a number, got "${value}".`);
  return parsed;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds `radpo augment` to the program. */
export function addAugmentCommand(program: Command, registry: PluginRegistry): void {
  program
    .command('augment')
    .description(
      'Reward-augment a scored preference file: each pair becomes one copy conditioned on the chosen score and one, ' +
        "swapped, on the rejected score. Streams --in to --out in TRL's conversational preference format.",
    )
    .requiredOption('--in <file>', 'input: .jsonl, .json, either with .gz, or .parquet; shape detected from the keys')
    .requiredOption('--out <file>', 'output: .jsonl, .json, either with .gz, or .parquet (by extension)')
    .option('--overwrite', 'replace --out when it exists')
    .addOption(new Option('--format <format>', 'input format, overriding the extension').choices([...DATA_FORMATS]))
    .option('--map <key=path>', 'field mapping, repeatable: prompt, chosen, rejected, scoreChosen, scoreRejected or id = dotted path', collect)
    .addOption(new Option('--on-bad-row <policy>', 'rows with a missing or invalid score or field: fail (default) with file and line, or skip and count').choices(['fail', 'skip']))
    .addOption(
      new Option('--degenerate-pairs <policy>', 'pairs with an empty response or chosen identical to rejected: keep and count (default), skip, or fail').choices([
        'keep',
        'skip',
        'fail',
      ]),
    )
    .addOption(new Option('--pairing <rule>', 'pairs from several scored responses per prompt (default best-vs-random)').choices([...PAIRING_RULES]))
    .option('--seed <n>', 'seed of the pairing draw and of the --fraction choice (default 0)', integer)
    .option('--template <text>', 'condition text with {score}, {min}, {max} (or {attributes} with --attributes)')
    .addOption(new Option('--placement <where>', 'where the condition goes (default system)').choices(['system', 'user-prefix']))
    .addOption(new Option('--goals <which>', 'copies per pair: both (default), chosen or rejected').choices(['both', 'chosen', 'rejected']))
    .addOption(new Option('--ties <policy>', 'pairs with equal scores (default keep)').choices(['keep', 'drop', 'chosen-goal']))
    .option('--fraction <share>', 'share of pairs augmented, 0 to 1 (default 1)', number)
    .addOption(new Option('--unaugmented <policy>', 'pairs --fraction leaves out: keep unconditioned (default) or drop').choices(['keep', 'drop']))
    .option('--scale <min:max|detect>', 'score scale, such as 1:10 (default), or detect: read the file once first to find it')
    .option('--eval-goal <score>', 'score that --split eval conditions on (default: top of the scale)', number)
    .option('--score-decimals <n>', 'maximum decimals of a score in the condition text (default 2)', integer)
    .option('--consistency-filter', 'drop pairs whose chosen response has the lower mean attribute score')
    .option('--attributes <list>', 'condition on several scores: helpsteer2, or name=min:max,... (a name alone takes the --scale detect range)')
    .option('--attribute-format <text>', 'one attribute goal inside {attributes}, with {name}, {score}, {min}, {max}')
    .addOption(new Option('--split <split>', 'train (default): augment; eval: condition every prompt on the top score, no swap').choices(['train', 'eval']))
    .option('--batch-size <rows>', 'rows per write; memory keeps about one batch (default 1000)', integer)
    .addOption(new Option('--to <engine>', 'also print the matching training config of another engine').choices(['trl']))
    .option('--config <file>', 'radpo run configuration (JSON or YAML) that --to trl translates')
    .option('--algo <name>', `radpo loss that --to trl translates: ${registry.names('loss').join(', ')} (default dpo)`)
    .option('--beta <value>', 'β that --to trl writes', number)
    .option('--label-smoothing <value>', 'DPO label smoothing that --to trl writes, 0 to 0.5', number)
    .action(async (flags: AugmentFlags) => {
      await runAugmentCommand(flags, registry, {
        stdout: (line) => process.stdout.write(line + '\n'),
        stderr: (line) => process.stderr.write(line + '\n'),
      });
    });
}
