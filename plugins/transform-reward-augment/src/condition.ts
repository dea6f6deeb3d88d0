import type { ChatMessage, Conversation } from '@radpo/core';
import type { AttributeGoal, ConditionPlacement } from './options';

/**
 * Formats a score for the condition text: integers without a decimal point ("9" for 9.0), other
 * values rounded to `decimals` places with trailing zeros removed ("7.5", "7.25").
 */
export function formatScore(score: number, decimals = 2): string {
  if (Number.isInteger(score)) return String(score);
  const text = score.toFixed(decimals).replace(/\.0+$|(\.\d*?)0+$/, '$1');
  // Rounding a small negative value such as -0.001 leaves "-0".
  return text === '-0' ? '0' : text;
}

/** Fills every occurrence of `{score}`, `{min}` and `{max}` in the template. */
export function renderCondition(template: string, score: number, scaleMin: number, scaleMax: number, decimals = 2): string {
  return fillPlaceholders(template, {
    score: formatScore(score, decimals),
    min: formatScore(scaleMin, decimals),
    max: formatScore(scaleMax, decimals),
  });
}

/**
 * Renders the goals of several attributes: each through `format` ({name}, {score}, {min}, {max}),
 * joined by ", ", in place of `{attributes}` in the template. `{score}`, `{min}` and `{max}` in the
 * template itself take the overall score and scale.
 */
export function renderAttributeCondition(
  template: string,
  format: string,
  attributes: readonly AttributeGoal[],
  goals: Readonly<Record<string, number>>,
  overall: { score: number; scaleMin: number; scaleMax: number },
  decimals = 2,
): string {
  const list = attributes
    .map((attribute) =>
      fillPlaceholders(format, {
        name: attribute.name,
        score: formatScore(goals[attribute.name], decimals),
        min: formatScore(attribute.scaleMin, decimals),
        max: formatScore(attribute.scaleMax, decimals),
      }),
    )
    .join(', ');
  return fillPlaceholders(template, {
    attributes: list,
    score: formatScore(overall.score, decimals),
    min: formatScore(overall.scaleMin, decimals),
    max: formatScore(overall.scaleMax, decimals),
  });
}

/** Replaces each `{name}` whose name is a key of `values`, in one pass, so inserted text is never rescanned. */
function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{([A-Za-z_]\w*)\}/g, (match, name: string) => values[name] ?? match);
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
