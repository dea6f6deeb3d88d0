import * as tf from '@tensorflow/tfjs-core';

/*
 * Numerically stable pieces shared by loss plugins. They live in core because plugins may not depend
 * on each other. tfjs 4.22's own `tf.logSigmoid` cannot be used in training: its gradient throws.
 */

/**
 * log σ(x), computed as min(x, 0) − log(1 + e^−|x|) so that no exponential overflows.
 * The gradient is set explicitly to σ(−x): the min/abs form alone would give 1 instead of 0.5 at x = 0,
 * which is exactly where every DPO run starts (policy equal to reference).
 */
export const logSigmoid = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  save([x]);
  const value = tf.sub(tf.minimum(x, 0), tf.log(tf.add(1, tf.exp(tf.neg(tf.abs(x))))));
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sigmoid(tf.neg(saved[0]))),
  };
}) as <T extends tf.Tensor>(x: T) => T;

/** log(1 + e^x) without overflow: −log σ(−x). */
export function softplus<T extends tf.Tensor>(x: T): T {
  return tf.neg(logSigmoid(tf.neg(x))) as T;
}

/**
 * log(1 − e^x) for x < 0, stable at both ends: log(−expm1(x)) near 0 and log1p(−e^x) far from it
 * (Mächler, "Accurately Computing log(1 − exp(−|a|))", 2012). Needed by ORPO's odds of averaged
 * log-probabilities, which approach 0. Inputs at or above 0 are clamped just below 0.
 */
export function log1mexp<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const clamped = tf.minimum(x, -1e-7);
    const nearZero = tf.greater(clamped, -Math.LN2);
    // expm1(x) = e^x − 1 loses digits in float32 near 0; the series x + x²/2 + x³/6 is exact enough there.
    const expm1Small = tf.add(clamped, tf.add(tf.div(tf.square(clamped), 2), tf.div(tf.pow(clamped, 3), 6)));
    const expm1 = tf.where(tf.greater(clamped, -1e-3), expm1Small, tf.sub(tf.exp(clamped), 1));
    const nearZeroValue = tf.log(tf.neg(expm1));
    const farValue = tf.log(tf.sub(1, tf.exp(clamped)));
    return tf.where(nearZero, nearZeroValue, farValue) as T;
  });
}
