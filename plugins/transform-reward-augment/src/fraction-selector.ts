/** Pairs per selection window when only a fraction of pairs is augmented. */
export const SELECTION_WINDOW = 1000;

/**
 * Chooses which pairs of a stream are augmented so that, after n pairs, exactly round(fraction · n)
 * have been chosen. The stream is cut into windows; each window gets the count that keeps the running
 * total on target, spread over its positions by a seeded shuffle. Plugins depend on @radpo/core only,
 * so the generator is a local mulberry32 rather than @radpo/data's createRng.
 */
export class FractionSelector {
  private readonly next: () => number;
  private seen = 0;
  private chosen = 0;

  constructor(
    private readonly fraction: number,
    seed: number,
  ) {
    this.next = mulberry32(seed);
  }

  /** Pairs to collect before `select`: 1 when every pair or none is chosen, so nothing waits. */
  get windowSize(): number {
    return this.fraction === 0 || this.fraction === 1 ? 1 : SELECTION_WINDOW;
  }

  /** Returns, for each of the next `size` pairs, whether it is augmented. */
  select(size: number): boolean[] {
    const target = Math.round(this.fraction * (this.seen + size)) - this.chosen;
    const positions = Array.from({ length: size }, (_, index) => index);
    // A partial Fisher-Yates shuffle: the first `target` positions end up a uniform random subset.
    for (let i = 0; i < target; i++) {
      const j = i + Math.floor(this.next() * (size - i));
      [positions[i], positions[j]] = [positions[j], positions[i]];
    }
    const selected = new Array<boolean>(size).fill(false);
    for (let i = 0; i < target; i++) selected[positions[i]] = true;
    this.seen += size;
    this.chosen += target;
    return selected;
  }
}

/** mulberry32: a 32-bit seeded generator of floats in [0, 1); fast, not for cryptography. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
