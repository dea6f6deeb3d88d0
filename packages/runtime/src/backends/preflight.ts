import * as tf from '@tensorflow/tfjs-core';
import { RadpoError } from '@radpo/core';
import { KERNEL_FILL_INS } from './kernel-fill-ins';

/** Outcome of a kernel preflight. */
export interface KernelPreflight {
  backend: string;
  /** Every kernel the probe ran, forward and backward, sorted. */
  kernels: string[];
  /** Kernels the backend lacked and radpo registered from its fill-ins. */
  filled: string[];
}

/**
 * Checks, before training, that `backend` has every kernel that `probe` runs, and registers fill-ins
 * (kernel-fill-ins.ts) for the ones it lacks. `probe` should run a tiny version of the run's work:
 * forward, loss, backward and update. It runs on the cpu backend, which has every kernel, under
 * tf.profile, which lists the kernels it dispatched, including the gradient kernels.
 *
 * NOTE: a backend may dispatch a few different kernels than cpu for the same op (fused variants).
 * Those are the backend's own choices, so it has them.
 *
 * Throws a RadpoError that names every missing kernel that has no fill-in.
 */
export async function preflightKernels(backend: string, probe: () => void): Promise<KernelPreflight> {
  const kernels = await listKernels(probe);
  const missing = kernels.filter((name) => !tf.getKernel(name, backend));
  const filled: string[] = [];
  const unavailable: string[] = [];
  for (const name of missing) {
    const fillIn = KERNEL_FILL_INS[name];
    if (fillIn) {
      tf.registerKernel({ kernelName: name, backendName: backend, kernelFunc: fillIn });
      filled.push(name);
    } else {
      unavailable.push(name);
    }
  }
  if (unavailable.length > 0) {
    throw new RadpoError(
      'backend',
      `the ${backend} backend has no kernel for ${unavailable.join(', ')}, which this run's model or loss needs ` +
        `(forward or backward), and radpo has no replacement for it. Choose another backend with --backend ` +
        `(cpu has every kernel).`,
    );
  }
  return { backend, kernels, filled };
}

/** Runs `probe` on the cpu backend and returns the names of the kernels it dispatched. */
async function listKernels(probe: () => void): Promise<string[]> {
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    const info = await tf.profile(() => {
      probe();
    });
    // tf.profile also lists op scopes ("logSoftmax__op", "unnamed scope"); only registered kernels count.
    const names = new Set(info.kernels.map((kernel) => kernel.name).filter((name) => tf.getKernel(name, 'cpu')));
    return [...names].sort();
  } finally {
    await tf.setBackend(previous);
  }
}
