/**
 * Writes tiny checkpoints (GPT-2, Llama, Qwen2, Mistral, Llama with llama3 rope scaling) and what radpo computes for them (logits, token ids, rendered chat templates)
 * to runs/hf-parity, for check_parity.py to compare with Hugging Face transformers, tokenizers and
 * jinja2 on a machine where those are installed. With ../shared/data/stories260K present, it also
 * saves stories260K as a Hugging Face directory with its logits and greedy continuation.
 *
 * Run from the repository root: npx tsx tools/hf-parity/make-fixtures.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type { ChatMessage } from '@radpo/core';
import { HfTokenizer, disposeWeights, generate, loadModel, saveHfModel, selectBackend, type LoadedModel, type PretrainedModel } from '../../packages/runtime/src';
import { writeTinyGpt2, writeTinyLlama } from '../../packages/runtime/test/tiny-checkpoints';

const OUT = path.resolve('runs/hf-parity');
const STORIES = path.resolve('../shared/data/stories260K');
const TOKENS = [3, 77, 150, 9, 201, 45, 260, 12];
const TEXTS = ['The cat sat on the mat.', ' the theater, in 2024!', 'naïve café 漢字', 'line one\nline two'];
const CONVERSATION: ChatMessage[] = [
  { role: 'user', content: 'Say the cat sat.' },
  { role: 'assistant', content: 'The cat sat.' },
];

function logitsOf(loaded: LoadedModel, tokens: number[]): number[][] {
  return tf.tidy(() => loaded.model.logits(loaded.weights, tf.tensor2d(tokens, [1, tokens.length], 'int32')).arraySync()[0]);
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const writers: Record<string, (dir: string) => void> = {
    gpt2: writeTinyGpt2,
    llama: (dir) => writeTinyLlama(dir, { modelType: 'llama', tied: true, withBos: true }),
    qwen2: (dir) => writeTinyLlama(dir, { modelType: 'qwen2', tied: false, withBos: false }),
    mistral: (dir) => writeTinyLlama(dir, { modelType: 'mistral', tied: false, withBos: true, sentencePiece: true }),
    llama3: (dir) => {
      writeTinyLlama(dir, { modelType: 'llama', tied: true, withBos: true });
      const file = path.join(dir, 'config.json');
      const config = JSON.parse(fs.readFileSync(file, 'utf8'));
      config.rope_theta = 100;
      config.rope_scaling = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 };
      fs.writeFileSync(file, JSON.stringify(config));
    },
  };
  const cases: Record<string, unknown>[] = [];
  for (const [name, write] of Object.entries(writers)) {
    const source = path.join(OUT, `${name}-source`);
    write(source);
    const loaded = await loadModel(source);
    // The directory radpo saves is the one checked, so the writer is covered too.
    const dir = path.join(OUT, name);
    await saveHfModel(dir, loaded.model as PretrainedModel, loaded.weights);
    fs.rmSync(source, { recursive: true, force: true });
    const tokenizer = loaded.model.tokenizer as HfTokenizer;
    // Rendered templates contain special-token text, which must encode to the special ids.
    const rendered = tokenizer.applyChatTemplate ? [tokenizer.applyChatTemplate(CONVERSATION, { addGenerationPrompt: false })] : [];
    cases.push({
      name,
      dir: name,
      tokens: TOKENS,
      logits: logitsOf(loaded, TOKENS),
      encodings: [...TEXTS, ...rendered].map((text) => ({ text, ids: tokenizer.encode(text) })),
      templates: tokenizer.applyChatTemplate
        ? [true, false].map((addGenerationPrompt) => {
            const messages = addGenerationPrompt ? CONVERSATION.slice(0, 1) : CONVERSATION;
            return { messages, addGenerationPrompt, bosToken: tokenizer.bosToken ?? '', eosToken: tokenizer.eosToken ?? '', text: tokenizer.applyChatTemplate!(messages, { addGenerationPrompt }) };
          })
        : [],
    });
    disposeWeights(loaded.weights);
  }

  if (fs.existsSync(path.join(STORIES, 'stories260K.bin'))) {
    const loaded = await loadModel(path.join(STORIES, 'stories260K.bin'), { tokenizerPath: path.join(STORIES, 'tok512.bin') });
    await saveHfModel(path.join(OUT, 'stories260K'), loaded.model as PretrainedModel, loaded.weights);
    const tokens = [1, ...loaded.model.tokenizer.encode('Once upon a time, Lily')];
    cases.push({
      name: 'stories260K',
      dir: 'stories260K',
      tokens,
      logits: logitsOf(loaded, tokens),
      greedy: generate(loaded.model, loaded.weights, tokens, { maxNewTokens: 30, stopIds: [] }).ids,
      encodings: [],
      templates: [],
    });
    disposeWeights(loaded.weights);
  }
  fs.writeFileSync(path.join(OUT, 'expected.json'), JSON.stringify(cases));
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
