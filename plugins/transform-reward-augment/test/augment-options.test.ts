import assert from 'node:assert/strict';
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataError, RadpoError, type ChatMessage, type PreferenceRecord, type TransformContext } from '@radpo/core';
import { FractionSelector, SELECTION_WINDOW, createRewardAugment, type AttributeGoal } from '../src';

const ULTRAFEEDBACK_TRAIN =
  '/work/shared/data/ultrafeedback/trl-lib_ultrafeedback_binarized_sample/train_clean.jsonl';

const TEMPLATE = 'Goal: {score} of {min}-{max}.';

const HELPSTEER_ATTRIBUTES: AttributeGoal[] = ['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity'].map(
  (name) => ({ name, scaleMin: 0, scaleMax: 4 }),
);

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

/** A pair with HelpSteer2-style attribute scores; `chosen` and `rejected` are [helpfulness, ..., verbosity]. */
function attributePair(line: number, chosen: number[], rejected: number[]): PreferenceRecord {
  const named = (values: number[]) => Object.fromEntries(HELPSTEER_ATTRIBUTES.map((attribute, i) => [attribute.name, values[i]]));
  return {
    ...scoredPair(line, chosen[0], rejected[0]),
    scores: { chosen: chosen[0], rejected: rejected[0], attributes: { chosen: named(chosen), rejected: named(rejected) } },
  };
}

function manyPairs(count: number): PreferenceRecord[] {
  return Array.from({ length: count }, (_, i) => scoredPair(i + 1, 9, 4));
}

function conditionOf(record: PreferenceRecord): string {
  const prompt = record.prompt as ChatMessage[];
  return prompt[0].content;
}

