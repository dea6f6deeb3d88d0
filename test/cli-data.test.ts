import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, readEvents, runCli } from './helpers';

const TINY_CONFIG = {
  backend: 'wasm',
  model: { dModel: 16, nLayers: 1, nHeads: 2, maxLength: 48, maxPromptLength: 24 },
  training: { maxSteps: 2, batchSize: 2, warmup: { steps: 1 } },
};

function row(index: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id: `r${index}`, prompt: `Question ${index}?`, chosen: `Good answer ${index}.`, rejected: `Bad ${index}.`, ...extra });
}

describe('radpo train data reporting', () => {
  let work: string;
  let config: string;

  before(() => {
    work = makeTempDir('cli-data');
    config = path.join(work, 'tiny.json');
    fs.writeFileSync(config, JSON.stringify(TINY_CONFIG));
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('should reject an empty file with no training pairs', () => {
    const file = path.join(work, 'empty.jsonl');
    fs.writeFileSync(file, '');

    const result = runCli(['train', '--config', config, '--data', file, '--out', path.join(work, 'empty-run')]);

    assert.equal(result.status, 2, result.stderr);
    assert.ok(result.stderr.includes(`radpo: error: no training pairs: ${file} contains no rows.`), result.stderr);
  });

  it('should reject a file whose rows were all skipped', () => {
    const file = path.join(work, 'all-bad.jsonl');
    fs.writeFileSync(file, '{broken\n{"prompt": "p"}\n');

    const result = runCli(['train', '--config', config, '--data', file, '--on-bad-row', 'skip', '--out', path.join(work, 'all-bad-run')]);

    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /no training pairs: all 2 rows of .*all-bad\.jsonl were skipped \(invalid-json 1, missing-field 1\)/);
  });

  it('should count skips by reason in metrics and the summary', () => {
    const file = path.join(work, 'some-bad.jsonl');
    const rows = Array.from({ length: 20 }, (_, i) => row(i));
    rows.splice(3, 0, '{broken');
    rows.splice(7, 0, JSON.stringify({ prompt: 'p', chosen: 'a' }));
    rows.splice(9, 0, row(2));
    fs.writeFileSync(file, rows.join('\n') + '\n');
    const out = path.join(work, 'some-bad-run');

    const result = runCli(['train', '--config', config, '--data', file, '--on-bad-row', 'skip', '--out', out]);

    assert.equal(result.status, 0, result.stderr);
    const events = readEvents(out);
    const read = events.find((event) => event.type === 'read');
    assert.deepEqual(read?.skipped, { 'invalid-json': 1, 'missing-field': 1 });
    assert.equal(read?.rowsRead, 23);
    assert.equal(read?.rowsYielded, 21);
    assert.equal(read?.duplicateIds, 1);
    const warning = events.find((event) => event.type === 'warning' && event.source === 'data');
    assert.match(warning?.message, /1 rows of .* repeat the id of an earlier row \(first: id "r2" on row 10, first seen on row 3\)/);
    assert.match(result.stdout, /^Data:$/m);
    assert.match(result.stdout, /21 of 23 rows; skipped invalid-json 1, missing-field 1; repeated ids 1/);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.deepEqual(summary.data[0].skipped, { 'invalid-json': 1, 'missing-field': 1 });
  });

  it('should train on a 50,000-character response cut to the max length', () => {
    const file = path.join(work, 'long.jsonl');
    const rows = Array.from({ length: 12 }, (_, i) => row(i));
    rows.push(row(99, { chosen: 'y'.repeat(50_000) }));
    fs.writeFileSync(file, rows.join('\n') + '\n');
    const out = path.join(work, 'long-run');

    const result = runCli(['train', '--config', config, '--data', file, '--eval-data', file, '--out', out]);

    assert.equal(result.status, 0, result.stderr);
    const steps = readEvents(out).filter((event) => event.type === 'step' && event.phase === 'train');
    assert.equal(steps.length, 2);
    // Each step feeds 2 pairs as 4 sequences of at most maxLength tokens.
    for (const step of steps) assert.ok(step.tokens <= 4 * TINY_CONFIG.model.maxLength, `tokens ${step.tokens}`);
  });
});
