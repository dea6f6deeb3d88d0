import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS build registers no gradients; the umbrella package does, and the cpu backend
// makes the suite run wherever Node does.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';

/**
 * Waits for a TensorFlow.js backend; selects cpu when none was chosen, as in a plain mocha run.
 * tfjs's cpu backend prints a notice on its first use in Node (install tfjs-node for speed). That first
 * use happens here with tfjs's IS_TEST flag set, which silences the notice. The flag is restored at once,
 * because it also turns on leak checks for every kernel that later tests in the process run.
 */
export async function readyBackend(): Promise<void> {
  if (!tf.getBackend()) await tf.setBackend('cpu');
  await tf.ready();
  const environment = tf.env();
  const wasTest = environment.getBool('IS_TEST');
  environment.set('IS_TEST', true);
  try {
    tf.dispose(tf.scalar(0));
  } finally {
    environment.set('IS_TEST', wasTest);
  }
}
