import assert from 'node:assert/strict';
import { createRng } from '../src';

describe('createRng', () => {
  it('should repeat the sequence for a seed', () => {
    const a = createRng(1234);
    const b = createRng(1234);

    const first = Array.from({ length: 20 }, () => a.next());
    const second = Array.from({ length: 20 }, () => b.next());

    assert.deepEqual(first, second);
  });

  it('should continue the sequence from a saved state', () => {
    const original = createRng(99);
    for (let i = 0; i < 7; i++) original.next();

    const restored = createRng(original.state());

    assert.deepEqual(
      Array.from({ length: 10 }, () => restored.next()),
      Array.from({ length: 10 }, () => original.next()),
    );
  });

  it('should differ between seeds', () => {
    const a = createRng(1);
    const b = createRng(2);

    assert.notDeepEqual(
      Array.from({ length: 5 }, () => a.next()),
      Array.from({ length: 5 }, () => b.next()),
    );
  });

  it('should keep next() in [0, 1) with a mean near 0.5', () => {
    const rng = createRng(7);
    let sum = 0;

    for (let i = 0; i < 10_000; i++) {
      const value = rng.next();
      assert.ok(value >= 0, String(value));
      assert.ok(value < 1, String(value));
      sum += value;
    }

    // The standard error of the mean of 10,000 uniform draws is about 0.003.
    assert.ok(Math.abs(sum / 10_000 - 0.5) < 0.015, String(sum / 10_000));
  });

  it('should map seeds modulo 2^32', () => {
    const negative = createRng(-1);
    const wrapped = createRng(2 ** 32 - 1);

    assert.equal(negative.next(), wrapped.next());
  });

  it('should reject a non-integer seed', () => {
    assert.throws(() => createRng(1.5), RangeError);
  });

  it('should draw every integer below n', () => {
    const rng = createRng(3);
    const counts = [0, 0, 0, 0, 0];

    for (let i = 0; i < 5000; i++) counts[rng.int(5)]++;

    for (const count of counts) {
      assert.ok(count > 800, String(counts));
      assert.ok(count < 1200, String(counts));
    }
  });

  it('should reject n that is not a positive integer', () => {
    const rng = createRng(3);

    assert.throws(() => rng.int(0), RangeError);
    assert.throws(() => rng.int(2.5), RangeError);
  });

  it('should pick elements of the array', () => {
    const rng = createRng(5);
    const items = ['a', 'b', 'c'];

    const picked = new Set(Array.from({ length: 100 }, () => rng.pick(items)));

    assert.deepEqual([...picked].sort(), items);
    assert.throws(() => rng.pick([]), RangeError);
  });

  it('should shuffle a copy into a permutation', () => {
    const rng = createRng(9);
    const items = Array.from({ length: 20 }, (_, i) => i);

    const shuffled = rng.shuffle(items);

    assert.deepEqual(items, Array.from({ length: 20 }, (_, i) => i));
    assert.notDeepEqual(shuffled, items);
    assert.deepEqual([...shuffled].sort((x, y) => x - y), items);
  });
});
