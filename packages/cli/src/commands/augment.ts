import * as fs from 'node:fs';
import {
  RadpoError,
  type DataTransform,
  type PluginRegistry,
  type PreferenceRecord,
  type TransformContext,
} from '@radpo/core';
import {
  HELPSTEER2_ATTRIBUTES,
  createReadStats,
  openPreferenceWriter,
  readPreferenceRecords,
  scanScoreScale,
  type ReadOptions,
  type ReadStats,
  type ScoreScale,
} from '@radpo/data';
import type { AttributeGoal, RewardAugmentOptions, RewardAugmentStats } from '@radpo/plugin-reward-augment';
import { buildRunConfig, parseFieldMap } from './train';
import { formatTrlDpoConfig } from './trl-config';

/** Flags of `radpo augment`, as commander parses them. */
export interface AugmentFlags {
  in: string;
  out: string;
  overwrite?: boolean;
  format?: string;
  map?: string[];
  onBadRow?: string;
  degeneratePairs?: string;
  pairing?: string;
  seed?: number;
  template?: string;
  placement?: string;
  goals?: string;
  ties?: string;
  fraction?: number;
  unaugmented?: string;
  scale?: string;
  evalGoal?: number;
  scoreDecimals?: number;
  consistencyFilter?: boolean;
  attributes?: string;
  attributeFormat?: string;
  split?: 'train' | 'eval';
  batchSize?: number;
  to?: string;
  config?: string;
  algo?: string;
  beta?: number;
  labelSmoothing?: number;
}

export interface AugmentCommandIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** `--attributes helpsteer2`: HelpSteer2's five attributes, each scored 0 to 4. */
const ATTRIBUTE_PRESETS: Record<string, AttributeGoal[]> = {
  helpsteer2: HELPSTEER2_ATTRIBUTES.map((name) => ({ name, scaleMin: 0, scaleMax: 4 })),
};

const DEFAULT_BATCH_ROWS = 1000;

/**
 * Runs `radpo augment`: streams --in through the reward-augment transform into --out, one batch of
 * rows at a time, and prints what was read, built, written, filtered and skipped. With --to trl it
 * also prints the TRL DPOConfig that matches the radpo run settings.
 */
export async function runAugmentCommand(flags: AugmentFlags, registry: PluginRegistry, io: AugmentCommandIo): Promise<void> {
  const started = Date.now();
  const split = flags.split ?? 'train';
  const batchRows = flags.batchSize ?? DEFAULT_BATCH_ROWS;
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new RadpoError('config', `--batch-size must be a positive integer, got ${batchRows}.`);
  }
  const readOptions: ReadOptions = {
    format: flags.format as ReadOptions['format'],
    fieldMap: flags.map && flags.map.length > 0 ? parseFieldMap(flags.map) : undefined,
    requireScores: split === 'train',
    onBadRow: flags.onBadRow as ReadOptions['onBadRow'],
    onDegeneratePair: flags.degeneratePairs as ReadOptions['onDegeneratePair'],
    pairing: flags.pairing as ReadOptions['pairing'],
    seed: flags.seed,
  };
  if (flags.to !== undefined && flags.to !== 'trl') {
    throw new RadpoError('config', `--to ${JSON.stringify(flags.to)} is not supported; the only target is "trl".`);
  }
  const trlConfig = flags.to === 'trl' ? trlConfigLines(flags, registry) : undefined;
  if (fs.existsSync(flags.out) && !flags.overwrite) {
    throw new RadpoError('io', `"${flags.out}" already exists. Choose another --out file, or pass --overwrite to replace it.`);
  }

  // A detected scale needs the whole file once before the first pair can be conditioned.
  const detected = flags.scale === 'detect' ? await scanScoreScale(flags.in, readOptions) : undefined;
  if (detected) io.stderr(describeDetectedScale(flags.in, detected));
  const transformOptions = buildTransformOptions(flags, detected);
  const transform = registry.create('transform', 'reward-augment', transformOptions as Record<string, unknown>);

  const readStats = createReadStats();
  const records = readPreferenceRecords(flags.in, { ...readOptions, stats: readStats });
  const context: TransformContext = { split, warn: (message) => io.stderr(`warning: ${message}`) };
  const augmented = split === 'train' ? transform.apply(records, context) : transform.applyEval!(records, context);

  const writer = openPreferenceWriter(flags.out, { overwrite: flags.overwrite });
  try {
    let batch: PreferenceRecord[] = [];
    for await (const record of augmented) {
      batch.push(record);
      if (batch.length >= batchRows) {
        await writer.write(batch);
        batch = [];
      }
    }
    await writer.write(batch);
    await writer.close();
  } catch (error) {
    // A half-written output would look like a finished one, so it is removed.
    await writer.close().catch(() => undefined);
    fs.rmSync(flags.out, { force: true });
    throw error;
  }

  const seconds = (Date.now() - started) / 1000;
  for (const line of formatAugmentReport(flags, split, readStats, transform, seconds)) io.stdout(line);
  if (trlConfig) {
    io.stdout('');
    for (const line of trlConfig) io.stdout(line);
  }
}

/** Resolves the radpo run settings named by --config, --algo, --beta and --label-smoothing, and maps them to TRL. */
function trlConfigLines(flags: AugmentFlags, registry: PluginRegistry): string[] {
  const algo = flags.algo === undefined ? undefined : [flags.algo];
  const config = buildRunConfig({ config: flags.config, algo, beta: flags.beta, seed: flags.seed }, registry);
  const [term] = config.losses;
  const options = { ...term.options };
  if (flags.labelSmoothing !== undefined) options.labelSmoothing = flags.labelSmoothing;
  const resolved = registry.resolveOptions('loss', term.name, options) as Record<string, unknown>;
  return formatTrlDpoConfig(config, resolved, flags.out);
}

