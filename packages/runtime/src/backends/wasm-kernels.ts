import * as tf from '@tensorflow/tfjs-core';

/*
 * Faster replacements for two kernels of @tensorflow/tfjs-backend-wasm 4.22, registered over the
 * package's own when radpo selects the wasm backend.
 *
 * - Slice: the package's kernel copies the whole input out of the wasm heap (readSync) before it
 *   copies the slice, so every split of the attention projections copies the full activation. This
 *   one reads the input through a view of the heap.
 * - BatchMatMul: the package runs every batched (rank > 2 with a batch above 1) or transposed matmul
 *   in a naive loop at ~2 GFLOP/s, and only the plain rank-2 case in XNNPACK at ~30 GFLOP/s. This one
 *   runs a batched plain-layout matmul as one XNNPACK matmul per batch entry. Transposed operands are
 *   left to the original kernel; radpo's model avoids them (see model/layers.ts).
 */

/** The parts of tfjs-backend-wasm's BackendWasm that these kernels use. */
interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

let installed = false;

/** Registers the faster Slice and BatchMatMul kernels for the wasm backend; later calls do nothing. */
export function installWasmKernels(): void {
  if (installed) return;
  const originalMatMul = tf.getKernel(tf.BatchMatMul, 'wasm');
  const originalSlice = tf.getKernel(tf.Slice, 'wasm');
  if (!originalMatMul || !originalSlice) return;

  tf.unregisterKernel(tf.Slice, 'wasm');
  tf.registerKernel({ ...originalSlice, kernelFunc: (args) => sliceFromHeap(args, originalSlice.kernelFunc) });
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ ...originalMatMul, kernelFunc: (args) => batchedPlainMatMul(args, originalMatMul.kernelFunc) });
  installed = true;
}

function sliceFromHeap(args: KernelArgs, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  const viewable = x.dtype === 'float32' || x.dtype === 'int32' || x.dtype === 'bool';
  if (!viewable || x.shape.length > 4) return original(args);
  const backend = args.backend as unknown as WasmBackendInternals;
  const attrs = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);

  // makeOutput may grow the heap, which detaches earlier views, so views are taken after it.
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  const input = backend.typedArrayFromHeap(x);
  const output = backend.typedArrayFromHeap(out);
  copyBlock(input, x.shape, begin, size, output);
  return out;
}

/** Copies the block at `begin` of extent `size` from a row-major `input` of shape `shape` into `output`. */
function copyBlock(
  input: tf.TypedArray,
  shape: number[],
  begin: number[],
  size: number[],
  output: tf.TypedArray,
): void {
  // Pad to rank 4 so one loop nest serves every rank up to 4.
  const pad = 4 - shape.length;
  const fullShape = [...Array(pad).fill(1), ...shape];
  const start = [...Array(pad).fill(0), ...begin];
  const extent = [...Array(pad).fill(1), ...size];
  const strides = [fullShape[1] * fullShape[2] * fullShape[3], fullShape[2] * fullShape[3], fullShape[3]];
  const rowLength = extent[3];
  let written = 0;
  for (let i = 0; i < extent[0]; i++) {
    for (let j = 0; j < extent[1]; j++) {
      for (let k = 0; k < extent[2]; k++) {
        const from = (start[0] + i) * strides[0] + (start[1] + j) * strides[1] + (start[2] + k) * strides[2] + start[3];
        output.set(input.subarray(from, from + rowLength), written);
        written += rowLength;
      }
    }
  }
}

function batchedPlainMatMul(args: KernelArgs, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const a = args.inputs.a as tf.TensorInfo;
  const b = args.inputs.b as tf.TensorInfo;
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const plain = !transposeA && !transposeB && a.dtype === 'float32' && b.dtype === 'float32';
  const broadcastable = batchA === batchB || batchA === 1 || batchB === 1;
  if (!plain || !broadcastable || Math.max(batchA, batchB) === 1 || a.shape.length < 2 || b.shape.length < 2) {
    return original(args);
  }

  const backend = args.backend as unknown as WasmBackendInternals;
  const [rows, inner] = a.shape.slice(-2);
  const [innerB, columns] = b.shape.slice(-2);
  if (inner !== innerB) return original(args); // the original kernel raises the shape error
  const batch = Math.max(batchA, batchB);
  const outerShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = backend.makeOutput([...outerShape, rows, columns], 'float32');
  const aSize = rows * inner;
  const bSize = inner * columns;
  const outSize = rows * columns;

  // A shared b (batchB = 1) is copied once, so XNNPACK packs it once and reuses its cached operator.
  let sharedB: tf.TensorInfo | undefined;
  try {
    for (let index = 0; index < batch; index++) {
      const aPart = backend.makeOutput([1, rows, inner], 'float32');
      const bPart = sharedB ?? backend.makeOutput([1, inner, columns], 'float32');
      if (batchB === 1) sharedB = bPart;
      let view = backend.typedArrayFromHeap(a);
      const aOffset = (batchA === 1 ? 0 : index) * aSize;
      backend.typedArrayFromHeap(aPart).set(view.subarray(aOffset, aOffset + aSize));
      if (batchB !== 1 || index === 0) {
        view = backend.typedArrayFromHeap(b);
        const bOffset = (batchB === 1 ? 0 : index) * bSize;
        backend.typedArrayFromHeap(bPart).set(view.subarray(bOffset, bOffset + bSize));
      }
      const product = original({ ...args, inputs: { a: aPart, b: bPart } }) as tf.TensorInfo;
      backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(product), index * outSize);
      backend.disposeData(product.dataId);
      backend.disposeData(aPart.dataId);
      if (batchB !== 1) backend.disposeData(bPart.dataId);
    }
  } finally {
    if (sharedB) backend.disposeData(sharedB.dataId);
  }
  return out;
}
