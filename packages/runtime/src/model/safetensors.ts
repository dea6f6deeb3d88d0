import { constants as bufferConstants } from 'node:buffer';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { RadpoError } from '@radpo/core';

/**
 * Reader and writer of the safetensors format: an 8-byte little-endian header length, a JSON header
 * that maps each tensor name to its dtype, shape and [begin, end) byte offsets into the data section,
 * then the raw little-endian bytes. The npm package `safetensors` has a single 0.0.1 release and
 * `@huggingface/safetensors` does not exist, while the format is small enough to own.
 */

/** A tensor as stored in a safetensors file, converted to float32. */
export interface StoredTensor {
  dtype: string;
  shape: number[];
  values: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES_PER_ELEMENT: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Maximum header size accepted, far above the few hundred kilobytes of large real checkpoints. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Reads every floating-point tensor of a safetensors file as float32; other dtypes are an error naming the tensor. */
export function readSafetensors(file: string): { tensors: Map<string, StoredTensor>; metadata: Record<string, string> } {
  let bytes: Buffer;
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (error) {
    throw new RadpoError('io', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  // NOTE: the whole file is read into one Buffer, so a shard must fit Node's Buffer limit.
  if (size > bufferConstants.MAX_LENGTH) {
    throw new RadpoError('io', `${file} has ${size} bytes, more than the ${bufferConstants.MAX_LENGTH} a Node.js Buffer holds; reshard the checkpoint into smaller files.`);
  }
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new RadpoError('io', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (bytes.length < 8) throw new RadpoError('io', `${file} is not a safetensors file: it has ${bytes.length} bytes, fewer than the 8-byte header length.`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
    throw new RadpoError('io', `${file} is not a safetensors file: its header length ${headerLength} exceeds the file size ${bytes.length}.`);
  }
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (error) {
    throw new RadpoError('io', `${file} has an invalid safetensors header: ${(error as Error).message}`, { cause: error });
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, StoredTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = raw as HeaderEntry;
    const width = BYTES_PER_ELEMENT[entry.dtype];
    if (width === undefined) {
      throw new RadpoError('io', `${file}: tensor "${name}" has dtype ${entry.dtype}; expected one of ${Object.keys(BYTES_PER_ELEMENT).join(', ')}.`);
    }
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((product, dimension) => product * dimension, 1);
    if (end - begin !== count * width || dataStart + end > bytes.length) {
      throw new RadpoError(
        'io',
        `${file}: tensor "${name}" of shape ${JSON.stringify(entry.shape)} and dtype ${entry.dtype} has data offsets [${begin}, ${end}] that do not fit its size or the file.`,
      );
    }
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, values: decode(bytes, dataStart + begin, count, entry.dtype) });
  }
  return { tensors, metadata };
}

function decode(bytes: Buffer, offset: number, count: number, dtype: string): Float32Array {
  const values = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * BYTES_PER_ELEMENT[dtype]);
  if (dtype === 'F32' && LITTLE_ENDIAN) {
    // Copying the bytes avoids a call per element; typed arrays use the host's byte order.
    new Uint8Array(values.buffer).set(bytes.subarray(offset, offset + 4 * count));
  } else if (dtype === 'F32') {
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(4 * i, true);
  } else if (dtype === 'F64') {
    for (let i = 0; i < count; i++) values[i] = view.getFloat64(8 * i, true);
  } else if (dtype === 'BF16') {
    // bfloat16 is the upper half of a float32.
    const word = new Uint32Array(1);
    const asFloat = new Float32Array(word.buffer);
    for (let i = 0; i < count; i++) {
      word[0] = view.getUint16(2 * i, true) << 16;
      values[i] = asFloat[0];
    }
  } else {
    for (let i = 0; i < count; i++) values[i] = halfToFloat(view.getUint16(2 * i, true));
  }
  return values;
}

function halfToFloat(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Writes float32 tensors as one safetensors file, names in sorted order. The header is padded with
 * spaces to a multiple of 8 bytes, as the reference implementation does, so the data stays aligned.
 */
export function writeSafetensors(file: string, tensors: Map<string, { shape: number[]; values: Float32Array }>, metadata: Record<string, string> = {}): void {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const { shape, values } = tensors.get(name)!;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.length * 4] };
    offset += values.length * 4;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const output = Buffer.alloc(8 + headerBytes.length + offset);
  output.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(output, 8);
  let position = 8 + headerBytes.length;
  for (const name of names) {
    const { values } = tensors.get(name)!;
    if (LITTLE_ENDIAN) output.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), position);
    else for (let i = 0; i < values.length; i++) output.writeFloatLE(values[i], position + 4 * i);
    position += values.length * 4;
  }
  fs.writeFileSync(file, output);
}
