import assert from 'node:assert/strict';
import type { ChatMessage, PreferenceRecord, Tokenizer } from '@radpo/core';
import { tokenizeChatPairs, tokenizeGenerationPrompt, tokenizePairs, type PairTokenizationStats } from '../src';

const BOS = 1000;
const EOS = 1001;

/**
 * Creates a character-level tokenizer whose text "<s>" and "</s>" map to BOS and EOS. `merge` makes a
 * trailing space join the next character into one token, the way BPE merges " x".
 */
function charTokenizer(options: { bos: boolean; template: (messages: ChatMessage[], addGenerationPrompt: boolean) => string; merge?: boolean }): Tokenizer {
  return {
    vocabSize: 2000,
    bosId: options.bos ? BOS : undefined,
    eosId: EOS,
    padId: 0,
    encode(text: string): number[] {
      const ids: number[] = [];
      const parts = text.split(/(<s>|<\/s>)/).filter((part) => part !== '');
      for (const part of parts) {
        if (part === '<s>') ids.push(BOS);
        else if (part === '</s>') ids.push(EOS);
        else {
          const characters = [...part];
          for (let i = 0; i < characters.length; i++) {
            if (options.merge && characters[i] === ' ' && i + 1 < characters.length) {
              ids.push(1500 + characters[++i].charCodeAt(0) % 400);
            } else ids.push(characters[i].charCodeAt(0));
          }
        }
      }
      return ids;
    },
    decode: (ids) => ids.map((id) => String.fromCharCode(id)).join(''),
    applyChatTemplate: (messages, { addGenerationPrompt }) => options.template(messages, addGenerationPrompt),
  };
}

const bracketTemplate = (withBos: boolean, withEos: boolean) => (messages: ChatMessage[], addGenerationPrompt: boolean) =>
  (withBos ? '<s>' : '') +
  messages.map((m) => `[${m.role}]${m.content}${m.role === 'assistant' && withEos ? '</s>' : ''}\n`).join('') +
  (addGenerationPrompt ? '[assistant]' : '');

function newStats(): PairTokenizationStats {
  return { pairs: 0, truncatedPrompts: 0, truncatedResponses: 0, identicalAfterTruncation: 0 };
}

const RECORD: PreferenceRecord = { prompt: 'hi', chosen: 'good', rejected: 'bad' };