/** Maps the flags (and a detected scale) to reward-augment options; absent flags keep the plugin defaults. */
export function buildTransformOptions(flags: AugmentFlags, detected?: ScoreScale): RewardAugmentOptions {
  const options: RewardAugmentOptions = {};
  const set = <K extends keyof RewardAugmentOptions>(key: K, value: RewardAugmentOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('template', flags.template);
  set('placement', flags.placement as RewardAugmentOptions['placement']);
  set('goals', flags.goals as RewardAugmentOptions['goals']);
  set('ties', flags.ties as RewardAugmentOptions['ties']);
  set('fraction', flags.fraction);
  set('unaugmented', flags.unaugmented as RewardAugmentOptions['unaugmented']);
  set('seed', flags.seed);
  set('evalGoal', flags.evalGoal);
  set('scoreDecimals', flags.scoreDecimals);
  set('consistencyFilter', flags.consistencyFilter);
  set('attributeFormat', flags.attributeFormat);

  if (detected) {
    options.scaleMin = detected.min;
    options.scaleMax = detected.max;
  } else if (flags.scale !== undefined) {
    const [scaleMin, scaleMax] = parseRange(flags.scale, '--scale');
    options.scaleMin = scaleMin;
    options.scaleMax = scaleMax;
  }
  if (flags.attributes !== undefined) options.attributes = parseAttributes(flags.attributes, detected);
  return options;
}

/** Parses "min:max", such as "1:10" or "0:4". */
function parseRange(text: string, flag: string): [number, number] {
  const match = /^(-?\d+(?:\.\d+)?):(-?\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!match) {
    throw new RadpoError('config', `${flag} ${JSON.stringify(text)} is not a range: expected min:max such as 1:10, or "detect".`);
  }
  return [Number(match[1]), Number(match[2])];
}

/**
 * Parses --attributes: a preset name ("helpsteer2"), or a comma-separated list of `name=min:max`.
 * A name without a range takes the range detected by --scale detect.
 */
function parseAttributes(text: string, detected: ScoreScale | undefined): AttributeGoal[] {
  const preset = ATTRIBUTE_PRESETS[text.trim().toLowerCase()];
  if (preset) return preset.map((attribute) => ({ ...attribute }));

  return text.split(',').map((entry) => {
    const [name, range] = entry.trim().split('=');
    if (!name) throw new RadpoError('config', `--attributes has an empty name in ${JSON.stringify(text)}.`);
    if (range !== undefined) {
      const [scaleMin, scaleMax] = parseRange(range, `--attributes ${name}`);
      return { name, scaleMin, scaleMax };
    }
    const seen = detected?.attributes[name];
    if (seen) return { name, scaleMin: seen.min, scaleMax: seen.max };
    const known = detected ? ` The file has: ${Object.keys(detected.attributes).join(', ') || 'no attribute scores'}.` : '';
    throw new RadpoError(
      'config',
      `attribute "${name}" has no scale: write it as ${name}=min:max (for example ${name}=0:4), or add --scale detect.${known}`,
    );
  });
}

function describeDetectedScale(file: string, scale: ScoreScale): string {
  const attributes = Object.entries(scale.attributes).map(([name, range]) => `${name} ${range.min}:${range.max}`);
  const detail = attributes.length > 0 ? `; attributes: ${attributes.join(', ')}` : '';
  return `detected score scale of ${file} over ${scale.pairs} pairs: ${scale.min}:${scale.max}${detail}`;
}

/** Formats the report printed after a run: every count of the reader and the transform. */
export function formatAugmentReport(
  flags: AugmentFlags,
  split: 'train' | 'eval',
  read: ReadStats,
  transform: DataTransform,
  seconds: number,
): string[] {
  const stats = transform.stats(split) as RewardAugmentStats;
  const skipped = Object.values(read.skipped).reduce((sum, count) => sum + count, 0);
  const flagged = Object.values(read.flagged).reduce((sum, count) => sum + count, 0);
  const filtered = stats.tiesDropped + stats.inconsistent + stats.unaugmentedDropped;
  const rate = seconds > 0 ? Math.round(read.rowsRead / seconds) : read.rowsRead;
  const byReason = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ');
  const row = (label: string, value: number, detail = '') => `  ${label.padEnd(18)}${String(value).padStart(9)}${detail ? `  (${detail})` : ''}`;

  const lines = [
    `radpo augment: ${flags.in} -> ${flags.out} (${split === 'train' ? 'training rows' : 'held-out rows, conditioned on the top score'})`,
    row('rows read', read.rowsRead),
    row('pairs built', read.rowsYielded),
    row('rows written', stats.rowsOut, split === 'train' ? `${stats.augmented} pairs augmented, ${stats.unaugmentedKept} kept unaugmented` : ''),
    row('ties', stats.ties, split === 'train' ? `ties ${(transform as { options?: { ties?: string } }).options?.ties ?? 'keep'}` : ''),
    row('filtered', filtered, `ties dropped ${stats.tiesDropped}, inconsistent ${stats.inconsistent}, unaugmented dropped ${stats.unaugmentedDropped}`),
    row('skipped', skipped, byReason(read.skipped)),
  ];
  if (flagged > 0) lines.push(row('degenerate kept', flagged, byReason(read.flagged)));
  lines.push(`  ${(seconds).toFixed(1)} s, ${rate} rows/s`);
  return lines;
}
