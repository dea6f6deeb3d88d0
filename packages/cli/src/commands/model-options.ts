import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKEND_CHOICES } from '@radpo/runtime';

export function parseInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`expected an integer, got "${value}".`);
  return parsed;
}

export function parseNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError(`expected a number, got "${value}".`);
  return parsed;
}

/** Adds the flags that pick a model and a backend, shared by generate and logprobs. */
export function addModelOptions(command: Command): Command {
  return command
    .requiredOption('--model <path>', 'a llama2.c .bin checkpoint, a Hugging Face model directory, or a radpo run directory')
    .option('--tokenizer <path>', "tokenizer: a llama2.c tokenizer.bin, a tokenizer.json or its directory (default: the model's own)")
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices([...BACKEND_CHOICES]).default('auto'))
    .addOption(
      new Option(
        '--prompt-format <format>',
        "how prompts become text: template (chat template), tags (<|role|> tags), raw (plain text); default: the run's, else auto (template when the tokenizer has one, tags for the built-in model, else raw)",
      ).choices(['auto', 'template', 'tags', 'raw']),
    );
}

/** Exits quietly when the reader of stdout goes away (`radpo logprobs … | head`), instead of crashing on EPIPE. */
export function exitWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export type PromptFormatChoice = 'auto' | 'template' | 'tags' | 'raw';
