import assert from 'node:assert/strict';
import { RadpoError } from '@radpo/core';
import { createReadStats, readAllPreferenceRecords, readPreferenceRecords } from '../src';
import { JsonArrayScanner } from '../src/json-array-scanner';
import { createFixtureDir, expectDataError, type FixtureDir } from './fixtures';

const assistant = (content: string) => ({ role: 'assistant', content });

describe('JsonArrayScanner', () => {
  const text = '[ {"a": "x ] y [ z", "b": [1, {"c": "}"}]},\n  "say \\"]\\" and \\\\", 3 , [ ] ,{"d":"\\\\\\""}]  \n';
  const expected = [
    '{"a": "x ] y [ z", "b": [1, {"c": "}"}]}',
    '"say \\"]\\" and \\\\"',
    '3',
    '[ ]',
    '{"d":"\\\\\\""}',
  ];

  it('should split elements with brackets and escapes in strings', () => {
    const scanner = new JsonArrayScanner('whole.json');

    const elements = scanner.push(text);
    scanner.finish();

    assert.deepEqual(
      elements.map((element) => element.text),
      expected,
    );
    assert.deepEqual(
      elements.map((element) => element.line),
      [1, 2, 3, 4, 5],
    );
  });

  it('should give the same elements one character at a time', () => {
    const scanner = new JsonArrayScanner('by-char.json');

    const elements = [...text].flatMap((char) => scanner.push(char));
    scanner.finish();

    assert.deepEqual(
      elements.map((element) => element.text),
      expected,
    );
  });

  it('should parse every element it returns', () => {
    const scanner = new JsonArrayScanner('parse.json');

    const values = scanner.push(text).map((element) => JSON.parse(element.text));

    assert.deepEqual(values[0], { a: 'x ] y [ z', b: [1, { c: '}' }] });
    assert.equal(values[1], 'say "]" and \\');
    assert.deepEqual(values[4], { d: '\\"' });
  });

  it('should return empty text for empty elements', () => {
    const scanner = new JsonArrayScanner('commas.json');

    const elements = scanner.push('[1,,2,]');
    scanner.finish();

    assert.deepEqual(
      elements.map((element) => element.text),
      ['1', '', '2', ''],
    );
  });

  it('should accept empty input and an empty array', () => {
    for (const input of ['', '  \n', '[]', ' [ \n ] ']) {
      const scanner = new JsonArrayScanner('empty.json');

      const elements = scanner.push(input);
      scanner.finish();

      assert.equal(elements.length, 0, JSON.stringify(input));
    }
  });

  it('should reject an unclosed array at finish', () => {
    const scanner = new JsonArrayScanner('open.json');
    scanner.push('[{"a": 1}, {"b": "unterminated}]');

    assert.throws(() => scanner.finish(), (error: unknown) => {
      assert.ok(error instanceof RadpoError);
      assert.equal(error.code, 'data');
      assert.match(error.message, /"open\.json" ends before its JSON array is closed; the last complete element is 1/);
      return true;
    });
  });
});

