import { Command, Option } from 'commander';
import { RadpoError, type PluginRegistry, type PreferenceRecord } from '@radpo/core';
import { readAllPreferenceRecords, tokenizePairsForTokenizer, type PairTokenizationStats } from '@radpo/data';
import { disposeWeights, loadModel, pairLogProbs, resolvePromptFormat, resolveRunConfig, selectBackend, type BackendChoice } from '@radpo/runtime';
import { addModelOptions, exitWhenStdoutCloses, parseInteger, type PromptFormatChoice } from './model-options';

interface LogProbsFlags {
  model: string;
  tokenizer?: string;
  backend: BackendChoice;
  promptFormat?: PromptFormatChoice;
  data: string;
  maxLength?: number;
  maxPromptLength?: number;
  batchSize: number;
  transforms: 'none' | 'train' | 'eval';
}

/** Registers `radpo logprobs`. */
export function registerLogProbsCommand(program: Command, registry: PluginRegistry, write: { stdout: (text: string) => void; stderr: (line: string) => void }): void {
  const command = program
    .command('logprobs')
    .description(
      'Print, per preference pair, the summed log-probability and token count of the chosen and rejected responses as JSONL, tokenized and masked exactly as training does.',
    );
  addModelOptions(command)
    .requiredOption('--data <file>', 'preference pairs, JSONL or JSON array')
    .option('--max-length <n>', "longest prompt + response in tokens (default: the run's, else 192)", parseInteger)
    .option('--max-prompt-length <n>', "longest prompt in tokens (default: the run's, else 128)", parseInteger)
    .option('--batch-size <n>', 'pairs per forward pass', parseInteger, 8)
    .addOption(
      new Option(
        '--transforms <split>',
        "apply the run's data transforms (such as reward augmentation) first, as training does to its train or eval split; needs a run directory as --model",
      )
        .choices(['none', 'train', 'eval'])
        .default('none'),
    )
    .action(async (flags: LogProbsFlags) => {
      exitWhenStdoutCloses();
      await selectBackend(flags.backend);
      const loaded = await loadModel(flags.model, { tokenizerPath: flags.tokenizer });
      try {
        const defaults = resolveRunConfig(loaded.runConfig ? { model: loaded.runConfig.model } : {}).model;
        let records = await readAllPreferenceRecords(flags.data);
        if (flags.transforms !== 'none') {
          if (!loaded.runConfig) throw new RadpoError('config', '--transforms needs a radpo run directory as --model, whose config.json names the transforms.');
          records = await applyRunTransforms(records, loaded.runConfig.transforms, registry, flags.transforms, write.stderr);
        }
        const stats: PairTokenizationStats = { pairs: 0, truncatedPrompts: 0, truncatedResponses: 0, identicalAfterTruncation: 0 };
        const pairs = tokenizePairsForTokenizer(records, loaded.model.tokenizer, {
          maxLength: flags.maxLength ?? defaults.maxLength,
          maxPromptLength: flags.maxPromptLength ?? defaults.maxPromptLength,
          promptFormat: resolvePromptFormat(loaded.model, flags.promptFormat ?? defaults.promptFormat),
        }, stats);
        for (const result of pairLogProbs(loaded.model, loaded.weights, pairs, flags.batchSize)) write.stdout(JSON.stringify(result) + '\n');
        write.stderr(
          `${pairs.length} pairs scored; ${stats.identicalAfterTruncation} dropped as identical after truncation, ${stats.emptyResponses ?? 0} with an empty response; ` +
            `${stats.truncatedPrompts} prompts and ${stats.truncatedResponses} responses truncated; ${stats.boundaryRepairs ?? 0} chat-template boundaries repaired.`,
        );
      } finally {
        disposeWeights(loaded.weights);
      }
    });
}

/** Runs the run's transforms over the records in order, as the trainer does for the given split. */
async function applyRunTransforms(
  records: PreferenceRecord[],
  transforms: { name: string; options: Record<string, unknown> }[],
  registry: PluginRegistry,
  split: 'train' | 'eval',
  warn: (line: string) => void,
): Promise<PreferenceRecord[]> {
  let current = records;
  for (const { name, options } of transforms) {
    const transform = registry.create('transform', name, options);
    const context = { split, warn: (message: string) => warn(`warning: transform ${name}: ${message}`) };
    const source = (async function* () {
      yield* current;
    })();
    const output = split === 'eval' && transform.applyEval ? transform.applyEval(source, context) : transform.apply(source, context);
    const next: PreferenceRecord[] = [];
    for await (const record of output) next.push(record);
    current = next;
  }
  return current;
}
