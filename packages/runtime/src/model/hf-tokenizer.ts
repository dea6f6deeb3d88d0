import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer as TokenizerJs } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import type { Template } from '@huggingface/jinja' with { 'resolution-mode': 'import' };
import { RadpoError, type ChatMessage, type Tokenizer } from '@radpo/core';

// Both packages are ES modules with CommonJS builds under their "require" export condition; TypeScript
// resolves their types as ES modules only, so the types are imported that way and the code is required.
const tokenizersJs: typeof import('@huggingface/tokenizers', { with: { 'resolution-mode': 'import' } }) = require('@huggingface/tokenizers');
const jinja: typeof import('@huggingface/jinja', { with: { 'resolution-mode': 'import' } }) = require('@huggingface/jinja');

/** Files of a Hugging Face tokenizer that are copied into a saved model directory when present. */
export const HF_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'generation_config.json'];

/**
 * A Hugging Face tokenizer read from `tokenizer.json` and `tokenizer_config.json` with
 * @huggingface/tokenizers (pure JavaScript), and its chat template rendered with @huggingface/jinja.
 */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly padId: number;
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly chatTemplate?: string;
  private readonly template?: Template;

  constructor(
    private readonly inner: TokenizerJs,
    config: Record<string, unknown>,
    chatTemplate: string | undefined,
    readonly directory: string,
  ) {
    const vocab = inner.get_vocab(true);
    this.vocabSize = Math.max(-1, ...vocab.values()) + 1;
    const special = (field: string): { token?: string; id?: number } => {
      const token = specialTokenText(config[field]);
      if (token === undefined) return {};
      const id = inner.token_to_id(token);
      if (id === undefined) {
        throw new RadpoError('config', `${path.join(directory, 'tokenizer_config.json')}: ${field} ${JSON.stringify(token)} is not in tokenizer.json's vocabulary.`);
      }
      return { token, id };
    };
    const bos = special('bos_token');
    const eos = special('eos_token');
    const pad = special('pad_token');
    this.bosToken = bos.token;
    this.bosId = bos.id;
    this.eosToken = eos.token;
    this.eosId = eos.id;
    // Padded positions are masked out of every loss, so any id serves when there is no pad token.
    this.padId = pad.id ?? eos.id ?? 0;
    this.chatTemplate = chatTemplate;
    if (chatTemplate !== undefined) {
      try {
        this.template = new jinja.Template(chatTemplate);
      } catch (error) {
        throw new RadpoError('config', `${directory}: the chat template does not parse: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  /** Reads tokenizer.json, tokenizer_config.json and, when present, chat_template.jinja from a directory. */
  static read(directory: string): HfTokenizer {
    const tokenizerFile = path.join(directory, 'tokenizer.json');
    const configFile = path.join(directory, 'tokenizer_config.json');
    const tokenizerJson = readJson(tokenizerFile);
    const config = fs.existsSync(configFile) ? readJson(configFile) : {};
    const templateFile = path.join(directory, 'chat_template.jinja');
    const chatTemplate = fs.existsSync(templateFile) ? fs.readFileSync(templateFile, 'utf8') : pickChatTemplate(config.chat_template, configFile);
    let inner: TokenizerJs;
    try {
      inner = new tokenizersJs.Tokenizer(tokenizerJson, config);
    } catch (error) {
      throw new RadpoError('config', `${tokenizerFile} could not be loaded by @huggingface/tokenizers: ${(error as Error).message}`, { cause: error });
    }
    return new HfTokenizer(inner, config, chatTemplate, directory);
  }

  encode(text: string): number[] {
    return this.inner.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[]): string {
    // @huggingface/tokenizers 0.2 throws on an empty list.
    if (ids.length === 0) return '';
    return this.inner.decode([...ids], { skip_special_tokens: true });
  }

  get applyChatTemplate(): ((messages: ChatMessage[], options: { addGenerationPrompt: boolean }) => string) | undefined {
    const template = this.template;
    if (!template) return undefined;
    return (messages, options) => {
      try {
        return template.render({
          messages,
          add_generation_prompt: options.addGenerationPrompt,
          bos_token: this.bosToken ?? '',
          eos_token: this.eosToken ?? '',
        });
      } catch (error) {
        const roles = messages.map((message) => message.role).join(', ');
        throw new RadpoError(
          'data',
          `the chat template of ${this.directory} failed to render messages with roles [${roles}]: ${(error as Error).message}. ` +
            'A template that rejects system messages needs reward augmentation with placement "user-prefix".',
          { cause: error },
        );
      }
    };
  }
}

function specialTokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

function pickChatTemplate(value: unknown, file: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((entry) => entry?.name === 'default') ?? value[0];
    if (typeof named?.template === 'string') return named.template;
  }
  throw new RadpoError('config', `${file}: chat_template must be a string or a list of {name, template}; got ${JSON.stringify(value).slice(0, 80)}.`);
}

export function readJson(file: string): Record<string, any> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RadpoError('io', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RadpoError('io', `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
