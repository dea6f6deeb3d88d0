import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { RadpoError } from '@radpo/core';

const CHUNK_BYTES = 64 * 1024;

/**
 * Streams a UTF-8 file as text chunks, without a leading byte order mark. Multi-byte characters
 * split across reads are decoded whole. With `gzip` the file is one gzip stream (zlib), inflated
 * chunk by chunk. File-system failures become RadpoErrors with code `io`, and a file that is not
 * gzip data one with code `data`. Stopping the iteration early closes the file.
 */
export async function* readTextChunks(file: string, gzip = false): AsyncGenerator<string> {
  const source = createReadStream(file, gzip ? { highWaterMark: CHUNK_BYTES } : { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  const inflate = gzip ? createGunzip() : undefined;
  if (inflate) {
    // pipe() does not forward errors, so a missing file would otherwise leave the gunzip stream waiting.
    source.on('error', (error) => inflate.destroy(error));
    source.pipe(inflate);
    inflate.setEncoding('utf8');
  }
  const stream = inflate ?? source;

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
    source.destroy();
  }
}

function toIoError(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return error;
  if (code.startsWith('Z_')) {
    return new RadpoError('data', `"${file}" is not valid gzip data (${(error as Error).message}); a .gz file must be one gzip stream.`, {
      cause: error,
    });
  }
  if (code === 'ENOENT') return new RadpoError('io', `data file not found: "${file}"`, { cause: error });
  if (code === 'EISDIR') return new RadpoError('io', `"${file}" is a directory, not a data file`, { cause: error });
  return new RadpoError('io', `failed to read "${file}": ${(error as Error).message}`, { cause: error });
}
