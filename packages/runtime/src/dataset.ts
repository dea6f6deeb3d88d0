import {
  createEvent,
  RadpoError,
  type DataTransform,
  type PreferenceRecord,
  type RunEvent,
  type TransformContext,
} from '@radpo/core';
import { createReadStats, createRng, generateSyntheticPreferences, readAllPreferenceRecords } from '@radpo/data';
import type { RunConfig } from './config';

/** Training and held-out records after reading and transforms, in memory. */
export interface PreparedRecords {
  train: PreferenceRecord[];
  eval: PreferenceRecord[];
}

/**
 * Reads (or generates) the records, holds out an eval split when no eval file is given, and runs the
 * transforms over both splits. Emits a `read` event per file and a `transform` event per transform
 * and split.
 */
export async function prepareRecords(
  config: RunConfig,
  transforms: DataTransform[],
  emit: (event: RunEvent) => void,
): Promise<PreparedRecords> {
  let train: PreferenceRecord[];
  let held: PreferenceRecord[];
  const { data } = config;

  if (data.train === undefined) {
    const all = generateSyntheticPreferences({ seed: config.seed, pairs: data.synthetic.trainPairs + data.synthetic.evalPairs });
    train = all.slice(0, data.synthetic.trainPairs);
    held = all.slice(data.synthetic.trainPairs);
  } else {
    const rows = await readFile('train', data.train, config, emit);
    if (data.eval !== undefined) {
      train = rows;
      held = await readFile('eval', data.eval, config, emit);
    } else {
      // The held-out split is drawn before any transform, so augmented copies of one pair never straddle it.
      const shuffled = createRng(config.seed ^ 0x5eed).shuffle([...rows]);
      const heldCount = Math.max(1, Math.round(rows.length * data.evalFraction));
      held = shuffled.slice(0, heldCount);
      train = shuffled.slice(heldCount);
      if (train.length === 0) {
        throw new RadpoError(
          'data',
          `no training pairs: ${data.train} has ${rows.length} usable row(s), and holding out data.evalFraction of them left none to train on. ` +
            'Add rows or give a separate eval file (--eval-data).',
        );
      }
    }
  }

  held = held.slice(0, data.maxEvalPairs);
  for (const transform of transforms) {
    train = await collect(transform.apply(iterate(train), transformContext(transform, 'train', emit)));
    emit(createEvent('transform', { transform: transform.name, split: 'train', stats: transform.stats('train') }));
    if (transform.applyEval) {
      held = await collect(transform.applyEval(iterate(held), transformContext(transform, 'eval', emit)));
      emit(createEvent('transform', { transform: transform.name, split: 'eval', stats: transform.stats('eval') }));
    }
  }
  return { train, eval: held };
}

async function readFile(split: 'train' | 'eval', file: string, config: RunConfig, emit: (event: RunEvent) => void): Promise<PreferenceRecord[]> {
  const stats = createReadStats();
  const { format, fieldMap, onBadRow, onDegeneratePair } = config.data;
  const records = await readAllPreferenceRecords(file, { format, fieldMap, onBadRow, onDegeneratePair, stats });
  const { rowsRead, rowsYielded, skipped, flagged, duplicateIds, firstDuplicateId } = stats;
  emit(createEvent('read', { split, file, rowsRead, rowsYielded, skipped, flagged, duplicateIds }));
  if (split === 'train' && records.length === 0) {
    if (rowsRead === 0) throw new RadpoError('data', `no training pairs: ${file} contains no rows.`);
    const reasons = Object.entries(skipped).map(([reason, count]) => `${reason} ${count}`);
    throw new RadpoError(
      'data',
      `no training pairs: all ${rowsRead} rows of ${file} were skipped (${reasons.join(', ')}). ` +
        'Run with --on-bad-row fail to see the first bad row with its line and field.',
    );
  }
  if (firstDuplicateId) {
    const { id, line, firstLine } = firstDuplicateId;
    emit(
      createEvent('warning', {
        message:
          `${duplicateIds} rows of ${file} repeat the id of an earlier row (first: id "${id}" on row ${line}, first seen on row ${firstLine}); ` +
          'they are kept and trained on as separate pairs. Check for a file appended twice or a wrong id mapping.',
        source: 'data',
      }),
    );
  }
  return records;
}

function transformContext(transform: DataTransform, split: 'train' | 'eval', emit: (event: RunEvent) => void): TransformContext {
  return {
    split,
    warn: (message) => emit(createEvent('warning', { message, source: `transform ${transform.name}` })),
  };
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}
