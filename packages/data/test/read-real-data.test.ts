import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createReadStats, readAllPreferenceRecords } from '../src';
import { expectDataError } from './fixtures';

const folder = path.resolve(__dirname, '../../../../shared/data/ultrafeedback/trl-lib_ultrafeedback_binarized_sample');
const trainFile = path.join(folder, 'train_clean.jsonl');
const evalFile = path.join(folder, 'eval_clean.jsonl');

describe('readPreferenceRecords on UltraFeedback samples', function () {
  before(function () {
    if (!existsSync(folder)) this.skip();
  });

  it('should read all 1000 train rows and flag 6 degenerate pairs by default', async () => {
    const stats = createReadStats();

    const records = await readAllPreferenceRecords(trainFile, { requireScores: true, stats });

    assert.equal(records.length, 1000);
    assert.deepEqual(stats.flagged, { 'identical-responses': 4, 'empty-response': 2 });
    assert.deepEqual(stats.skipped, {});
  });

  it('should read 1000 train rows and keep 994 when degenerate pairs are skipped', async () => {
    const stats = createReadStats();

    const records = await readAllPreferenceRecords(trainFile, { onDegeneratePair: 'skip', requireScores: true, stats });

    assert.equal(stats.rowsRead, 1000);
    assert.equal(stats.rowsYielded, records.length);
    assert.equal(records.length, 994);
    assert.deepEqual(stats.skipped, { 'identical-responses': 4, 'empty-response': 2 });
    for (const record of records) {
      assert.ok(Number.isFinite(record.scores?.chosen), record.id);
      assert.ok(Number.isFinite(record.scores?.rejected), record.id);
    }
  });

  it('should take ids, scores and origin from the first train row', async () => {
    const [first] = await readAllPreferenceRecords(trainFile, { onBadRow: 'skip' });

    assert.equal(first.id, '27808');
    assert.equal(first.prompt, 'how to cook t-bone in the oven');
    assert.deepEqual(first.scores, { chosen: 9, rejected: 8 });
    assert.deepEqual(first.origin, { file: trainFile, line: 1 });
  });

  it('should keep 110 of the 111 train ties when degenerate pairs are skipped', async () => {
    const records = await readAllPreferenceRecords(trainFile, { onDegeneratePair: 'skip' });

    const ties = records.filter((record) => record.scores?.chosen === record.scores?.rejected).length;

    // 111 rows tie; one of them (line 307) has identical texts and is skipped.
    assert.equal(ties, 110);
  });

  it('should stop at the first identical pair under fail', async () => {
    const error = await expectDataError(readAllPreferenceRecords(trainFile, { onDegeneratePair: 'fail' }), {
      reason: 'identical-responses',
      file: trainFile,
      line: 307,
    });

    assert.match(error.message, /--degenerate-pairs/);
  });

  it('should read 200 eval rows and keep 199', async () => {
    const stats = createReadStats();

    const records = await readAllPreferenceRecords(evalFile, { onDegeneratePair: 'skip', requireScores: true, stats });

    assert.equal(stats.rowsRead, 200);
    assert.equal(records.length, 199);
    assert.deepEqual(stats.skipped, { 'identical-responses': 1 });
    for (const record of records) {
      assert.ok(Number.isFinite(record.scores?.chosen), record.id);
      assert.ok(Number.isFinite(record.scores?.rejected), record.id);
    }
  });
});
