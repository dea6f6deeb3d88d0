import type { ChatMessage } from './records';

/** A tokenizer as the data pipeline needs it; built-in and Hugging Face tokenizers implement it. */
export interface Tokenizer {
  readonly vocabSize: number;
  /** Undefined when the tokenizer has no such token. */
  readonly bosId?: number;
  readonly eosId?: number;
  readonly padId: number;
  /** Encodes text without adding special tokens; special-token text in the input maps to its id. */
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /**
   * Renders messages with the model's chat template. Absent when the tokenizer has none; pair
   * tokenization then falls back to a plain role-tagged rendering.
   */
  applyChatTemplate?(messages: ChatMessage[], options: { addGenerationPrompt: boolean }): string;
}
