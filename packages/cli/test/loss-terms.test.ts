import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRunConfig, parseLossTerms } from '../src/commands/train';
import { createBuiltinRegistry } from '../src/plugins';

describe('--algo loss terms', () => {
  const registry = createBuiltinRegistry();

  it('should default the weight to 1 and parse NAME:WEIGHT', () => {
    assert.deepEqual(parseLossTerms(['dpo:0.8', 'sft', 'simpo:2.5'], registry), [
      { name: 'dpo', weight: 0.8 },
      { name: 'sft', weight: 1 },
      { name: 'simpo', weight: 2.5 },
    ]);
  });

  for (const value of ['dpo:0', 'dpo:-1', 'dpo:x', 'dpo:', 'dpo:Infinity', 'dpo:NaN', 'dpo: ']) {
    it(`should reject the weight in "${value}"`, () => {
      assert.throws(() => parseLossTerms([value], registry), /the weight must be a finite number above 0/);
    });
  }

  it('should reject a loss named twice', () => {
    assert.throws(() => parseLossTerms(['dpo', 'dpo:2'], registry), /names the loss "dpo" twice/);
  });

  it('should reject an unknown loss with the installed names', () => {
    assert.throws(() => parseLossTerms(['simp:1'], registry), /unknown loss "simp".*Did you mean "simpo"/);
  });

  it('should set --beta only on terms with a beta option', () => {
    const config = buildRunConfig({ algo: ['dpo:0.8', 'sft:1'], beta: 0.2 }, registry);
    assert.deepEqual(config.losses, [
      { name: 'dpo', weight: 0.8, options: { beta: 0.2 } },
      { name: 'sft', weight: 1, options: {} },
    ]);
  });

  it('should keep the options of a config file term that --algo names again', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-loss-terms-'));
    try {
      const file = path.join(dir, 'run.json');
      fs.writeFileSync(file, JSON.stringify({ losses: [{ name: 'dpo', options: { labelSmoothing: 0.1 } }] }));
      const config = buildRunConfig({ config: file, algo: ['dpo:0.5', 'sft'] }, registry);
      assert.deepEqual(config.losses, [
        { name: 'dpo', weight: 0.5, options: { labelSmoothing: 0.1 } },
        { name: 'sft', weight: 1, options: {} },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
