import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, readSafetensors, selectBackend, writeSafetensors } from '../src';
import { writeTestSafetensors, writeTinyLlama } from './tiny-checkpoints';

/** Writes one tensor of 16-bit values with the given dtype. */
function writeHalfTensor(file: string, dtype: 'F16' | 'BF16', halves: number[]): void {
  const header = Buffer.from(JSON.stringify({ x: { dtype, shape: [halves.length], data_offsets: [0, 2 * halves.length] } }));
  const output = Buffer.alloc(8 + header.length + 2 * halves.length);
  output.writeBigUInt64LE(BigInt(header.length), 0);
  header.copy(output, 8);
  halves.forEach((half, i) => output.writeUInt16LE(half, 8 + header.length + 2 * i));
  fs.writeFileSync(file, output);
}

describe('safetensors', () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-safetensors-'));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('should decode float16 values', () => {
    const file = path.join(root, 'f16.safetensors');
    // 1.0, -2.0, 0.5, the smallest subnormal 2^-24, and +infinity.
    writeHalfTensor(file, 'F16', [0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00]);
    assert.deepEqual(Array.from(readSafetensors(file).tensors.get('x')!.values), [1, -2, 0.5, 2 ** -24, Infinity]);
  });

  it('should decode bfloat16 values', () => {
    const file = path.join(root, 'bf16.safetensors');
    // bfloat16 is the upper 16 bits of a float32: 1.0, -2.0, 3.140625.
    writeHalfTensor(file, 'BF16', [0x3f80, 0xc000, 0x4049]);
    assert.deepEqual(Array.from(readSafetensors(file).tensors.get('x')!.values), [1, -2, 3.140625]);
  });

  it('should round-trip float32 tensors and metadata through its writer', () => {
    const file = path.join(root, 'f32.safetensors');
    const values = Float32Array.from([0.1, -3.5e-8, 1e30, -0]);
    writeSafetensors(file, new Map([['w', { shape: [2, 2], values }]]), { format: 'pt' });
    const read = readSafetensors(file);
    assert.deepEqual(read.metadata, { format: 'pt' });
    assert.deepEqual(read.tensors.get('w')!.shape, [2, 2]);
    assert.ok(Buffer.from(read.tensors.get('w')!.values.buffer).equals(Buffer.from(values.buffer)));
  });

  it('should name a tensor whose offsets do not fit its shape', () => {
    const file = path.join(root, 'bad.safetensors');
    writeTestSafetensors(file, { w: { shape: [2, 2], values: new Float32Array(4) } });
    const bytes = fs.readFileSync(file);
    const text = bytes.toString('latin1').replace('"shape":[2,2]', '"shape":[2,3]');
    fs.writeFileSync(file, Buffer.from(text, 'latin1'));
    assert.throws(() => readSafetensors(file), /tensor "w" of shape \[2,3\]/);
  });

  it('should load a checkpoint sharded across two files', async () => {
    await selectBackend('wasm');
    const dir = path.join(root, 'model');
    writeTinyLlama(dir, { modelType: 'mistral', tied: false, withBos: true });
    const single = await loadModel(dir);

    // Split the tensors alternately into two shards and write the index that maps them.
    const { tensors } = readSafetensors(path.join(dir, 'model.safetensors'));
    const shards: Record<string, { shape: number[]; values: Float32Array }>[] = [{}, {}];
    const weightMap: Record<string, string> = {};
    [...tensors.entries()].forEach(([name, tensor], i) => {
      shards[i % 2][name] = tensor;
      weightMap[name] = `model-0000${(i % 2) + 1}-of-00002.safetensors`;
    });
    shards.forEach((shard, i) => writeTestSafetensors(path.join(dir, `model-0000${i + 1}-of-00002.safetensors`), shard));
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    fs.rmSync(path.join(dir, 'model.safetensors'));

    const sharded = await loadModel(dir);
    for (const name of Object.keys(single.weights)) {
      assert.deepEqual(sharded.weights[name].dataSync(), single.weights[name].dataSync(), `tensor ${name}`);
    }
    tf.dispose([...Object.values(single.weights), ...Object.values(sharded.weights)]);
  });
});
