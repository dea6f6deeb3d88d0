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
export { readAllPreferenceRecords, readPreferenceRecords } from './read-preference-records';
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
