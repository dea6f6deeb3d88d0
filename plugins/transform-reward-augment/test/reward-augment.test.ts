import assert from 'node:assert/strict';
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  DataError,
  PluginRegistry,
  RadpoError,
  type ChatMessage,
  type PreferenceRecord,
  type TransformContext,
} from '@radpo/core';
import {
  DEFAULT_ATTRIBUTE_FORMAT,
  DEFAULT_TEMPLATE,
  createRewardAugment,
  formatScore,
  rewardAugmentPlugin,
  type RewardAugmentStats,
  type RewardAugmentTransform,
} from '../src';

const ULTRAFEEDBACK_TRAIN =
  '/work/shared/data/ultrafeedback/trl-lib_ultrafeedback_binarized_sample/train_clean.jsonl';

// A short template makes the expected condition texts easy to write out in full.
const TEMPLATE = 'Goal: {score} of {min}-{max}.';

function context(split: TransformContext['split'] = 'train'): TransformContext {
  return { split, warn: () => undefined };
}

async function* streamOf(records: PreferenceRecord[]): AsyncGenerator<PreferenceRecord> {
  yield* records;
}

async function collect(source: AsyncIterable<PreferenceRecord>): Promise<PreferenceRecord[]> {
  const out: PreferenceRecord[] = [];
  for await (const record of source) out.push(record);
  return out;
}

function scoredPair(line: number, chosen: number, rejected: number): PreferenceRecord {
  return {
    id: `pair-${line}`,
    prompt: `question ${line}`,
    chosen: `good answer ${line}`,
    rejected: `weak answer ${line}`,
    scores: { chosen, rejected },
    origin: { file: 'train.jsonl', line },
  };
}

/** Three pairs, the second of them a tie. */
function threePairsWithOneTie(): PreferenceRecord[] {
  return [scoredPair(1, 9, 4), scoredPair(2, 6, 6), scoredPair(3, 8, 7.5)];
}

/** Expected stats: the counts given, every other count zero. */
function statsWith(counts: Partial<RewardAugmentStats>): RewardAugmentStats {
  return {
    rowsIn: 0,
    rowsOut: 0,
    ties: 0,
    tiesDropped: 0,
    inconsistent: 0,
    augmented: 0,
    unaugmentedKept: 0,
    unaugmentedDropped: 0,
    ...counts,
  };
}

function systemText(record: PreferenceRecord): string {
  assert.ok(Array.isArray(record.prompt), 'expected a message-list prompt');
  const first = (record.prompt as ChatMessage[])[0];
  assert.equal(first.role, 'system');
  return first.content;
}