describe('tokenizeChatPairs', () => {
  it('should take the response ids as what the answer adds to the prompt', () => {
    const tokenizer = charTokenizer({ bos: true, template: bracketTemplate(true, true) });
    const [pair] = tokenizeChatPairs([RECORD], tokenizer, { maxLength: 100, maxPromptLength: 50 });
    assert.deepEqual(pair.promptIds, tokenizer.encode('<s>[user]hi\n[assistant]'));
    assert.deepEqual(pair.chosenIds, tokenizer.encode('good</s>\n'));
  });

  it('should append EOS only when the template leaves it out', () => {
    const tokenizer = charTokenizer({ bos: true, template: bracketTemplate(true, false) });
    const [pair] = tokenizeChatPairs([RECORD], tokenizer, { maxLength: 100, maxPromptLength: 50 });
    assert.deepEqual(pair.chosenIds, [...tokenizer.encode('good\n'), EOS]);
  });

  it('should keep exactly one BOS when the template and text both carry it', () => {
    const tokenizer = charTokenizer({ bos: true, template: (m, g) => '<s>' + bracketTemplate(true, true)(m, g) });
    const [pair] = tokenizeChatPairs([RECORD], tokenizer, { maxLength: 100, maxPromptLength: 50 });
    assert.equal(pair.promptIds[0], BOS);
    assert.notEqual(pair.promptIds[1], BOS);
  });

  it('should add no BOS for a tokenizer without one', () => {
    const tokenizer = charTokenizer({ bos: false, template: bracketTemplate(false, true) });
    const [pair] = tokenizeChatPairs([RECORD], tokenizer, { maxLength: 100, maxPromptLength: 50 });
    assert.equal(pair.promptIds.includes(BOS), false);
  });

  it('should repair and count a boundary that a trailing space merges across', () => {
    // The generation prompt ends in a space, which merges with the answer's first character.
    const template = (messages: ChatMessage[], addGenerationPrompt: boolean) =>
      messages.map((m) => `${m.role}: ${m.content}\n`).join('').replace(/\n$/, messages.at(-1)?.role === 'assistant' ? '' : '\n') +
      (addGenerationPrompt ? 'assistant: ' : '');
    const tokenizer = charTokenizer({ bos: false, template, merge: true });
    const stats = newStats();
    const [pair] = tokenizeChatPairs([RECORD], tokenizer, { maxLength: 100, maxPromptLength: 50 }, stats);
    assert.equal(stats.boundaryRepairs, 1);
    assert.deepEqual(pair.promptIds, tokenizer.encode('user: hi\nassistant: '));
    assert.deepEqual(pair.chosenIds, [...tokenizer.encode('good'), EOS]);
  });

  it('should truncate to one prompt for both responses and keep the system turn', () => {
    const tokenizer = charTokenizer({ bos: true, template: bracketTemplate(true, true) });
    const record: PreferenceRecord = {
      prompt: [
        { role: 'system', content: 'GOAL 9' },
        { role: 'user', content: 'x'.repeat(60) + 'END' },
      ],
      chosen: 'a'.repeat(40),
      rejected: 'b'.repeat(10),
    };
    const stats = newStats();
    const [pair] = tokenizeChatPairs([record], tokenizer, { maxLength: 56, maxPromptLength: 40 }, stats);
    assert.equal(pair.promptIds.length, 40);
    assert.equal(stats.truncatedPrompts, 1);
    const promptText = tokenizer.decode(pair.promptIds.slice(1));
    assert.ok(promptText.startsWith('[system]GOAL 9\n[user]'), promptText);
    assert.ok(promptText.endsWith('END\n[assistant]'), promptText);
    assert.equal(pair.chosenIds.length, 16);
    assert.equal(stats.truncatedResponses, 1);
  });

  it('should drop and count pairs identical after truncation', () => {
    const tokenizer = charTokenizer({ bos: true, template: bracketTemplate(true, true) });
    const record: PreferenceRecord = { prompt: 'p', chosen: 'same start A', rejected: 'same start B' };
    const stats = newStats();
    const pairs = tokenizeChatPairs([record], tokenizer, { maxLength: 20, maxPromptLength: 15 }, stats);
    assert.equal(pairs.length, 0);
    assert.equal(stats.identicalAfterTruncation, 1);
  });

  it('should never leave a response empty', () => {
    const tokenizer = charTokenizer({ bos: true, template: bracketTemplate(true, true) });
    const record: PreferenceRecord = { prompt: 'q'.repeat(80), chosen: 'yes', rejected: 'no' };
    const [pair] = tokenizeChatPairs([record], tokenizer, { maxLength: 20, maxPromptLength: 19 });
    assert.equal(pair.chosenIds.length, 1);
    assert.equal(pair.rejectedIds.length, 1);
  });
});

describe('tokenizeGenerationPrompt', () => {
  it('should render the prompt with the generation prompt and one BOS', () => {
    const tokenizer = charTokenizer({ bos: true, template: bracketTemplate(true, true) });
    assert.deepEqual(tokenizeGenerationPrompt(tokenizer, [{ role: 'user', content: 'hi' }], 'template'), tokenizer.encode('<s>[user]hi\n[assistant]'));
  });
});

describe('tokenizePairs in the raw format', () => {
  const tokenizer = charTokenizer({ bos: true, template: bracketTemplate(true, true) });

  it('should put the response right after the prompt text', () => {
    const [pair] = tokenizePairs([RECORD], tokenizer, { maxLength: 100, maxPromptLength: 50, promptFormat: 'raw' });
    assert.deepEqual(pair.promptIds, [BOS, ...tokenizer.encode('hi')]);
    assert.deepEqual(pair.chosenIds, [...tokenizer.encode('good'), EOS]);
  });

  it('should separate a system turn from the prompt with a blank line', () => {
    const record: PreferenceRecord = { ...RECORD, prompt: [{ role: 'system', content: 'GOAL 9' }, { role: 'user', content: 'hi' }] };
    const [pair] = tokenizePairs([record], tokenizer, { maxLength: 100, maxPromptLength: 50, promptFormat: 'raw' });
    assert.equal(tokenizer.decode(pair.promptIds.slice(1)), 'GOAL 9\n\nhi');
  });
});
