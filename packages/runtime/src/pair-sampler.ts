import { RadpoError } from '@radpo/core';
import { createRng, type Rng, type TokenizedPair } from '@radpo/data';

/** A sampler's position in its data: enough to continue the same order after a restart. */
export interface PairSamplerState {
  /** The generator's 32-bit state after the current epoch's shuffle. */
  rngState: number;
  /** Epochs started so far (shuffles drawn). */
  epoch: number;
  /** Pair indexes of the current epoch, in drawing order. */
  order: number[];
  /** Index into `order` of the next pair to draw. */
  position: number;
}

/** Draws batches without replacement, reshuffling with a seeded generator at each epoch. */
export class PairSampler {
  private rng: Rng;
  private order: number[] = [];
  private position = 0;
  private epoch = 0;

  constructor(private readonly pairs: TokenizedPair[], seed: number) {
    this.rng = createRng(seed);
  }

  /** Returns the next `size` pairs; a batch may span two epochs. Never more pairs than the data holds. */
  next(size: number): TokenizedPair[] {
    const batch: TokenizedPair[] = [];
    while (batch.length < Math.min(size, this.pairs.length)) {
      if (this.position >= this.order.length) {
        this.order = this.rng.shuffle(this.pairs.map((_, i) => i));
        this.position = 0;
        this.epoch++;
      }
      batch.push(this.pairs[this.order[this.position++]]);
    }
    return batch;
  }

  exportState(): PairSamplerState {
    return { rngState: this.rng.state(), epoch: this.epoch, order: [...this.order], position: this.position };
  }

  /** Continues from a saved state. The pairs must be the ones the state was saved with. */
  importState(state: PairSamplerState): void {
    const outOfRange = state.order.find((index) => !Number.isInteger(index) || index < 0 || index >= this.pairs.length);
    const sizeMatches = state.order.length === 0 || state.order.length === this.pairs.length;
    if (!sizeMatches || outOfRange !== undefined || state.position > state.order.length) {
      throw new RadpoError(
        'io',
        `the checkpoint's data position (an epoch of ${state.order.length} pairs, at ${state.position}) does not fit the ${this.pairs.length} training pairs; ` +
          'resume needs the same data files and config as the interrupted run.',
      );
    }
    this.rng = createRng(state.rngState);
    this.epoch = state.epoch;
    this.order = [...state.order];
    this.position = state.position;
  }
}
