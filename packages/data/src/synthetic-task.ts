import { RadpoError, describeValue } from '@radpo/core';

/** Text at the start of every synthetic prompt. The letters to sort follow, separated by spaces. */
export const SYNTHETIC_PROMPT_PREFIX = 'Sort the letters:';

const PROMPT_PATTERN = /^Sort the letters:\s*([a-z](?:\s+[a-z])*)$/;

/** Builds the prompt for a list of lowercase letters, such as `Sort the letters: d b a c`. */
export function syntheticPrompt(letters: readonly string[]): string {
  return `${SYNTHETIC_PROMPT_PREFIX} ${letters.join(' ')}`;
}

/** Extracts the letters to sort from a synthetic prompt, in prompt order. Throws a RadpoError for any other prompt. */
export function syntheticPromptLetters(prompt: string): string[] {
  const match = PROMPT_PATTERN.exec(prompt.trim());
  if (!match) {
    throw new RadpoError(
      'data',
      `not a synthetic sorting prompt: ${describeValue(prompt)}. Expected "${SYNTHETIC_PROMPT_PREFIX}" ` +
        'followed by lowercase letters separated by spaces, such as "Sort the letters: d b a c".',
    );
  }
  return match[1].split(/\s+/);
}

/** Returns the correct response to a synthetic prompt, which is its letters sorted and separated by single spaces. */
export function expectedSyntheticResponse(prompt: string): string {
  return [...syntheticPromptLetters(prompt)].sort().join(' ');
}

/**
 * Scores a response to a synthetic sorting prompt on UltraFeedback's 1-10 scale, in steps of 0.5.
 *
 * The response is split on whitespace into tokens and compared position by position with the
 * sorted letters. With n letters, m positions holding the right letter, and k tokens:
 *
 *     score = roundToHalf(clamp(1 + 9 · m / n − 2 · |k − n|, 1, 10))
 *
 * where roundToHalf rounds to the nearest multiple of 0.5, halves upward. The correct response
 * scores 10. A swap of two letters loses 9/n per displaced letter. A missing or extra letter costs
 * 2 and also shifts every later position. Throws a RadpoError when the prompt is not a synthetic one.
 */
export function scoreSyntheticResponse(prompt: string, response: string): number {
  const expected = [...syntheticPromptLetters(prompt)].sort();
  const tokens = response.trim() === '' ? [] : response.trim().split(/\s+/);

  let matches = 0;
  for (let i = 0; i < Math.min(tokens.length, expected.length); i++) {
    if (tokens[i] === expected[i]) matches++;
  }

  // Work in half points so that halves round exactly: 2 · (1 + 9m/n − 2|k − n|).
  const halfPoints = 2 + (18 * matches) / expected.length - 4 * Math.abs(tokens.length - expected.length);
  return Math.min(20, Math.max(2, Math.round(halfPoints))) / 2;
}

/** Fine-grained scores of a synthetic response, each on 1-10 and unrounded. */
export interface SyntheticAttributeScores {
  /** Letters in their sorted position: 1 + 9 · m / n, with m positions right out of n letters. */
  correctness: number;
  /** Prompt letters that appear anywhere in the response: 1 + 9 · c / n, order ignored. */
  completeness: number;
  /**
   * Shape of the response: 1 + 9 · (share of tokens that are one lowercase letter), halved in its
   * second term when the tokens are not separated by single spaces or the text has outer whitespace.
   * An empty response scores 1.
   */
  format: number;
}

/**
 * Scores a response to a synthetic sorting prompt on three attributes (see SyntheticAttributeScores).
 * The overall score of scoreSyntheticResponse combines position correctness with a length penalty;
 * these attributes separate what it mixes. Throws a RadpoError when the prompt is not a synthetic one.
 */
export function scoreSyntheticAttributes(prompt: string, response: string): SyntheticAttributeScores {
  const expected = [...syntheticPromptLetters(prompt)].sort();
  const tokens = response.trim() === '' ? [] : response.trim().split(/\s+/);
  const n = expected.length;

  let matches = 0;
  for (let i = 0; i < Math.min(tokens.length, n); i++) {
    if (tokens[i] === expected[i]) matches++;
  }
  const present = expected.filter((letter) => tokens.includes(letter)).length;

  let format = 1;
  if (tokens.length > 0) {
    const letterShare = tokens.filter((token) => /^[a-z]$/.test(token)).length / tokens.length;
    const regular = response === tokens.join(' ');
    format = 1 + 9 * letterShare * (regular ? 1 : 0.5);
  }
  return { correctness: 1 + (9 * matches) / n, completeness: 1 + (9 * present) / n, format };
}
