import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, runCli } from './helpers';

function jsonLines(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

describe('radpo bench', function () {
  let work: string;

  before(() => {
    work = makeTempDir('cli-bench');
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('should print one JSON measurement with flat tensor counts', () => {
    const result = runCli(['bench', '--preset', 'bench-tiny', '--steps', '3', '--warmup', '1', '--backend', 'wasm', '--no-torch', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const records = jsonLines(result.stdout);
    assert.equal(records.length, 1);
    const [measurement] = records;
    assert.equal(measurement.kind, 'radpo');
    assert.equal(measurement.preset, 'bench-tiny');
    assert.equal(measurement.backend, 'wasm');
    assert.equal(measurement.tokensPerStep, 2 * 2 * 32);
    assert.ok(measurement.tokensPerSecond > 0, `tokensPerSecond ${measurement.tokensPerSecond}`);
    assert.ok(measurement.peakRssMiB > 0, `peakRssMiB ${measurement.peakRssMiB}`);
    assert.equal(measurement.tensorsAfterLastStep, measurement.tensorsAfterFirstStep);
    assert.ok(Number.isFinite(measurement.meanLoss), `meanLoss ${measurement.meanLoss}`);
  });

  it('should compare with a PyTorch script and print the ratio', () => {
    // A stand-in interpreter: it passes the torch import probe and prints a fixed PyTorch result.
    const python = path.join(work, 'fake-python');
    fs.writeFileSync(python, '#!/bin/sh\necho \'{"tokens_per_second": 1000, "steps": 2, "threads": 1, "torch": "stand-in"}\'\n', { mode: 0o755 });
    const script = path.join(work, 'reference.py');
    fs.writeFileSync(script, '# read by the stand-in interpreter only\n');
    const result = runCli(['bench', '--preset', 'bench-tiny', '--steps', '2', '--warmup', '1', '--backend', 'wasm', '--json', '--python', python, '--torch-script', script]);
    assert.equal(result.status, 0, result.stderr);
    const records = jsonLines(result.stdout);
    assert.deepEqual(records.map((record) => record.kind), ['radpo', 'pytorch', 'ratio']);
    const expected = records[0].tokensPerSecond / 1000;
    assert.ok(Math.abs(records[2].radpoOverPytorch - expected) < 1e-3, `ratio ${records[2].radpoOverPytorch}, expected ${expected}`);
  });

  it('should say how to install tfjs-node when --backend tensorflow is unavailable', function () {
    if (fs.existsSync(path.join(__dirname, '..', 'node_modules', '@tensorflow', 'tfjs-node'))) this.skip();
    const result = runCli(['bench', '--preset', 'bench-tiny', '--steps', '1', '--backend', 'tensorflow', '--no-torch']);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /npm install @tensorflow\/tfjs-node/);
  });

  it('should fail radpo train --backend tensorflow with the install hint before training', function () {
    if (fs.existsSync(path.join(__dirname, '..', 'node_modules', '@tensorflow', 'tfjs-node'))) this.skip();
    const out = path.join(work, 'tensorflow-run');
    const result = runCli(['train', '--backend', 'tensorflow', '--max-steps', '1', '--warmup-steps', '0', '--out', out]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /npm install @tensorflow\/tfjs-node/);
    // The run never started, so it left no metrics behind.
    assert.ok(!fs.existsSync(path.join(out, 'metrics.jsonl')), 'metrics.jsonl of a run that never started');
  });
});
