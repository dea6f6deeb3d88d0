import type { ChatMessage, Conversation } from '@radpo/core';
import type { ConditionPlacement } from './options';

/**
 * Formats a score for the condition text: integers without a decimal point ("9" for 9.0), other
 * values rounded to 2 decimals with trailing zeros removed ("7.5", "7.25").
 */
export function formatScore(score: number): string {
  if (Number.isInteger(score)) return String(score);
  const text = score.toFixed(2).replace(/\.?0+$/, '');
  // Rounding a small negative value such as -0.001 leaves "-0".
  return text === '-0' ? '0' : text;
}

/** Fills every occurrence of `{score}`, `{min}` and `{max}` in the template. */
export function renderCondition(template: string, score: number, scaleMin: number, scaleMax: number): string {
  const values: Record<string, string> = {
    score: formatScore(score),
    min: formatScore(scaleMin),
    max: formatScore(scaleMax),
  };
  return template.replace(/\{(score|min|max)\}/g, (_, name: string) => values[name]);
}

/**
 * Returns a new prompt that carries `condition`, leaving the input prompt unmodified.
 *
 * "system": a string prompt becomes a system message followed by one user turn. A message list gets a
 * system message in front, or, when it already starts with one, the condition goes first in that
 * message's content, separated by a blank line.
 *
 * "user-prefix": the condition and a blank line go before the first user turn's content. A string
 * prompt stays a string. Returns undefined when a message list has no user turn.
 */
export function conditionPrompt(
  prompt: Conversation,
  condition: string,
  placement: ConditionPlacement,
): Conversation | undefined {
  if (placement === 'system') return withSystemCondition(prompt, condition);
  return withUserPrefix(prompt, condition);
}

function withSystemCondition(prompt: Conversation, condition: string): ChatMessage[] {
  if (typeof prompt === 'string') {
    return [
      { role: 'system', content: condition },
      { role: 'user', content: prompt },
    ];
  }

  const [first, ...rest] = prompt;
  if (first?.role === 'system') {
    return [{ ...first, content: joinParagraphs(condition, first.content) }, ...rest];
  }
  return [{ role: 'system', content: condition }, ...prompt];
}

function withUserPrefix(prompt: Conversation, condition: string): Conversation | undefined {
  if (typeof prompt === 'string') return joinParagraphs(condition, prompt);

  const userIndex = prompt.findIndex((message) => message.role === 'user');
  if (userIndex < 0) return undefined;
  return prompt.map((message, index) =>
    index === userIndex ? { ...message, content: joinParagraphs(condition, message.content) } : message,
  );
}

/** Joins two texts with a blank line. An empty second text adds no trailing blank line. */
function joinParagraphs(first: string, second: string): string {
  return second === '' ? first : `${first}\n\n${second}`;
}
