// hyparquet and hyparquet-writer ship only as ES modules. Node 20.19 and later load them with
// require(), but TypeScript's node16 module mode rejects a static import of an ES module from
// CommonJS, so the types come in with a resolution-mode import and the code through require().
// Loading is lazy, so reading JSONL never pays for the Parquet code.
type Hyparquet = typeof import('hyparquet', { with: { 'resolution-mode': 'import' } });
type HyparquetWriter = typeof import('hyparquet-writer', { with: { 'resolution-mode': 'import' } });

export type ParquetSchemaElement = import('hyparquet', { with: { 'resolution-mode': 'import' } }).SchemaElement;

let reader: Hyparquet | undefined;
let writer: HyparquetWriter | undefined;

/** Returns the hyparquet module (Parquet reading), loading it on first use. */
export function loadParquetReader(): Hyparquet {
  reader ??= require('hyparquet') as Hyparquet;
  return reader;
}

/** Returns the hyparquet-writer module (Parquet writing), loading it on first use. */
export function loadParquetWriter(): HyparquetWriter {
  writer ??= require('hyparquet-writer') as HyparquetWriter;
  return writer;
}
