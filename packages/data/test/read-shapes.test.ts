import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ChatMessage, PreferenceRecord } from '@radpo/core';
import { createReadStats, readAllPreferenceRecords, type ReadOptions } from '../src';
import { createFixtureDir, expectDataError, type FixtureDir } from './fixtures';

const SHARED = path.resolve(__dirname, '../../../../shared/data');

describe('readPreferenceRecords shape detection', () => {
  let fixtures: FixtureDir;

  before(async () => {
    fixtures = await createFixtureDir();
  });

  after(async () => {
    await fixtures.remove();
  });

  async function readRows(rows: unknown[], options: ReadOptions = {}): Promise<PreferenceRecord[]> {
    const file = await fixtures.writeJsonl(`rows-${Math.random().toString(36).slice(2)}.jsonl`, rows);
    return readAllPreferenceRecords(file, options);
  }

  describe('HH-RLHF dialogues', () => {
    it('should recover shared turns as the prompt', async () => {
      const [record] = await readRows([
        {
          chosen: '\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Name a fruit.\n\nAssistant: An apple.',
          rejected: '\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Name a fruit.\n\nAssistant: A car.',
        },
      ]);
      assert.deepEqual(record.prompt, [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'Name a fruit.' },
      ]);
      assert.equal(record.chosen, 'An apple.');
      assert.equal(record.rejected, 'A car.');
    });

    it('should back the prompt up to the last shared human turn', async () => {
      const [record] = await readRows([
        {
          chosen: '\n\nHuman: Q\n\nAssistant: Same start',
          rejected: '\n\nHuman: Q\n\nAssistant: Same start\n\nHuman: more?\n\nAssistant: yes',
        },
      ]);
      assert.deepEqual(record.prompt, [{ role: 'user', content: 'Q' }]);
      assert.equal(record.chosen, 'Same start');
      assert.deepEqual(record.rejected, [
        { role: 'assistant', content: 'Same start' },
        { role: 'user', content: 'more?' },
        { role: 'assistant', content: 'yes' },
      ]);
    });

    it('should reject identical dialogues with the row line', async () => {
      const file = await fixtures.writeJsonl('hh-same.jsonl', [
        { chosen: '\n\nHuman: Q\n\nAssistant: A', rejected: '\n\nHuman: Q\n\nAssistant: B' },
        { chosen: '\n\nHuman: Q\n\nAssistant: A', rejected: '\n\nHuman: Q\n\nAssistant: A' },
      ]);
      await expectDataError(readAllPreferenceRecords(file), { reason: 'identical-responses', file, line: 2 });
    });
  });

  describe('LLaMA-Factory ranking rows', () => {
    it('should read sharegpt conversations with a system', async () => {
      const [record] = await readRows([
        {
          system: 'Be kind.',
          conversations: [
            { from: 'human', value: 'Hi' },
            { from: 'gpt', value: 'Hello' },
            { from: 'human', value: 'Bye?' },
          ],
          chosen: { from: 'gpt', value: 'Goodbye!' },
          rejected: { from: 'gpt', value: 'No.' },
        },
      ]);
      assert.deepEqual(record.prompt, [
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Bye?' },
      ]);
      assert.equal(record.chosen, 'Goodbye!');
      assert.equal(record.rejected, 'No.');
    });

    it('should name an unknown sharegpt role', async () => {
      const file = await fixtures.writeJsonl('sharegpt-role.jsonl', [
        { conversations: [{ from: 'robot', value: 'Hi' }], chosen: { from: 'gpt', value: 'a' }, rejected: { from: 'gpt', value: 'b' } },
      ]);
      const error = await expectDataError(readAllPreferenceRecords(file), {
        reason: 'invalid-type',
        file,
        line: 1,
        field: 'conversations.0.from',
      });
      assert.match(error.message, /"robot"/);
    });

    it('should join alpaca instruction and input', async () => {
      const [record] = await readRows([{ instruction: 'Translate.', input: 'Hallo', chosen: 'Hello', rejected: 'Bye' }]);
      assert.equal(record.prompt, 'Translate.\nHallo');
      assert.equal(record.chosen, 'Hello');
    });

    it('should put alpaca history before the instruction', async () => {
      const [record] = await readRows([{ instruction: 'And 3+3?', history: [['2+2?', '4']], chosen: '6', rejected: '7' }]);
      assert.deepEqual(record.prompt, [
        { role: 'user', content: '2+2?' },
        { role: 'assistant', content: '4' },
        { role: 'user', content: 'And 3+3?' },
      ]);
    });
  });

  describe('Orca message lists', () => {
    it('should join text parts and split the shared prompt', async () => {
      const message = (role: string, value: string) => ({ role, content: [{ type: 'text', value }], loss_weight: 0 });
      const [record] = await readRows([
        {
          chosen_messages: [message('system', 'Sys'), message('user', 'Q'), message('assistant', 'Good')],
          rejected_messages: [message('system', 'Sys'), message('user', 'Q'), message('assistant', 'Bad')],
        },
      ]);
      assert.deepEqual(record.prompt, [
        { role: 'system', content: 'Sys' },
        { role: 'user', content: 'Q' },
      ]);
      assert.equal(record.chosen, 'Good');
      assert.equal(record.rejected, 'Bad');
    });
  });

  describe('HelpSteer2 rows', () => {
    const nemoText = (question: string, answer: string) =>
      `<extra_id_0>System\nBe helpful.\n<extra_id_1>User\n${question}\n<extra_id_1>Assistant\n${answer}\n<extra_id_2>`;
    const label = (helpfulness: number, rest: number[]) => [-100, -100, -100, -100, helpfulness, ...rest];

    it('should pair adjacent responses to one prompt', async () => {
      const stats = createReadStats();
      const records = await readRows(
        [
          { text: nemoText('Q1', 'weak'), label: label(1, [2, 3, 1, 1]) },
          { text: nemoText('Q1', 'strong'), label: label(4, [4, 4, 3, 2]) },
          { text: nemoText('Q2', 'only'), label: label(3, [3, 3, 3, 3]) },
        ],
        { stats },
      );
      assert.equal(records.length, 1);
      assert.deepEqual(records[0].prompt, [
        { role: 'system', content: 'Be helpful.' },
        { role: 'user', content: 'Q1' },
      ]);
      assert.equal(records[0].chosen, 'strong');
      assert.equal(records[0].rejected, 'weak');
      assert.deepEqual(records[0].scores, {
        chosen: 4,
        rejected: 1,
        attributes: {
          chosen: { helpfulness: 4, correctness: 4, coherence: 4, complexity: 3, verbosity: 2 },
          rejected: { helpfulness: 1, correctness: 2, coherence: 3, complexity: 1, verbosity: 1 },
        },
      });
      assert.equal(stats.rowsRead, 3);
      assert.deepEqual(stats.skipped, { 'single-candidate': 1 });
    });

    it('should reject a label of the wrong length', async () => {
      const file = await fixtures.writeJsonl('nemo-label.jsonl', [{ text: nemoText('Q', 'A'), label: [1, 2, 3] }]);
      await expectDataError(readAllPreferenceRecords(file), { reason: 'invalid-score', file, line: 1, field: 'label' });
    });

    it('should read the published columns too', async () => {
      const row = (response: string, helpfulness: number) => ({
        prompt: 'Q',
        response,
        helpfulness,
        correctness: 3,
        coherence: 4,
        complexity: 2,
        verbosity: 1,
      });
      const [record] = await readRows([row('a', 2), row('b', 3)]);
      assert.equal(record.chosen, 'b');
      assert.equal(record.scores?.attributes?.chosen.verbosity, 1);
    });
  });

  describe('UltraFeedback completions', () => {
    const row = {
      instruction: 'Write a haiku.',
      completions: [
        { response: 'r0', overall_score: 6, annotations: { honesty: { Rating: '4' }, helpfulness: { Rating: 'N/A' } } },
        { response: 'r1', overall_score: 9, annotations: { honesty: { Rating: '5' } } },
        { response: 'r2', overall_score: 3, annotations: { honesty: { Rating: '2' } } },
        { response: 'r3', overall_score: 6, annotations: { honesty: { Rating: '3' } } },
      ],
    };

    it('should pair best with worst', async () => {
      const [record, ...rest] = await readRows([row], { pairing: 'best-vs-worst' });
      assert.equal(rest.length, 0);
      assert.equal(record.chosen, 'r1');
      assert.equal(record.rejected, 'r2');
      assert.deepEqual(record.scores?.attributes?.chosen, { honesty: 5 });
    });

    it('should pair best with a seeded random other', async () => {
      const rejectedFor = async (seed: number) => (await readRows([row, row, row, row, row, row], { seed })).map((r) => r.rejected);
      const first = await rejectedFor(1);
      assert.equal(first.length, 6);
      for (const rejected of first) assert.notEqual(rejected, 'r1');
      assert.deepEqual(await rejectedFor(1), first);
      assert.ok(new Set(first).size > 1, `expected several draws, got ${first.join(', ')}`);
    });

    it('should build all pairs with distinct scores', async () => {
      const records = await readRows([row], { pairing: 'all-pairs' });
      const pairs = records.map((record) => `${record.chosen}>${record.rejected}`).sort();
      assert.deepEqual(pairs, ['r0>r2', 'r1>r0', 'r1>r2', 'r1>r3', 'r3>r2']);
    });

    it('should reject a completion without a score', async () => {
      const file = await fixtures.writeJsonl('uf-missing.jsonl', [{ instruction: 'Q', completions: [{ response: 'a' }, { response: 'b', overall_score: 2 }] }]);
      await expectDataError(readAllPreferenceRecords(file), { reason: 'missing-score', file, line: 1, field: 'completions.0.overall_score' });
    });
  });

  describe('compressed files', () => {
    const rows = [
      { prompt: 'q1', chosen: 'a', rejected: 'b', score_chosen: 2, score_rejected: 1 },
      { prompt: 'q2', chosen: 'c', rejected: 'd', score_chosen: 5, score_rejected: 3 },
    ];

    it('should read gzip-compressed JSONL', async () => {
      const file = path.join(fixtures.path, 'rows.jsonl.gz');
      await writeFile(file, gzipSync(rows.map((row) => JSON.stringify(row)).join('\n')));
      const records = await readAllPreferenceRecords(file);
      assert.deepEqual(records.map((record) => record.prompt), ['q1', 'q2']);
      assert.deepEqual(records[1].scores, { chosen: 5, rejected: 3 });
    });

    it('should read a gzip-compressed JSON array', async () => {
      const file = path.join(fixtures.path, 'rows.json.gz');
      await writeFile(file, gzipSync(JSON.stringify(rows)));
      const records = await readAllPreferenceRecords(file);
      assert.equal(records.length, 2);
    });

    it('should report a .gz file that is not gzip', async () => {
      const file = await fixtures.writeText('plain.jsonl.gz', '{"prompt": "q"}\n');
      await assert.rejects(readAllPreferenceRecords(file), /is not valid gzip data/);
    });
  });
});

