import assert from 'node:assert/strict';
import { PluginRegistry, RadpoError } from '@radpo/core';
import { constantSchedulePlugin, createConstantSchedule } from '../src';

// Expected rates near 1e-3 are exact fractions, so a 1e-15 absolute tolerance allows only rounding.
const TOLERANCE = 1e-15;

function assertClose(actual: number, expected: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= TOLERANCE, `${label}: expected ${expected}, got ${actual}`);
}

describe('constant schedule', () => {
  it('should warm up linearly then hold the base rate', () => {
    // base 1e-3, 10 total steps, 2 warmup steps: step 0 = 1e-3 · 1/2, step 1 = 1e-3 · 2/2, then 1e-3.
    const schedule = createConstantSchedule({ warmupSteps: 2 });
    const expected: Array<[number, number]> = [
      [0, 5e-4],
      [1, 1e-3],
      [2, 1e-3],
      [5, 1e-3],
      [9, 1e-3],
    ];
    for (const [step, rate] of expected) {
      assertClose(schedule.learningRate(step, 10, 1e-3), rate, `step ${step}`);
    }
  });

  it('should return the base rate from step 0 without warmup', () => {
    const schedule = createConstantSchedule();
    assert.equal(schedule.learningRate(0, 10, 2e-5), 2e-5);
    assert.equal(schedule.learningRate(9, 10, 2e-5), 2e-5);
  });

  it('should resolve warmupRatio against totalSteps', () => {
    // ceil(0.25 · 10) = 3 warmup steps: 1/3, 2/3, then the base rate.
    const schedule = createConstantSchedule({ warmupRatio: 0.25 });
    assertClose(schedule.learningRate(0, 10, 1e-3), 1e-3 / 3, 'step 0');
    assertClose(schedule.learningRate(1, 10, 1e-3), 2e-3 / 3, 'step 1');
    assertClose(schedule.learningRate(2, 10, 1e-3), 1e-3, 'step 2');
    assertClose(schedule.learningRate(3, 10, 1e-3), 1e-3, 'step 3');
  });

  it('should prefer warmupSteps over warmupRatio', () => {
    // warmupSteps 1 wins over ceil(0.5 · 10) = 5, so step 0 already trains at the base rate.
    const schedule = createConstantSchedule({ warmupSteps: 1, warmupRatio: 0.5 });
    assert.equal(schedule.learningRate(0, 10, 1e-3), 1e-3);
  });

  it('should reject a negative or fractional step', () => {
    const schedule = createConstantSchedule();
    assert.throws(() => schedule.learningRate(-1, 10, 1e-3), /step must be a non-negative integer/);
    assert.throws(() => schedule.learningRate(0.5, 10, 1e-3), /step must be a non-negative integer/);
  });

  it('should reject totalSteps below 1', () => {
    const schedule = createConstantSchedule();
    assert.throws(() => schedule.learningRate(0, 0, 1e-3), /totalSteps must be a positive integer/);
  });

  it('should reject invalid options when created directly', () => {
    assert.throws(() => createConstantSchedule({ warmupSteps: -1 }), RadpoError);
  });

  describe('through a PluginRegistry', () => {
    it('should create the schedule with defaults from {}', () => {
      const registry = new PluginRegistry().register(constantSchedulePlugin);
      const schedule = registry.create('scheduler', 'constant', {});
      assert.equal(schedule.name, 'constant');
      assert.equal(schedule.learningRate(0, 10, 1e-3), 1e-3);
    });

    it('should reject unknown options listing valid keys', () => {
      const registry = new PluginRegistry().register(constantSchedulePlugin);
      assert.throws(
        () => registry.create('scheduler', 'constant', { warmup: 3 }),
        (error: unknown) => {
          assert.ok(error instanceof RadpoError);
          assert.match(error.message, /unknown key "warmup"/);
          assert.match(error.message, /Valid keys: warmupSteps, warmupRatio/);
          return true;
        },
      );
    });
  });
});
