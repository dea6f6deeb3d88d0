import { createEvent, RadpoError, type RunEvent } from '@radpo/core';
import type { TrainingPhase } from './training-state';

/** Policy for a step whose loss or gradient is NaN or infinite. */
export type NonFinitePolicy = 'stop' | 'skip-batch';

export const NON_FINITE_POLICIES: readonly NonFinitePolicy[] = ['stop', 'skip-batch'];

/** One step's values to check, with what an error message needs to name. */
export interface StepValues {
  phase: TrainingPhase;
  /** 1-based step being taken. */
  step: number;
  loss: number;
  gradNorm: number;
  pairIds: string[];
}

/**
 * Checks each step before its update is applied. Under `stop` a non-finite value throws a numeric
 * RadpoError naming the step, the pairs in the batch and the last good checkpoint. Under
 * `skip-batch` the update is dropped, a warning is emitted and the skip is counted.
 */
export class NonFiniteGuard {
  /** Batches skipped so far in the current phase. */
  skippedBatches: number;

  constructor(
    private readonly policy: NonFinitePolicy,
    private readonly lastCheckpoint: () => string | undefined,
    private readonly emit: (event: RunEvent) => void,
    skippedBatches = 0,
  ) {
    this.skippedBatches = skippedBatches;
  }

  /** Returns true when the update may be applied, false when the batch is skipped. */
  check(values: StepValues): boolean {
    if (Number.isFinite(values.loss) && Number.isFinite(values.gradNorm)) return true;
    const what = Number.isFinite(values.loss)
      ? `the ${values.phase} gradient norm became ${values.gradNorm}`
      : `the ${values.phase} loss became ${values.loss}`;
    const pairs = values.pairIds.length > 0 ? ` Pairs in the batch: ${values.pairIds.join(', ')}.` : '';

    if (this.policy === 'skip-batch') {
      this.skippedBatches++;
      this.emit(
        createEvent('warning', {
          message: `${what} at step ${values.step}; the batch was skipped without an update (${this.skippedBatches} so far).${pairs}`,
          source: 'trainer',
        }),
      );
      return false;
    }

    const checkpoint = this.lastCheckpoint();
    const resume = checkpoint ? ` The last good checkpoint is ${checkpoint}.` : ' No checkpoint was written before this step.';
    throw new RadpoError(
      'numeric',
      `${what} at step ${values.step}.${pairs}${resume} Lower the learning rate, check these pairs, or set training.onNonFinite to "skip-batch".`,
    );
  }
}
