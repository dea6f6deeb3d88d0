import type { Tokenizer } from '@radpo/core';

/** Parts of a story's judge score, each from 0 to 1. */
export interface StoryJudgement {
  /** Share of words in the judge's vocabulary. */
  fluency: number;
  /** Distinct word bigrams over all word bigrams (1 for one word, 0 for none): low for repeated phrases. */
  distinct: number;
  /** Share of the text's characters up to its last sentence ending. */
  completeness: number;
  /** 1 at the target word count, falling linearly to 0 at none or twice the target. */
  length: number;
}

/** Weights of the judgement's parts in the 1-10 score; they sum to 1. */
export const STORY_JUDGE_WEIGHTS: Readonly<StoryJudgement> = { fluency: 0.35, distinct: 0.25, completeness: 0.25, length: 0.15 };

/**
 * Common words of children's stories, beside the tokenizer's own whole words: a 512-token vocabulary
 * holds only ~150 words as single tokens, so without this list most correct words would count as unknown.
 */
const STORY_WORDS = `
a about after again all always an and angry animals any are around as asked at away back bad ball be bear
became because bed been before best big bird birds blue boat book box boy bright brother but by cake called
came can car care cat catch could cried cry dad day did do dog doll don't door down each eat end every
everyone eyes fall family far fast felt find fish flew flower flowers fly for found friend friends from fun
game garden gave get girl give go going good got grass great green had happy has have he help her here hill
him his hold home house how hug i i'm in inside into is it it's its jump just kind know laughed learned let
like liked little lived look looked lost lot loved made make many mom more morning mouse much must my name
named new nice night no not now of off oh on once one other our out outside over park play played playing
please proud put ran red remember run sad said sam sat saw say see shared she shiny should show sky small smile
smiled so some something soon sorry special started stay still stop story sue sun sure surprised take talk
tall thank that the their them then there they thing things think this through time tim timmy to together
too took toy toys tree tried trees tried under up upon very walk walked want wanted was water way we went
were what when where who why will wind with wanted won't yard yes you your lily ben max anna tom mia spot
`;

/**
 * A programmatic judge of short stories: a 1-10 score from fluency (known words), variety (distinct
 * bigrams), completeness (ending on a finished sentence) and length near a target, with no second model.
 * Its vocabulary is the tokenizer's single-token words of two or more letters plus a fixed list of
 * common story words.
 * NOTE: these are proxies; a grammatical but dull story can outscore a good one that uses rare words.
 */
export class StoryJudge {
  private readonly vocabulary = new Set<string>();

  constructor(
    tokenizer: Tokenizer,
    /** Word count at which the length part peaks. */
    readonly targetWords = 25,
  ) {
    for (const word of STORY_WORDS.split(/\s+/)) if (word !== '') this.vocabulary.add(word);
    for (let id = 0; id < tokenizer.vocabSize; id++) {
      const piece = tokenizer.decode([id]).trim();
      // A piece that encodes back to itself alone is a whole word, not the inside of a longer one.
      if (/^[A-Za-z]{2,}$/.test(piece) && tokenizer.encode(piece).length === 1) this.vocabulary.add(piece.toLowerCase());
    }
  }

  /** Scores a story from 1 to 10, rounded to hundredths. */
  score(text: string): number {
    const parts = this.judge(text);
    const weighted = (Object.keys(STORY_JUDGE_WEIGHTS) as Array<keyof StoryJudgement>).reduce(
      (sum, key) => sum + STORY_JUDGE_WEIGHTS[key] * parts[key],
      0,
    );
    return Math.round((1 + 9 * weighted) * 100) / 100;
  }

  /** Splits a story's score into its parts, each from 0 to 1. */
  judge(text: string): StoryJudgement {
    const words = (text.match(/[A-Za-z']+/g) ?? []).map((word) => word.toLowerCase().replace(/'s$/, ''));
    const known = words.filter((word) => this.vocabulary.has(word)).length;
    const bigrams = words.slice(1).map((word, index) => `${words[index]} ${word}`);
    let distinct = 1;
    if (words.length === 0) distinct = 0;
    else if (bigrams.length > 0) distinct = new Set(bigrams).size / bigrams.length;
    const trimmed = text.trimEnd();
    const lastEnding = Math.max(trimmed.lastIndexOf('.'), trimmed.lastIndexOf('!'), trimmed.lastIndexOf('?'));
    // A closing quote right after the ending still ends the sentence.
    const finished = lastEnding < 0 ? 0 : /^["']?$/.test(trimmed.slice(lastEnding + 1)) ? trimmed.length : lastEnding + 1;
    return {
      fluency: words.length === 0 ? 0 : known / words.length,
      distinct,
      completeness: trimmed.length === 0 ? 0 : finished / trimmed.length,
      length: Math.max(0, 1 - Math.abs(words.length - this.targetWords) / this.targetWords),
    };
  }
}
