import {
  DataError,
  describeValue,
  promptMessages,
  suggestName,
  type ChatMessage,
  type Conversation,
  type PreferenceRecord,
} from '@radpo/core';
import {
  commonPrefixLength,
  conversationsEqual,
  isBlankConversation,
  parseConversation,
  startsWithMessages,
} from './conversation';
import { detectCandidateShape, readCandidateGroup, type CandidateGroup } from './candidate-rows';
import { getAtPath, isJsonObject } from './dotted-path';
import type { DegeneratePairPolicy, DegeneratePairReason, FieldMap } from './read-options';
import { readId } from './record-id';
import { readScores } from './record-scores';
import { badRow, describeRowKeys, type RowLocation } from './row-errors';
import { detectPairShape, readShapedPair } from './row-shapes';

/** The validation settings a row is checked against. */
export interface RowRules {
  fieldMap: FieldMap;
  requireScores: boolean;
  /** What to do with an empty response or identical chosen and rejected; see ReadOptions.onDegeneratePair. */
  onDegeneratePair: DegeneratePairPolicy;
  /** Called with the reason when a degenerate pair is kept, so the caller can count it. */
  flag(reason: DegeneratePairReason): void;
}

/** A row's prompt and responses, with the prompt no longer repeated inside the responses. */
export interface PairText {
  prompt: Conversation;
  chosen: Conversation;
  rejected: Conversation;
}

/** The paths the three text fields are read from. */
interface TextPaths {
  prompt: string;
  chosen: string;
  rejected: string;
}

/** A row read as a pair, or as scored responses that the reader pairs (see PairingRule). */
export type ParsedRow = { kind: 'pair'; record: PreferenceRecord } | { kind: 'candidates'; group: CandidateGroup };

/**
 * Converts one parsed row into a pair, or into scored responses when shape detection recognizes a
 * candidate shape (HelpSteer2, UltraFeedback completions). A field map for prompt, chosen or rejected
 * turns detection off: the row is then read as a pair at the mapped paths.
 */
export function parseRowValue(row: unknown, location: RowLocation, rules: RowRules): ParsedRow {
  if (isJsonObject(row) && !mapsText(rules.fieldMap)) {
    const shape = detectCandidateShape(row);
    if (shape !== undefined) {
      return { kind: 'candidates', group: readCandidateGroup(shape, row, location, readId(row, location, rules.fieldMap.id)) };
    }
  }
  return { kind: 'pair', record: rowToRecord(row, location, rules) };
}

/**
 * Checks a pair built from two scored responses: an empty response or two identical responses
 * follow onDegeneratePair, exactly as for pair rows.
 */
export function checkCandidatePair(text: PairText, location: RowLocation, rules: RowRules): void {
  checkPairText(text, location, { prompt: 'prompt', chosen: 'response', rejected: 'response' }, rules);
}

function mapsText(fieldMap: FieldMap): boolean {
  return fieldMap.prompt !== undefined || fieldMap.chosen !== undefined || fieldMap.rejected !== undefined;
}

/**
 * Converts one parsed row into a PreferenceRecord. Fields that the field map does not name are
 * found by shape detection. Accepted shapes:
 * - Flattened: `prompt`, `chosen` and `rejected` strings.
 * - Conversational with an explicit prompt: `prompt` is a string or message list, and `chosen` and
 *   `rejected` are message lists. When both lists start with the prompt's messages, those messages
 *   are removed so the prompt is not repeated.
 * - Conversational with an implicit prompt: no `prompt`, and the prompt is the longest run of
 *   leading messages that `chosen` and `rejected` share.
 * - The shapes of PairShape, recognized by their keys when no text field is mapped: HH-RLHF
 *   dialogues, LLaMA-Factory ranking rows (sharegpt and alpaca) and Orca message lists.
 * Throws a DataError whose `reason` is one of BAD_ROW_REASONS.
 */
export function rowToRecord(row: unknown, location: RowLocation, rules: RowRules): PreferenceRecord {
  if (!isJsonObject(row)) {
    throw badRow(
      location,
      'not-an-object',
      `expected a JSON object with "prompt", "chosen" and "rejected", got ${describeValue(row)}`,
    );
  }

  const { prompt, chosen, rejected } = readPairText(row, location, rules);
  const scores = readScores(row, location, rules.fieldMap, rules.requireScores);
  const id = readId(row, location, rules.fieldMap.id);

  return {
    id,
    prompt,
    chosen,
    rejected,
    ...(scores === undefined ? {} : { scores }),
    origin: { file: location.file, line: location.line },
  };
}

function readPairText(row: Record<string, unknown>, location: RowLocation, rules: RowRules): PairText {
  const { fieldMap } = rules;
  const shape = mapsText(fieldMap) ? undefined : detectPairShape(row);
  if (shape !== undefined) {
    const { paths: shapePaths, ...shaped } = readShapedPair(shape, row, location);
    checkPairText(shaped, location, shapePaths, rules);
    return shaped;
  }

  const paths: TextPaths = {
    prompt: fieldMap.prompt ?? 'prompt',
    chosen: fieldMap.chosen ?? 'chosen',
    rejected: fieldMap.rejected ?? 'rejected',
  };

  const chosen = parseConversation(requireField(row, location, paths.chosen, 'chosen', fieldMap), location, paths.chosen);
  const rejected = parseConversation(
    requireField(row, location, paths.rejected, 'rejected', fieldMap),
    location,
    paths.rejected,
  );
  if (typeof chosen !== typeof rejected) {
    throw badRow(
      location,
      'invalid-type',
      `"${paths.chosen}" is ${formName(chosen)} but "${paths.rejected}" is ${formName(rejected)}. ` +
        'Both responses must be strings or both message lists.',
      paths.rejected,
    );
  }

  const promptValue = getAtPath(row, paths.prompt);
  let text: PairText;
  if (promptValue !== undefined && promptValue !== null) {
    const prompt = parseConversation(promptValue, location, paths.prompt);
    text = removeRepeatedPrompt({ prompt, chosen, rejected });
  } else if (fieldMap.prompt === undefined && Array.isArray(chosen) && Array.isArray(rejected)) {
    text = splitImplicitPrompt(chosen, rejected, location, paths);
  } else {
    throw missingField(row, location, paths.prompt, 'prompt', fieldMap);
  }

  checkPairText(text, location, paths, rules);
  return text;
}

