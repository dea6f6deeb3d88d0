import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import '@tensorflow/tfjs';
import { tokenizePairsForTokenizer } from '@radpo/data';
import { disposeWeights, loadModel, pairLogProbs, resolvePromptFormat, selectBackend } from '@radpo/runtime';
import { writeTinyLlama, writeTinyPairs } from '../packages/runtime/test/tiny-checkpoints';
import { SHARED_DATA, makeTempDir, readEvents, runCli } from './helpers';

describe('radpo train, generate and logprobs with pretrained models', function () {
  let work: string;
  let modelDir: string;
  let pairsFile: string;
  let runDir: string;

  before(function () {
    work = makeTempDir('cli-models');
    modelDir = path.join(work, 'qwen2');
    pairsFile = path.join(work, 'pairs.jsonl');
    runDir = path.join(work, 'run');
    writeTinyLlama(modelDir, { modelType: 'qwen2', tied: false, withBos: false });
    writeTinyPairs(pairsFile);
    const result = runCli([
      'train', '--model', modelDir, '--data', pairsFile, '--max-steps', '2', '--warmup-steps', '0', '--batch-size', '2',
      '--max-length', '48', '--max-prompt-length', '24', '--augment', '--backend', 'wasm', '--out', runDir,
    ]);
    assert.equal(result.status, 0, result.stderr);
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('should save the trained policy as a Hugging Face directory', () => {
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
      assert.ok(fs.existsSync(path.join(runDir, 'model', name)), `model/${name} is missing`);
    }
    const steps = readEvents(runDir).filter((event) => event.type === 'step');
    assert.equal(steps.length, 2);
  });

  it('should print the log-probs the library computes for the same pairs', async () => {
    const result = runCli(['logprobs', '--model', runDir, '--data', pairsFile, '--backend', 'wasm']);
    assert.equal(result.status, 0, result.stderr);
    const printed = result.stdout.trim().split('\n').map((line) => JSON.parse(line));

    await selectBackend('wasm');
    const loaded = await loadModel(runDir);
    const rows = fs.readFileSync(pairsFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const pairs = tokenizePairsForTokenizer(rows, loaded.model.tokenizer, { maxLength: 48, maxPromptLength: 24, promptFormat: resolvePromptFormat(loaded.model) });
    const expected = pairLogProbs(loaded.model, loaded.weights, pairs, 8);
    disposeWeights(loaded.weights);
    assert.deepEqual(printed, expected);
  });

  it('should score reward-augmented pairs with --transforms train', () => {
    const plain = runCli(['logprobs', '--model', runDir, '--data', pairsFile, '--backend', 'wasm']);
    const augmented = runCli(['logprobs', '--model', runDir, '--data', pairsFile, '--transforms', 'train', '--backend', 'wasm']);
    assert.equal(augmented.status, 0, augmented.stderr);
    const plainRows = plain.stdout.trim().split('\n');
    const augmentedRows = augmented.stdout.trim().split('\n').map((line) => JSON.parse(line));
    // Each scored pair becomes two, one conditioned on each score.
    assert.equal(augmentedRows.length, 2 * plainRows.length);
    assert.ok(augmentedRows.every((row) => /#goal=(chosen|rejected)$/.test(row.id)), augmentedRows.map((row) => row.id).join(', '));
  });

  it('should put the goal condition into the generation prompt', () => {
    const plain = runCli(['generate', '--model', runDir, '--prompt', 'Greet me.', '--max-new-tokens', '4', '--backend', 'wasm']);
    const withGoal = runCli(['generate', '--model', runDir, '--prompt', 'Greet me.', '--goal', '9', '--max-new-tokens', '4', '--backend', 'wasm']);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(withGoal.status, 0, withGoal.stderr);
    const promptTokens = (stderr: string) => Number(/\((\d+) prompt tokens\)/.exec(stderr)?.[1]);
    // The default condition, "Write a response rated 9 on a scale of 1 to 10.", goes into a system turn.
    assert.ok(promptTokens(withGoal.stderr) > promptTokens(plain.stderr) + 20, `${withGoal.stderr} vs ${plain.stderr}`);
  });

  it('should reject a goal outside the run\'s scale', () => {
    const result = runCli(['generate', '--model', runDir, '--prompt', 'hi', '--goal', '11', '--backend', 'wasm']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--goal 11 is outside the reward scale 1 to 10/);
  });

  it('should exit 2 and name model_type for an unknown architecture', () => {
    const broken = path.join(work, 'falcon');
    writeTinyLlama(broken, { modelType: 'llama', tied: true, withBos: true });
    const config = JSON.parse(fs.readFileSync(path.join(broken, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(broken, 'config.json'), JSON.stringify({ ...config, model_type: 'falcon' }));
    const result = runCli(['logprobs', '--model', broken, '--data', pairsFile, '--backend', 'wasm']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /model_type "falcon"/);
  });

  it('should continue training from a run directory', () => {
    const next = path.join(work, 'run-2');
    const result = runCli([
      'train', '--model', runDir, '--data', pairsFile, '--max-steps', '1', '--warmup-steps', '0', '--batch-size', '2',
      '--max-length', '48', '--max-prompt-length', '24', '--backend', 'wasm', '--out', next,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(fs.existsSync(path.join(next, 'model', 'model.safetensors')));
  });

  it('should train stories260K from its llama2.c file', function () {
    const model = path.join(SHARED_DATA, 'stories260K/stories260K.bin');
    if (!fs.existsSync(model)) this.skip();
    const storyPairs = path.join(work, 'stories.jsonl');
    const rows = [
      { prompt: 'Lily went to the park', chosen: 'with her mom. She saw a big dog.', rejected: 'park park the the of.' },
      { prompt: 'Tom had a ball', chosen: '. He liked to play with it.', rejected: 'ball ball xq.' },
      { prompt: 'The cat was sleeping', chosen: 'on the bed. It was warm.', rejected: 'zz on on the.' },
    ];
    fs.writeFileSync(storyPairs, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
    const out = path.join(work, 'stories-run');
    const result = runCli([
      'train', '--model', model, '--tokenizer', path.join(SHARED_DATA, 'stories260K/tok512.bin'), '--data', storyPairs,
      '--max-steps', '2', '--warmup-steps', '0', '--batch-size', '2', '--max-length', '64', '--max-prompt-length', '32', '--backend', 'wasm', '--out', out,
    ]);
    assert.equal(result.status, 0, result.stderr);
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.bin']) assert.ok(fs.existsSync(path.join(out, 'model', name)), `model/${name} is missing`);
  });

  it('should continue a story with the llama2.c stories260K model', function () {
    const model = path.join(SHARED_DATA, 'stories260K/stories260K.bin');
    if (!fs.existsSync(model)) this.skip();
    const result = runCli(['generate', '--model', model, '--tokenizer', path.join(SHARED_DATA, 'stories260K/tok512.bin'), '--prompt', 'Once upon a time', '--max-new-tokens', '30', '--backend', 'wasm']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Once upon a time[ ,][A-Za-z ,.'"!?\n]{40,}$/);
  });
});
