import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS build registers no gradients; the umbrella package does, and the cpu backend
// makes the suite run wherever Node does.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';

/**
 * Waits for a TensorFlow.js backend; selects cpu when none was chosen, as in a plain mocha run. Sets
 * tfjs's IS_TEST flag, which only silences its console notices (such as the cpu backend's advice to
 * install tfjs-node), so that test output shows the suite's own results.
 */
export async function readyBackend(): Promise<void> {
  tf.env().set('IS_TEST', true);
  if (!tf.getBackend()) await tf.setBackend('cpu');
  await tf.ready();
}
