import { Command, InvalidArgumentError, Option } from 'commander';
import { RadpoError } from '@radpo/core';
import { BACKEND_CHOICES } from '@radpo/runtime';
import { registerGenerateCommand } from './commands/generate';
import { registerLogProbsCommand } from './commands/logprobs';
import { registerBenchCommand } from './commands/bench-preset';
import { runTrainCommand, type TrainFlags } from './commands/train';
import { addAugmentCommand } from './commands/augment-program';
import { addRelabelCommand } from './commands/relabel';
import { registerInspectLossCommand } from './commands/inspect-loss';
import { registerNewPluginCommand } from './commands/new-plugin';
import { registerPluginsCommand } from './commands/plugins';
import { registerCompareCommands } from './commands/compare';
import { registerBenchCommands } from './commands/bench';
import { createBuiltinRegistry } from './plugins';

const VERSION = '0.1.0';

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

/** Builds the `radpo` command tree. */
export function createProgram(): Command {
  const registry = createBuiltinRegistry();
  const program = new Command('radpo')
    .description('Direct preference alignment of language models: DPO, IPO, SLiC and reward-augmented data.')
    .version(VERSION)
    .showHelpAfterError();

  program
    .command('train')
    .description(
      'Train a policy on preference pairs. Without --data it trains on the built-in synthetic task (letter sorting with a programmatic 1-10 quality score).',
    )
    .option(
      '--algo <name[:weight]>',
      `loss term, repeatable; terms are summed as weight × mean loss (weight default 1), e.g. --algo dpo:0.8 --algo sft:1. ` +
        `Losses: ${registry.names('loss').join(', ')} (default dpo)`,
      collect,
    )
    .option('--augment', 'reward-augment the data: each scored pair becomes two, conditioned on the chosen and on the rejected score')
    .option('--model <path>', 'pretrained model to train: llama2.c .bin (with --tokenizer), Hugging Face directory or radpo run directory (default: the built-in model)')
    .option('--tokenizer <path>', "tokenizer for --model: llama2.c tokenizer.bin, tokenizer.json or its directory (default: the model's own)")
    .addOption(new Option('--prompt-format <format>', 'how prompts become text: template, tags or raw (default auto; see model.promptFormat)').choices(['auto', 'template', 'tags', 'raw']))
    .option('--data <file>', 'training pairs, JSONL or JSON array')
    .option('--eval-data <file>', 'held-out pairs; default: 10% of --data is held out')
    .option('--config <file>', 'run configuration, JSON or YAML; flags override it')
    .option('--plugin <package-or-path>', 'load extra plugins from a package or a path relative to the working directory, repeatable; adds to the config\'s "plugins"', collect)
    .option('--out <dir>', 'run directory (default runs/<algo>[-augment]-<time>)')
    .option('--overwrite', 'replace a run already in --out')
    .option('--max-steps <n>', 'preference optimizer steps', integer)
    .option('--seed <n>', 'random seed', integer)
    .option('--beta <value>', 'β of every loss term that has a beta option (unitless)', number)
    .option('--learning-rate <value>', 'peak learning rate of preference training', number)
    .option('--batch-size <n>', 'pairs per micro-batch', integer)
    .option('--gradient-accumulation <n>', 'micro-batches per optimizer step', integer)
    .option('--max-length <n>', 'longest prompt + response in tokens', integer)
    .option('--max-prompt-length <n>', 'longest prompt in tokens', integer)
    .option('--warmup-steps <n>', 'supervised warm-up steps before preference training (0 to skip)', integer)
    .option('--eval-every <n>', 'evaluate every n optimizer steps (0: only at the end)', integer)
    .option('--checkpoint-every <n>', 'write a resumable checkpoint every n optimizer steps (0: only at the end)', integer)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices([...BACKEND_CHOICES]))
    .option('--map <key=path>', 'field mapping, repeatable: prompt, chosen, rejected, scoreChosen, scoreRejected or id = dotted path', collect)
    .addOption(new Option('--on-bad-row <policy>', 'bad rows: fail (default) or skip and count').choices(['fail', 'skip']))
    .addOption(
      new Option('--degenerate-pairs <policy>', 'pairs with an empty response or chosen identical to rejected: keep and count (default), skip, or fail').choices([
        'keep',
        'skip',
        'fail',
      ]),
    )
    .option('--resume <dir>', 'continue the interrupted run in <dir> from its newest checkpoint, with its config.json (only --backend may be given too)')
    .action(async (flags: TrainFlags) => {
      const status = await runTrainCommand(flags, registry, {
        stderr: (line) => process.stderr.write(line + '\n'),
        stdout: (line) => process.stdout.write(line + '\n'),
        interactive: Boolean(process.stderr.isTTY),
      });
      // 130 = 128 + SIGINT, as shells report an interrupted command; the run was still saved cleanly.
      if (status === 'stopped') process.exitCode = 130;
    });

  addAugmentCommand(program, registry);
  addRelabelCommand(program);

  registerInspectLossCommand(program, registry);

  registerPluginsCommand(program, registry, collect);
  registerNewPluginCommand(program);

  const output = { stdout: (text: string) => process.stdout.write(text), stderr: (line: string) => process.stderr.write(line + '\n') };
  registerGenerateCommand(program, output);
  registerLogProbsCommand(program, registry, output);

  registerCompareCommands(program, registry, terminalIo);
  registerBenchCommands(program, registry, terminalIo);
  // After `bench ra`, so that the throughput presets and `bench ra` share one `bench` command.
  registerBenchCommand(program, registry);
  return program;
}

function terminalIo() {
  return {
    stderr: (line: string) => process.stderr.write(line + '\n'),
    stdout: (line: string) => process.stdout.write(line + '\n'),
    interactive: Boolean(process.stderr.isTTY),
  };
}

/** Exit codes: 0 success, 1 failure while running, 2 invalid usage, configuration or input, 130 stopped by Ctrl-C. */
export async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof RadpoError) {
      process.stderr.write(`radpo: error: ${error.message}\n`);
      if (process.env.RADPO_DEBUG && error.cause) process.stderr.write(`caused by: ${String((error.cause as Error).stack ?? error.cause)}\n`);
      return ['config', 'data', 'plugin'].includes(error.code) ? 2 : 1;
    }
    process.stderr.write(`radpo: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
