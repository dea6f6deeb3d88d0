import assert from 'node:assert/strict';
import { createReadStats, readAllPreferenceRecords, tokenizePairs } from '../src';
import { createFixtureDir, expectDataError, type FixtureDir } from './fixtures';

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

/** One token per UTF-8 byte, with BOS and EOS, like the built-in model's tokenizer. */
const byteTokenizer = {
  vocabSize: 258,
  bosId: 256,
  eosId: 257,
  padId: 257,
  encode: (text: string) => Array.from(new TextEncoder().encode(text)),
  decode: (ids: readonly number[]) => new TextDecoder().decode(Uint8Array.from(ids.filter((id) => id < 256))),
};

describe('readPreferenceRecords edge cases', () => {
  let fixtures: FixtureDir;

  before(async () => {
    fixtures = await createFixtureDir();
  });

  after(async () => {
    await fixtures.remove();
  });

  it('should read mixed shapes in one JSONL file', async () => {
    const shared = [user('Capital of France?')];
    const file = await fixtures.writeJsonl('mixed-shapes.jsonl', [
      { prompt: 'Name a fruit.', chosen: 'Apple.', rejected: 'Brick.' },
      { prompt: shared, chosen: [assistant('Paris.')], rejected: [assistant('Lyon.')] },
      { chosen: [...shared, assistant('Paris.')], rejected: [...shared, assistant('Nice.')] },
      { prompt: 'Say hi.', chosen: [assistant('Hi!')], rejected: [assistant('No.')], score_chosen: '7.5', score_rejected: 2 },
    ]);

    const records = await readAllPreferenceRecords(file);

    assert.equal(records.length, 4);
    assert.equal(records[0].prompt, 'Name a fruit.');
    assert.deepEqual(records[1].prompt, shared);
    assert.deepEqual(records[2].prompt, shared);
    assert.deepEqual(records[2].rejected, [assistant('Nice.')]);
    assert.deepEqual(records[3].scores, { chosen: 7.5, rejected: 2 });
  });

  it('should reject a bare NaN score as invalid JSON', async () => {
    const file = await fixtures.writeText('nan-score.jsonl', '{"prompt": "p", "chosen": "a", "rejected": "b", "score_chosen": NaN, "score_rejected": 1}\n');

    await expectDataError(readAllPreferenceRecords(file), { reason: 'invalid-json', file, line: 1 });
  });

  it('should count repeated ids and keep their rows', async () => {
    const file = await fixtures.writeJsonl('repeated-ids.jsonl', [
      { id: 'a', prompt: 'p', chosen: 'x', rejected: 'y' },
      { id: 'b', prompt: 'p', chosen: 'x', rejected: 'y' },
      { id: 'a', prompt: 'q', chosen: 'x', rejected: 'y' },
      { id: 'a', prompt: 'r', chosen: 'x', rejected: 'y' },
      { id: 'c', prompt: 'p', chosen: 'x', rejected: 'y' },
    ]);
    const stats = createReadStats();

    const records = await readAllPreferenceRecords(file, { stats });

    assert.equal(records.length, 5);
    assert.equal(stats.duplicateIds, 2);
    assert.deepEqual(stats.firstDuplicateId, { id: 'a', line: 3, firstLine: 1 });
  });

  it('should not count line-number ids as repeated', async () => {
    const row = { prompt: 'p', chosen: 'x', rejected: 'y' };
    const file = await fixtures.writeJsonl('line-ids.jsonl', [row, row, row]);
    const stats = createReadStats();

    await readAllPreferenceRecords(file, { stats });

    assert.equal(stats.duplicateIds, 0);
  });

  it('should not count the id of a skipped row', async () => {
    const file = await fixtures.writeJsonl('skipped-id.jsonl', [
      { id: 'a', prompt: 'p', chosen: 7, rejected: 'y' },
      { id: 'a', prompt: 'p', chosen: 'x', rejected: 'y' },
    ]);
    const stats = createReadStats();

    await readAllPreferenceRecords(file, { stats, onBadRow: 'skip' });

    assert.equal(stats.duplicateIds, 0);
    assert.deepEqual(stats.skipped, { 'invalid-type': 1 });
  });

  it('should cut a 50,000-character response to the max length', async () => {
    const long = 'x'.repeat(50_000);
    const file = await fixtures.writeJsonl('long-response.jsonl', [{ prompt: 'Write a lot.', chosen: long, rejected: 'Short.' }]);
    const records = await readAllPreferenceRecords(file);
    const stats = { pairs: 0, truncatedPrompts: 0, truncatedResponses: 0, identicalAfterTruncation: 0 };

    const [pair] = tokenizePairs(records, byteTokenizer, { maxLength: 64, maxPromptLength: 32 }, stats);

    assert.equal((records[0].chosen as string).length, 50_000);
    assert.equal(pair.promptIds.length + pair.chosenIds.length, 64);
    assert.ok(pair.promptIds.length + pair.rejectedIds.length <= 64);
    assert.equal(stats.truncatedResponses, 1);
  });
});
