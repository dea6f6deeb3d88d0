import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, REPO_ROOT, makeTempDir, readEvents, runCli } from './helpers';

/** A tiny run on the synthetic task: about 30 ms per step on two CPU cores, so a kill lands mid-run. */
const TINY_CONFIG = {
  seed: 5,
  backend: 'wasm',
  data: { synthetic: { trainPairs: 32, evalPairs: 8 } },
  model: { dModel: 16, nLayers: 1, nHeads: 2, maxLength: 40, maxPromptLength: 24 },
  training: { maxSteps: 40, batchSize: 2, warmup: { steps: 12 }, checkpointEvery: 1, keepCheckpoints: 2 },
};

/** Largest difference allowed between a resumed and an uninterrupted loss; the math is deterministic, so they should be equal. */
const LOSS_TOLERANCE = 1e-5;

interface Interrupted {
  signal: NodeJS.Signals | null;
  code: number | null;
  stdout: string;
}

/**
 * Starts `radpo train` as a child process, waits until metrics.jsonl contains a step event that
 * `ready` accepts, sends `signal`, and resolves when the child has exited.
 */
function interruptRun(args: string[], outDir: string, ready: (event: Record<string, any>) => boolean, signal: NodeJS.Signals): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.resume();
    let sent = false;
    const poll = setInterval(() => {
      if (sent || !fs.existsSync(path.join(outDir, 'metrics.jsonl'))) return;
      if (readEventsSafely(outDir).some((event) => event.type === 'step' && ready(event))) {
        sent = true;
        child.kill(signal);
      }
    }, 5);
    child.on('error', reject);
    child.on('exit', (code, exitSignal) => {
      clearInterval(poll);
      resolve({ signal: exitSignal, code, stdout });
    });
  });
}

/** Reads metrics.jsonl, ignoring a last line that the writer has not finished. */
function readEventsSafely(outDir: string): Array<Record<string, any>> {
  const lines = fs.readFileSync(path.join(outDir, 'metrics.jsonl'), 'utf8').split('\n');
  const events: Array<Record<string, any>> = [];
  for (const line of lines) {
    try {
      if (line.trim() !== '') events.push(JSON.parse(line));
    } catch {
      // The line being written when we read.
    }
  }
  return events;
}

/**
 * Returns each step's loss keyed `phase:step`. A step that ran before the kill and again after the
 * resume appears twice in metrics.jsonl. The later value is kept, because it belongs to the finished run.
 */
function lossesByStep(events: Array<Record<string, any>>): Map<string, number> {
  const losses = new Map<string, number>();
  for (const event of events) if (event.type === 'step') losses.set(`${event.phase}:${event.step}`, event.loss);
  return losses;
}

