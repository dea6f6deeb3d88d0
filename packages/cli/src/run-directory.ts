import * as fs from 'node:fs';
import * as path from 'node:path';
import { RadpoError, type RunEvent } from '@radpo/core';

/** Files radpo writes into a run directory; their presence marks the directory as holding a run. */
const RUN_FILES = ['metrics.jsonl', 'config.json', 'summary.json', 'checkpoint', 'checkpoint-reference', 'latest', 'model'];

/** Checkpoint directories (checkpoint-12, checkpoint-warmup-5) and what an interrupted write leaves (checkpoint-12.tmp-4242). */
const CHECKPOINT_ENTRY = /^checkpoint-(warmup-)?\d+(\.(tmp|old)-\d+)?$/;

/**
 * A run's output directory. It refuses to reuse a directory that already holds a run unless
 * `overwrite` is set, and then removes only radpo's own files, never anything else the user put there.
 * With `resume` it reopens a run: nothing is removed and events are appended to metrics.jsonl.
 */
export class RunDirectory {
  readonly metricsPath: string;

  constructor(readonly dir: string, overwrite: boolean, resume = false) {
    this.metricsPath = path.join(dir, 'metrics.jsonl');
    if (resume) {
      if (!fs.existsSync(path.join(dir, 'config.json'))) {
        throw new RadpoError('io', `${dir} contains no run to resume: config.json is missing. Pass the --out directory of the interrupted run.`);
      }
      return;
    }

    const existing = listRunFiles(dir);
    if (existing.length > 0 && !overwrite) {
      throw new RadpoError(
        'io',
        `${dir} already holds a run (${existing.join(', ')}). Choose another --out, or pass --overwrite to replace that run.`,
      );
    }
    fs.mkdirSync(dir, { recursive: true });
    for (const name of existing) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    fs.writeFileSync(this.metricsPath, '');
  }

  /** Removes the files this run wrote before it started training, and the directory when it is then empty. */
  discard(): void {
    for (const name of ['config.json', 'metrics.jsonl']) fs.rmSync(path.join(this.dir, name), { force: true });
    if (fs.existsSync(this.dir) && fs.readdirSync(this.dir).length === 0) fs.rmdirSync(this.dir);
  }

  writeJson(name: string, value: unknown): void {
    const target = path.join(this.dir, name);
    const temporary = `${target}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(value, null, 2) + '\n');
    fs.renameSync(temporary, target);
  }

  /** Appends one event as a JSON line. Synchronous, so the file is complete even if the process dies next. */
  appendEvent(event: RunEvent): void {
    fs.appendFileSync(this.metricsPath, JSON.stringify(event) + '\n');
  }
}

function listRunFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => RUN_FILES.includes(name) || CHECKPOINT_ENTRY.test(name));
}

/** Default run directory: runs/<algorithms>[-augment]-<UTC timestamp>. */
export function defaultRunDirectory(losses: string[], augmented: boolean, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return path.join('runs', `${losses.join('+')}${augmented ? '-augment' : ''}-${stamp}`);
}