describe('reward-augment options', () => {
  describe('goals', () => {
    it('should emit only chosen-goal copies', async () => {
      const out = await collect(createRewardAugment({ template: TEMPLATE, goals: 'chosen' }).apply(streamOf(manyPairs(3)), context()));
      assert.equal(out.length, 3);
      for (const record of out) assert.match(record.id!, /#goal=chosen$/);
      assert.equal(out[0].chosen, 'good answer 1');
    });

    it('should emit only swapped rejected-goal copies', async () => {
      const out = await collect(createRewardAugment({ template: TEMPLATE, goals: 'rejected' }).apply(streamOf(manyPairs(3)), context()));
      assert.equal(out.length, 3);
      assert.equal(out[0].chosen, 'weak answer 1');
      assert.equal(out[0].rejected, 'good answer 1');
      assert.equal(conditionOf(out[0]), 'Goal: 4 of 1-10.');
    });

    it('should keep one copy per tie under chosen-goal whatever goals says', async () => {
      const transform = createRewardAugment({ goals: 'rejected', ties: 'chosen-goal' });
      const out = await collect(transform.apply(streamOf([scoredPair(1, 6, 6)]), context()));
      assert.equal(out.length, 1);
      assert.match(out[0].id!, /#goal=chosen$/);
    });
  });

  describe('swaps under both placements', () => {
    for (const placement of ['system', 'user-prefix'] as const) {
      it(`should swap responses and scores under ${placement}`, async () => {
        const transform = createRewardAugment({ template: TEMPLATE, placement });
        const record: PreferenceRecord = {
          ...scoredPair(1, 8, 3),
          prompt: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'question 1' },
          ],
        };
        const [chosenGoal, rejectedGoal] = await collect(transform.apply(streamOf([record]), context()));
        const conditionSite = (copy: PreferenceRecord) => (copy.prompt as ChatMessage[])[placement === 'system' ? 0 : 1].content;

        assert.equal(chosenGoal.chosen, 'good answer 1');
        assert.equal(chosenGoal.rejected, 'weak answer 1');
        assert.deepEqual(chosenGoal.scores, { chosen: 8, rejected: 3 });
        assert.match(conditionSite(chosenGoal), /^Goal: 8 of 1-10\.\n\n/);

        assert.equal(rejectedGoal.chosen, 'weak answer 1');
        assert.equal(rejectedGoal.rejected, 'good answer 1');
        assert.deepEqual(rejectedGoal.scores, { chosen: 3, rejected: 8 });
        assert.match(conditionSite(rejectedGoal), /^Goal: 3 of 1-10\.\n\n/);
        assert.equal((rejectedGoal.prompt as ChatMessage[]).length, 2);
      });
    }
  });

  describe('fraction', () => {
    it('should augment exactly half of 2500 pairs', async () => {
      const transform = createRewardAugment({ fraction: 0.5, unaugmented: 'keep' });
      const out = await collect(transform.apply(streamOf(manyPairs(2500)), context()));
      const stats = transform.stats('train');
      assert.equal(stats.augmented, 1250);
      assert.equal(stats.unaugmentedKept, 1250);
      assert.equal(out.length, 1250 * 2 + 1250);
      assert.equal(stats.rowsOut, out.length);
    });

    it('should keep unaugmented pairs unconditioned and in order', async () => {
      const records = manyPairs(10);
      const out = await collect(createRewardAugment({ fraction: 0.3 }).apply(streamOf(records), context()));
      const kept = out.filter((record) => typeof record.prompt === 'string');
      assert.equal(kept.length, 7);
      for (const record of kept) assert.ok(records.includes(record), 'a kept pair should be the input record itself');
      const lines = out.map((record) => record.origin!.line);
      assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
    });

    it('should choose the same pairs for the same seed', async () => {
      const run = async (seed: number) =>
        (await collect(createRewardAugment({ fraction: 0.5, unaugmented: 'drop', seed }).apply(streamOf(manyPairs(50)), context()))).map(
          (record) => record.id,
        );
      assert.deepEqual(await run(3), await run(3));
      assert.notDeepEqual(await run(3), await run(4));
    });

    it('should augment nothing at fraction 0', async () => {
      const transform = createRewardAugment({ fraction: 0 });
      const out = await collect(transform.apply(streamOf(manyPairs(4)), context()));
      assert.equal(out.length, 4);
      assert.equal(transform.stats('train').augmented, 0);
    });

    it('should keep the running count on target across windows', () => {
      const selector = new FractionSelector(0.37, 1);
      let chosen = 0;
      for (const size of [SELECTION_WINDOW, SELECTION_WINDOW, 17]) {
        chosen += selector.select(size).filter(Boolean).length;
      }
      assert.equal(chosen, Math.round(0.37 * (2 * SELECTION_WINDOW + 17)));
    });

    it('should reject a fraction above 1', () => {
      assert.throws(() => createRewardAugment({ fraction: 1.5 }), /fraction/);
    });
  });

  describe('score formatting', () => {
    it('should round condition scores to scoreDecimals', async () => {
      const transform = createRewardAugment({ template: TEMPLATE, scaleMin: 0, scaleMax: 1, scoreDecimals: 1 });
      const [first, second] = await collect(transform.apply(streamOf([scoredPair(1, 0.87, 0.5)]), context()));
      assert.equal(conditionOf(first), 'Goal: 0.9 of 0-1.');
      assert.equal(conditionOf(second), 'Goal: 0.5 of 0-1.');
    });
  });

  describe('consistency filter', () => {
    it('should drop pairs whose chosen mean attribute is lower', async () => {
      const transform = createRewardAugment({ consistencyFilter: true, scaleMin: 0, scaleMax: 4 });
      const records = [
        attributePair(1, [4, 4, 4, 2, 2], [3, 3, 3, 2, 2]),
        attributePair(2, [3, 1, 1, 1, 1], [2, 4, 4, 4, 4]),
        scoredPair(3, 4, 2),
      ];
      const out = await collect(transform.apply(streamOf(records), context()));
      assert.deepEqual(
        out.map((record) => record.origin!.line),
        [1, 1, 3, 3],
      );
      assert.equal(transform.stats('train').inconsistent, 1);
    });

    it('should keep every pair when the filter is off', async () => {
      const transform = createRewardAugment({ scaleMin: 0, scaleMax: 4 });
      const out = await collect(transform.apply(streamOf([attributePair(2, [3, 1, 1, 1, 1], [2, 4, 4, 4, 4])]), context()));
      assert.equal(out.length, 2);
    });
  });

  describe('multi-attribute goals', () => {
    it('should condition each copy on its response attributes', async () => {
      const transform = createRewardAugment({ attributes: HELPSTEER_ATTRIBUTES });
      const [first, second] = await collect(transform.apply(streamOf([attributePair(1, [4, 4, 4, 3, 2], [2, 3, 4, 1, 1])]), context()));
      assert.equal(
        conditionOf(first),
        'Write a response with these ratings: helpfulness 4 (0-4), correctness 4 (0-4), coherence 4 (0-4), complexity 3 (0-4), verbosity 2 (0-4).',
      );
      assert.equal(
        conditionOf(second),
        'Write a response with these ratings: helpfulness 2 (0-4), correctness 3 (0-4), coherence 4 (0-4), complexity 1 (0-4), verbosity 1 (0-4).',
      );
      assert.equal(second.chosen, 'weak answer 1');
      assert.deepEqual(second.scores?.attributes?.chosen.verbosity, 1);
    });

    it('should condition held-out prompts on each attribute top', async () => {
      const attributes: AttributeGoal[] = [
        { name: 'helpfulness', scaleMin: 0, scaleMax: 4 },
        { name: 'verbosity', scaleMin: 0, scaleMax: 4, evalGoal: 2 },
      ];
      const transform = createRewardAugment({ attributes, attributeFormat: '{name}={score}' });
      const [first] = await collect(transform.applyEval!(streamOf([scoredPair(1, 3, 1)]), context('eval')));
      assert.equal(conditionOf(first), 'Write a response with these ratings: helpfulness=4, verbosity=2.');
    });

    it('should reject a pair missing a listed attribute', async () => {
      const record = attributePair(5, [4, 4, 4, 3, 2], [2, 3, 4, 1, 1]);
      delete record.scores!.attributes!.rejected.coherence;
      await assert.rejects(collect(createRewardAugment({ attributes: HELPSTEER_ATTRIBUTES }).apply(streamOf([record]), context())), (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.reason, 'missing-attribute');
        assert.equal(error.location.line, 5);
        assert.equal(error.location.field, 'scores.attributes.rejected.coherence');
        return true;
      });
    });

    it('should reject an attribute score off its scale', async () => {
      const record = attributePair(6, [4, 4, 4, 3, 5], [2, 3, 4, 1, 1]);
      await assert.rejects(collect(createRewardAugment({ attributes: HELPSTEER_ATTRIBUTES }).apply(streamOf([record]), context())), /outside the scale \[0, 4\] of "verbosity"/);
    });

    it('should reject a template without {attributes}', () => {
      assert.throws(() => createRewardAugment({ attributes: HELPSTEER_ATTRIBUTES, template: 'Aim for {score}.' }), (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.match(error.message, /template must contain \{attributes\}/);
        return true;
      });
    });

    it('should reject {attributes} without attributes', () => {
      assert.throws(() => createRewardAugment({ template: '{score}: {attributes}' }), /no attributes are set/);
    });

    it('should reject an attribute listed twice', () => {
      assert.throws(
        () => createRewardAugment({ attributes: [HELPSTEER_ATTRIBUTES[0], HELPSTEER_ATTRIBUTES[0]] }),
        /"helpfulness" is listed twice/,
      );
    });
  });

  describe('UltraFeedback half augmentation', () => {
    async function* readUltraFeedback(file: string): AsyncGenerator<PreferenceRecord> {
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      let line = 0;
      for await (const text of lines) {
        line += 1;
        const row = JSON.parse(text) as { prompt: string; chosen: string; rejected: string; metadata: { score_chosen: number; score_rejected: number } };
        yield {
          prompt: row.prompt,
          chosen: row.chosen,
          rejected: row.rejected,
          scores: { chosen: row.metadata.score_chosen, rejected: row.metadata.score_rejected },
          origin: { file, line },
        };
      }
    }

    it('should keep 1000 rows when half is augmented and half dropped', async function () {
      if (!existsSync(ULTRAFEEDBACK_TRAIN)) this.skip();
      const transform = createRewardAugment({ fraction: 0.5, unaugmented: 'drop' });
      const out = await collect(transform.apply(readUltraFeedback(ULTRAFEEDBACK_TRAIN), context()));
      assert.equal(out.length, 1000);
      assert.equal(transform.stats('train').augmented, 500);
      assert.equal(transform.stats('train').unaugmentedDropped, 500);
    });
  });
});
