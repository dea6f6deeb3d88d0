import { isDeepStrictEqual } from 'node:util';
import type { Conversation, DataTransform, PreferenceRecord, RadpoPlugin, TransformContext } from '@radpo/core';
import { createInstance, runChecks, type ConformanceCheck, type ConformanceFinding } from './findings';
import { checkOptionsSchema } from './schema-checks';

/** Settings of the transform conformance suite. */
export interface TransformConformanceOptions {
  /** Plugin options the instance is created with. Default `{}`: the schema's defaults. */
  options?: Record<string, unknown>;
  /** Input records; default SAMPLE_RECORDS (scored on a 1-10 scale, text and chat prompts). At least 2. */
  records?: PreferenceRecord[];
  /**
   * Set for a transform that must read its whole input before it yields (a global shuffle or a
   * deduplication, say); the streaming check is then skipped with this text as the reason.
   */
  buffersInput?: string;
}

/** Scored records in the shapes readers produce: text and chat prompts, ties, attributes, origins. */
export const SAMPLE_RECORDS: readonly PreferenceRecord[] = Object.freeze([
  { id: 'a', prompt: 'Sort the letters: c a b', chosen: 'a b c', rejected: 'c b a', scores: { chosen: 9, rejected: 3 }, origin: { file: 'sample.jsonl', line: 1 } },
  {
    id: 'b',
    prompt: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Sort: z y' },
    ],
    chosen: [{ role: 'assistant', content: 'y z' }],
    rejected: [{ role: 'assistant', content: 'z y' }],
    scores: { chosen: 7.5, rejected: 2, attributes: { chosen: { helpfulness: 4 }, rejected: { helpfulness: 1 } } },
    origin: { file: 'sample.jsonl', line: 2 },
  },
  { id: 'c', prompt: 'Sort: q p', chosen: 'p q', rejected: 'q p', scores: { chosen: 6, rejected: 6 }, origin: { file: 'sample.jsonl', line: 3 } },
  { id: 'd', prompt: [{ role: 'user', content: 'Sort: m n o' }], chosen: 'm n o', rejected: 'o m n', scores: { chosen: 10, rejected: 1 }, origin: { file: 'sample.jsonl', line: 4 } },
  { id: 'e', prompt: 'Sort: e d', chosen: 'd e', rejected: 'e d', scores: { chosen: 8, rejected: 5.5 }, origin: { file: 'sample.jsonl', line: 5 } },
] satisfies PreferenceRecord[]);

/** Input records for the streaming check; enough that buffering everything is told apart from buffering a few. */
const STREAM_LENGTH = 64;

function settingsRecords(settings: TransformConformanceOptions): PreferenceRecord[] {
  const records = settings.records ?? (SAMPLE_RECORDS as PreferenceRecord[]);
  return structuredClone(records);
}

function context(split: 'train' | 'eval', warnings: string[] = []): TransformContext {
  return { split, warn: (message) => warnings.push(message) };
}

/** Each split's hook: `apply` for train, `applyEval` (or pass-through when absent) for eval. */
function hooks(transform: DataTransform): Array<{ split: 'train' | 'eval'; run: DataTransform['apply'] }> {
  const list: Array<{ split: 'train' | 'eval'; run: DataTransform['apply'] }> = [{ split: 'train', run: (source, ctx) => transform.apply(source, ctx) }];
  if (transform.applyEval) list.push({ split: 'eval', run: (source, ctx) => transform.applyEval!(source, ctx) });
  return list;
}

async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

function conversationProblem(value: unknown, field: string): string | undefined {
  if (typeof value === 'string') return undefined;
  if (Array.isArray(value) && value.every((message) => message && typeof message.role === 'string' && typeof message.content === 'string')) return undefined;
  return `${field} is ${JSON.stringify(value)?.slice(0, 80)}; expected text or a list of {role, content} messages`;
}

function createTransform(plugin: RadpoPlugin<'transform'>, settings: TransformConformanceOptions): DataTransform {
  return createInstance(plugin, settings.options ?? {});
}

