import * as tf from '@tensorflow/tfjs-core';

/*
 * Kernels that some backends lack, written in plain JavaScript on the tensors' values. They are
 * registered only for a backend that has no kernel of that name (see preflight.ts), so a backend's own
 * kernel always wins. They read and write whole tensors, which costs a copy in and out of the backend:
 * fine for the small tensors they see here, slow on large ones.
 */

/** The backend methods the fill-ins use: reading values and creating an output from values. */
interface ValueBackend {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

function readValues(args: KernelArgs, name: string): Float32Array | Int32Array {
  const input = args.inputs[name] as tf.TensorInfo;
  return (args.backend as unknown as ValueBackend).readSync(input.dataId) as Float32Array | Int32Array;
}

function writeOutput(args: KernelArgs, shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo {
  const backend = args.backend as unknown as ValueBackend;
  if (backend.makeTensorInfo) return backend.makeTensorInfo(shape, dtype, values);
  if (backend.makeOutput) return backend.makeOutput(shape, dtype, undefined, values);
  throw new Error('the backend has neither makeTensorInfo nor makeOutput, so radpo cannot register fill-in kernels for it.');
}

/** log(1 + x), accurate for small x (Math.log1p). */
function log1p(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const values = readValues(args, 'x');
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.log1p(values[i]);
  return writeOutput(args, x.shape, 'float32', out);
}

/**
 * Sums the rows of x that share a segment id: out[s] = Σ x[i] over i with segmentIds[i] = s, for x of
 * shape [n, ...rest] and segmentIds of shape [n]. Ids outside [0, numSegments) are dropped, as in
 * TensorFlow. This is the gradient of gather.
 */
function unsortedSegmentSum(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const segmentIds = args.inputs.segmentIds as tf.TensorInfo;
  const { numSegments } = args.attrs as unknown as { numSegments: number };
  const values = readValues(args, 'x');
  const ids = readValues(args, 'segmentIds');
  const rowSize = tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length));
  const out = new Float32Array(numSegments * rowSize);
  for (let i = 0; i < ids.length; i++) {
    const segment = ids[i];
    if (segment < 0 || segment >= numSegments) continue;
    const from = i * rowSize;
    const to = segment * rowSize;
    for (let j = 0; j < rowSize; j++) out[to + j] += values[from + j];
  }
  return writeOutput(args, [numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype, out);
}

/** Fill-ins by kernel name. */
export const KERNEL_FILL_INS: Readonly<Record<string, tf.KernelFunc>> = {
  [tf.Log1p]: log1p,
  [tf.UnsortedSegmentSum]: unsortedSegmentSum,
};
