/** A seeded pseudo-random number generator. The same seed always yields the same sequence. */
export interface Rng {
  /** Returns a float in [0, 1). */
  next(): number;
  /** Returns an integer in [0, n); `n` must be a positive integer. */
  int(n: number): number;
  /** Returns one element of a non-empty array, chosen uniformly. */
  pick<T>(items: readonly T[]): T;
  /** Returns a shuffled copy of `items` (Fisher-Yates). The input array is not modified. */
  shuffle<T>(items: readonly T[]): T[];
  /**
   * Returns the generator's 32-bit state. `createRng(rng.state())` continues the same sequence,
   * which is how checkpoints save and restore a data order.
   */
  state(): number;
}

/**
 * Creates a mulberry32 generator: 32 bits of state, fast, and good enough for data sampling and
 * weight initialization, but not for cryptography. `seed` must be an integer. It is reduced modulo
 * 2^32, so negative seeds and seeds of 2^32 or more are valid.
 */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) {
    throw new RangeError(`createRng: seed must be an integer, got ${String(seed)}`);
  }
  let state = seed >>> 0;

  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`Rng.int: n must be a positive integer, got ${String(n)}`);
    }
    return Math.floor(next() * n);
  };

  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new RangeError('Rng.pick: the array is empty');
    return items[int(items.length)];
  };

  const shuffle = <T>(items: readonly T[]): T[] => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  };

  return { next, int, pick, shuffle, state: () => state };
}
