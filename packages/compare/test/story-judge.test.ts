import assert from 'node:assert/strict';
import type { Tokenizer } from '@radpo/core';
import { StoryJudge } from '../src';

/** Builds a word-level tokenizer whose vocabulary is a few whole words and one word piece. */
function wordTokenizer(words: string[]): Tokenizer {
  return {
    vocabSize: words.length,
    encode: (text: string) => text.trim().split(/\s+/).map((word) => words.indexOf(word)).flatMap((id) => (id < 0 ? [0, 0] : [id])),
    decode: (ids: number[]) => ids.map((id) => words[id]).join(' '),
  } as unknown as Tokenizer;
}

describe('StoryJudge', () => {
  const judge = new StoryJudge(wordTokenizer(['<unk>', 'zorp', 'ing']), 10);

  it('should count the tokenizer\'s whole words and the story words as known', () => {
    const parts = judge.judge('Zorp saw qwxv.');

    assert.ok(Math.abs(parts.fluency - 2 / 3) < 1e-9, String(parts.fluency));
  });

  it('should score distinct bigrams below 1 for a repeated phrase', () => {
    const parts = judge.judge('the dog the dog the dog');

    assert.ok(Math.abs(parts.distinct - 2 / 5) < 1e-9, String(parts.distinct));
  });

  it('should count the text after the last sentence ending as incomplete', () => {
    const parts = judge.judge('He ran. She');

    assert.ok(Math.abs(parts.completeness - 7 / 11) < 1e-9, String(parts.completeness));
  });

  it('should treat a closing quote after the ending as complete', () => {
    assert.equal(judge.judge('She said, "Yes!"').completeness, 1);
  });

  it('should peak the length part at the target word count', () => {
    assert.equal(judge.judge('a a a a a a a a a a').length, 1);
    assert.ok(Math.abs(judge.judge('a a a a a').length - 0.5) < 1e-9);
  });

  it('should score a finished known story 10', () => {
    assert.equal(judge.score('The dog ran to the park. He saw a ball.'), 10);
  });

  it('should give an empty story the lowest score', () => {
    assert.equal(judge.score(''), 1);
  });
});