describe('readPreferenceRecords on public data without a field map', function () {
  const files: [string, number][] = [
    ['hh-rlhf/hub_samples/helpful_train_sample.jsonl', 500],
    ['hh-rlhf/hub_samples/harmless_train_sample.jsonl', 500],
    ['llamafactory_demo/dpo_en_demo.json', 300],
    ['orca_dpo_pairs/v1_dpo_demo.jsonl', 10],
    ['helpsteer2/test-rm.jsonl', 4],
  ];

  before(function () {
    if (!existsSync(SHARED)) this.skip();
  });

  for (const [name, pairs] of files) {
    it(`should read ${path.basename(name)} into ${pairs} pairs`, async () => {
      const stats = createReadStats();
      const records = await readAllPreferenceRecords(path.join(SHARED, name), { stats });
      assert.equal(records.length, pairs);
      assert.deepEqual(stats.skipped, {});
      for (const record of records) {
        const prompt = Array.isArray(record.prompt) ? record.prompt : [{ role: 'user', content: record.prompt }];
        assert.equal((prompt as ChatMessage[]).at(-1)?.role, 'user', `${record.id}: the prompt should end with a user turn`);
      }
    });
  }

  it('should give HelpSteer2 pairs their five attributes', async () => {
    const records = await readAllPreferenceRecords(path.join(SHARED, 'helpsteer2/test-rm.jsonl'));
    for (const record of records) {
      assert.deepEqual(Object.keys(record.scores!.attributes!.chosen), ['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity']);
      assert.ok(record.scores!.chosen >= record.scores!.rejected, record.id);
    }
  });

  it('should strip HH turn markers from the response', async () => {
    const [record] = await readAllPreferenceRecords(path.join(SHARED, 'hh-rlhf/hub_samples/helpful_train_sample.jsonl'));
    assert.equal(typeof record.chosen, 'string');
    assert.doesNotMatch(record.chosen as string, /Human:|Assistant:/);
  });
});
