import assert from 'node:assert/strict';
import { RadpoError } from '@radpo/core';
import { BAD_ROW_REASONS, createReadStats, readAllPreferenceRecords, type ReadOptions } from '../src';
import { createFixtureDir, expectDataError, type FixtureDir } from './fixtures';

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });
const goodRow = { prompt: 'p', chosen: 'a', rejected: 'b' };

describe('readPreferenceRecords bad rows', () => {
  let fixtures: FixtureDir;
  let fileCount = 0;

  before(async () => {
    fixtures = await createFixtureDir();
  });

  after(async () => {
    await fixtures.remove();
  });

  /**
   * Writes `badRow` as line 2 after a row that is valid under `options`, so each test also checks
   * that the line number is right, and starts reading it.
   */
  async function readBadSecondRow(badRow: unknown, options: ReadOptions = {}, firstRow: unknown = goodRow) {
    fileCount++;
    const file = await fixtures.writeJsonl(`bad-${fileCount}.jsonl`, [firstRow, badRow]);
    return { file, read: readAllPreferenceRecords(file, options) };
  }

  describe('JSON syntax', () => {
    it('should report invalid JSON with the parser message', async () => {
      fileCount++;
      const file = await fixtures.writeText(`syntax-${fileCount}.jsonl`, `${JSON.stringify(goodRow)}\n{"prompt": "p", "chosen": }\n`);

      const error = await expectDataError(readAllPreferenceRecords(file), { reason: 'invalid-json', file, line: 2 });

      assert.match(error.message, /invalid JSON: /);
      assert.match(error.message, /Unexpected token/);
      assert.match(error.message, /one JSON object per line/);
      assert.ok(error.cause instanceof SyntaxError);
    });

    it('should hint at the json format when line 1 opens an array', async () => {
      fileCount++;
      const file = await fixtures.writeText(`array-${fileCount}.jsonl`, `[\n  ${JSON.stringify(goodRow)}\n]\n`);

      const error = await expectDataError(readAllPreferenceRecords(file), { reason: 'invalid-json', file, line: 1 });

      assert.match(error.message, /name it \.json or set the format option to 'json'/);
    });

    it('should reject a row that is not an object', async () => {
      const { file, read } = await readBadSecondRow(['p', 'a', 'b']);

      const error = await expectDataError(read, { reason: 'not-an-object', file, line: 2 });

      assert.ok(error.message.includes('["p","a","b"]'));
    });
  });

  describe('required fields', () => {
    it('should name a missing prompt and list the row keys', async () => {
      const { file, read } = await readBadSecondRow({ question: 'q', chosen: 'a', rejected: 'b' });

      const error = await expectDataError(read, { reason: 'missing-field', file, line: 2, field: 'prompt' });

      assert.match(error.message, /The row has keys: question, chosen, rejected\./);
      assert.match(error.message, /--map prompt=<path>/);
    });

    it('should suggest a misspelled key for the map', async () => {
      const { file, read } = await readBadSecondRow({ promt: 'q', chosen: 'a', rejected: 'b' });

      const error = await expectDataError(read, { reason: 'missing-field', file, line: 2, field: 'prompt' });

      assert.match(error.message, /--map prompt=promt/);
    });

    it('should name a missing rejected response', async () => {
      const { file, read } = await readBadSecondRow({ prompt: 'q', chosen: 'a' });

      await expectDataError(read, { reason: 'missing-field', file, line: 2, field: 'rejected' });
    });

    it('should name a missing mapped path', async () => {
      const { file, read } = await readBadSecondRow(
        { prompt: 'q', answers: { bad: 'b' } },
        { fieldMap: { chosen: 'answers.good', rejected: 'answers.bad' } },
        { prompt: 'q', answers: { good: 'a', bad: 'b' } },
      );

      const error = await expectDataError(read, { reason: 'missing-field', file, line: 2, field: 'answers.good' });

      assert.match(error.message, /fieldMap\.chosen/);
    });

    it('should treat a null response as missing', async () => {
      const { file, read } = await readBadSecondRow({ prompt: 'q', chosen: null, rejected: 'b' });

      await expectDataError(read, { reason: 'missing-field', file, line: 2, field: 'chosen' });
    });
  });

  describe('types', () => {
    it('should reject a response that is a number', async () => {
      const { file, read } = await readBadSecondRow({ prompt: 'q', chosen: 42, rejected: 'b' });

      const error = await expectDataError(read, { reason: 'invalid-type', file, line: 2, field: 'chosen' });

      assert.match(error.message, /expected a string or a list of \{"role", "content"\} messages, got 42/);
    });

    it('should name the message without a role', async () => {
      const { file, read } = await readBadSecondRow({ prompt: 'q', chosen: [assistant('a'), { content: 'x' }], rejected: [assistant('b')] });

      await expectDataError(read, { reason: 'invalid-type', file, line: 2, field: 'chosen.1.role' });
    });

    it('should reject content given as a list of parts', async () => {
      const { file, read } = await readBadSecondRow({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }],
        chosen: [assistant('a')],
        rejected: [assistant('b')],
      });

      const error = await expectDataError(read, { reason: 'invalid-type', file, line: 2, field: 'prompt.0.content' });

      assert.match(error.message, /list of parts are not supported/);
    });

    it('should reject a string response paired with a message list', async () => {
      const { file, read } = await readBadSecondRow({ prompt: 'q', chosen: 'a', rejected: [assistant('b')] });

      const error = await expectDataError(read, { reason: 'invalid-type', file, line: 2, field: 'rejected' });

      assert.match(error.message, /"chosen" is a string but "rejected" is a message list/);
    });

    it('should reject an id that is an object', async () => {
      const { file, read } = await readBadSecondRow({ ...goodRow, id: { value: 1 } });

      await expectDataError(read, { reason: 'invalid-type', file, line: 2, field: 'id' });
    });
  });

  describe('empty and identical text', () => {
    it('should reject a whitespace-only chosen response under fail', async () => {
      const { file, read } = await readBadSecondRow({ prompt: 'q', chosen: ' \n ', rejected: 'b' }, { onDegeneratePair: 'fail' });

      const error = await expectDataError(read, { reason: 'empty-response', file, line: 2, field: 'chosen' });

      assert.match(error.message, /the response is empty/);
    });

    it('should reject an empty prompt', async () => {
      const { file, read } = await readBadSecondRow({ prompt: '', chosen: 'a', rejected: 'b' });

      await expectDataError(read, { reason: 'empty-prompt', file, line: 2, field: 'prompt' });
    });

    it('should reject an empty response list under fail', async () => {
      const { file, read } = await readBadSecondRow({ prompt: [user('q')], chosen: [assistant('a')], rejected: [] }, { onDegeneratePair: 'fail' });

      await expectDataError(read, { reason: 'empty-response', file, line: 2, field: 'rejected' });
    });

    it('should reject identical responses under fail', async () => {
      const { file, read } = await readBadSecondRow({ prompt: 'q', chosen: 'same', rejected: 'same' }, { onDegeneratePair: 'fail' });

      const error = await expectDataError(read, { reason: 'identical-responses', file, line: 2 });

      assert.match(error.message, /"chosen" and "rejected" are identical \("same"\)/);
      assert.match(error.message, /--degenerate-pairs/);
    });

    it('should keep and flag degenerate pairs by default', async () => {
      fileCount++;
      const file = await fixtures.writeJsonl(`degenerate-${fileCount}.jsonl`, [
        goodRow,
        { prompt: 'q', chosen: 'same', rejected: 'same' },
        { prompt: 'q', chosen: 'a', rejected: '' },
      ]);
      const stats = createReadStats();

      const records = await readAllPreferenceRecords(file, { stats });

      assert.equal(records.length, 3);
      assert.deepEqual(stats.flagged, { 'identical-responses': 1, 'empty-response': 1 });
      assert.deepEqual(stats.skipped, {});
    });

    it('should fail on a degenerate pair under fail even when bad rows are skipped', async () => {
      const { file, read } = await readBadSecondRow(
        { prompt: 'q', chosen: 'same', rejected: 'same' },
        { onDegeneratePair: 'fail', onBadRow: 'skip' },
      );

      await expectDataError(read, { reason: 'identical-responses', file, line: 2 });
    });

    it('should reject identical implicit-prompt conversations', async () => {
      const conversation = [user('q'), assistant('a')];
      const { file, read } = await readBadSecondRow({ chosen: conversation, rejected: conversation });

      await expectDataError(read, { reason: 'identical-responses', file, line: 2 });
    });

    it('should reject implicit prompts that share no messages', async () => {
      const { file, read } = await readBadSecondRow({ chosen: [user('q1'), assistant('a')], rejected: [user('q2'), assistant('b')] });

      const error = await expectDataError(read, { reason: 'empty-prompt', file, line: 2, field: 'prompt' });

      assert.match(error.message, /share no leading messages/);
    });

    it('should reject an implicit prompt with nothing after it', async () => {
      const { file, read } = await readBadSecondRow({ chosen: [user('q'), assistant('a')], rejected: [user('q')] });

      const error = await expectDataError(read, { reason: 'empty-response', file, line: 2, field: 'rejected' });

      assert.match(error.message, /nothing follows it/);
    });
  });

  describe('scores', () => {
    for (const value of ['abc', '', 'NaN', ' 7', '0x10', true, { value: 7 }]) {
      it(`should reject the score ${JSON.stringify(value)}`, async () => {
        const { file, read } = await readBadSecondRow({ ...goodRow, metadata: { score_chosen: value, score_rejected: 3 } });

        const error = await expectDataError(read, { reason: 'invalid-score', file, line: 2, field: 'metadata.score_chosen' });

        assert.ok(error.message.includes(`got ${JSON.stringify(value)}`), error.message);
      });
    }

    it('should reject a score that parses as Infinity', async () => {
      fileCount++;
      const line = '{"prompt": "p", "chosen": "a", "rejected": "b", "score_chosen": 1e999, "score_rejected": 1}';
      const file = await fixtures.writeText(`infinity-${fileCount}.jsonl`, `${line}\n`);

      await expectDataError(readAllPreferenceRecords(file), { reason: 'invalid-score', file, line: 1, field: 'score_chosen' });
    });

    it('should reject a row with only one score', async () => {
      const { file, read } = await readBadSecondRow({ ...goodRow, score_chosen: 9 });

      const error = await expectDataError(read, { reason: 'missing-score', file, line: 2, field: 'score_rejected' });

      assert.match(error.message, /"score_chosen" is 9/);
      assert.match(error.message, /both scores or neither/);
    });

    it('should require scores at the metadata path', async () => {
      const { file, read } = await readBadSecondRow(
        { ...goodRow, metadata: { source: 'x' } },
        { requireScores: true },
        { ...goodRow, metadata: { score_chosen: 2, score_rejected: 1 } },
      );

      const error = await expectDataError(read, { reason: 'missing-score', file, line: 2, field: 'metadata.score_chosen' });

      assert.match(error.message, /requireScores/);
    });

    it('should require scores at the top-level path', async () => {
      const { file, read } = await readBadSecondRow(goodRow, { requireScores: true }, { ...goodRow, score_chosen: 2, score_rejected: 1 });

      await expectDataError(read, { reason: 'missing-score', file, line: 2, field: 'score_chosen' });
    });

    it('should require scores at the mapped path', async () => {
      const { file, read } = await readBadSecondRow(
        goodRow,
        { requireScores: true, fieldMap: { scoreChosen: 'ratings.good', scoreRejected: 'ratings.bad' } },
        { ...goodRow, ratings: { good: 2, bad: 1 } },
      );

      await expectDataError(read, { reason: 'missing-score', file, line: 2, field: 'ratings.good' });
    });
  });

  describe('skip mode', () => {
    it('should skip bad rows and count them by reason', async () => {
      fileCount++;
      const file = await fixtures.writeText(
        `mixed-${fileCount}.jsonl`,
        [
          JSON.stringify({ ...goodRow, chosen: 'kept 1' }),
          '{not json',
          JSON.stringify({ prompt: 'p', chosen: 'same', rejected: 'same' }),
          JSON.stringify({ prompt: 'p', chosen: 'x', rejected: 'y', score_chosen: 'abc', score_rejected: 1 }),
          JSON.stringify({ prompt: 'p', chosen: 'same', rejected: 'same' }),
          JSON.stringify({ ...goodRow, chosen: 'kept 2' }),
          '',
        ].join('\n'),
      );
      const stats = createReadStats();

      const records = await readAllPreferenceRecords(file, { onBadRow: 'skip', onDegeneratePair: 'skip', stats });

      assert.deepEqual(
        records.map((record) => record.chosen),
        ['kept 1', 'kept 2'],
      );
      assert.equal(records[1].origin?.line, 6);
      assert.equal(stats.rowsRead, 6);
      assert.equal(stats.rowsYielded, 2);
      assert.deepEqual(stats.skipped, { 'invalid-json': 1, 'identical-responses': 2, 'invalid-score': 1 });
    });

    it('should skip rows without scores when scores are required', async () => {
      fileCount++;
      const file = await fixtures.writeJsonl(`unscored-${fileCount}.jsonl`, [goodRow, goodRow]);
      const stats = createReadStats();

      const records = await readAllPreferenceRecords(file, { onBadRow: 'skip', requireScores: true, stats });

      assert.equal(records.length, 0);
      assert.deepEqual(stats.skipped, { 'missing-score': 2 });
    });

    it('should still fail on a missing file', async () => {
      const file = `${fixtures.path}/missing.jsonl`;

      await assert.rejects(readAllPreferenceRecords(file, { onBadRow: 'skip' }), (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.equal(error.code, 'io');
        return true;
      });
    });

    it('should reject an unknown onBadRow value', async () => {
      fileCount++;
      const file = await fixtures.writeJsonl(`policy-${fileCount}.jsonl`, [goodRow]);

      await assert.rejects(readAllPreferenceRecords(file, { onBadRow: 'skp' as never }), (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.equal(error.code, 'config');
        assert.match(error.message, /did you mean "skip"\?/);
        return true;
      });
    });

    it('should use only listed reasons', async () => {
      fileCount++;
      const file = await fixtures.writeText(
        `reasons-${fileCount}.jsonl`,
        ['{', '1', '{}', JSON.stringify({ prompt: 'p', chosen: 1, rejected: 'b' }), JSON.stringify({ prompt: ' ', chosen: 'a', rejected: 'b' })].join('\n'),
      );
      const stats = createReadStats();

      await readAllPreferenceRecords(file, { onBadRow: 'skip', stats });

      assert.deepEqual(Object.keys(stats.skipped).sort(), ['empty-prompt', 'invalid-json', 'invalid-type', 'missing-field', 'not-an-object']);
      for (const reason of Object.keys(stats.skipped)) {
        assert.ok((BAD_ROW_REASONS as readonly string[]).includes(reason), reason);
      }
    });
  });
});