describe('readPreferenceRecords on a JSON array', () => {
  let fixtures: FixtureDir;

  before(async () => {
    fixtures = await createFixtureDir();
  });

  after(async () => {
    await fixtures.remove();
  });

  it('should read flattened and conversational elements', async () => {
    const file = await fixtures.writeText(
      'mixed.json',
      JSON.stringify(
        [
          { prompt: 'Name a fruit.', chosen: 'Apple.', rejected: 'Brick.', score_chosen: 9, score_rejected: 1, id: 'f1' },
          { prompt: [{ role: 'user', content: 'Hi' }], chosen: [assistant('Hello!')], rejected: [assistant('Go away.')] },
        ],
        null,
        2,
      ),
    );

    const records = await readAllPreferenceRecords(file);

    assert.equal(records.length, 2);
    assert.equal(records[0].id, 'f1');
    assert.deepEqual(records[0].scores, { chosen: 9, rejected: 1 });
    assert.deepEqual(records[1].chosen, [assistant('Hello!')]);
    assert.deepEqual(records[1].origin, { file, line: 2 });
    assert.equal(records[1].id, '2');
  });

  it('should keep strings with brackets and escaped quotes intact', async () => {
    const tricky = { prompt: 'Close with ] or }, then [ and {', chosen: 'He said "]" and left\\', rejected: '",{"x":[' };
    const file = await fixtures.writeText('tricky.json', JSON.stringify([tricky, { ...tricky, chosen: 'second' }]));

    const records = await readAllPreferenceRecords(file);

    assert.equal(records.length, 2);
    assert.equal(records[0].prompt, tricky.prompt);
    assert.equal(records[0].chosen, tricky.chosen);
    assert.equal(records[0].rejected, tricky.rejected);
    assert.equal(records[1].chosen, 'second');
  });

  it('should stream arrays larger than one read', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ prompt: `prompt ${i} [x]`, chosen: `good "${i}"`, rejected: `bad {${i}}` }));
    const file = await fixtures.writeText('large.json', JSON.stringify(rows));
    const stats = createReadStats();

    const records = await readAllPreferenceRecords(file, { stats });

    assert.equal(records.length, 3000);
    assert.equal(records[2999].chosen, 'good "2999"');
    assert.equal(records[2999].origin?.line, 3000);
    assert.equal(records[1234].rejected, 'bad {1234}');
    assert.equal(stats.rowsRead, 3000);
  });

  it('should name the element in bad-row messages', async () => {
    const file = await fixtures.writeText('bad-element.json', '[{"prompt": "p", "chosen": "a", "rejected": "b"}, {"prompt": "p", "chosen": "a"}]');

    const error = await expectDataError(readAllPreferenceRecords(file), { reason: 'missing-field', file, line: 2, field: 'rejected' });

    assert.match(error.message, /element 2: /);
  });

  it('should report a malformed element as invalid JSON', async () => {
    const file = await fixtures.writeText('malformed.json', '[{"prompt": "p", "chosen": "a", "rejected": "b"},\n {prompt: "p"}]');

    const error = await expectDataError(readAllPreferenceRecords(file), { reason: 'invalid-json', file, line: 2 });

    assert.match(error.message, /element 2: invalid JSON: /);
    assert.match(error.message, /each element of the array to be a JSON object/);
  });

  it('should skip bad elements and keep element numbers', async () => {
    const good = (text: string) => JSON.stringify({ prompt: 'p', chosen: text, rejected: 'b' });
    const file = await fixtures.writeText('skip.json', `[${good('one')}, 7, {oops}, ${good('four')},]`);
    const stats = createReadStats();

    const records = await readAllPreferenceRecords(file, { onBadRow: 'skip', stats });

    assert.deepEqual(
      records.map((record) => record.origin?.line),
      [1, 4],
    );
    assert.equal(stats.rowsRead, 5);
    assert.deepEqual(stats.skipped, { 'not-an-object': 1, 'invalid-json': 2 });
  });

  it('should yield nothing for an empty file or array', async () => {
    for (const [name, text] of [
      ['empty.json', ''],
      ['empty-array.json', ' [ ]\n'],
    ]) {
      const file = await fixtures.writeText(name, text);

      const records = await readAllPreferenceRecords(file);

      assert.equal(records.length, 0, name);
    }
  });

  it('should reject a file that is not an array', async () => {
    const file = await fixtures.writeText('object.json', '{"prompt": "p", "chosen": "a", "rejected": "b"}\n');

    await assert.rejects(readAllPreferenceRecords(file, { onBadRow: 'skip' }), (error: unknown) => {
      assert.ok(error instanceof RadpoError);
      assert.equal(error.code, 'data');
      assert.ok(error.message.includes(file));
      assert.match(error.message, /is not a JSON array/);
      assert.match(error.message, /name it \.jsonl or set the format option to 'jsonl'/);
      return true;
    });
  });

  it('should reject a truncated array after its complete elements', async () => {
    const good = JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b' });
    const file = await fixtures.writeText('truncated.json', `[${good}, ${good}, {"prompt": "p", "cho`);

    const seen: number[] = [];
    const reading = (async () => {
      for await (const record of readPreferenceRecords(file)) seen.push(record.origin?.line ?? 0);
    })();

    await assert.rejects(reading, (error: unknown) => {
      assert.ok(error instanceof RadpoError);
      assert.match(error.message, /ends before its JSON array is closed; the last complete element is 2/);
      return true;
    });
    assert.deepEqual(seen, [1, 2]);
  });

  it('should reject content after the array', async () => {
    const file = await fixtures.writeText('two-arrays.json', '[]\n[]\n');

    await assert.rejects(readAllPreferenceRecords(file), (error: unknown) => {
      assert.ok(error instanceof RadpoError);
      assert.match(error.message, /continues after its JSON array closed \(after element 0\)/);
      return true;
    });
  });

  it('should read an array from another extension with a format override', async () => {
    const file = await fixtures.writeText('pairs.data', JSON.stringify([{ prompt: 'p', chosen: 'a', rejected: 'b' }]));

    const records = await readAllPreferenceRecords(file, { format: 'json' });

    assert.equal(records.length, 1);
  });
});
