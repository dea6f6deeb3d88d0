import * as fs from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { RadpoError, type PreferenceRecord } from '@radpo/core';
import { loadParquetWriter, type ParquetSchemaElement } from './parquet-modules';
import { resolveFormat, type DataFormat } from './read-options';
import { toTrlRow, type TrlPreferenceRow } from './trl-rows';

/** Options of `openPreferenceWriter`. */
export interface PreferenceWriterOptions {
  /** Overrides the format implied by the extension (`.jsonl`, `.json`, `.parquet`, `.gz` after JSON ones). */
  format?: DataFormat;
  /** Replace an existing file. Default false: an existing file is an error and stays untouched. */
  overwrite?: boolean;
}

/** Writes records in TRL's conversational shape (see TrlPreferenceRow), one batch at a time. */
export interface PreferenceWriter {
  readonly file: string;
  readonly format: DataFormat;
  /** Writes a batch and resolves once the output accepted it, so memory keeps about one batch. */
  write(records: readonly PreferenceRecord[]): Promise<void>;
  /** Flushes and closes the file. A Parquet file is valid only after close. */
  close(): Promise<void>;
}

/**
 * Opens `file` for writing preference rows as JSONL (one row per line), a JSON array, either one
 * gzip-compressed, or Parquet (one row group per batch, Snappy-compressed, messages as
 * list<struct<role, content>>, as Hugging Face datasets stores them). Throws a RadpoError with code
 * `io` when the file exists and `overwrite` is not set, or when it cannot be created.
 */
export function openPreferenceWriter(file: string, options: PreferenceWriterOptions = {}): PreferenceWriter {
  const format = resolveFormat(file, options.format);
  const gzip = file.toLowerCase().endsWith('.gz');
  if (gzip && format === 'parquet') {
    throw new RadpoError('config', `cannot write "${file}": Parquet compresses its own pages, so name the output .parquet.`);
  }
  const descriptor = openOutput(file, options.overwrite ?? false);
  return format === 'parquet' ? parquetWriter(file, descriptor) : jsonWriter(file, descriptor, format, gzip);
}

function openOutput(file: string, overwrite: boolean): number {
  try {
    return fs.openSync(file, overwrite ? 'w' : 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new RadpoError('io', `"${file}" already exists. Choose another output file, or allow replacing it (radpo augment --overwrite).`, {
        cause: error,
      });
    }
    throw new RadpoError('io', `failed to create "${file}": ${(error as Error).message}`, { cause: error });
  }
}

function jsonWriter(file: string, descriptor: number, format: DataFormat, gzip: boolean): PreferenceWriter {
  const output = fs.createWriteStream(file, { fd: descriptor });
  const gzipStream = gzip ? createGzip() : undefined;
  if (gzipStream) gzipStream.pipe(output);
  const sink = gzipStream ?? output;
  let failure: Error | undefined;
  for (const stream of [output, gzipStream]) stream?.on('error', (error: Error) => (failure ??= error));
  let rows = 0;

  const send = async (text: string) => {
    if (failure) throw ioError(file, failure);
    if (!sink.write(text)) await drained(sink);
    if (failure) throw ioError(file, failure);
  };

  return {
    file,
    format,
    async write(records) {
      if (records.length === 0) return;
      const lines = records.map((record) => JSON.stringify(toTrlRow(record)));
      if (format === 'jsonl') {
        await send(lines.join('\n') + '\n');
      } else {
        await send((rows === 0 ? '[\n' : ',\n') + lines.join(',\n'));
      }
      rows += records.length;
    },
    async close() {
      if (format === 'json') await send(rows === 0 ? '[]\n' : '\n]\n');
      sink.end();
      await once(output, 'close');
      if (failure) throw ioError(file, failure);
    },
  };
}

/** Resolves on the stream's next 'drain', or rejects on its next 'error', and leaves no listener behind. */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      stream.off('drain', onDrain);
      reject(error);
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}

function ioError(file: string, error: Error): RadpoError {
  return new RadpoError('io', `failed to write "${file}": ${error.message}`, { cause: error });
}

const MESSAGE_COLUMNS = ['prompt', 'chosen', 'rejected'] as const;

/** Parquet schema of TrlPreferenceRow: messages as list<struct<role, content>>, attributes as JSON text. */
function trlParquetSchema(): ParquetSchemaElement[] {
  const text = (name: string): ParquetSchemaElement => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
  const messages = (name: string): ParquetSchemaElement[] => [
    { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
    text('role'),
    text('content'),
  ];
  const columns: ParquetSchemaElement[] = [
    text('id'),
    ...MESSAGE_COLUMNS.flatMap(messages),
    { name: 'score_chosen', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    { name: 'score_rejected', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    { name: 'attributes_chosen', type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' },
    { name: 'attributes_rejected', type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' },
  ];
  return [{ name: 'root', num_children: PARQUET_COLUMNS.length }, ...columns];
}

const PARQUET_COLUMNS: (keyof TrlPreferenceRow)[] = [
  'id',
  'prompt',
  'chosen',
  'rejected',
  'score_chosen',
  'score_rejected',
  'attributes_chosen',
  'attributes_rejected',
];

function parquetWriter(file: string, descriptor: number): PreferenceWriter {
  // hyparquet-writer's fileWriter opens the file by name, truncating it; the descriptor only reserved the name.
  fs.closeSync(descriptor);
  const { ParquetWriter, fileWriter } = loadParquetWriter();
  let writer: InstanceType<typeof ParquetWriter>;
  try {
    writer = new ParquetWriter({ writer: fileWriter(file), schema: trlParquetSchema() });
  } catch (error) {
    throw ioError(file, error as Error);
  }

  return {
    file,
    format: 'parquet',
    async write(records) {
      if (records.length === 0) return;
      const rows = records.map(toTrlRow);
      const columnData = PARQUET_COLUMNS.map((name) => ({
        name,
        data: rows.map((row) => (name.startsWith('attributes_') && row[name] !== undefined ? JSON.stringify(row[name]) : (row[name] ?? null))),
      }));
      try {
        await writer.write({ columnData, rowGroupSize: rows.length });
      } catch (error) {
        throw ioError(file, error as Error);
      }
    },
    async close() {
      try {
        writer.finish();
      } catch (error) {
        throw ioError(file, error as Error);
      }
    },
  };
}
