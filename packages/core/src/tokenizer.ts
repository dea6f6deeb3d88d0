/** A tokenizer as the data pipeline needs it; built-in and Hugging Face tokenizers implement it. */
export interface Tokenizer {
  readonly vocabSize: number;
  /** Undefined when the tokenizer has no such token. */
  readonly bosId?: number;
  readonly eosId?: number;
  readonly padId: number;
  /** Encodes text without adding special tokens. */
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}
