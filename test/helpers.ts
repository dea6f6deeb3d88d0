import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const CLI = path.join(REPO_ROOT, 'packages/cli/bin/radpo.js');
export const SHARED_DATA = path.resolve(REPO_ROOT, '../shared/data');
export const ULTRAFEEDBACK = path.join(SHARED_DATA, 'ultrafeedback/trl-lib_ultrafeedback_binarized_sample');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `radpo` binary as a user would, in `cwd`. */
export function runCli(args: string[], cwd = REPO_ROOT, timeoutMs = 600_000): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `radpo-${prefix}-`));
}

/** Reads metrics.jsonl into an array of events. */
export function readEvents(runDir: string): Array<Record<string, any>> {
  return fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}
