import * as fs from 'node:fs';
import type { Command } from 'commander';
import { RadpoError, describeValue, type PluginRegistry, type PreferenceLoss } from '@radpo/core';
import { inspectLoss, selectBackend, type InspectedPair } from '@radpo/runtime';

/** Flags of `radpo inspect-loss`, as commander parses them. */
export interface InspectLossFlags {
  algo: string;
  options?: string;
  input: string;
}

/** Input field names (snake_case, as in the file) and the InspectedPair keys they fill. */
const REQUIRED_FIELDS = {
  policy_chosen: 'policyChosen',
  policy_rejected: 'policyRejected',
  chosen_tokens: 'chosenTokens',
  rejected_tokens: 'rejectedTokens',
} as const;
const REFERENCE_FIELDS = { reference_chosen: 'referenceChosen', reference_rejected: 'referenceRejected' } as const;
const OPTIONAL_FIELDS = { score_chosen: 'scoreChosen', score_rejected: 'scoreRejected', mismatched_log_ratio: 'mismatchedLogRatio' } as const;
const ALL_FIELDS: Record<string, keyof InspectedPair> = { ...REQUIRED_FIELDS, ...REFERENCE_FIELDS, ...OPTIONAL_FIELDS };

/**
 * Runs `radpo inspect-loss`: evaluates one loss (or every installed loss with --algo all) on pairs
 * given as numbers and prints one JSON object per loss with per-pair losses, gradients with respect to
 * the policy log-probs, the batch loss and the metrics. Gradients come from tf.grads on the cpu backend.
 */
export async function runInspectLossCommand(flags: InspectLossFlags, registry: PluginRegistry, stdout: (line: string) => void): Promise<void> {
  const rawOptions = parseOptions(flags.options);
  const pairs = readPairs(flags.input);
  const names = flags.algo === 'all' ? registry.names('loss') : [registry.get('loss', flags.algo).name];
  const optionsByName = flags.algo === 'all' ? splitOptionsByLoss(rawOptions, names, registry) : { [flags.algo]: rawOptions };
  await selectBackend('cpu');

  const failures: string[] = [];
  for (const name of names) {
    const options = registry.resolveOptions<Record<string, unknown>>('loss', name, optionsByName[name]);
    const loss = registry.create('loss', name, options);
    const missing = missingInputs(loss, pairs, flags.input);
    if (missing) {
      // With --algo all one loss lacking inputs does not hide the others; the exit status still reports it.
      if (flags.algo !== 'all') throw new RadpoError('data', missing);
      failures.push(missing);
      stdout(JSON.stringify({ algo: name, options, error: missing }));
      continue;
    }
    const result = inspectLoss(loss, pairs.map((pair) => pair.values));
    stdout(
      JSON.stringify({
        algo: name,
        options,
        pairs: result.pairs.map((pair) => ({
          loss: pair.loss,
          grad_policy_chosen: pair.gradPolicyChosen,
          grad_policy_rejected: pair.gradPolicyRejected,
        })),
        loss: result.loss,
        metrics: result.metrics,
      }),
    );
  }
  if (failures.length > 0) {
    throw new RadpoError('data', `${failures.length} of ${names.length} losses could not be evaluated:\n  - ${failures.join('\n  - ')}`);
  }
}

function parseOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RadpoError('config', `--options is not valid JSON (${(error as Error).message}); expected an object such as '{"beta": 0.2}'.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RadpoError('config', `--options must be a JSON object such as '{"beta": 0.2}', got ${describeValue(parsed)}.`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * With --algo all, gives each loss the options its schema declares, so that {"beta": 0.2} reaches
 * every loss with a beta. A key that no installed loss declares is rejected, so typos still fail.
 */
function splitOptionsByLoss(options: Record<string, unknown>, names: string[], registry: PluginRegistry): Record<string, Record<string, unknown>> {
  const declared = (name: string) =>
    Object.keys((registry.get('loss', name).optionsSchema as { properties?: Record<string, unknown> }).properties ?? {});
  const known = new Set(names.flatMap(declared));
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new RadpoError(
      'config',
      `--options: no installed loss has the option${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => `"${key}"`).join(', ')}. ` +
        `Valid keys: ${[...known].sort().join(', ')}.`,
    );
  }
  return Object.fromEntries(
    names.map((name) => [name, Object.fromEntries(Object.entries(options).filter(([key]) => declared(name).includes(key)))]),
  );
}

interface ParsedPair {
  values: InspectedPair;
  present: Set<string>;
}

/** Reads {"pairs": [...]} and checks every field's type; which fields a loss needs is checked per loss. */
function readPairs(file: string): ParsedPair[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RadpoError('config', `cannot read --input ${file}: ${(error as Error).message}`, { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new RadpoError('data', `${file}: invalid JSON (${(error as Error).message}); expected {"pairs": [{"policy_chosen": -10, ...}]}.`);
  }
  const pairs = (document as { pairs?: unknown } | null)?.pairs;
  if (!Array.isArray(pairs) || pairs.length === 0) {
    throw new RadpoError('data', `${file}: expected an object with a non-empty "pairs" array, got ${describeValue(document)}.`);
  }
  return pairs.map((pair, index) => parsePair(pair, index, file));
}

function parsePair(raw: unknown, index: number, file: string): ParsedPair {
  const where = `${file}: pairs[${index}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RadpoError('data', `${where}: expected an object of numbers, got ${describeValue(raw)}.`);
  }
  const values: Partial<InspectedPair> = {};
  const present = new Set<string>();
  for (const [field, value] of Object.entries(raw)) {
    const key = ALL_FIELDS[field];
    if (!key) {
      throw new RadpoError('data', `${where}: unknown field "${field}". Valid fields: ${Object.keys(ALL_FIELDS).join(', ')}.`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RadpoError('data', `${where}.${field}: expected a finite number, got ${describeValue(value)}.`);
    }
    if ((field === 'chosen_tokens' || field === 'rejected_tokens') && value <= 0) {
      throw new RadpoError('data', `${where}.${field}: expected a token count above 0, got ${value}.`);
    }
    values[key] = value;
    present.add(field);
  }
  for (const field of Object.keys(REQUIRED_FIELDS)) {
    if (!present.has(field)) throw new RadpoError('data', `${where}: missing required field "${field}".`);
  }
  return { values: values as InspectedPair, present };
}

/** Names the first pair and field a loss needs but the input lacks, or returns undefined. */
function missingInputs(loss: PreferenceLoss, pairs: ParsedPair[], file: string): string | undefined {
  const needed: [string, string][] = [];
  if (loss.requiresReference) {
    for (const field of Object.keys(REFERENCE_FIELDS)) needed.push([field, `loss "${loss.name}" uses a reference model`]);
  }
  if (loss.requiresMismatchedPairs) {
    needed.push(['mismatched_log_ratio', `loss "${loss.name}" estimates the KL divergence from prompts paired with other responses`]);
  }
  for (const [index, pair] of pairs.entries()) {
    for (const [field, reason] of needed) {
      if (!pair.present.has(field)) return `${file}: pairs[${index}] is missing "${field}", which is required because ${reason}.`;
    }
  }
  return undefined;
}

/** Adds `radpo inspect-loss` to the command tree. */
export function registerInspectLossCommand(program: Command, registry: PluginRegistry): void {
  program
    .command('inspect-loss')
    .description(
      'Evaluate a loss on pairs given as numbers and print, as JSON, each pair\'s loss and its gradients with respect to the policy log-probs, the batch loss and the metrics.',
    )
    .requiredOption('--algo <name>', `loss plugin, or "all" for every installed loss (one JSON line each): ${registry.names('loss').join(', ')}`)
    .option('--options <json>', 'loss options as a JSON object, e.g. \'{"beta": 0.2}\'; with --algo all each loss takes the keys it declares')
    .requiredOption(
      '--input <file>',
      'JSON file {"pairs": [{"policy_chosen", "policy_rejected", "chosen_tokens", "rejected_tokens", and for reference-based losses "reference_chosen", "reference_rejected"}]}; log-probs are summed over response tokens (nats)',
    )
    .action(async (flags: InspectLossFlags) => {
      await runInspectLossCommand(flags, registry, (line) => process.stdout.write(line + '\n'));
    });
}
