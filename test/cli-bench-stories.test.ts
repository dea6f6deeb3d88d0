import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, makeTempDir, runCli } from './helpers';

const STORIES = path.resolve(REPO_ROOT, '../shared/data/stories260K');

describe('radpo bench ra --model stories260K --quick', function () {
  this.timeout(300_000);
  let out: string;
  let result: ReturnType<typeof runCli>;

  before(function () {
    if (!fs.existsSync(path.join(STORIES, 'stories260K.bin'))) this.skip();
    out = makeTempDir('bench-stories');
    result = runCli([
      'bench', 'ra', '--quick', '--model', path.join(STORIES, 'stories260K.bin'), '--tokenizer', path.join(STORIES, 'tok512.bin'), '--out', out,
    ]);
  });
  after(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('should write the judged stories table', () => {
    assert.equal(result.status, 0, result.stderr);
    const rows = fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\n');
    const header = rows[0].split(',');
    assert.deepEqual(rows.slice(1).map((line) => line.split(',')[0]), ['dpo', 'dpo-augment']);
    for (const row of rows.slice(1)) {
      const cells = row.split(',');
      const score = Number(cells[header.indexOf('bench/score_mean')]);
      const winRate = Number(cells[header.indexOf('bench/winRate_mean')]);
      assert.ok(score >= 1, `score ${score}`);
      assert.ok(score <= 10, `score ${score}`);
      assert.ok(winRate >= 0, `win rate ${winRate}`);
      assert.ok(winRate <= 1, `win rate ${winRate}`);
    }
    assert.match(result.stdout, /\| bench\/fluency \| bench\/distinct \| bench\/completeness \| bench\/length \|/);
  });

  it('should pair the best story first', () => {
    const pairs = fs.readFileSync(path.join(out, 'data/train-seed0.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));

    assert.ok(pairs.length > 0, 'no pairs');
    for (const pair of pairs) assert.ok(pair.score_chosen >= pair.score_rejected, JSON.stringify(pair));
    assert.equal(pairs[0].prompt, 'Once upon a time, there was a little dog named Max.');
  });

  it('should condition augmented stories on 10', () => {
    const line = fs.readFileSync(path.join(out, 'runs/dpo-augment/seed-0/generations.jsonl'), 'utf8').split('\n')[0];

    assert.match(JSON.parse(line).prompt, /^Score 10\/10\.\n\nOnce upon a time/);
  });

  it('should reuse the stories on a second run', () => {
    const again = runCli([
      'bench', 'ra', '--quick', '--model', path.join(STORIES, 'stories260K.bin'), '--tokenizer', path.join(STORIES, 'tok512.bin'), '--out', out,
    ]);

    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /reusing the samples and pairs/);
    assert.match(again.stderr, /2 already finished, 0 to run/);
  });

  it('should reject --tokenizer without --model', () => {
    const withoutModel = runCli(['bench', 'ra', '--quick', '--tokenizer', path.join(STORIES, 'tok512.bin'), '--out', path.join(out, 'other')]);

    assert.notEqual(withoutModel.status, 0);
    assert.match(withoutModel.stderr, /--tokenizer needs --model/);
  });
});
