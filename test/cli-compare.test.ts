import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, REPO_ROOT, makeTempDir, readEvents, runCli } from './helpers';

/** Writes a comparison that finishes in seconds: 2 algorithms × augment on/off × 2 seeds of a tiny model. */
function writeTinyComparison(dir: string, maxSteps: number): string {
  const file = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(
    file,
    [
      'title: Tiny synthetic comparison',
      'base:',
      '  model: {dModel: 16, nLayers: 1, nHeads: 2, maxLength: 48, maxPromptLength: 36}',
      '  data: {synthetic: {trainPairs: 32, evalPairs: 8}}',
      `  training: {maxSteps: ${maxSteps}, batchSize: 2, warmup: {steps: 1}}`,
      'matrix:',
      '  algorithms: [dpo, slic]',
      '  augment: [false, true]',
      '  seeds: [0, 1]',
      '',
    ].join('\n'),
  );
  return file;
}

function finishedRuns(outDir: string): string[] {
  const runsDir = path.join(outDir, 'runs');
  if (!fs.existsSync(runsDir)) return [];
  const finished: string[] = [];
  for (const group of fs.readdirSync(runsDir)) {
    for (const seed of fs.readdirSync(path.join(runsDir, group))) {
      if (fs.existsSync(path.join(runsDir, group, seed, 'summary.json'))) finished.push(`${group}/${seed}`);
    }
  }
  return finished.sort();
}

/** Polls until `condition` holds, for at most `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function childPids(pid: number): number[] {
  const result = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return result.stdout.split('\n').map((line) => Number(line.trim())).filter((value) => value > 0);
}

describe('radpo compare', function () {
  this.timeout(300_000);
  let work: string;

  before(() => {
    work = makeTempDir('cli-compare');
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('should write the three reports with one row per group', () => {
    const config = writeTinyComparison(work, 3);
    const out = path.join(work, 'complete');

    const result = runCli(['compare', config, '--out', out]);

    assert.equal(result.status, 0, result.stderr);
    assert.equal(finishedRuns(out).length, 8);
    const csv = fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\n');
    assert.deepEqual(csv.slice(1).map((line) => line.split(',')[0]), ['dpo', 'dpo-augment', 'slic', 'slic-augment']);
    const markdown = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    assert.match(markdown, /\| slic-augment \| slic \| true \| 2\/2 \|/);
    assert.ok(fs.statSync(path.join(out, 'report.html')).size > 100_000, 'report.html lacks the inlined vega builds');
    const augmentation = readEvents(path.join(out, 'runs/dpo-augment/seed-0')).find((event) => event.type === 'transform');
    assert.equal(augmentation?.transform, 'reward-augment');
  });

  it('should re-render the reports with radpo report', () => {
    const out = path.join(work, 'complete');
    fs.rmSync(path.join(out, 'report.md'));

    const result = runCli(['report', out]);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /4 groups \(8 of 8 runs finished\)/);
    assert.ok(fs.existsSync(path.join(out, 'report.md')));
  });

  it('should finish only missing runs after a kill', async () => {
    const config = writeTinyComparison(work, 25);
    const out = path.join(work, 'killed');
    const child = spawn(process.execPath, [CLI, 'compare', config, '--out', out], { cwd: REPO_ROOT, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));

    // Kill the whole comparison once the first run finished and the second one trained a step.
    await waitFor(() => finishedRuns(out).length >= 1 && fs.existsSync(path.join(out, 'runs/dpo/seed-1/metrics.jsonl')) &&
      fs.readFileSync(path.join(out, 'runs/dpo/seed-1/metrics.jsonl'), 'utf8').includes('"phase":"train"'), 120_000);
    child.kill('SIGKILL');
    await exited;
    const before = finishedRuns(out);
    assert.ok(before.length >= 1, 'no run finished before the kill');
    assert.ok(before.length < 8, `every run finished before the kill: ${before.join(', ')}`);
    const firstSummary = fs.statSync(path.join(out, 'runs', before[0], 'summary.json')).mtimeMs;

    const result = runCli(['compare', config, '--out', out]);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`${before.length} already finished, ${8 - before.length} to run`));
    assert.match(result.stderr, /restarting dpo\/seed-1: unfinished/);
    assert.equal(finishedRuns(out).length, 8);
    assert.equal(fs.statSync(path.join(out, 'runs', before[0], 'summary.json')).mtimeMs, firstSummary);
  });

  it('should resume after a worker process is killed', async () => {
    const config = writeTinyComparison(work, 25);
    const out = path.join(work, 'parallel');
    const child = spawn(process.execPath, [CLI, 'compare', config, '--out', out, '--parallel', '2'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    await waitFor(() => childPids(child.pid!).length === 2, 60_000);
    const [victim] = childPids(child.pid!);
    process.kill(victim, 'SIGKILL');
    const status = await exited;

    assert.equal(status, 1, stderr);
    assert.match(stderr, /exited \(signal SIGKILL\) before the run ended/);
    assert.equal(finishedRuns(out).length, 7);

    const result = runCli(['compare', config, '--out', out, '--parallel', '2']);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /7 already finished, 1 to run/);
    assert.equal(finishedRuns(out).length, 8);
  });

  it('should reject a misspelled matrix key', () => {
    const config = path.join(work, 'typo.json');
    fs.writeFileSync(config, JSON.stringify({ matrix: { algorithm: ['dpo'] } }));

    const result = runCli(['compare', config, '--out', path.join(work, 'typo')]);

    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown key "algorithm" in matrix\. Did you mean "algorithms"\?/);
  });
});

describe('radpo bench ra --quick', function () {
  this.timeout(300_000);
  let out: string;

  before(() => {
    out = makeTempDir('bench-quick');
  });
  after(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('should write the ground-truth table', () => {
    const result = runCli(['bench', 'ra', '--quick', '--out', out]);

    assert.equal(result.status, 0, result.stderr);
    const rows = fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\n');
    const header = rows[0].split(',');
    assert.deepEqual(rows.slice(1).map((line) => line.split(',')[0]), ['dpo', 'dpo-augment', 'dpo-doubled']);
    for (const row of rows.slice(1)) {
      const cells = row.split(',');
      const score = Number(cells[header.indexOf('bench/score_mean')]);
      const winRate = Number(cells[header.indexOf('bench/winRate_mean')]);
      assert.ok(score >= 1, `score ${score}`);
      assert.ok(score <= 10, `score ${score}`);
      assert.ok(winRate >= 0, `win rate ${winRate}`);
      assert.ok(winRate <= 1, `win rate ${winRate}`);
    }
    assert.match(result.stdout, /\| dpo-augment \| dpo \| augment \| 1\/1 \|/);
  });

  it('should condition augmented generations on the top score', () => {
    const line = fs.readFileSync(path.join(out, 'runs/dpo-augment/seed-0/generations.jsonl'), 'utf8').split('\n')[0];

    assert.match(JSON.parse(line).prompt, /^Score 10\/10\.\n\nSort the letters:/);
  });

  it('should reuse the prepared data on a second run', () => {
    const result = runCli(['bench', 'ra', '--quick', '--out', out]);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /reusing the reference and pairs/);
    assert.match(result.stderr, /3 already finished, 0 to run/);
  });
});
