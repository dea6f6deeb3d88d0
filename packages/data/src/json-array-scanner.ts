import { RadpoError } from '@radpo/core';
import type { NumberedText } from './jsonl-lines';
import { readTextChunks } from './text-chunks';

type Phase = 'before-array' | 'between-elements' | 'in-element' | 'after-array';

/**
 * Splits the text of a top-level JSON array into the texts of its elements, chunk by chunk, so a
 * caller can JSON.parse one element at a time. It tracks only bracket depth, strings and escapes
 * and does not validate the elements, so a malformed element comes out as text that fails to parse.
 * An empty element (`[1,,2]` or a trailing comma) comes out as ''.
 * Element numbers are 1-based. Problems with the array itself throw a RadpoError with code `data`.
 */
export class JsonArrayScanner {
  private phase: Phase = 'before-array';
  private afterComma = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Pieces of an element that spans several chunks. */
  private pieces: string[] = [];
  private elementCount = 0;

  constructor(private readonly file: string) {}

  /** Scans the next chunk and returns the elements that ended in it. */
  push(chunk: string): NumberedText[] {
    const elements: NumberedText[] = [];
    let elementStart = 0;

    for (let i = 0; i < chunk.length; i++) {
      const char = chunk[i];
      switch (this.phase) {
        case 'before-array':
          if (isJsonWhitespace(char)) break;
          if (char !== '[') throw this.notAnArray(char);
          this.phase = 'between-elements';
          break;

        case 'between-elements':
          if (isJsonWhitespace(char)) break;
          if (char === ']') {
            if (this.afterComma) elements.push(this.emit(''));
            this.phase = 'after-array';
          } else if (char === ',') {
            elements.push(this.emit(''));
            this.afterComma = true;
          } else {
            this.phase = 'in-element';
            this.depth = 0;
            this.inString = false;
            this.escaped = false;
            elementStart = i;
            this.scanElementChar(char);
          }
          break;

        case 'in-element': {
          const end = this.scanElementChar(char);
          if (end === undefined) break;
          this.pieces.push(chunk.slice(elementStart, i));
          elements.push(this.emit(this.pieces.join('').trimEnd()));
          this.pieces = [];
          this.phase = end === ',' ? 'between-elements' : 'after-array';
          this.afterComma = end === ',';
          break;
        }

        case 'after-array':
          if (!isJsonWhitespace(char)) throw this.contentAfterArray(char);
          break;
      }
    }

    if (this.phase === 'in-element') this.pieces.push(chunk.slice(elementStart));
    return elements;
  }

  /** Checks that the array was closed. An empty or all-whitespace input is valid and has no elements. */
  finish(): void {
    if (this.phase === 'between-elements' || this.phase === 'in-element') {
      throw new RadpoError(
        'data',
        `"${this.file}" ends before its JSON array is closed; the last complete element is ${this.elementCount}. ` +
          'The file may be truncated, or a string may be missing its closing quote.',
      );
    }
  }

  /**
   * Advances the string, escape and depth state by one character of an element.
   * Returns the delimiter (',' or ']') when the character ends the element at depth 0.
   */
  private scanElementChar(char: string): ',' | ']' | undefined {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (char === '\\') this.escaped = true;
      else if (char === '"') this.inString = false;
      return undefined;
    }

    switch (char) {
      case '"':
        this.inString = true;
        return undefined;
      case '{':
      case '[':
        this.depth++;
        return undefined;
      case '}':
        // An unmatched '}' stays in the text so JSON.parse reports it.
        if (this.depth > 0) this.depth--;
        return undefined;
      case ']':
        if (this.depth === 0) return ']';
        this.depth--;
        return undefined;
      case ',':
        return this.depth === 0 ? ',' : undefined;
      default:
        return undefined;
    }
  }

  private emit(text: string): NumberedText {
    this.elementCount++;
    return { line: this.elementCount, text };
  }

  private notAnArray(char: string): RadpoError {
    return new RadpoError(
      'data',
      `"${this.file}" is not a JSON array: it starts with ${JSON.stringify(char)}, but the json format expects ` +
        "one array of objects ([{...}, {...}]). If the file has one JSON object per line, name it .jsonl or set the format option to 'jsonl'.",
    );
  }

  private contentAfterArray(char: string): RadpoError {
    return new RadpoError(
      'data',
      `"${this.file}" continues after its JSON array closed (after element ${this.elementCount}) with ` +
        `${JSON.stringify(char)}; expected the file to contain exactly one JSON array.`,
    );
  }
}

function isJsonWhitespace(char: string): boolean {
  return char === ' ' || char === '\n' || char === '\r' || char === '\t';
}

/** Yields the elements of a file that contains one JSON array, reading it in chunks. */
export async function* readJsonArrayElements(file: string, gzip = false): AsyncGenerator<NumberedText> {
  const scanner = new JsonArrayScanner(file);
  for await (const chunk of readTextChunks(file, gzip)) {
    yield* scanner.push(chunk);
  }
  scanner.finish();
}