/** Returns the value at `path`, or throws a missing-field DataError that lists the row's keys. */
function requireField(
  row: Record<string, unknown>,
  location: RowLocation,
  path: string,
  key: 'chosen' | 'rejected',
  fieldMap: FieldMap,
): unknown {
  const value = getAtPath(row, path);
  if (value === undefined || value === null) throw missingField(row, location, path, key, fieldMap);
  return value;
}

function missingField(
  row: Record<string, unknown>,
  location: RowLocation,
  path: string,
  key: 'prompt' | 'chosen' | 'rejected',
  fieldMap: FieldMap,
) {
  if (fieldMap[key] !== undefined) {
    return badRow(
      location,
      'missing-field',
      `the field is missing, and fieldMap.${key} names it as the ${key}. ${describeRowKeys(row)}`,
      path,
    );
  }

  const nearest = suggestName(key, Object.keys(row));
  const mapping = `--map ${key}=${nearest ?? '<path>'}`;
  const hint = nearest
    ? `If "${nearest}" is the ${key}, map it with fieldMap.${key} (${mapping}).`
    : `If the ${key} is stored under another key, map it with fieldMap.${key} (${mapping}).`;
  return badRow(location, 'missing-field', `the field is missing. ${describeRowKeys(row)} ${hint}`, path);
}

/** Removes the prompt's messages from the front of both responses when both repeat them. */
function removeRepeatedPrompt(text: PairText): PairText {
  const { prompt, chosen, rejected } = text;
  if (typeof chosen === 'string' || typeof rejected === 'string') return text;

  const promptTurns = promptMessages(prompt);
  if (promptTurns.length === 0 || !startsWithMessages(chosen, promptTurns) || !startsWithMessages(rejected, promptTurns)) {
    return text;
  }
  return { prompt, chosen: chosen.slice(promptTurns.length), rejected: rejected.slice(promptTurns.length) };
}

function splitImplicitPrompt(
  chosen: ChatMessage[],
  rejected: ChatMessage[],
  location: RowLocation,
  paths: TextPaths,
): PairText {
  if (conversationsEqual(chosen, rejected)) throw identicalResponses(chosen, location, paths);

  const shared = commonPrefixLength(chosen, rejected);
  if (shared === 0) {
    throw badRow(
      location,
      'empty-prompt',
      `"${paths.chosen}" and "${paths.rejected}" share no leading messages, so the prompt cannot be inferred. ` +
        'Add a "prompt" field, or map one with fieldMap.prompt (--map prompt=<path>).',
      paths.prompt,
    );
  }

  for (const [path, messages] of [
    [paths.chosen, chosen],
    [paths.rejected, rejected],
  ] as const) {
    if (messages.length === shared) {
      throw badRow(
        location,
        'empty-response',
        `no response: all ${shared} message(s) of "${path}" are the prompt shared with the other response, ` +
          'so nothing follows it.',
        path,
      );
    }
  }
  return { prompt: chosen.slice(0, shared), chosen: chosen.slice(shared), rejected: rejected.slice(shared) };
}

function checkPairText(text: PairText, location: RowLocation, paths: TextPaths, rules: RowRules): void {
  if (isBlankConversation(text.prompt)) {
    throw badRow(location, 'empty-prompt', `the prompt is empty: got ${describeValue(text.prompt)}`, paths.prompt);
  }
  for (const [path, response] of [
    [paths.chosen, text.chosen],
    [paths.rejected, text.rejected],
  ] as const) {
    if (isBlankConversation(response)) {
      degenerate(
        rules,
        badRow(
          location,
          'empty-response',
          `the response is empty: got ${describeValue(response)}. ` +
            "Fix or remove the row, keep such pairs with onDegeneratePair 'keep' (--degenerate-pairs keep), or drop them with 'skip'.",
          path,
        ),
      );
      return;
    }
  }
  if (conversationsEqual(text.chosen, text.rejected)) degenerate(rules, identicalResponses(text.chosen, location, paths));
}

/**
 * Keeps a degenerate pair (counted through `flag`) or throws its error. Such pairs are valid data:
 * public sets such as UltraFeedback contain a few, and dropping them would change row counts that
 * published recipes rely on; with policy "keep" they train harmlessly (an empty response still has EOS).
 */
function degenerate(rules: RowRules, error: DataError): void {
  if (rules.onDegeneratePair === 'keep') {
    rules.flag(error.reason as DegeneratePairReason);
    return;
  }
  throw error;
}

function identicalResponses(response: Conversation, location: RowLocation, paths: TextPaths) {
  return badRow(
    location,
    'identical-responses',
    `"${paths.chosen}" and "${paths.rejected}" are identical (${describeValue(response)}), so the pair expresses ` +
      "no preference. Fix or remove the row, keep such pairs with onDegeneratePair 'keep' (--degenerate-pairs keep), or drop them with 'skip'.",
  );
}

function formName(conversation: Conversation): string {
  return typeof conversation === 'string' ? 'a string' : 'a message list';
}