/** The checks every transform plugin must pass, in the order they run. */
export const TRANSFORM_CHECKS: readonly ConformanceCheck<'transform', TransformConformanceOptions>[] = [
  {
    id: 'options-schema',
    title: 'have an options schema that compiles and whose defaults validate',
    run: (plugin, settings) => checkOptionsSchema(plugin, settings.options),
  },
  {
    id: 'instance',
    title: 'create a transform named after the plugin',
    async run(plugin, settings) {
      const transform = createTransform(plugin, settings);
      const problems: string[] = [];
      if (transform.name !== plugin.name) problems.push(`the instance is named "${transform.name}"; expected "${plugin.name}", the plugin's name`);
      if (typeof transform.apply !== 'function') problems.push('apply is not a function');
      if (typeof transform.stats !== 'function') problems.push('stats is not a function');
      return problems;
    },
  },
  {
    id: 'records',
    title: 'yield valid preference records and report numeric stats',
    async run(plugin, settings) {
      const transform = createTransform(plugin, settings);
      const problems: string[] = [];
      for (const hook of hooks(transform)) {
        const output = await collect(hook.run(fromArray(settingsRecords(settings)), context(hook.split)));
        output.forEach((record, index) => {
          for (const field of ['prompt', 'chosen', 'rejected'] as const) {
            const problem = conversationProblem((record as unknown as Record<string, Conversation>)?.[field], field);
            if (problem) problems.push(`${hook.split} output record ${index}: ${problem}`);
          }
        });
        const stats = transform.stats(hook.split);
        for (const [name, value] of Object.entries(stats ?? {})) {
          if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`stats("${hook.split}").${name} is ${JSON.stringify(value)}; expected a finite number`);
        }
      }
      return problems;
    },
  },
  {
    id: 'pure',
    title: 'leave its input records unchanged',
    async run(plugin, settings) {
      const transform = createTransform(plugin, settings);
      const problems: string[] = [];
      for (const hook of hooks(transform)) {
        const records = settingsRecords(settings);
        const snapshot = structuredClone(records);
        await collect(hook.run(fromArray(records), context(hook.split)));
        records.forEach((record, index) => {
          if (!isDeepStrictEqual(record, snapshot[index])) problems.push(`${hook.split}: input record ${index} was modified; return new objects instead ({...record, prompt: ...})`);
        });
      }
      return problems;
    },
  },
  {
    id: 'streaming',
    title: 'yield its first record before pulling its whole input',
    async run(plugin, settings) {
      if (settings.buffersInput) return { skipped: settings.buffersInput };
      const transform = createTransform(plugin, settings);
      const base = settingsRecords(settings);
      const problems: string[] = [];
      for (const hook of hooks(transform)) {
        let pulls = 0;
        const source = (async function* () {
          for (let i = 0; i < STREAM_LENGTH; i++) {
            pulls++;
            yield { ...structuredClone(base[i % base.length]), id: `stream-${i}` };
          }
        })();
        const iterator = hook.run(source, context(hook.split))[Symbol.asyncIterator]();
        const first = await iterator.next();
        await iterator.return?.();
        if (first.done) problems.push(`${hook.split}: yielded nothing for ${STREAM_LENGTH} records`);
        else if (pulls >= STREAM_LENGTH) {
          problems.push(
            `${hook.split}: pulled all ${STREAM_LENGTH} input records before yielding the first; pull lazily with for await, or set buffersInput with the reason`,
          );
        }
      }
      return problems;
    },
  },
  {
    id: 'deterministic',
    title: 'give identical outputs for identical inputs',
    async run(plugin, settings) {
      const problems: string[] = [];
      const first = createTransform(plugin, settings);
      const second = createTransform(plugin, settings);
      const hooksFirst = hooks(first);
      const hooksSecond = hooks(second);
      for (let i = 0; i < hooksFirst.length; i++) {
        const a = await collect(hooksFirst[i].run(fromArray(settingsRecords(settings)), context(hooksFirst[i].split)));
        const b = await collect(hooksSecond[i].run(fromArray(settingsRecords(settings)), context(hooksSecond[i].split)));
        if (!isDeepStrictEqual(a, b)) problems.push(`${hooksFirst[i].split}: two instances created with the same options yield different records`);
      }
      return problems;
    },
  },
];

/** Runs every transform check and returns one finding per check; never throws for a failing plugin. */
export function checkTransformPlugin(plugin: RadpoPlugin<'transform'>, settings: TransformConformanceOptions = {}): Promise<ConformanceFinding[]> {
  return runChecks(TRANSFORM_CHECKS, plugin, settings);
}
