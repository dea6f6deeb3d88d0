import assert from 'node:assert/strict';
import { RadpoError } from '@radpo/core';
import {
  expectedSyntheticResponse,
  generateSyntheticPreferences,
  scoreSyntheticAttributes,
  scoreSyntheticResponse,
  syntheticPromptLetters,
} from '../src';

const prompt = 'Sort the letters: d b a c';

describe('scoreSyntheticResponse', () => {
  it('should score the sorted letters 10', () => {
    assert.equal(expectedSyntheticResponse(prompt), 'a b c d');
    assert.equal(scoreSyntheticResponse(prompt, 'a b c d'), 10);
    assert.equal(scoreSyntheticResponse(prompt, '  a  b c\td\n'), 10);
  });

  it('should follow the documented formula', () => {
    const cases: [string, number][] = [
      // 2 of 4 right: 1 + 9 · 2/4 = 5.5
      ['a c b d', 5.5],
      // 3 of 4 right: 1 + 9 · 3/4 = 7.75, rounded to 8
      ['a b c z', 8],
      // last letter missing: 1 + 9 · 3/4 − 2 = 5.75, rounded to 6
      ['a b c', 6],
      // first letter missing shifts every position: 1 + 0 − 2, clamped to 1
      ['b c d', 1],
      // extra letter at the end: 1 + 9 − 2 = 8
      ['a b c d e', 8],
      // unsorted echo of the prompt: only "b" is in place, 1 + 9/4 = 3.25, rounded to 3.5
      ['d b a c', 3.5],
      // nothing in place and one letter short: 1 + 0 − 2, clamped to 1
      ['d a b', 1],
      // one token that is not a letter, three short: clamped to 1
      ['abcd', 1],
      ['', 1],
    ];

    for (const [response, expected] of cases) {
      assert.equal(scoreSyntheticResponse(prompt, response), expected, JSON.stringify(response));
    }
  });

  it('should round five-letter scores to halves', () => {
    const fiveLetters = 'Sort the letters: e d c b a';

    // 3 of 5 right: 1 + 9 · 3/5 = 6.4, rounded to 6.5
    assert.equal(scoreSyntheticResponse(fiveLetters, 'a b d c e'), 6.5);
    // 4 of 5 right: 1 + 9 · 4/5 = 8.2, rounded to 8
    assert.equal(scoreSyntheticResponse(fiveLetters, 'a b c d z'), 8);
  });

  it('should reject a prompt of another task', () => {
    assert.throws(() => scoreSyntheticResponse('Sort these: b a', 'a b'), (error: unknown) => {
      assert.ok(error instanceof RadpoError);
      assert.match(error.message, /not a synthetic sorting prompt/);
      return true;
    });
  });
});

