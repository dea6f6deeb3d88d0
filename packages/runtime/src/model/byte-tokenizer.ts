import type { Tokenizer } from '@radpo/core';

/**
 * The built-in model's tokenizer: one token per UTF-8 byte (ids 0-255) plus BOS, EOS and PAD.
 * It needs no vocabulary file, so the built-in model works on any text with nothing downloaded.
 */
export class ByteTokenizer implements Tokenizer {
  readonly vocabSize = 259;
  readonly bosId = 256;
  readonly eosId = 257;
  readonly padId = 258;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  encode(text: string): number[] {
    return Array.from(this.encoder.encode(text));
  }

  decode(ids: readonly number[]): string {
    return this.decoder.decode(Uint8Array.from(ids.filter((id) => id < 256)));
  }
}
