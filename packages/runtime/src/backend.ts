import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers every gradient function; tfjs-core's CommonJS build registers none.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { RadpoError, type BackendReport } from '@radpo/core';
import { installWasmKernels } from './backends/wasm-kernels';

/** Backends a user may ask for. "auto" tries tensorflow (tfjs-node-gpu, then tfjs-node), then wasm, then cpu. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/**
 * Selects and initializes a TensorFlow.js backend. With "auto" a missing or broken backend falls
 * through to the next one, and the report lists what was tried. A backend the user named explicitly
 * is never replaced by another, so its failure is an error with the install or fix instructions.
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendReport> {
  const tried: string[] = [];
  // Production mode silences tfjs's console messages (library code must not print) and skips debug checks.
  tf.enableProdMode();

  if (choice === 'auto' || choice === 'tensorflow') {
    for (const packageName of TENSORFLOW_PACKAGES) {
      const outcome = tryLoadTensorflow(packageName);
      if (outcome === 'loaded' && (await tf.setBackend('tensorflow'))) {
        await tf.ready();
        const cudaBuild = packageName.endsWith('-gpu');
        // tfjs-node's backend reports whether libtensorflow registered a GPU device. The CUDA build
        // silently runs on the CPU when it finds no usable GPU or CUDA libraries.
        const gpu = Boolean((tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice);
        return {
          name: 'tensorflow',
          detail: `${packageName}${cudaBuild ? (gpu ? ' on a CUDA GPU' : ' (CUDA build, but no GPU was found: running on the CPU)') : ''}`,
          gpu,
        };
      }
      tried.push(`${packageName}: ${outcome === 'loaded' ? 'setBackend failed' : outcome}`);
    }
    if (choice === 'tensorflow') {
      throw new RadpoError(
        'backend',
        `--backend tensorflow needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, and neither could be loaded ` +
          `(${tried.join('; ')}). Install one with "npm install @tensorflow/tfjs-node" (its install script downloads ` +
          `libtensorflow, so the machine needs access to storage.googleapis.com), or use --backend wasm.`,
      );
    }
  }

  if (choice === 'auto' || choice === 'wasm') {
    const failure = await tryWasm();
    if (!failure) return { name: 'wasm', detail: describeFallback('@tensorflow/tfjs-backend-wasm', tried) };
    if (choice === 'wasm') {
      throw new RadpoError('backend', `the wasm backend failed to initialize: ${failure}. Try --backend cpu.`);
    }
    tried.push(`wasm: ${failure}`);
  }

  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', detail: describeFallback('@tensorflow/tfjs-backend-cpu (pure JavaScript)', tried) };
}

function describeFallback(chosen: string, tried: string[]): string {
  return tried.length === 0 ? chosen : `${chosen}; not used: ${tried.join('; ')}`;
}

function tryLoadTensorflow(packageName: string): 'loaded' | string {
  try {
    // Optional dependencies: absent on machines where their install script cannot download libtensorflow.
    require(packageName);
    return 'loaded';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'MODULE_NOT_FOUND' ? 'not installed' : `failed to load (${(error as Error).message.split('\n')[0]})`;
  }
}

async function tryWasm(): Promise<string | undefined> {
  try {
    // Loaded lazily so that runs on the cpu or tensorflow backends never pay for compiling the wasm module.
    require('@tensorflow/tfjs-backend-wasm');
    const ok = await tf.setBackend('wasm');
    if (!ok) return 'setBackend returned false';
    await tf.ready();
    installWasmKernels();
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}