describe('reward-augment transform', () => {
  describe('counts', () => {
    it('should double pairs when keeping ties', async () => {
      const transform = createRewardAugment();
      const out = await collect(transform.apply(streamOf(threePairsWithOneTie()), context()));
      assert.equal(out.length, 6);
      assert.deepEqual(transform.stats('train'), statsWith({ rowsIn: 3, rowsOut: 6, ties: 1, tiesDropped: 0, augmented: 3 }));
    });

    it('should drop and count ties', async () => {
      const transform = createRewardAugment({ ties: 'drop' });
      const out = await collect(transform.apply(streamOf(threePairsWithOneTie()), context()));
      assert.equal(out.length, 4);
      assert.deepEqual(
        out.map((record) => record.id),
        ['pair-1#goal=chosen', 'pair-1#goal=rejected', 'pair-3#goal=chosen', 'pair-3#goal=rejected'],
      );
      assert.deepEqual(transform.stats('train'), statsWith({ rowsIn: 3, rowsOut: 4, ties: 1, tiesDropped: 1, augmented: 2 }));
    });

    it('should keep one copy per tie under chosen-goal', async () => {
      const transform = createRewardAugment({ ties: 'chosen-goal' });
      const out = await collect(transform.apply(streamOf(threePairsWithOneTie()), context()));
      assert.equal(out.length, 5);
      assert.deepEqual(
        out.map((record) => record.id),
        [
          'pair-1#goal=chosen',
          'pair-1#goal=rejected',
          'pair-2#goal=chosen',
          'pair-3#goal=chosen',
          'pair-3#goal=rejected',
        ],
      );
      assert.deepEqual(transform.stats('train'), statsWith({ rowsIn: 3, rowsOut: 5, ties: 1, tiesDropped: 0, augmented: 3 }));
    });

    it('should reset counts on each pass', async () => {
      const transform = createRewardAugment();
      await collect(transform.apply(streamOf(threePairsWithOneTie()), context()));
      await collect(transform.apply(streamOf([scoredPair(1, 9, 4)]), context()));
      assert.deepEqual(transform.stats('train'), statsWith({ rowsIn: 1, rowsOut: 2, ties: 0, tiesDropped: 0, augmented: 1 }));
      assert.deepEqual(transform.stats('eval'), statsWith({ rowsIn: 0, rowsOut: 0, ties: 0, tiesDropped: 0 }));
    });

    it('should stream without buffering input', async () => {
      let pulled = 0;
      async function* counting(): AsyncGenerator<PreferenceRecord> {
        for (const record of threePairsWithOneTie()) {
          pulled += 1;
          yield record;
        }
      }
      const iterator = createRewardAugment().apply(counting(), context())[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.next();
      assert.equal(pulled, 1);
      await iterator.next();
      assert.equal(pulled, 2);
    });
  });

  describe('pairs', () => {
    it('should keep order in chosen-goal copy', async () => {
      const [first] = await collect(createRewardAugment().apply(streamOf([scoredPair(4, 9, 4)]), context()));
      assert.equal(first.id, 'pair-4#goal=chosen');
      assert.equal(first.chosen, 'good answer 4');
      assert.equal(first.rejected, 'weak answer 4');
      assert.deepEqual(first.scores, { chosen: 9, rejected: 4 });
      assert.deepEqual(first.origin, { file: 'train.jsonl', line: 4 });
    });

    it('should swap responses in rejected-goal copy', async () => {
      const [, second] = await collect(createRewardAugment().apply(streamOf([scoredPair(4, 9, 4)]), context()));
      assert.equal(second.id, 'pair-4#goal=rejected');
      assert.equal(second.chosen, 'weak answer 4');
      assert.equal(second.rejected, 'good answer 4');
      assert.deepEqual(second.scores, { chosen: 4, rejected: 9 });
      assert.deepEqual(second.origin, { file: 'train.jsonl', line: 4 });
    });

    it('should swap attribute scores too', async () => {
      const record = scoredPair(1, 9, 4);
      record.scores!.attributes = { chosen: { helpfulness: 4 }, rejected: { helpfulness: 2 } };
      const [, second] = await collect(createRewardAugment().apply(streamOf([record]), context()));
      assert.deepEqual(second.scores?.attributes, { chosen: { helpfulness: 2 }, rejected: { helpfulness: 4 } });
    });

    it('should derive ids from the origin', async () => {
      const record = scoredPair(12, 9, 4);
      delete record.id;
      const out = await collect(createRewardAugment().apply(streamOf([record]), context()));
      assert.equal(out[0].id, 'train.jsonl:12#goal=chosen');
      assert.equal(out[1].id, 'train.jsonl:12#goal=rejected');
    });

    it('should leave the input record unchanged', async () => {
      const record: PreferenceRecord = {
        ...scoredPair(1, 9, 4),
        prompt: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'question 1' },
        ],
      };
      const before = structuredClone(record);
      await collect(createRewardAugment().apply(streamOf([record]), context()));
      assert.deepEqual(record, before);
    });
  });

  describe('condition text', () => {
    it('should put each goal in a system message', async () => {
      const transform = createRewardAugment({ template: TEMPLATE });
      const [first, second] = await collect(transform.apply(streamOf([scoredPair(1, 9, 4)]), context()));
      assert.deepEqual(first.prompt, [
        { role: 'system', content: 'Goal: 9 of 1-10.' },
        { role: 'user', content: 'question 1' },
      ]);
      assert.deepEqual(second.prompt, [
        { role: 'system', content: 'Goal: 4 of 1-10.' },
        { role: 'user', content: 'question 1' },
      ]);
    });

    it('should prefix each goal to the user text', async () => {
      const transform = createRewardAugment({ template: TEMPLATE, placement: 'user-prefix' });
      const [first, second] = await collect(transform.apply(streamOf([scoredPair(1, 9, 4)]), context()));
      assert.equal(first.prompt, 'Goal: 9 of 1-10.\n\nquestion 1');
      assert.equal(second.prompt, 'Goal: 4 of 1-10.\n\nquestion 1');
    });

    it('should merge into an existing system message', async () => {
      const record: PreferenceRecord = {
        ...scoredPair(1, 9, 4),
        prompt: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'question 1' },
        ],
      };
      const [first] = await collect(createRewardAugment({ template: TEMPLATE }).apply(streamOf([record]), context()));
      assert.deepEqual(first.prompt, [
        { role: 'system', content: 'Goal: 9 of 1-10.\n\nBe brief.' },
        { role: 'user', content: 'question 1' },
      ]);
    });

    it('should prepend a system message to chats', async () => {
      const record: PreferenceRecord = {
        ...scoredPair(1, 9, 4),
        prompt: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
          { role: 'user', content: 'question 1' },
        ],
      };
      const [first] = await collect(createRewardAugment({ template: TEMPLATE }).apply(streamOf([record]), context()));
      assert.deepEqual(first.prompt, [
        { role: 'system', content: 'Goal: 9 of 1-10.' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'question 1' },
      ]);
    });

    it('should prefix only the first user turn', async () => {
      const record: PreferenceRecord = {
        ...scoredPair(1, 9, 4),
        prompt: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
          { role: 'user', content: 'question 1' },
        ],
      };
      const transform = createRewardAugment({ template: TEMPLATE, placement: 'user-prefix' });
      const [, second] = await collect(transform.apply(streamOf([record]), context()));
      assert.deepEqual(second.prompt, [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Goal: 4 of 1-10.\n\nhi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'question 1' },
      ]);
    });

    it('should fill the default template', async () => {
      const [first] = await collect(createRewardAugment().apply(streamOf([scoredPair(1, 9, 4)]), context()));
      const expected = DEFAULT_TEMPLATE.replace('{score}', '9').replace('{min}', '1').replace('{max}', '10');
      assert.equal(systemText(first), expected);
      assert.doesNotMatch(expected, /[{}]/);
    });

    it('should write 9.0 as 9 and 7.5 as 7.5', async () => {
      const transform = createRewardAugment({ template: TEMPLATE });
      const [first, second] = await collect(transform.apply(streamOf([scoredPair(1, 9.0, 7.5)]), context()));
      assert.equal(systemText(first), 'Goal: 9 of 1-10.');
      assert.equal(systemText(second), 'Goal: 7.5 of 1-10.');
    });

    it('should format scores with at most 2 decimals', () => {
      assert.equal(formatScore(9.0), '9');
      assert.equal(formatScore(7.5), '7.5');
      assert.equal(formatScore(7.25), '7.25');
      assert.equal(formatScore(7.125), '7.13');
      assert.equal(formatScore(6.999), '7');
      assert.equal(formatScore(0.5), '0.5');
    });
  });

  describe('eval conditioning', () => {
    it('should condition eval on scaleMax by default', async () => {
      const transform = createRewardAugment({ template: TEMPLATE });
      const out = await collect(transform.applyEval!(streamOf([scoredPair(1, 9, 4), scoredPair(2, 5, 5)]), context('eval')));
      assert.equal(out.length, 2);
      assert.deepEqual(out[0].prompt, [
        { role: 'system', content: 'Goal: 10 of 1-10.' },
        { role: 'user', content: 'question 1' },
      ]);
      assert.equal(out[0].id, 'pair-1');
      assert.equal(out[0].chosen, 'good answer 1');
      assert.equal(out[0].rejected, 'weak answer 1');
      assert.deepEqual(transform.stats('eval'), statsWith({ rowsIn: 2, rowsOut: 2, ties: 1, tiesDropped: 0 }));
    });

    it('should condition eval on evalGoal', async () => {
      const transform = createRewardAugment({ template: TEMPLATE, evalGoal: 8.5, placement: 'user-prefix' });
      const [first] = await collect(transform.applyEval!(streamOf([scoredPair(1, 9, 4)]), context('eval')));
      assert.equal(first.prompt, 'Goal: 8.5 of 1-10.\n\nquestion 1');
    });

    it('should accept held-out records without scores', async () => {
      const record: PreferenceRecord = { prompt: 'q', chosen: 'a', rejected: 'b' };
      const [first] = await collect(createRewardAugment({ template: TEMPLATE }).applyEval!(streamOf([record]), context('eval')));
      assert.equal(systemText(first), 'Goal: 10 of 1-10.');
      assert.equal(first.scores, undefined);
    });
  });

  describe('data errors', () => {
    it('should reject a record without scores', async () => {
      const record = scoredPair(7, 9, 4);
      delete record.scores;
      await assert.rejects(collect(createRewardAugment().apply(streamOf([record]), context())), (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.location.file, 'train.jsonl');
        assert.equal(error.location.line, 7);
        assert.equal(error.reason, 'missing-scores');
        assert.match(error.message, /^train\.jsonl:7/);
        assert.match(error.message, /--augment needs score_chosen\/score_rejected/);
        return true;
      });
    });

    it('should reject a chosen score above scale', async () => {
      await assert.rejects(collect(createRewardAugment().apply(streamOf([scoredPair(3, 11, 4)]), context())), (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.location.field, 'scores.chosen');
        assert.equal(error.reason, 'score-out-of-range');
        assert.match(error.message, /^train\.jsonl:3 field "scores\.chosen"/);
        assert.match(error.message, /outside the scale \[1, 10\]/);
        return true;
      });
    });

    it('should reject a rejected score below scale', async () => {
      await assert.rejects(collect(createRewardAugment().apply(streamOf([scoredPair(5, 9, 0)]), context())), (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.location.field, 'scores.rejected');
        assert.match(error.message, /^train\.jsonl:5 field "scores\.rejected"/);
        return true;
      });
    });

    it('should accept scores on a custom scale', async () => {
      const out = await collect(createRewardAugment({ scaleMin: 0, scaleMax: 1 }).apply(streamOf([scoredPair(1, 0.75, 0)]), context()));
      assert.equal(out.length, 2);
    });

    it('should reject a score that is not a number', async () => {
      const record = scoredPair(2, 9, 4);
      (record.scores as unknown as Record<string, unknown>).rejected = 'low';
      await assert.rejects(collect(createRewardAugment().apply(streamOf([record]), context())), (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.location.field, 'scores.rejected');
        assert.equal(error.reason, 'invalid-score');
        assert.match(error.message, /expected a finite number, got "low"/);
        return true;
      });
    });

    it('should reject user-prefix without user turn', async () => {
      const record: PreferenceRecord = { ...scoredPair(6, 9, 4), prompt: [{ role: 'system', content: 'Be brief.' }] };
      const transform = createRewardAugment({ placement: 'user-prefix' });
      await assert.rejects(collect(transform.apply(streamOf([record]), context())), (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.location.field, 'prompt');
        assert.match(error.message, /no user turn/);
        return true;
      });
    });

    it('should locate origin-less records by position', async () => {
      const record = scoredPair(1, 9, 4);
      delete record.origin;
      delete record.scores;
      const records = [scoredPair(1, 9, 4), record];
      await assert.rejects(collect(createRewardAugment().apply(streamOf(records), context())), (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.location.line, 2);
        assert.match(error.location.file, /record "pair-1"/);
        return true;
      });
    });
  });

  describe('option errors', () => {
    it('should reject a template without {score}', () => {
      assert.throws(() => createRewardAugment({ template: 'Be good.' }), (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.equal(error.code, 'config');
        assert.match(error.message, /template must contain \{score\}/);
        return true;
      });
    });

    it('should reject an unknown placeholder in the template', () => {
      assert.throws(() => createRewardAugment({ template: 'Aim for {scores}, {score}.' }), /unknown placeholder \{scores\}/);
    });

    it('should reject scaleMin not below scaleMax', () => {
      assert.throws(() => createRewardAugment({ scaleMin: 5, scaleMax: 5 }), /scaleMin \(5\) must be less than scaleMax \(5\)/);
    });

    it('should reject an evalGoal outside the scale', () => {
      assert.throws(() => createRewardAugment({ evalGoal: 11 }), /evalGoal 11 is outside the scale \[1, 10\]/);
    });

    it('should reject an unknown tie policy', () => {
      assert.throws(() => createRewardAugment({ ties: 'skip' as never }), /ties: expected one of "keep", "drop", "chosen-goal"/);
    });
  });

  describe('through a PluginRegistry', () => {
    it('should fill every default from {}', () => {
      const registry = new PluginRegistry().register(rewardAugmentPlugin);
      const transform = registry.create('transform', 'reward-augment', {}) as RewardAugmentTransform;
      assert.equal(transform.name, 'reward-augment');
      assert.deepEqual(transform.options, {
        template: DEFAULT_TEMPLATE,
        scaleMin: 1,
        scaleMax: 10,
        evalGoal: 10,
        ties: 'keep',
        placement: 'system',
        goals: 'both',
        fraction: 1,
        unaugmented: 'keep',
        seed: 0,
        scoreDecimals: 2,
        consistencyFilter: false,
        attributes: [],
        attributeFormat: DEFAULT_ATTRIBUTE_FORMAT,
      });
    });

    it('should apply the defaults when created from {}', async () => {
      const registry = new PluginRegistry().register(rewardAugmentPlugin);
      const transform = registry.create('transform', 'reward-augment', {});
      const out = await collect(transform.apply(streamOf(threePairsWithOneTie()), context()));
      assert.equal(out.length, 6);
      assert.match(systemText(out[0]), /\b9\b/);
      assert.deepEqual(transform.stats('train'), statsWith({ rowsIn: 3, rowsOut: 6, ties: 1, tiesDropped: 0, augmented: 3 }));
    });

    it('should reject unknown options listing valid keys', () => {
      const registry = new PluginRegistry().register(rewardAugmentPlugin);
      assert.throws(
        () => registry.create('transform', 'reward-augment', { templte: 'Aim for {score}.' }),
        (error: unknown) => {
          assert.ok(error instanceof RadpoError);
          assert.match(error.message, /unknown key "templte"/);
          assert.match(error.message, /Did you mean "template"\?/);
          assert.match(error.message, /Valid keys: template, scaleMin, scaleMax, evalGoal, ties, placement/);
          return true;
        },
      );
    });

    it('should pass data errors through unchanged', async () => {
      const registry = new PluginRegistry().register(rewardAugmentPlugin);
      const transform = registry.create('transform', 'reward-augment', {});
      await assert.rejects(collect(transform.apply(streamOf([scoredPair(9, 12, 4)]), context())), (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.location.line, 9);
        return true;
      });
    });
  });

  describe('UltraFeedback sample', () => {
    async function* readUltraFeedback(file: string): AsyncGenerator<PreferenceRecord> {
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      let line = 0;
      for await (const text of lines) {
        line += 1;
        if (text.trim() === '') continue;
        const row = JSON.parse(text) as {
          prompt: string;
          chosen: string;
          rejected: string;
          metadata: { score_chosen: number; score_rejected: number };
        };
        yield {
          prompt: row.prompt,
          chosen: row.chosen,
          rejected: row.rejected,
          scores: { chosen: row.metadata.score_chosen, rejected: row.metadata.score_rejected },
          origin: { file, line },
        };
      }
    }

    it('should turn 1000 pairs into 2000 with 111 ties', async function () {
      if (!existsSync(ULTRAFEEDBACK_TRAIN)) this.skip();
      const transform = createRewardAugment();
      let out = 0;
      let swapsMatching = 0;
      let previous: PreferenceRecord | undefined;
      for await (const record of transform.apply(readUltraFeedback(ULTRAFEEDBACK_TRAIN), context())) {
        out += 1;
        // Records come in pairs: the chosen-goal copy, then its swapped rejected-goal copy.
        if (out % 2 === 0 && previous && record.chosen === previous.rejected && record.rejected === previous.chosen) {
          swapsMatching += 1;
        }
        previous = record;
      }
      assert.equal(out, 2000);
      assert.equal(swapsMatching, 1000);
      assert.deepEqual(transform.stats('train'), statsWith({ rowsIn: 1000, rowsOut: 2000, ties: 111, tiesDropped: 0, augmented: 1000 }));
    });
  });
});
