import { readTextChunks } from './text-chunks';

/** One non-blank line of a text file. `line` is 1-based and counts blank lines too. */
export interface NumberedText {
  line: number;
  text: string;
}

/**
 * Yields the non-blank lines of a file one at a time, so at most one line and one chunk are in
 * memory. Lines end at `\n`, and a trailing `\r` is removed so that CRLF files read the same.
 */
export async function* readNonBlankLines(file: string, gzip = false): AsyncGenerator<NumberedText> {
  let lineNumber = 0;
  // Pieces of a line that spans several chunks. They are joined once the line ends, so scanning stays linear.
  let pending: string[] = [];

  for await (const chunk of readTextChunks(file, gzip)) {
    let start = 0;
    let newline = chunk.indexOf('\n');
    while (newline !== -1) {
      pending.push(chunk.slice(start, newline));
      lineNumber++;
      const text = finishLine(pending);
      pending = [];
      if (text !== undefined) yield { line: lineNumber, text };
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) pending.push(chunk.slice(start));
  }

  if (pending.length > 0) {
    lineNumber++;
    const text = finishLine(pending);
    if (text !== undefined) yield { line: lineNumber, text };
  }
}

/** Joins a line's pieces and drops a trailing `\r`. Returns undefined for a blank line. */
function finishLine(pieces: string[]): string | undefined {
  let text = pieces.join('');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  return text.trim() === '' ? undefined : text;
}
