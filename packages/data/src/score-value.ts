/** A decimal number written out in full: optional sign, digits with an optional fraction, optional exponent. */
const DECIMAL_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Converts a raw score to a finite number, or returns undefined when it is not one.
 * Numbers must be finite (JSON.parse turns `1e999` into Infinity). Strings are accepted only when
 * the whole string is a decimal number such as "7.5", "-2", ".5" or "1e1", so "abc", "", " 7",
 * "NaN", "Infinity" and "0x10" are all invalid. Callers treat null as a missing score before calling.
 */
export function parseScore(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !DECIMAL_NUMBER.test(value)) return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}
