import type { PreferenceRecord } from './records';

/** Context a transform receives besides its records. */
export interface TransformContext {
  /** Which split the stream belongs to; transforms may treat held-out data differently. */
  split: 'train' | 'eval';
  /** Emits a warning event attributed to the transform. */
  warn(message: string): void;
}

/**
 * A streaming step over preference records (reward augmentation is one). Records are pulled one at a
 * time, so a transform never keeps the whole dataset in memory unless it documents that it does.
 */
export interface DataTransform {
  readonly name: string;
  /** Transforms the training stream. */
  apply(source: AsyncIterable<PreferenceRecord>, context: TransformContext): AsyncIterable<PreferenceRecord>;
  /**
   * Transforms the held-out stream. Absent means held-out records pass through unchanged.
   * Reward augmentation uses it to condition eval prompts on the top score.
   */
  applyEval?(source: AsyncIterable<PreferenceRecord>, context: TransformContext): AsyncIterable<PreferenceRecord>;
  /** Counts gathered so far (rowsIn, rowsOut, and any transform-specific ones), per split. */
  stats(split: 'train' | 'eval'): Record<string, number>;
}
