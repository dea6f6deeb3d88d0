import { describeValue, type ChatMessage, type Conversation } from '@radpo/core';
import { isJsonObject } from './dotted-path';
import { badRow, type RowLocation } from './row-errors';
import { parseScore } from './score-value';

/** One scored response to a prompt. */
export interface Candidate {
  response: Conversation;
  /** The score that pairing ranks by. */
  score: number;
  /** Fine-grained scores by attribute name; missing attributes are left out. */
  attributes: Record<string, number>;
  /** Row (line or element) the response came from. */
  line: number;
}

/**
 * Scored responses to one prompt. `complete` is true when the row contained every response
 * (UltraFeedback). Otherwise the row is one response, and the reader groups adjacent rows with an
 * equal prompt (HelpSteer2).
 */
export interface CandidateGroup {
  prompt: Conversation;
  candidates: Candidate[];
  complete: boolean;
  id: string;
}

/** Shapes whose rows hold scored responses to be paired rather than pairs. */
export type CandidateShape = 'helpsteer2-nemo' | 'helpsteer2' | 'ultrafeedback-completions';

/**
 * Attribute names of the 9 values of NeMo-Aligner's regression reward-model `label`, in order: 4
 * OpenAssistant attributes, then HelpSteer2's 5. A value of -100 marks a missing attribute.
 */
export const NEMO_LABEL_ATTRIBUTES = [
  'quality',
  'toxicity',
  'humor',
  'creativity',
  'helpfulness',
  'correctness',
  'coherence',
  'complexity',
  'verbosity',
] as const;

/** HelpSteer2's attributes, each scored 0 to 4. */
export const HELPSTEER2_ATTRIBUTES = ['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity'] as const;

const NEMO_MISSING = -100;

/** Returns the candidate shape of a row, or undefined for a pair row. */
export function detectCandidateShape(row: Record<string, unknown>): CandidateShape | undefined {
  if (typeof row.text === 'string' && Array.isArray(row.label) && row.text.includes('<extra_id_1>')) return 'helpsteer2-nemo';
  if (typeof row.instruction === 'string' && Array.isArray(row.completions)) return 'ultrafeedback-completions';
  if (row.chosen === undefined && row.prompt !== undefined && typeof row.response === 'string' && row.helpfulness !== undefined) {
    return 'helpsteer2';
  }
  return undefined;
}

/** Reads the scored responses of a row. Throws a DataError on a malformed row or a missing score. */
export function readCandidateGroup(shape: CandidateShape, row: Record<string, unknown>, location: RowLocation, id: string): CandidateGroup {
  switch (shape) {
    case 'helpsteer2-nemo':
      return readNemoRow(row, location, id);
    case 'helpsteer2':
      return readHelpSteerRow(row, location, id);
    case 'ultrafeedback-completions':
      return readUltraFeedbackRow(row, location, id);
  }
}

/**
 * NeMo-Aligner's regression reward-model format: `text` is the conversation as
 * `<extra_id_0>System\n...\n<extra_id_1>User\n...\n<extra_id_1>Assistant\n...\n<extra_id_2>` and
 * `label` contains 9 attribute scores. The final Assistant turn is the response. The candidate's score
 * is helpfulness, HelpSteer2's main attribute.
 */
function readNemoRow(row: Record<string, unknown>, location: RowLocation, id: string): CandidateGroup {
  const messages = parseNemoConversation(row.text as string, location);
  const last = messages.at(-1);
  if (last === undefined || last.role !== 'assistant' || messages.length < 2) {
    throw badRow(location, 'missing-field', 'expected the conversation in "text" to end with an <extra_id_1>Assistant turn.', 'text');
  }

  const label = row.label as unknown[];
  if (label.length !== NEMO_LABEL_ATTRIBUTES.length) {
    throw badRow(
      location,
      'invalid-score',
      `expected ${NEMO_LABEL_ATTRIBUTES.length} values in "label" (${NEMO_LABEL_ATTRIBUTES.join(', ')}), got ${label.length}`,
      'label',
    );
  }
  const attributes: Record<string, number> = {};
  label.forEach((value, index) => {
    const score = parseScore(value);
    if (score === undefined) {
      throw badRow(location, 'invalid-score', `invalid score: expected a number, got ${describeValue(value)}`, `label.${index}`);
    }
    if (score !== NEMO_MISSING) attributes[NEMO_LABEL_ATTRIBUTES[index]] = score;
  });
  if (attributes.helpfulness === undefined) {
    throw badRow(location, 'missing-score', 'missing score: helpfulness (label.4) is -100, and pairs are ranked by helpfulness.', 'label.4');
  }

  return {
    prompt: messages.slice(0, -1),
    candidates: [{ response: last.content, score: attributes.helpfulness, attributes, line: location.line }],
    complete: false,
    id,
  };
}

