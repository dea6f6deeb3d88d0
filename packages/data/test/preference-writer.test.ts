import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RadpoError, type PreferenceRecord } from '@radpo/core';
import { openPreferenceWriter, readAllPreferenceRecords, scanScoreScale, toTrlRow } from '../src';
import { createFixtureDir, type FixtureDir } from './fixtures';

const RECORDS: PreferenceRecord[] = [
  {
    id: 'a',
    prompt: [
      { role: 'system', content: 'Goal: 9.' },
      { role: 'user', content: 'Q1' },
    ],
    chosen: 'good',
    rejected: 'bad',
    scores: {
      chosen: 9,
      rejected: 4.5,
      attributes: { chosen: { helpfulness: 4, verbosity: 1 }, rejected: { helpfulness: 2, verbosity: 3 } },
    },
  },
  { id: 'b', prompt: 'Q2', chosen: [{ role: 'assistant', content: 'multi' }], rejected: 'no', scores: { chosen: 2, rejected: 1 } },
  { id: 'c', prompt: 'Q3', chosen: 'x', rejected: 'y' },
];

describe('openPreferenceWriter', () => {
  let fixtures: FixtureDir;

  before(async () => {
    fixtures = await createFixtureDir();
  });

  after(async () => {
    await fixtures.remove();
  });

  async function writeAll(name: string, batches: PreferenceRecord[][]): Promise<string> {
    const file = path.join(fixtures.path, name);
    const writer = openPreferenceWriter(file);
    for (const batch of batches) await writer.write(batch);
    await writer.close();
    return file;
  }

  it('should write TRL conversational rows', () => {
    assert.deepEqual(toTrlRow(RECORDS[1]), {
      id: 'b',
      prompt: [{ role: 'user', content: 'Q2' }],
      chosen: [{ role: 'assistant', content: 'multi' }],
      rejected: [{ role: 'assistant', content: 'no' }],
      score_chosen: 2,
      score_rejected: 1,
    });
  });

  for (const name of ['out.jsonl', 'out.json', 'out.jsonl.gz', 'out.parquet']) {
    it(`should round-trip records through ${name}`, async () => {
      const file = await writeAll(name, [RECORDS.slice(0, 2), [], RECORDS.slice(2)]);
      const back = await readAllPreferenceRecords(file);
      assert.equal(back.length, 3);
      assert.deepEqual(back[0].prompt, RECORDS[0].prompt);
      assert.deepEqual(back[0].chosen, [{ role: 'assistant', content: 'good' }]);
      assert.deepEqual(back[0].scores, RECORDS[0].scores);
      assert.deepEqual(back[1].prompt, [{ role: 'user', content: 'Q2' }]);
      assert.equal(back[2].scores, undefined);
      assert.deepEqual(back.map((record) => record.id), ['a', 'b', 'c']);
    });
  }

  it('should write gzip that gunzip reads', async () => {
    const file = await writeAll('plain-check.jsonl.gz', [RECORDS]);
    const lines = gunzipSync(await readFile(file)).toString('utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(JSON.parse(lines[2]).id, 'c');
  });

  it('should write an empty JSON array for no rows', async () => {
    const file = await writeAll('empty.json', []);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), []);
  });

  it('should leave an existing file without overwrite', async () => {
    const file = await fixtures.writeText('taken.jsonl', 'keep me\n');
    assert.throws(() => openPreferenceWriter(file), (error: unknown) => {
      assert.ok(error instanceof RadpoError);
      assert.equal(error.code, 'io');
      assert.match(error.message, /already exists/);
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), 'keep me\n');
  });

  it('should replace an existing file with overwrite', async () => {
    const file = await fixtures.writeText('replace.jsonl', 'old\n');
    const writer = openPreferenceWriter(file, { overwrite: true });
    await writer.write(RECORDS.slice(0, 1));
    await writer.close();
    assert.equal((await readFile(file, 'utf8')).split('\n')[0].startsWith('{"id":"a"'), true);
  });
});

describe('scanScoreScale', () => {
  let fixtures: FixtureDir;

  before(async () => {
    fixtures = await createFixtureDir();
  });

  after(async () => {
    await fixtures.remove();
  });

  it('should find overall and attribute ranges', async () => {
    const file = path.join(fixtures.path, 'scored.jsonl');
    await writeFile(
      file,
      [
        { prompt: 'q', chosen: 'a', rejected: 'b', score_chosen: 7.5, score_rejected: 2, attributes_chosen: { h: 4 }, attributes_rejected: { h: 0 } },
        { prompt: 'q', chosen: 'a', rejected: 'b', score_chosen: 9, score_rejected: 3 },
        { prompt: 'q', chosen: 'a', rejected: 'b' },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n'),
    );
    const scale = await scanScoreScale(file);
    assert.equal(scale.min, 2);
    assert.equal(scale.max, 9);
    assert.equal(scale.pairs, 2);
    assert.deepEqual(scale.attributes, { h: { min: 0, max: 4 } });
  });

  it('should reject a file without scores', async () => {
    const file = await fixtures.writeJsonl('unscored.jsonl', [{ prompt: 'q', chosen: 'a', rejected: 'b' }]);
    await assert.rejects(scanScoreScale(file), /no pair has scores/);
  });
});
