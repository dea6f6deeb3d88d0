import assert from 'node:assert/strict';
import { RadpoError } from '@radpo/core';
import { createReadStats, readAllPreferenceRecords, readPreferenceRecords } from '../src';
import { createFixtureDir, type FixtureDir } from './fixtures';

describe('readPreferenceRecords on JSONL', () => {
  let fixtures: FixtureDir;

  before(async () => {
    fixtures = await createFixtureDir();
  });

  after(async () => {
    await fixtures.remove();
  });

  describe('flattened rows', () => {
    it('should read prompt, responses, metadata scores and source_index', async () => {
      const file = await fixtures.writeJsonl('flat.jsonl', [
        { prompt: 'Name a color.', chosen: 'Blue.', rejected: 'Seven.', source_index: 27808, metadata: { score_chosen: 9, score_rejected: 2.5 } },
      ]);

      const [record] = await readAllPreferenceRecords(file);

      assert.equal(record.prompt, 'Name a color.');
      assert.equal(record.chosen, 'Blue.');
      assert.equal(record.rejected, 'Seven.');
      assert.deepEqual(record.scores, { chosen: 9, rejected: 2.5 });
      assert.equal(record.id, '27808');
      assert.deepEqual(record.origin, { file, line: 1 });
    });

    it('should read top-level scores', async () => {
      const file = await fixtures.writeJsonl('top-scores.jsonl', [
        { prompt: 'p', chosen: 'a', rejected: 'b', score_chosen: 8, score_rejected: 3 },
      ]);

      const [record] = await readAllPreferenceRecords(file);

      assert.deepEqual(record.scores, { chosen: 8, rejected: 3 });
    });

    it('should convert decimal string scores', async () => {
      const file = await fixtures.writeJsonl('string-scores.jsonl', [
        { prompt: 'p', chosen: 'a', rejected: 'b', score_chosen: '7.5', score_rejected: '-2' },
      ]);

      const [record] = await readAllPreferenceRecords(file);

      assert.deepEqual(record.scores, { chosen: 7.5, rejected: -2 });
    });

    it('should leave scores out when missing or null', async () => {
      const file = await fixtures.writeJsonl('no-scores.jsonl', [
        { prompt: 'p', chosen: 'a', rejected: 'b' },
        { prompt: 'p', chosen: 'a', rejected: 'b', score_chosen: null, metadata: { score_rejected: null } },
      ]);

      const records = await readAllPreferenceRecords(file);

      assert.equal(records.length, 2);
      assert.equal(records[0].scores, undefined);
      assert.equal(records[1].scores, undefined);
      assert.equal('scores' in records[0], false);
    });

    it('should number lines from 1 and count blank lines', async () => {
      const row = (text: string) => JSON.stringify({ prompt: 'p', chosen: text, rejected: 'other' });
      const file = await fixtures.writeText('blank-lines.jsonl', `${row('first')}\n\n   \n${row('fourth')}\n\n`);

      const records = await readAllPreferenceRecords(file);

      assert.equal(records.length, 2);
      assert.equal(records[0].origin?.line, 1);
      assert.equal(records[1].origin?.line, 4);
      assert.equal(records[1].chosen, 'fourth');
      assert.equal(records[1].id, '4');
    });

    it('should prefer id over source_index', async () => {
      const file = await fixtures.writeJsonl('ids.jsonl', [{ prompt: 'p', chosen: 'a', rejected: 'b', id: 'pair-7', source_index: 3 }]);

      const [record] = await readAllPreferenceRecords(file);

      assert.equal(record.id, 'pair-7');
    });

    it('should read CRLF, BOM and unterminated last line', async () => {
      const row = (text: string) => JSON.stringify({ prompt: 'p', chosen: text, rejected: 'other' });
      const file = await fixtures.writeText('crlf.jsonl', `\uFEFF${row('one')}\r\n${row('two')}\r\n${row('three')}`);

      const records = await readAllPreferenceRecords(file);

      assert.deepEqual(
        records.map((record) => record.chosen),
        ['one', 'two', 'three'],
      );
      assert.equal(records[2].origin?.line, 3);
    });

    it('should keep multi-byte characters intact across chunk boundaries', async () => {
      // 40,000 three-byte characters make a line longer than one 64 KiB read.
      const long = '€'.repeat(40_000);
      const file = await fixtures.writeJsonl('multibyte.jsonl', [
        { prompt: 'p', chosen: long, rejected: 'b' },
        { prompt: 'p', chosen: 'ä', rejected: 'ö' },
      ]);

      const records = await readAllPreferenceRecords(file);

      assert.equal(records.length, 2);
      assert.equal(records[0].chosen, long);
      assert.equal(records[1].rejected, 'ö');
    });
  });

  describe('conversational rows', () => {
    const user = (content: string) => ({ role: 'user', content });
    const assistant = (content: string) => ({ role: 'assistant', content });

    it('should read an explicit message-list prompt', async () => {
      const file = await fixtures.writeJsonl('explicit.jsonl', [
        {
          prompt: [user('What is 2 + 2?')],
          chosen: [assistant('4')],
          rejected: [assistant('5')],
          score_chosen: 10,
          score_rejected: 1,
        },
      ]);

      const [record] = await readAllPreferenceRecords(file);

      assert.deepEqual(record.prompt, [user('What is 2 + 2?')]);
      assert.deepEqual(record.chosen, [assistant('4')]);
      assert.deepEqual(record.rejected, [assistant('5')]);
      assert.deepEqual(record.scores, { chosen: 10, rejected: 1 });
    });

    it('should read an explicit string prompt with message responses', async () => {
      const file = await fixtures.writeJsonl('explicit-string.jsonl', [
        { prompt: 'Say hi.', chosen: [assistant('Hi!')], rejected: [assistant('No.')] },
      ]);

      const [record] = await readAllPreferenceRecords(file);

      assert.equal(record.prompt, 'Say hi.');
      assert.deepEqual(record.chosen, [assistant('Hi!')]);
    });

    it('should infer an implicit prompt from the shared leading messages', async () => {
      const shared = [{ role: 'system', content: 'Be brief.' }, user('Hi'), assistant('Hello!'), user('Capital of France?')];
      const file = await fixtures.writeJsonl('implicit.jsonl', [
        { chosen: [...shared, assistant('Paris.')], rejected: [...shared, assistant('Lyon.'), user('Sure?'), assistant('Yes.')] },
      ]);

      const [record] = await readAllPreferenceRecords(file);

      assert.deepEqual(record.prompt, shared);
      assert.deepEqual(record.chosen, [assistant('Paris.')]);
      assert.deepEqual(record.rejected, [assistant('Lyon.'), user('Sure?'), assistant('Yes.')]);
    });

    it('should remove an explicit prompt repeated in both responses', async () => {
      const prompt = [user('Capital of Italy?')];
      const file = await fixtures.writeJsonl('repeated.jsonl', [
        { prompt, chosen: [...prompt, assistant('Rome.')], rejected: [...prompt, assistant('Milan.')] },
      ]);

      const [record] = await readAllPreferenceRecords(file);

      assert.deepEqual(record.prompt, prompt);
      assert.deepEqual(record.chosen, [assistant('Rome.')]);
      assert.deepEqual(record.rejected, [assistant('Milan.')]);
    });

    it('should keep only role and content of each message', async () => {
      const file = await fixtures.writeJsonl('extra-keys.jsonl', [
        { prompt: [{ ...user('q'), name: 'ann' }], chosen: [{ ...assistant('a'), loss_weight: 1 }], rejected: [assistant('b')] },
      ]);

      const [record] = await readAllPreferenceRecords(file);

      assert.deepEqual(record.prompt, [user('q')]);
      assert.deepEqual(record.chosen, [assistant('a')]);
    });
  });

  describe('field map', () => {
    it('should read mapped nested paths and array indexes', async () => {
      const file = await fixtures.writeJsonl('mapped.jsonl', [
        {
          data: { question: 'Pick one.', answers: { good: 'This one.', bad: 'Neither.' } },
          ratings: [{ value: '6.5' }, { value: 2 }],
          meta: { uid: 'u-1' },
        },
      ]);

      const [record] = await readAllPreferenceRecords(file, {
        fieldMap: {
          prompt: 'data.question',
          chosen: 'data.answers.good',
          rejected: 'data.answers.bad',
          scoreChosen: 'ratings.0.value',
          scoreRejected: 'ratings.1.value',
          id: 'meta.uid',
        },
      });

      assert.equal(record.prompt, 'Pick one.');
      assert.equal(record.chosen, 'This one.');
      assert.equal(record.rejected, 'Neither.');
      assert.deepEqual(record.scores, { chosen: 6.5, rejected: 2 });
      assert.equal(record.id, 'u-1');
    });

    it('should detect fields the map leaves out', async () => {
      const file = await fixtures.writeJsonl('partly-mapped.jsonl', [
        { prompt: 'p', better: 'a', rejected: 'b', metadata: { score_chosen: 5, score_rejected: 4 } },
      ]);

      const [record] = await readAllPreferenceRecords(file, { fieldMap: { chosen: 'better' } });

      assert.equal(record.chosen, 'a');
      assert.equal(record.rejected, 'b');
      assert.deepEqual(record.scores, { chosen: 5, rejected: 4 });
    });

    it('should reject an unknown field map key with a suggestion', async () => {
      const file = await fixtures.writeJsonl('unused.jsonl', []);

      await assert.rejects(
        readAllPreferenceRecords(file, { fieldMap: { promt: 'question' } as never }),
        (error: unknown) => {
          assert.ok(error instanceof RadpoError);
          assert.equal(error.code, 'config');
          assert.match(error.message, /unknown field map key "promt"/);
          assert.match(error.message, /did you mean "prompt"\?/);
          return true;
        },
      );
    });

    it('should reject a path with an empty segment', async () => {
      const file = await fixtures.writeJsonl('unused-2.jsonl', []);

      await assert.rejects(readAllPreferenceRecords(file, { fieldMap: { chosen: 'data..good' } }), (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.equal(error.code, 'config');
        assert.match(error.message, /"data\.\.good"/);
        return true;
      });
    });
  });

  describe('files and formats', () => {
    it('should yield nothing for an empty file', async () => {
      const file = await fixtures.writeText('empty.jsonl', '');
      const stats = createReadStats();

      const records = await readAllPreferenceRecords(file, { stats });

      assert.equal(records.length, 0);
      assert.equal(stats.rowsRead, 0);
    });

    it('should read another extension with a format override', async () => {
      const file = await fixtures.writeJsonl('pairs.txt', [{ prompt: 'p', chosen: 'a', rejected: 'b' }]);

      const records = await readAllPreferenceRecords(file, { format: 'jsonl' });

      assert.equal(records.length, 1);
    });

    it('should reject an unknown extension without format', async () => {
      const file = await fixtures.writeJsonl('pairs.csv', []);

      await assert.rejects(readAllPreferenceRecords(file), (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.equal(error.code, 'config');
        assert.ok(error.message.includes(file));
        assert.match(error.message, /format option/);
        return true;
      });
    });

    it('should reject an invalid format with a suggestion', async () => {
      const file = await fixtures.writeJsonl('format.jsonl', []);

      await assert.rejects(readAllPreferenceRecords(file, { format: 'jsnl' as never }), (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.match(error.message, /did you mean "jsonl"\?/);
        return true;
      });
    });

    it('should report a missing file as an io error', async () => {
      const file = `${fixtures.path}/does-not-exist.jsonl`;

      await assert.rejects(readAllPreferenceRecords(file), (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.equal(error.code, 'io');
        assert.match(error.message, /not found/);
        assert.ok(error.message.includes(file));
        return true;
      });
    });

    it('should read lazily and stop when the caller stops', async () => {
      const rows = Array.from({ length: 50 }, (_, i) => ({ prompt: 'p', chosen: `a${i}`, rejected: 'b' }));
      const file = await fixtures.writeJsonl('lazy.jsonl', rows);
      const stats = createReadStats();

      const seen: string[] = [];
      for await (const record of readPreferenceRecords(file, { stats })) {
        seen.push(record.chosen as string);
        if (seen.length === 3) break;
      }

      assert.deepEqual(seen, ['a0', 'a1', 'a2']);
      assert.equal(stats.rowsRead, 3);
      assert.equal(stats.rowsYielded, 3);
    });
  });
});
