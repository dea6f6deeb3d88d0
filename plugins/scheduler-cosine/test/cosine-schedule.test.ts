import assert from 'node:assert/strict';
import { PluginRegistry, RadpoError } from '@radpo/core';
import { cosineSchedulePlugin, createCosineSchedule } from '../src';

// Expected rates were computed by hand to 8 significant digits, so the tolerance is 1e-11 absolute
// on rates near 1e-3 (relative 1e-8).
const TOLERANCE = 1e-11;

function assertClose(actual: number, expected: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= TOLERANCE, `${label}: expected ${expected}, got ${actual}`);
}

describe('cosine schedule', () => {
  it('should warm up then decay by cosine', () => {
    // base 1e-3, T = 10, W = 2, p = (t − 2)/8.
    // step 5: p = 3/8, (1 + cos(3π/8))/2 = (1 + 0.38268343)/2 = 0.69134172.
    // step 9: p = 7/8, (1 + cos(7π/8))/2 = (1 − 0.92387953)/2 = 0.03806023.
    const schedule = createCosineSchedule({ warmupSteps: 2 });
    const expected: Array<[number, number]> = [
      [0, 5e-4],
      [1, 1e-3],
      [2, 1e-3],
      [5, 6.9134172e-4],
      [9, 3.806023e-5],
    ];
    for (const [step, rate] of expected) {
      assertClose(schedule.learningRate(step, 10, 1e-3), rate, `step ${step}`);
    }
  });

  it('should decay towards minRatio × base', () => {
    // minRatio 0.1: lr = 1e-3 · (0.1 + 0.9 · factor).
    // step 5: 0.1 + 0.9 · 0.69134172 = 0.72220755. Step 9: 0.1 + 0.9 · 0.03806023 = 0.13425421.
    const schedule = createCosineSchedule({ warmupSteps: 2, minRatio: 0.1 });
    assertClose(schedule.learningRate(2, 10, 1e-3), 1e-3, 'step 2');
    assertClose(schedule.learningRate(5, 10, 1e-3), 7.2220755e-4, 'step 5');
    assertClose(schedule.learningRate(9, 10, 1e-3), 1.3425421e-4, 'step 9');
    assertClose(schedule.learningRate(10, 10, 1e-3), 1e-4, 'step 10');
  });

  it('should decay from step 0 without warmup', () => {
    // T = 4, p = t/4: factors 1, (1 + cos(π/4))/2 = 0.85355339, 0.5, (1 − cos(π/4))/2 = 0.14644661.
    const schedule = createCosineSchedule();
    assertClose(schedule.learningRate(0, 4, 1e-3), 1e-3, 'step 0');
    assertClose(schedule.learningRate(1, 4, 1e-3), 8.5355339e-4, 'step 1');
    assertClose(schedule.learningRate(2, 4, 1e-3), 5e-4, 'step 2');
    assertClose(schedule.learningRate(3, 4, 1e-3), 1.4644661e-4, 'step 3');
  });

  it('should return 0 past totalSteps', () => {
    const schedule = createCosineSchedule({ warmupSteps: 2 });
    assert.equal(schedule.learningRate(11, 10, 1e-3), 0);
  });

  it('should resolve warmupRatio against totalSteps', () => {
    // T = 25, ratio 0.1: W = ceil(2.5) = 3. Step 14: p = 11/22 = 0.5, factor (1 + cos(π/2))/2 = 0.5.
    const schedule = createCosineSchedule({ warmupRatio: 0.1 });
    assertClose(schedule.learningRate(0, 25, 1e-3), 1e-3 / 3, 'step 0');
    assertClose(schedule.learningRate(3, 25, 1e-3), 1e-3, 'step 3');
    assertClose(schedule.learningRate(14, 25, 1e-3), 5e-4, 'step 14');
  });

  it('should reject minRatio above 1', () => {
    assert.throws(() => createCosineSchedule({ minRatio: 1.5 }), /minRatio: must be <= 1/);
  });

  describe('through a PluginRegistry', () => {
    it('should create the schedule with defaults from {}', () => {
      const registry = new PluginRegistry().register(cosineSchedulePlugin);
      assert.deepEqual(registry.resolveOptions('scheduler', 'cosine', {}), { warmupRatio: 0, minRatio: 0 });
      const schedule = registry.create('scheduler', 'cosine', {});
      assert.equal(schedule.name, 'cosine');
      assertClose(schedule.learningRate(2, 4, 1e-3), 5e-4, 'step 2');
    });

    it('should reject unknown options listing valid keys', () => {
      const registry = new PluginRegistry().register(cosineSchedulePlugin);
      assert.throws(
        () => registry.create('scheduler', 'cosine', { minLr: 0.1 }),
        (error: unknown) => {
          assert.ok(error instanceof RadpoError);
          assert.match(error.message, /unknown key "minLr"/);
          assert.match(error.message, /Valid keys: warmupSteps, warmupRatio, minRatio/);
          return true;
        },
      );
    });
  });
});
