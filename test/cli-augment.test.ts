import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHARED_DATA, ULTRAFEEDBACK, makeTempDir, runCli } from './helpers';

const TRAIN = path.join(ULTRAFEEDBACK, 'train_clean.jsonl');

function readJsonl(file: string): Array<Record<string, any>> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** Returns the number after a label in the augment report, such as "rows written   2000". */
function reported(stdout: string, label: string): number {
  const match = new RegExp(`^\\s+${label}\\s+(\\d+)`, 'm').exec(stdout);
  assert.ok(match, `no "${label}" line in:\n${stdout}`);
  return Number(match[1]);
}

describe('radpo augment on the UltraFeedback sample', function () {
  let work: string;
  let defaultOut: string;
  let defaultRun: ReturnType<typeof runCli>;

  before(function () {
    if (!fs.existsSync(TRAIN)) this.skip();
    work = makeTempDir('cli-augment');
    defaultOut = path.join(work, 'augmented.jsonl');
    defaultRun = runCli(['augment', '--in', TRAIN, '--out', defaultOut]);
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('should write 2000 rows from 1000 pairs', () => {
    assert.equal(defaultRun.status, 0, defaultRun.stderr);
    assert.equal(readJsonl(defaultOut).length, 2000);
    assert.equal(reported(defaultRun.stdout, 'rows read'), 1000);
    assert.equal(reported(defaultRun.stdout, 'pairs built'), 1000);
    assert.equal(reported(defaultRun.stdout, 'rows written'), 2000);
  });

  it('should count 111 ties', () => {
    assert.equal(reported(defaultRun.stdout, 'ties'), 111);
  });

  it('should swap texts in the rejected-goal copy', () => {
    const input = readJsonl(TRAIN);
    const output = readJsonl(defaultOut);
    for (let i = 0; i < input.length; i++) {
      const chosenGoal = output[2 * i];
      const rejectedGoal = output[2 * i + 1];
      assert.equal(rejectedGoal.chosen[0].content, input[i].rejected, `line ${i + 1}`);
      assert.equal(rejectedGoal.rejected[0].content, input[i].chosen, `line ${i + 1}`);
      assert.equal(chosenGoal.chosen[0].content, input[i].chosen, `line ${i + 1}`);
      assert.equal(rejectedGoal.score_chosen, input[i].metadata.score_rejected, `line ${i + 1}`);
    }
  });

  it('should write TRL conversational rows with the condition', () => {
    const [first, second] = readJsonl(defaultOut);
    assert.deepEqual(first.prompt, [
      { role: 'system', content: 'Write a response rated 9 on a scale of 1 to 10.' },
      { role: 'user', content: 'how to cook t-bone in the oven' },
    ]);
    assert.equal(second.prompt[0].content, 'Write a response rated 8 on a scale of 1 to 10.');
    assert.equal(first.chosen[0].role, 'assistant');
  });

  it('should keep 1000 rows at half augmentation', () => {
    const out = path.join(work, 'half.jsonl');
    const result = runCli(['augment', '--in', TRAIN, '--out', out, '--fraction', '0.5', '--unaugmented', 'drop']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readJsonl(out).length, 1000);
    assert.equal(reported(result.stdout, 'filtered'), 500);
  });

  it('should refuse to overwrite without --overwrite', () => {
    const before = fs.statSync(defaultOut).size;
    const result = runCli(['augment', '--in', TRAIN, '--out', defaultOut]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /already exists.*--overwrite/);
    assert.equal(fs.statSync(defaultOut).size, before);
  });

  it('should write Parquet by extension', () => {
    const out = path.join(work, 'augmented.parquet');
    const result = runCli(['augment', '--in', TRAIN, '--out', out, '--ties', 'drop']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(reported(result.stdout, 'rows written'), 2 * (1000 - 111));
    const back = runCli(['augment', '--in', out, '--out', path.join(work, 'from-parquet.jsonl'), '--fraction', '0']);
    assert.equal(back.status, 0, back.stderr);
    assert.equal(reported(back.stdout, 'rows read'), 2 * (1000 - 111));
  });

  it('should print the TRL config with --to trl', () => {
    const out = path.join(work, 'trl.jsonl');
    const result = runCli(['augment', '--in', TRAIN, '--out', out, '--to', 'trl', '--algo', 'ipo', '--beta', '0.3']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^loss_type: ipo$/m);
    assert.match(result.stdout, /^beta: 0\.3$/m);
    assert.match(result.stdout, /^label_smoothing: 0$/m);
  });

  it('should map label smoothing for dpo', () => {
    const out = path.join(work, 'trl-dpo.jsonl');
    const result = runCli(['augment', '--in', TRAIN, '--out', out, '--to', 'trl', '--label-smoothing', '0.1']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^loss_type: sigmoid$/m);
    assert.match(result.stdout, /^label_smoothing: 0\.1$/m);
  });

  it('should condition held-out rows on the top score', () => {
    const out = path.join(work, 'eval.jsonl');
    const result = runCli(['augment', '--in', TRAIN, '--out', out, '--split', 'eval']);
    assert.equal(result.status, 0, result.stderr);
    const rows = readJsonl(out);
    assert.equal(rows.length, 1000);
    assert.equal(rows[0].prompt[0].content, 'Write a response rated 10 on a scale of 1 to 10.');
  });
});

describe('radpo augment bad rows', () => {
  let work: string;
  let input: string;

  before(() => {
    work = makeTempDir('cli-augment-bad');
    input = path.join(work, 'bad.jsonl');
    const rows = [
      { prompt: 'q1', chosen: 'a', rejected: 'b', score_chosen: 8, score_rejected: 3 },
      { prompt: 'q2', chosen: 'a', rejected: 'b', score_rejected: 3 },
      { prompt: 'q3', chosen: 'a', rejected: 'b', score_chosen: 'abc', score_rejected: 3 },
      { prompt: 'q4', chosen: 'a', rejected: 'b', score_chosen: null, score_rejected: null },
      { prompt: 'q5', chosen: 'same', rejected: 'same', score_chosen: 5, score_rejected: 5 },
      { prompt: 'q6', chosen: '', rejected: 'b', score_chosen: 5, score_rejected: 2 },
      { prompt: 'q7', chosen: 'a', rejected: 'b', score_chosen: 6, score_rejected: 4 },
    ];
    fs.writeFileSync(input, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('should fail on the first bad row with its line', () => {
    const out = path.join(work, 'fail.jsonl');
    const result = runCli(['augment', '--in', input, '--out', out]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /bad\.jsonl:2 field "score_chosen": missing score/);
    assert.equal(fs.existsSync(out), false, 'a failed run should leave no output file');
  });

  it('should skip and count bad rows by reason', () => {
    const out = path.join(work, 'skip.jsonl');
    const result = runCli(['augment', '--in', input, '--out', out, '--on-bad-row', 'skip']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(reported(result.stdout, 'rows read'), 7);
    assert.equal(reported(result.stdout, 'skipped'), 3);
    assert.match(result.stdout, /missing-score 2, invalid-score 1/);
    assert.equal(reported(result.stdout, 'degenerate kept'), 2);
    assert.match(result.stdout, /identical-responses 1, empty-response 1/);
    assert.equal(readJsonl(out).length, 8);
  });

  it('should skip degenerate pairs under --degenerate-pairs skip', () => {
    const out = path.join(work, 'skip-degenerate.jsonl');
    const result = runCli(['augment', '--in', input, '--out', out, '--on-bad-row', 'skip', '--degenerate-pairs', 'skip']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(reported(result.stdout, 'skipped'), 5);
    assert.equal(readJsonl(out).length, 4);
  });

  it('should fail on a degenerate pair under --degenerate-pairs fail', () => {
    const out = path.join(work, 'fail-degenerate.jsonl');
    const result = runCli(['augment', '--in', input, '--out', out, '--on-bad-row', 'skip', '--degenerate-pairs', 'fail']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /bad\.jsonl:5: "chosen" and "rejected" are identical/);
  });

  it('should name an invalid score value', () => {
    const one = path.join(work, 'abc.jsonl');
    fs.writeFileSync(one, JSON.stringify({ prompt: 'q', chosen: 'a', rejected: 'b', score_chosen: 'abc', score_rejected: 1 }) + '\n');
    const result = runCli(['augment', '--in', one, '--out', path.join(work, 'abc-out.jsonl')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /abc\.jsonl:1 field "score_chosen": invalid score: .*got "abc"/);
  });
});

describe('radpo augment on HelpSteer2', function () {
  const file = path.join(SHARED_DATA, 'helpsteer2/test-rm.jsonl');
  let work: string;

  before(function () {
    if (!fs.existsSync(file)) this.skip();
    work = makeTempDir('cli-augment-helpsteer');
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('should condition on five attributes', () => {
    const out = path.join(work, 'helpsteer.jsonl');
    const result = runCli(['augment', '--in', file, '--out', out, '--attributes', 'helpsteer2']);
    assert.equal(result.status, 0, result.stderr);
    const rows = readJsonl(out);
    assert.equal(rows.length, 8);
    assert.match(rows[0].prompt[0].content, /^Write a response with these ratings: helpfulness 4 \(0-4\), correctness 4 \(0-4\), coherence 4 \(0-4\), complexity 3 \(0-4\), verbosity 2 \(0-4\)\./);
    assert.deepEqual(rows[1].attributes_chosen, rows[0].attributes_rejected);
  });

  it('should take attribute scales from --scale detect', () => {
    const out = path.join(work, 'detected.jsonl');
    const result = runCli(['augment', '--in', file, '--out', out, '--scale', 'detect', '--attributes', 'helpfulness,verbosity']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /detected score scale/);
    assert.equal(readJsonl(out).length, 8);
  });

  it('should name a missing attribute scale', () => {
    const result = runCli(['augment', '--in', file, '--out', path.join(work, 'x.jsonl'), '--attributes', 'helpfulness']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /attribute "helpfulness" has no scale: write it as helpfulness=min:max/);
  });
});