describe('radpo train faults', function () {
  let work: string;
  let config: string;
  let reference: Map<string, number>;
  let referenceSummary: Record<string, number>;

  before(function () {
    work = makeTempDir('cli-faults');
    config = path.join(work, 'tiny.json');
    fs.writeFileSync(config, JSON.stringify(TINY_CONFIG));
    const out = path.join(work, 'uninterrupted');
    const result = runCli(['train', '--config', config, '--out', out]);
    assert.equal(result.status, 0, result.stderr);
    const events = readEvents(out);
    reference = lossesByStep(events);
    referenceSummary = events.find((event) => event.type === 'runEnd')!.summary;
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const killPoints: Array<{ name: string; ready: (event: Record<string, any>) => boolean; checkpoint: RegExp }> = [
    { name: 'in the warm-up', ready: (event) => event.phase === 'warmup' && event.step >= 4, checkpoint: /^checkpoint-warmup-\d+$/ },
    { name: 'in preference training', ready: (event) => event.phase === 'train' && event.step >= 10, checkpoint: /^checkpoint-\d+$/ },
  ];
  for (const killPoint of killPoints) {
    it(`should resume after SIGKILL ${killPoint.name} with the uninterrupted losses`, async () => {
      const out = path.join(work, `killed-${killPoint.name.replace(/\W+/g, '-')}`);
      const killed = await interruptRun(['train', '--config', config, '--out', out], out, killPoint.ready, 'SIGKILL');
      assert.equal(killed.signal, 'SIGKILL', `the run ended on its own (code ${killed.code}) before the kill`);
      const before = readEvents(out);
      assert.ok(!before.some((event) => event.type === 'runEnd'), 'the killed run reached runEnd');
      assert.match(fs.readFileSync(path.join(out, 'latest'), 'utf8').trim(), killPoint.checkpoint);
      assert.ok(fs.existsSync(path.join(out, 'run.lock')), 'the killed run left no lock to take over');

      const resumed = runCli(['train', '--resume', out]);

      assert.equal(resumed.status, 0, resumed.stderr);
      assert.ok(!fs.existsSync(path.join(out, 'run.lock')), 'the resumed run did not release its lock');
      const events = readEvents(out);
      assert.deepEqual(events.slice(0, before.length), before, 'metrics.jsonl of the killed run was not kept');
      const starts = events.filter((event) => event.type === 'runStart');
      assert.equal(starts.length, 2);
      assert.ok(starts[1].resumedFrom, 'the second runStart does not say where it resumed');
      const losses = lossesByStep(events);
      assert.deepEqual([...losses.keys()], [...reference.keys()]);
      for (const [step, loss] of reference) {
        assert.ok(Math.abs(losses.get(step)! - loss) <= LOSS_TOLERANCE, `${step}: resumed ${losses.get(step)}, uninterrupted ${loss}`);
      }
      const summary = events.find((event) => event.type === 'runEnd')!.summary;
      for (const [name, value] of Object.entries(referenceSummary)) {
        assert.ok(Math.abs(summary[name] - value) <= LOSS_TOLERANCE, `held-out ${name}: resumed ${summary[name]}, uninterrupted ${value}`);
      }
    });
  }

  it('should keep the last two checkpoints and point latest at the newest', () => {
    const out = path.join(work, 'uninterrupted');

    // checkpoint-reference (the frozen reference, kept for relabel) is not one of the rotated checkpoints.
    const checkpoints = fs.readdirSync(out).filter((name) => /^checkpoint-\d+$/.test(name)).sort();

    const last = TINY_CONFIG.training.maxSteps;
    assert.deepEqual(checkpoints, [`checkpoint-${last - 1}`, `checkpoint-${last}`]);
    assert.equal(fs.readFileSync(path.join(out, 'latest'), 'utf8'), `checkpoint-${last}\n`);
  });

  it('should stop on SIGINT after the step with a checkpoint', async () => {
    const out = path.join(work, 'interrupted');
    const stopped = await interruptRun(
      ['train', '--config', config, '--out', out],
      out,
      (event) => event.phase === 'train' && event.step >= 3,
      'SIGINT',
    );

    assert.equal(stopped.signal, null);
    assert.equal(stopped.code, 130);
    const events = readEvents(out);
    const end = events.find((event) => event.type === 'runEnd');
    assert.ok(end, 'no runEnd event');
    assert.equal(end.status, 'stopped');
    assert.ok(end.steps >= 3, `stopped after ${end.steps} steps`);
    assert.ok(end.steps < TINY_CONFIG.training.maxSteps, `stopped after ${end.steps} steps`);
    const lastStep = events.filter((event) => event.type === 'step').at(-1)!;
    assert.equal(lastStep.step, end.steps);
    assert.equal(end.checkpoint, path.join(out, `checkpoint-${end.steps}`));
    assert.equal(fs.readFileSync(path.join(out, 'latest'), 'utf8').trim(), `checkpoint-${end.steps}`);
    const saved = JSON.parse(fs.readFileSync(path.join(end.checkpoint, 'checkpoint.json'), 'utf8'));
    assert.equal(saved.step, end.steps);
    assert.equal(saved.training.phase, 'train');
    assert.match(stopped.stdout, /radpo train --resume/);
    assert.ok(fs.existsSync(path.join(out, 'summary.json')), 'no summary.json');
  });

  it('should replace old checkpoints on --overwrite and keep other files', () => {
    const out = path.join(work, 'overwritten');
    fs.mkdirSync(path.join(out, 'checkpoint-7'), { recursive: true });
    fs.writeFileSync(path.join(out, 'latest'), 'checkpoint-7\n');
    fs.writeFileSync(path.join(out, 'metrics.jsonl'), '');
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');

    const result = runCli(['train', '--config', config, '--max-steps', '1', '--warmup-steps', '0', '--overwrite', '--out', out]);

    assert.equal(result.status, 0, result.stderr);
    assert.ok(!fs.existsSync(path.join(out, 'checkpoint-7')), 'the old checkpoint is still there');
    assert.equal(fs.readFileSync(path.join(out, 'latest'), 'utf8'), 'checkpoint-1\n');
    assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine');
  });

  it('should reject --resume of a run that is still alive', () => {
    const out = path.join(work, 'uninterrupted');
    const lock = path.join(out, 'run.lock');
    // This test process stands in for the live run.
    fs.writeFileSync(lock, `${process.pid}\n`);

    const result = runCli(['train', '--resume', out]);

    fs.rmSync(lock);
    assert.equal(result.status, 1);
    assert.ok(result.stderr.includes(`is in use by another radpo process (pid ${process.pid}`), result.stderr);
  });

  it('should reject --resume with a flag that changes the run', () => {
    const result = runCli(['train', '--resume', path.join(work, 'uninterrupted'), '--max-steps', '5']);

    assert.equal(result.status, 2);
    assert.match(result.stderr, /drop --max-steps/);
  });

  it('should reject --resume of a directory without a run', () => {
    const empty = path.join(work, 'empty');
    fs.mkdirSync(empty);

    const result = runCli(['train', '--resume', empty]);

    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /contains no run to resume: .*config\.json is missing/);
  });
});
