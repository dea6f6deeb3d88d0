import * as fs from 'node:fs';
import { RadpoError, type Tokenizer } from '@radpo/core';

/**
 * The SentencePiece-style BPE tokenizer of llama2.c (`tokenizer.bin`): int32 max_token_length, then per
 * id a float32 merge score, an int32 byte length and the piece's bytes. Ids 0, 1 and 2 are <unk>, BOS
 * and EOS; pieces `<0x00>`…`<0xFF>` are byte fallbacks; word-initial pieces start with a space.
 */
export class Llama2cTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId = 1;
  readonly eosId = 2;
  /** llama2.c has no padding token; padded positions are masked out, so <unk> serves. */
  readonly padId = 0;
  private readonly pieceIds = new Map<string, number>();
  private readonly byteFallbackIds = new Map<number, number>();
  private readonly encoder = new TextEncoder();

  /** Bytes of each piece, and its merge score. */
  constructor(
    readonly pieces: Uint8Array[],
    readonly scores: Float32Array,
    readonly maxTokenLength: number,
    readonly source?: string,
  ) {
    this.vocabSize = pieces.length;
    const latin1 = new TextDecoder('latin1');
    pieces.forEach((piece, id) => {
      const key = latin1.decode(piece);
      // The first id of a piece wins, as in run.c's sorted lookup of unique pieces.
      if (!this.pieceIds.has(key)) this.pieceIds.set(key, id);
      const byteMatch = /^<0x([0-9A-Fa-f]{2})>$/.exec(key);
      if (byteMatch) this.byteFallbackIds.set(parseInt(byteMatch[1], 16), id);
    });
  }

  /** Reads a llama2.c tokenizer.bin. `vocabSize` comes from the model header, which the file does not store. */
  static read(file: string, vocabSize: number): Llama2cTokenizer {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (error) {
      throw new RadpoError('io', `cannot read tokenizer ${file}: ${(error as Error).message}`, { cause: error });
    }
    const fail = (id: number, what: string) =>
      new RadpoError('io', `${file} is not a llama2.c tokenizer for ${vocabSize} tokens: ${what} at token ${id} (byte ${offset}).`);
    let offset = 0;
    if (bytes.length < 4) throw fail(0, 'the file ends before max_token_length');
    const maxTokenLength = bytes.readInt32LE(0);
    offset = 4;
    const pieces: Uint8Array[] = [];
    const scores = new Float32Array(vocabSize);
    for (let id = 0; id < vocabSize; id++) {
      if (offset + 8 > bytes.length) throw fail(id, 'the file ends before the score and length');
      scores[id] = bytes.readFloatLE(offset);
      const length = bytes.readInt32LE(offset + 4);
      offset += 8;
      if (length < 0 || offset + length > bytes.length) throw fail(id, `piece length ${length} runs past the end of the file`);
      pieces.push(Uint8Array.from(bytes.subarray(offset, offset + length)));
      offset += length;
    }
    if (offset !== bytes.length) {
      throw new RadpoError('io', `${file} has ${bytes.length - offset} bytes after ${vocabSize} tokens; the model's vocab_size does not match this tokenizer.`);
    }
    return new Llama2cTokenizer(pieces, scores, maxTokenLength, file);
  }

  /**
   * Encodes as llama2.c's run.c does: a dummy-prefix space before non-empty text, one piece per UTF-8
   * character (byte-fallback pieces for characters without one), then repeated merges of the adjacent
   * pair whose concatenation is a piece with the highest score.
   */
  encode(text: string): number[] {
    if (text === '') return [];
    const latin1 = new TextDecoder('latin1');
    const tokens: number[] = [];
    const spaceId = this.pieceIds.get(' ');
    if (spaceId !== undefined) tokens.push(spaceId);
    for (const character of text) {
      const bytes = this.encoder.encode(character);
      const id = this.pieceIds.get(latin1.decode(bytes));
      if (id !== undefined) {
        tokens.push(id);
        continue;
      }
      for (const byte of bytes) {
        const fallback = this.byteFallbackIds.get(byte);
        if (fallback === undefined) throw new RadpoError('data', `the llama2.c tokenizer has neither a piece nor a byte fallback for byte 0x${byte.toString(16)}.`);
        tokens.push(fallback);
      }
    }

    const pieceText = this.pieces.map((piece) => latin1.decode(piece));
    for (;;) {
      let bestScore = -Infinity;
      let bestId = -1;
      let bestIndex = -1;
      for (let i = 0; i + 1 < tokens.length; i++) {
        const merged = this.pieceIds.get(pieceText[tokens[i]] + pieceText[tokens[i + 1]]);
        if (merged !== undefined && this.scores[merged] > bestScore) {
          bestScore = this.scores[merged];
          bestId = merged;
          bestIndex = i;
        }
      }
      if (bestIndex < 0) break;
      tokens.splice(bestIndex, 2, bestId);
    }
    return tokens;
  }

  /**
   * Decodes ids to text. BOS, EOS and <unk> produce nothing; byte-fallback pieces become their byte;
   * the leading space of the first piece (at the start or after BOS) is the dummy prefix and is dropped.
   */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    let atStart = true;
    for (const id of ids) {
      if (id === this.bosId) {
        atStart = true;
        continue;
      }
      if (id === this.eosId || id === 0 || id < 0 || id >= this.vocabSize) continue;
      const fallbackByte = this.fallbackByte(id);
      if (fallbackByte !== undefined) {
        bytes.push(fallbackByte);
      } else {
        let piece = this.pieces[id];
        if (atStart && piece[0] === 0x20) piece = piece.subarray(1);
        bytes.push(...piece);
      }
      atStart = false;
    }
    return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
  }

  /** Writes the tokenizer back in llama2.c's format (byte-identical to a file it was read from). */
  write(file: string): void {
    const total = 4 + this.pieces.reduce((sum, piece) => sum + 8 + piece.length, 0);
    const output = Buffer.alloc(total);
    output.writeInt32LE(this.maxTokenLength, 0);
    let offset = 4;
    this.pieces.forEach((piece, id) => {
      output.writeFloatLE(this.scores[id], offset);
      output.writeInt32LE(piece.length, offset + 4);
      output.set(piece, offset + 8);
      offset += 8 + piece.length;
    });
    fs.writeFileSync(file, output);
  }

  private fallbackByte(id: number): number | undefined {
    const piece = this.pieces[id];
    if (piece.length !== 6 || piece[0] !== 0x3c || piece[5] !== 0x3e) return undefined;
    const match = /^<0x([0-9A-Fa-f]{2})>$/.exec(new TextDecoder('latin1').decode(piece));
    return match ? parseInt(match[1], 16) : undefined;
  }
}
