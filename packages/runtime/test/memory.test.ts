import assert from 'node:assert/strict';
import { lastValueFrom, tap } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry } from '@radpo/core';
import { dpoPlugin } from '@radpo/plugin-dpo';
import { constantSchedulePlugin } from '@radpo/plugin-scheduler-constant';
import { resolveRunConfig, train } from '../src';

/** Size of the wasm backend's linear memory, in bytes. */
function wasmHeapBytes(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return backend.wasm?.HEAPU8.length ?? 0;
}

describe('trainer memory', function () {
  this.timeout(120_000);

  it('should keep live tensors and RSS flat over a long run', async () => {
    const config = resolveRunConfig({
      seed: 2,
      backend: 'wasm',
      data: { synthetic: { trainPairs: 64, evalPairs: 8 } },
      model: { dModel: 16, nLayers: 1, nHeads: 2, maxLength: 48, maxPromptLength: 24 },
      training: { maxSteps: 80, batchSize: 4, evalEvery: 20, warmup: { steps: 5 }, scheduler: { name: 'constant', options: {} } },
      reference: { cacheDir: 'none' },
    });
    const tensors: number[] = [];
    const rss: number[] = [];
    const wasmHeap: number[] = [];
    await lastValueFrom(
      train({ config, registry: new PluginRegistry().register(dpoPlugin, constantSchedulePlugin) }).pipe(
        tap((event) => {
          if (event.type !== 'step' || event.phase !== 'train') return;
          tensors.push(tf.memory().numTensors);
          rss.push(process.memoryUsage().rss);
          wasmHeap.push(wasmHeapBytes());
        }),
      ),
    );
    assert.equal(tensors.length, 80);
    // Every step leaves the same live tensors: weights, optimizer moments and nothing else.
    assert.deepEqual(new Set(tensors.slice(1)), new Set([tensors[1]]));
    // The wasm heap only grows (it never shrinks); batches of every length have been seen by step 20.
    assert.equal(wasmHeap[wasmHeap.length - 1], wasmHeap[19]);
    // RSS moves by about ±15 MiB with garbage collection; a leak of 1 MiB per step would exceed this bound.
    const growthMiB = (rss[rss.length - 1] - rss[19]) / 2 ** 20;
    assert.ok(growthMiB < 48, `RSS grew by ${growthMiB.toFixed(1)} MiB between steps 20 and 80`);
  });
});
