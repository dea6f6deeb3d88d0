import { RadpoError } from '@radpo/core';
import { loadParquetReader } from './parquet-modules';

/** One row of a Parquet file as a plain object. `line` is the 1-based row number. */
export interface NumberedValue {
  line: number;
  value: unknown;
}

/**
 * Yields the rows of a Parquet file as objects, one row group at a time, so memory keeps one row
 * group's rows. Lists and structs come out as arrays and objects. INT64 values arrive from hyparquet
 * as bigint and are converted to numbers, which is exact up to 2^53.
 */
export async function* readParquetRows(file: string): AsyncGenerator<NumberedValue> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = loadParquetReader();

  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  try {
    buffer = await asyncBufferFromFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code === 'ENOENT' ? `data file not found: "${file}"` : `failed to read "${file}": ${(error as Error).message}`;
    throw new RadpoError('io', detail, { cause: error });
  }

  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new RadpoError('data', `"${file}" is not a readable Parquet file: ${(error as Error).message}`, { cause: error });
  }

  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd });
    for (let index = 0; index < rows.length; index++) {
      yield { line: rowStart + index + 1, value: withoutBigInts(rows[index]) };
    }
    rowStart = rowEnd;
  }
}

function withoutBigInts(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(withoutBigInts);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutBigInts(item)]));
  }
  return value;
}