function parseNemoConversation(text: string, location: RowLocation): ChatMessage[] {
  // Whatever follows <extra_id_2> is SteerLM's attribute string, not conversation.
  const conversation = text.split('<extra_id_2>')[0];
  const messages: ChatMessage[] = [];
  const system = /^<extra_id_0>System\n([\s\S]*?)\n?(?=<extra_id_1>|$)/.exec(conversation);
  if (system && system[1].trim() !== '') messages.push({ role: 'system', content: system[1] });

  for (const turn of conversation.split('<extra_id_1>').slice(1)) {
    const newline = turn.indexOf('\n');
    const name = newline < 0 ? turn : turn.slice(0, newline);
    const content = newline < 0 ? '' : turn.slice(newline + 1).replace(/\n$/, '');
    if (name !== 'User' && name !== 'Assistant') {
      throw badRow(location, 'invalid-type', `expected an <extra_id_1>User or <extra_id_1>Assistant turn, got ${describeValue(name)}`, 'text');
    }
    messages.push({ role: name === 'User' ? 'user' : 'assistant', content });
  }
  return messages;
}

/** HelpSteer2 as published: `prompt`, `response` and one column per attribute. The score is helpfulness. */
function readHelpSteerRow(row: Record<string, unknown>, location: RowLocation, id: string): CandidateGroup {
  if (typeof row.prompt !== 'string') {
    throw badRow(location, 'invalid-type', `expected a string prompt, got ${describeValue(row.prompt)}`, 'prompt');
  }
  const attributes: Record<string, number> = {};
  for (const name of HELPSTEER2_ATTRIBUTES) {
    if (row[name] === undefined || row[name] === null) continue;
    const score = parseScore(row[name]);
    if (score === undefined) {
      throw badRow(location, 'invalid-score', `invalid score: expected a number, got ${describeValue(row[name])}`, name);
    }
    attributes[name] = score;
  }
  if (attributes.helpfulness === undefined) {
    throw badRow(location, 'missing-score', 'missing score: pairs are ranked by helpfulness, and the row has none.', 'helpfulness');
  }
  return {
    prompt: row.prompt,
    candidates: [{ response: row.response as string, score: attributes.helpfulness, attributes, line: location.line }],
    complete: false,
    id,
  };
}

const ULTRAFEEDBACK_SCORE_KEYS = ['overall_score', 'fine-grained_score', 'score', 'rating'] as const;

/**
 * openbmb/UltraFeedback's raw rows: `instruction` and a list of `completions`, each with `response`,
 * `overall_score` (1-10, the judge's critique score that score_chosen/score_rejected come from in
 * UltraFeedback binarized) and `annotations` whose `Rating`s become attributes ("N/A" is missing).
 * Without `overall_score`, `fine-grained_score`, `score` or `rating` is used.
 */
function readUltraFeedbackRow(row: Record<string, unknown>, location: RowLocation, id: string): CandidateGroup {
  const candidates = (row.completions as unknown[]).map((completion, index): Candidate => {
    const field = `completions.${index}`;
    if (!isJsonObject(completion) || typeof completion.response !== 'string') {
      throw badRow(location, 'invalid-type', `expected a completion with a string "response", got ${describeValue(completion)}`, field);
    }
    const key = ULTRAFEEDBACK_SCORE_KEYS.find((name) => completion[name] !== undefined && completion[name] !== null);
    if (key === undefined) {
      throw badRow(location, 'missing-score', `missing score: expected one of ${ULTRAFEEDBACK_SCORE_KEYS.join(', ')}`, `${field}.overall_score`);
    }
    const score = parseScore(completion[key]);
    if (score === undefined) {
      throw badRow(location, 'invalid-score', `invalid score: expected a number, got ${describeValue(completion[key])}`, `${field}.${key}`);
    }
    return { response: completion.response, score, attributes: readAnnotations(completion.annotations), line: location.line };
  });
  return { prompt: row.instruction as string, candidates, complete: true, id };
}

/** Reads `{aspect: {Rating: "4"}}` (or a list of such objects, whose first is used) into attribute scores. */
function readAnnotations(annotations: unknown): Record<string, number> {
  const attributes: Record<string, number> = {};
  if (!isJsonObject(annotations)) return attributes;
  for (const [name, annotation] of Object.entries(annotations)) {
    const entry = Array.isArray(annotation) ? annotation[0] : annotation;
    const score = isJsonObject(entry) ? parseScore(entry.Rating) : undefined;
    if (score !== undefined) attributes[name] = score;
  }
  return attributes;
}
