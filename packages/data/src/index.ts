export { createRng, type Rng } from './rng';
export { parseScore } from './score-value';
export {
  BAD_ROW_POLICIES,
  DATA_FORMATS,
  FIELD_MAP_KEYS,
  createReadStats,
  type BadRowPolicy,
  type DataFormat,
  type FieldMap,
  type ReadOptions,
  type ReadStats,
} from './read-options';
export { BAD_ROW_REASONS, type BadRowReason } from './row-errors';
export {
  NO_DISTINCT_SCORES,
  SINGLE_CANDIDATE,
  readAllPreferenceRecords,
  readPreferenceRecords,
} from './read-preference-records';
export { HELPSTEER2_ATTRIBUTES, NEMO_LABEL_ATTRIBUTES } from './candidate-rows';
export { openPreferenceWriter, type PreferenceWriter, type PreferenceWriterOptions } from './preference-writer';
export { scanScoreScale, type ScoreRange, type ScoreScale } from './scan-score-scale';
export { toTrlRow, type TrlPreferenceRow } from './trl-rows';
export { DEGENERATE_PAIR_POLICIES, PAIRING_RULES, type DegeneratePairPolicy, type PairingRule } from './read-options';
export {
  SYNTHETIC_PROMPT_PREFIX,
  expectedSyntheticResponse,
  scoreSyntheticAttributes,
  scoreSyntheticResponse,
  syntheticPrompt,
  syntheticPromptLetters,
  type SyntheticAttributeScores,
} from './synthetic-task';
export { generateSyntheticPreferences, type SyntheticPreferenceOptions } from './synthetic-preferences';
export * from './pair-tokenization';
export * from './chat-pair-tokenization';