describe('generateSyntheticPreferences', () => {
  const records = generateSyntheticPreferences({ seed: 11, pairs: 1000 });

  it('should repeat the records for a seed', () => {
    const again = generateSyntheticPreferences({ seed: 11, pairs: 1000 });

    assert.deepEqual(again, records);
  });

  it('should differ between seeds', () => {
    const other = generateSyntheticPreferences({ seed: 12, pairs: 20 });

    assert.notDeepEqual(
      other.map((record) => record.prompt),
      records.slice(0, 20).map((record) => record.prompt),
    );
  });

  it('should number ids by seed and index', () => {
    assert.equal(records.length, 1000);
    assert.equal(records[0].id, 'synthetic-11-0');
    assert.equal(records[999].id, 'synthetic-11-999');
  });

  it('should ask to sort 4 to 6 distinct letters', () => {
    const lengths = new Set<number>();
    for (const record of records) {
      assert.match(record.prompt as string, /^Sort the letters: [a-z]( [a-z]){3,5}$/);
      const letters = syntheticPromptLetters(record.prompt as string);
      assert.equal(new Set(letters).size, letters.length, record.prompt as string);
      lengths.add(letters.length);
    }

    assert.deepEqual([...lengths].sort(), [4, 5, 6]);
  });

  it('should keep scores in [1, 10] in steps of 0.5', () => {
    for (const record of records) {
      for (const score of [record.scores!.chosen, record.scores!.rejected]) {
        assert.ok(score >= 1, `${record.id}: ${score}`);
        assert.ok(score <= 10, `${record.id}: ${score}`);
        assert.equal(score * 2, Math.round(score * 2), `${record.id}: ${score}`);
      }
    }
  });

  it('should store the scores of the responses', () => {
    for (const record of records) {
      assert.equal(record.scores!.chosen, scoreSyntheticResponse(record.prompt as string, record.chosen as string), record.id);
      assert.equal(record.scores!.rejected, scoreSyntheticResponse(record.prompt as string, record.rejected as string), record.id);
    }
  });

  it('should choose the higher-scoring of two different responses', () => {
    for (const record of records) {
      assert.ok(record.scores!.chosen >= record.scores!.rejected, record.id);
      assert.notEqual(record.chosen, record.rejected, record.id);
    }
  });

  it('should tie in 5 to 15 percent of pairs', () => {
    for (const seed of [11, 2024]) {
      const sample = seed === 11 ? records : generateSyntheticPreferences({ seed, pairs: 1000 });

      const ties = sample.filter((record) => record.scores!.chosen === record.scores!.rejected).length;

      assert.ok(ties >= 50, `seed ${seed}: ${ties} ties in 1000 pairs`);
      assert.ok(ties <= 150, `seed ${seed}: ${ties} ties in 1000 pairs`);
    }
  });

  it('should often choose the correct response', () => {
    const correct = records.filter((record) => record.chosen === expectedSyntheticResponse(record.prompt as string));

    assert.ok(correct.length > 300, `${correct.length} of 1000`);
    for (const record of correct) assert.equal(record.scores!.chosen, 10, record.id);
  });

  it('should draw prompts and wrong letters from a given alphabet', () => {
    const small = generateSyntheticPreferences({ seed: 3, pairs: 300, alphabet: 'abcdefg', minLetters: 4, maxLetters: 5 });

    for (const record of small) {
      assert.match(record.prompt as string, /^Sort the letters: [a-g]( [a-g]){3,4}$/);
      for (const response of [record.chosen, record.rejected] as string[]) assert.match(response, /^[a-g]?( [a-g])*$/, record.id);
    }
  });

  it('should reject an alphabet without a spare letter', () => {
    assert.throws(
      () => generateSyntheticPreferences({ seed: 1, pairs: 1, alphabet: 'abcde', minLetters: 4, maxLetters: 5 }),
      (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.match(error.message, /maxLetters < 5/);
        return true;
      },
    );
    assert.throws(() => generateSyntheticPreferences({ seed: 1, pairs: 1, alphabet: 'aab' }), /distinct lowercase letters/);
  });

  it('should return no records for zero pairs', () => {
    assert.deepEqual(generateSyntheticPreferences({ seed: 1, pairs: 0 }), []);
  });

  it('should reject invalid seeds and pair counts', () => {
    for (const options of [
      { seed: 1.5, pairs: 10 },
      { seed: 1, pairs: -1 },
      { seed: 1, pairs: 2.5 },
    ]) {
      assert.throws(() => generateSyntheticPreferences(options), (error: unknown) => {
        assert.ok(error instanceof RadpoError);
        assert.equal(error.code, 'config');
        return true;
      });
    }
  });
});

describe('scoreSyntheticAttributes', () => {
  it('should give the sorted letters 10 on every attribute', () => {
    const scores = scoreSyntheticAttributes(prompt, 'a b c d');

    assert.equal(scores.correctness, 10);
    assert.equal(scores.completeness, 10);
    assert.equal(scores.format, 10);
  });

  it('should separate order, coverage and shape', () => {
    // The prompt's own order: only "b" in place, every letter present, well formed.
    const echo = scoreSyntheticAttributes(prompt, 'd b a c');
    assert.equal(echo.correctness, 1 + 9 / 4);
    assert.equal(echo.completeness, 10);
    assert.equal(echo.format, 10);

    // One letter missing at the end: three in place, three present.
    const short = scoreSyntheticAttributes(prompt, 'a b c');
    assert.equal(short.correctness, 1 + (9 * 3) / 4);
    assert.equal(short.completeness, 1 + (9 * 3) / 4);
    assert.equal(short.format, 10);
  });

  it('should lower format for joined letters and irregular spacing', () => {
    // One token that is not a single letter: no letter tokens at all.
    assert.equal(scoreSyntheticAttributes(prompt, 'abcd').format, 1);
    // Right letters with a double space: the letter share counts half.
    assert.equal(scoreSyntheticAttributes(prompt, 'a  b c d').format, 5.5);
    // Two of four tokens are letters, regular spacing: 1 + 9 · 0.5.
    assert.equal(scoreSyntheticAttributes(prompt, 'a bc d ef').format, 5.5);
    assert.equal(scoreSyntheticAttributes(prompt, '').format, 1);
  });

  it('should keep every attribute within 1 to 10', () => {
    for (const record of generateSyntheticPreferences({ seed: 5, pairs: 300 })) {
      for (const response of [record.chosen, record.rejected] as string[]) {
        for (const value of Object.values(scoreSyntheticAttributes(record.prompt as string, response))) {
          assert.ok(value >= 1, `${record.id}: ${value}`);
          assert.ok(value <= 10, `${record.id}: ${value}`);
        }
      }
    }
  });
});
