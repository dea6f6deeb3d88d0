import assert from 'node:assert/strict';
import { PluginRegistry, RadpoError } from '@radpo/core';
import { createLinearSchedule, linearSchedulePlugin } from '../src';

// Expected rates near 1e-3 are exact fractions, so a 1e-15 absolute tolerance allows only rounding.
const TOLERANCE = 1e-15;

function assertClose(actual: number, expected: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= TOLERANCE, `${label}: expected ${expected}, got ${actual}`);
}

describe('linear schedule', () => {
  it('should warm up then decay to 0', () => {
    // base 1e-3, T = 10, W = 2. Warmup: (t + 1)/2. Decay: (10 − t)/8, so 8/8 at step 2, 5/8 at 5, 1/8 at 9.
    const schedule = createLinearSchedule({ warmupSteps: 2 });
    const expected: Array<[number, number]> = [
      [0, 5e-4],
      [1, 1e-3],
      [2, 1e-3],
      [5, 6.25e-4],
      [9, 1.25e-4],
    ];
    for (const [step, rate] of expected) {
      assertClose(schedule.learningRate(step, 10, 1e-3), rate, `step ${step}`);
    }
  });

  it('should decay from step 0 without warmup', () => {
    // T = 4: (4 − t)/4 gives 1, 0.75, 0.5, 0.25.
    const schedule = createLinearSchedule();
    assertClose(schedule.learningRate(0, 4, 1e-3), 1e-3, 'step 0');
    assertClose(schedule.learningRate(1, 4, 1e-3), 7.5e-4, 'step 1');
    assertClose(schedule.learningRate(2, 4, 1e-3), 5e-4, 'step 2');
    assertClose(schedule.learningRate(3, 4, 1e-3), 2.5e-4, 'step 3');
  });

  it('should return 0 at and past totalSteps', () => {
    const schedule = createLinearSchedule({ warmupSteps: 2 });
    assert.equal(schedule.learningRate(10, 10, 1e-3), 0);
    assert.equal(schedule.learningRate(12, 10, 1e-3), 0);
  });

  it('should resolve warmupRatio against totalSteps', () => {
    // T = 25, ratio 0.1: W = ceil(2.5) = 3. Warmup 1/3, 2/3, 3/3, then decay (25 − t)/22, so 11/22 at step 14.
    const schedule = createLinearSchedule({ warmupRatio: 0.1 });
    assertClose(schedule.learningRate(0, 25, 1e-3), 1e-3 / 3, 'step 0');
    assertClose(schedule.learningRate(2, 25, 1e-3), 1e-3, 'step 2');
    assertClose(schedule.learningRate(3, 25, 1e-3), 1e-3, 'step 3');
    assertClose(schedule.learningRate(14, 25, 1e-3), 5e-4, 'step 14');
  });

  it('should prefer warmupSteps over warmupRatio', () => {
    // W = 1 from warmupSteps, not ceil(0.5 · 10) = 5: step 1 already decays, (10 − 1)/9 = 1.
    const schedule = createLinearSchedule({ warmupSteps: 1, warmupRatio: 0.5 });
    assertClose(schedule.learningRate(0, 10, 1e-3), 1e-3, 'step 0');
    assertClose(schedule.learningRate(4, 10, 1e-3), (1e-3 * 6) / 9, 'step 4');
  });

  it('should warm up through a short run', () => {
    // W = 8 > T = 4: every step is a warmup step, (t + 1)/8.
    const schedule = createLinearSchedule({ warmupSteps: 8 });
    assertClose(schedule.learningRate(3, 4, 1e-3), 5e-4, 'step 3');
  });

  it('should reject a negative base learning rate', () => {
    const schedule = createLinearSchedule();
    assert.throws(() => schedule.learningRate(0, 10, -1e-3), /baseLearningRate must be a finite number >= 0/);
  });

  describe('through a PluginRegistry', () => {
    it('should create the schedule with defaults from {}', () => {
      const registry = new PluginRegistry().register(linearSchedulePlugin);
      const schedule = registry.create('scheduler', 'linear', {});
      assert.equal(schedule.name, 'linear');
      assertClose(schedule.learningRate(1, 4, 1e-3), 7.5e-4, 'step 1');
    });

    it('should reject unknown options listing valid keys', () => {
      const registry = new PluginRegistry().register(linearSchedulePlugin);
      assert.throws(
        () => registry.create('scheduler', 'linear', { warmupStep: 3 }),
        (error: unknown) => {
          assert.ok(error instanceof RadpoError);
          assert.match(error.message, /unknown key "warmupStep"/);
          assert.match(error.message, /Valid keys: warmupSteps, warmupRatio/);
          return true;
        },
      );
    });

    it('should name the plugin when a call fails', () => {
      const registry = new PluginRegistry().register(linearSchedulePlugin);
      const schedule = registry.create('scheduler', 'linear', {});
      assert.throws(() => schedule.learningRate(-1, 10, 1e-3), /scheduler plugin "linear" failed in learningRate\(\)/);
    });
  });
});
