import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readAllPreferenceRecords, tokenizePairs } from '@radpo/data';
import { BuiltinTransformer, buildPairBatch, readCheckpoint, responseLogProbs, selectBackend } from '@radpo/runtime';
import { makeTempDir, runCli } from './helpers';

function readJsonl(file: string): Array<Record<string, any>> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** β·(log π − log π_ref) of one response, computed pair by pair (no padding shared with other pairs). */
async function expectedRewards(runDir: string, dataFile: string, beta: number): Promise<{ chosen: number; rejected: number }[]> {
  await selectBackend('cpu');
  const policy = await readCheckpoint(runDir);
  const reference = await readCheckpoint(path.join(runDir, 'checkpoint-reference'));
  const settings = policy.metadata.model as any;
  const model = new BuiltinTransformer({ dModel: settings.dModel, nLayers: settings.nLayers, nHeads: settings.nHeads, dFf: settings.dFf, maxPositions: settings.maxPositions });
  const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
  const records = await readAllPreferenceRecords(dataFile);
  const pairs = tokenizePairs(records, model.tokenizer, { maxLength: config.model.maxLength, maxPromptLength: config.model.maxPromptLength, keepIdentical: true });
  const rewards = pairs.map((pair) => {
    const batch = buildPairBatch([pair], model.tokenizer.padId);
    const logProbs = (weights: typeof policy.weights) => Array.from(responseLogProbs(model, weights, batch).summed.dataSync());
    const [policyChosen, policyRejected] = logProbs(policy.weights);
    const [referenceChosen, referenceRejected] = logProbs(reference.weights);
    return { chosen: beta * (policyChosen - referenceChosen), rejected: beta * (policyRejected - referenceRejected) };
  });
  tf.dispose([...Object.values(policy.weights), ...Object.values(reference.weights)]);
  return rewards;
}

describe('radpo relabel', () => {
  let work: string;
  let runDir: string;
  let data: string;

  before(() => {
    work = makeTempDir('cli-relabel');
    data = path.join(work, 'pairs.jsonl');
    const rows = Array.from({ length: 12 }, (_, i) => ({
      prompt: `Sort the letters ${'dcba'.slice(0, 2 + (i % 3))}`,
      chosen: 'abcd'.slice(0, 2 + (i % 3)),
      rejected: `${'dcba'.slice(0, 2 + (i % 3))} no`,
      score_chosen: 9,
      score_rejected: 2 + (i % 4),
    }));
    fs.writeFileSync(data, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
    const config = path.join(work, 'tiny.yaml');
    fs.writeFileSync(config, ['model:', '  dModel: 16', '  nLayers: 1', '  nHeads: 2', '  maxLength: 48', '  maxPromptLength: 32', ''].join('\n'));
    runDir = path.join(work, 'run');
    const trained = runCli(['train', '--algo', 'dpo', '--beta', '0.2', '--data', data, '--eval-data', data, '--max-steps', '3', '--warmup-steps', '2', '--learning-rate', '0.01', '--config', config, '--out', runDir, '--backend', 'cpu']);
    assert.equal(trained.status, 0, trained.stderr);
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('should save the reference checkpoint when training', () => {
    assert.ok(fs.existsSync(path.join(runDir, 'checkpoint-reference', 'weights.bin')));
    const metadata = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoint-reference', 'checkpoint.json'), 'utf8'));
    assert.equal(metadata.step, 0);
    assert.equal(metadata.phase, 'warmup');
  });

  it('should write implicit rewards as scores', async () => {
    const out = path.join(work, 'relabeled.jsonl');
    const result = runCli(['relabel', '--model', runDir, '--data', data, '--out', out, '--backend', 'cpu', '--batch-size', '5']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /pairs scored 12/);
    assert.match(result.stdout, /β 0\.2/);

    const rows = readJsonl(out);
    const expected = await expectedRewards(runDir, data, 0.2);
    assert.equal(rows.length, 12);
    rows.forEach((row, i) => {
      assert.ok(Math.abs(row.score_chosen - expected[i].chosen) < 1e-4, `row ${i + 1} chosen: ${row.score_chosen} vs ${expected[i].chosen}`);
      assert.ok(Math.abs(row.score_rejected - expected[i].rejected) < 1e-4, `row ${i + 1} rejected: ${row.score_rejected} vs ${expected[i].rejected}`);
    });
    assert.ok(rows.some((row) => Math.abs(row.score_chosen) > 1e-6), 'training should move the policy away from the reference');
  });

  it('should score zero when the policy is the reference', () => {
    const copy = path.join(work, 'same');
    fs.mkdirSync(copy);
    fs.copyFileSync(path.join(runDir, 'config.json'), path.join(copy, 'config.json'));
    fs.cpSync(path.join(runDir, 'checkpoint-reference'), path.join(copy, 'checkpoint-1'), { recursive: true });
    fs.writeFileSync(path.join(copy, 'latest'), 'checkpoint-1\n');
    fs.cpSync(path.join(runDir, 'checkpoint-reference'), path.join(copy, 'checkpoint-reference'), { recursive: true });
    const out = path.join(work, 'zero.jsonl');
    const result = runCli(['relabel', '--model', copy, '--data', data, '--out', out, '--backend', 'cpu']);
    assert.equal(result.status, 0, result.stderr);
    for (const row of readJsonl(out)) {
      assert.equal(row.score_chosen, 0);
      assert.equal(row.score_rejected, 0);
    }
  });

  it('should name a missing reference checkpoint', () => {
    const bare = path.join(work, 'bare');
    fs.mkdirSync(bare);
    fs.copyFileSync(path.join(runDir, 'config.json'), path.join(bare, 'config.json'));
    const latest = fs.readFileSync(path.join(runDir, 'latest'), 'utf8').trim();
    fs.cpSync(path.join(runDir, latest), path.join(bare, latest), { recursive: true });
    fs.copyFileSync(path.join(runDir, 'latest'), path.join(bare, 'latest'));
    const result = runCli(['relabel', '--model', bare, '--data', data, '--out', path.join(work, 'none.jsonl'), '--backend', 'cpu']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /checkpoint-reference" not found/);
  });
});
