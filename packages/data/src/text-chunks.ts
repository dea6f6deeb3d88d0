import { createReadStream } from 'node:fs';
import { RadpoError } from '@radpo/core';

const CHUNK_BYTES = 64 * 1024;

/**
 * Streams a UTF-8 file as text chunks, without a leading byte order mark. Multi-byte characters
 * split across reads are decoded whole. File-system failures become RadpoErrors with code `io`.
 * Stopping the iteration early closes the file.
 */
export async function* readTextChunks(file: string): AsyncGenerator<string> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = first && chunk.startsWith('\uFEFF') ? chunk.slice(1) : chunk;
      first = false;
      yield text;
    }
  } catch (error) {
    throw toIoError(file, error);
  } finally {
    stream.destroy();
  }
}

function toIoError(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return error;
  if (code === 'ENOENT') return new RadpoError('io', `data file not found: "${file}"`, { cause: error });
  if (code === 'EISDIR') return new RadpoError('io', `"${file}" is a directory, not a data file`, { cause: error });
  return new RadpoError('io', `failed to read "${file}": ${(error as Error).message}`, { cause: error });
}
