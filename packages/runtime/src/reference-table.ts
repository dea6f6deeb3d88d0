import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TokenizedPair } from '@radpo/data';
import { buildPairBatch, disposeBatch, responseLogProbs, splitPairs } from './batch';
import type { CausalLanguageModel, Weights } from './model/causal-lm';
import type { ReferenceLogProbs } from './preference-step';

const CACHE_FORMAT = 'radpo-reference-logps';
const CACHE_FORMAT_VERSION = 1;

/**
 * Summed response log-probs of the frozen reference model for a fixed list of pairs, computed once
 * before training so that no step runs the reference forward again.
 */
export class ReferenceTable {
  private readonly rowOf = new Map<TokenizedPair, number>();

  constructor(
    pairs: readonly TokenizedPair[],
    private readonly chosen: Float32Array,
    private readonly rejected: Float32Array,
    /** Origin of the values: computed in this run, or read from the cache file. */
    readonly source: 'computed' | 'cache',
    /** The cache file read or written, if any. */
    readonly cachePath?: string,
  ) {
    pairs.forEach((pair, row) => this.rowOf.set(pair, row));
  }

  get size(): number {
    return this.chosen.length;
  }

  /** Returns the reference log-probs of `pairs` as tensors, in order; the caller disposes them. */
  lookup(pairs: readonly TokenizedPair[]): ReferenceLogProbs {
    const rows = pairs.map((pair) => {
      const row = this.rowOf.get(pair);
      if (row === undefined) throw new Error(`pair ${pair.id} has no precomputed reference log-probs; it was not in the list given to the reference table.`);
      return row;
    });
    return {
      chosen: tf.tensor1d(rows.map((row) => this.chosen[row])),
      rejected: tf.tensor1d(rows.map((row) => this.rejected[row])),
    };
  }
}

export interface ReferenceTableOptions {
  model: CausalLanguageModel;
  reference: Weights;
  pairs: readonly TokenizedPair[];
  /** Pairs per forward pass. Peak memory grows with it and with the longest sequence, not with the pair count. */
  batchSize: number;
  /** Folder of cache files; undefined disables the disk cache. */
  cacheDir?: string;
  /** Settings that shaped the token ids (max lengths, tokenizer), part of the cache key. */
  tokenization: Record<string, unknown>;
}

/**
 * Returns the reference table for `pairs`: read from `cacheDir` when a file with the same key exists,
 * otherwise computed in batches without gradients (chosen and rejected of a batch in one forward pass)
 * and written there. The key is a SHA-256 of the model config, the tokenization settings, the
 * reference weights and every pair's token ids, so any change to them misses the cache.
 */
export function loadOrComputeReferenceTable(options: ReferenceTableOptions): ReferenceTable {
  const { pairs, cacheDir } = options;
  const key = cacheDir ? referenceCacheKey(options) : undefined;
  const cachePath = cacheDir && key ? path.join(cacheDir, `reference-logps-${key.slice(0, 32)}.json`) : undefined;

  if (cachePath && key) {
    const cached = readCache(cachePath, key, pairs.length);
    if (cached) return new ReferenceTable(pairs, cached.chosen, cached.rejected, 'cache', cachePath);
  }

  const chosen = new Float32Array(pairs.length);
  const rejected = new Float32Array(pairs.length);
  for (let start = 0; start < pairs.length; start += options.batchSize) {
    const slice = pairs.slice(start, start + options.batchSize);
    const batch = buildPairBatch([...slice], options.model.tokenizer.padId);
    try {
      const [chosenValues, rejectedValues] = tf.tidy(() => {
        const { summed } = responseLogProbs(options.model, options.reference, batch);
        return splitPairs(summed, batch.pairs);
      });
      chosen.set(chosenValues.dataSync(), start);
      rejected.set(rejectedValues.dataSync(), start);
      tf.dispose([chosenValues, rejectedValues]);
    } finally {
      disposeBatch(batch);
    }
  }

  if (cachePath && key) writeCache(cachePath, key, chosen, rejected);
  return new ReferenceTable(pairs, chosen, rejected, 'computed', cachePath);
}

/**
 * Returns the cache folder of a run: `configured` when set ("none" disables the cache), otherwise
 * .radpo-cache next to the run directory, otherwise none.
 */
export function resolveReferenceCacheDir(configured: string | undefined, outDir: string | undefined): string | undefined {
  if (configured === 'none') return undefined;
  if (configured) return path.resolve(configured);
  return outDir ? path.join(path.dirname(path.resolve(outDir)), '.radpo-cache') : undefined;
}

/** SHA-256 (hex) over everything that determines the reference log-probs. */
export function referenceCacheKey(options: Pick<ReferenceTableOptions, 'model' | 'reference' | 'pairs' | 'tokenization'>): string {
  const hash = createHash('sha256');
  hash.update(`${CACHE_FORMAT}/${CACHE_FORMAT_VERSION}\n`);
  hash.update(JSON.stringify(options.model.config));
  hash.update(JSON.stringify(options.tokenization));
  for (const name of Object.keys(options.reference).sort()) {
    const tensor = options.reference[name];
    hash.update(`${name}:${tensor.shape.join('x')}\n`);
    const values = tensor.dataSync() as Float32Array;
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  for (const pair of options.pairs) {
    hash.update(Int32Array.from([pair.promptIds.length, pair.chosenIds.length, pair.rejectedIds.length]));
    hash.update(Int32Array.from(pair.promptIds));
    hash.update(Int32Array.from(pair.chosenIds));
    hash.update(Int32Array.from(pair.rejectedIds));
  }
  return hash.digest('hex');
}

interface CacheFile {
  format: string;
  formatVersion: number;
  key: string;
  chosen: number[];
  rejected: number[];
}

/** Returns the cached values, or undefined when the file is absent, unreadable or for another key. */
function readCache(file: string, key: string, pairs: number): { chosen: Float32Array; rejected: Float32Array } | undefined {
  let parsed: CacheFile;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
  } catch {
    return undefined;
  }
  const valid =
    parsed.format === CACHE_FORMAT &&
    parsed.formatVersion === CACHE_FORMAT_VERSION &&
    parsed.key === key &&
    Array.isArray(parsed.chosen) &&
    Array.isArray(parsed.rejected) &&
    parsed.chosen.length === pairs &&
    parsed.rejected.length === pairs;
  return valid ? { chosen: Float32Array.from(parsed.chosen), rejected: Float32Array.from(parsed.rejected) } : undefined;
}

/** Writes the cache through a temporary file and a rename, so a reader never sees half a file. */
function writeCache(file: string, key: string, chosen: Float32Array, rejected: Float32Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const content: CacheFile = { format: CACHE_FORMAT, formatVersion: CACHE_FORMAT_VERSION, key, chosen: Array.from(chosen), rejected: Array.from(rejected) };
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(content));
  fs.renameSync(temporary, file);
}
