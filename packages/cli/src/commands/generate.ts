import { Command } from 'commander';
import { RadpoError, type ChatMessage } from '@radpo/core';
import { tokenizeGenerationPrompt } from '@radpo/data';
import { conditionPrompt, renderCondition, resolveRewardAugmentOptions, type RewardAugmentOptions } from '@radpo/plugin-reward-augment';
import { disposeWeights, generate, loadModel, resolvePromptFormat, selectBackend, type BackendChoice, type RunConfig } from '@radpo/runtime';
import { addModelOptions, exitWhenStdoutCloses, parseInteger, parseNumber, type PromptFormatChoice } from './model-options';

interface GenerateFlags {
  model: string;
  tokenizer?: string;
  backend: BackendChoice;
  prompt: string;
  system?: string;
  goal?: number;
  promptFormat?: PromptFormatChoice;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

/** Registers `radpo generate`. */
export function registerGenerateCommand(program: Command, write: { stdout: (text: string) => void; stderr: (line: string) => void }): void {
  const command = program
    .command('generate')
    .description('Continue a prompt with a model: greedy by default, or sampled with --temperature, --top-k and --top-p.');
  addModelOptions(command)
    .requiredOption('--prompt <text>', 'the prompt: the user turn (may be empty in the raw format)')
    .option('--system <text>', 'a system message before the prompt')
    .option('--goal <score>', "reward-augmentation goal, a score on the run's scale: adds the run's condition text (template, scale and placement from its config.json, else the defaults)", parseNumber)
    .option('--max-new-tokens <n>', 'maximum number of new tokens', parseInteger, 128)
    .option('--temperature <t>', 'sampling temperature; 0 is greedy', parseNumber, 0)
    .option('--top-k <k>', 'sample among the k most likely tokens; 0 turns it off', parseInteger, 0)
    .option('--top-p <p>', 'nucleus sampling: smallest set of tokens with probability at least p; 1 turns it off', parseNumber, 1)
    .option('--seed <n>', 'seed of the sampler', parseInteger, 0)
    .action(async (flags: GenerateFlags) => {
      exitWhenStdoutCloses();
      await selectBackend(flags.backend);
      const loaded = await loadModel(flags.model, { tokenizerPath: flags.tokenizer });
      try {
        const { model, weights } = loaded;
        const tokenizer = model.tokenizer;
        const promptFormat = resolvePromptFormat(model, flags.promptFormat ?? loaded.runConfig?.model?.promptFormat);
        const promptIds = tokenizeGenerationPrompt(tokenizer, buildMessages(flags, loaded.runConfig), promptFormat);
        const result = generate(model, weights, promptIds, {
          maxNewTokens: flags.maxNewTokens,
          temperature: flags.temperature,
          topK: flags.topK,
          topP: flags.topP,
          seed: flags.seed,
        });
        // A raw prompt is echoed; decoding prompt and continuation together keeps the space between them.
        write.stdout(tokenizer.decode(promptFormat === 'raw' ? [...promptIds, ...result.ids] : result.ids) + '\n');
        write.stderr(`${result.ids.length} tokens generated (${promptIds.length} prompt tokens); stopped: ${result.stopReason}`);
      } finally {
        disposeWeights(loaded.weights);
      }
    });
}

/** Builds the prompt messages: an optional system turn, the user turn, and the goal condition where reward augmentation puts it. */
function buildMessages(flags: GenerateFlags, runConfig: RunConfig | undefined): ChatMessage[] {
  const messages: ChatMessage[] = [...(flags.system !== undefined ? [{ role: 'system' as const, content: flags.system }] : []), { role: 'user', content: flags.prompt }];
  if (flags.goal === undefined) return messages;
  const configured = runConfig?.transforms?.find((transform) => transform.name === 'reward-augment')?.options as RewardAugmentOptions | undefined;
  const options = resolveRewardAugmentOptions(configured ?? {});
  if (flags.goal < options.scaleMin || flags.goal > options.scaleMax) {
    throw new RadpoError('config', `--goal ${flags.goal} is outside the reward scale ${options.scaleMin} to ${options.scaleMax}.`);
  }
  const condition = renderCondition(options.template, flags.goal, options.scaleMin, options.scaleMax);
  const conditioned = conditionPrompt(messages, condition, options.placement);
  if (conditioned === undefined || typeof conditioned === 'string') throw new RadpoError('config', 'the goal condition could not be placed in the prompt.');
  return conditioned;
}
