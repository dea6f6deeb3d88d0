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

/** Largest input log1mexp evaluates; above it the value is held at log1mexp(LOG1MEXP_MAX_INPUT). */
export const LOG1MEXP_MAX_INPUT = -1e-7;

/**
 * log(1 − e^x) for x < 0, stable at both ends (Mächler, "Accurately Computing log(1 − exp(−|a|))",
 * 2012): log(−expm1(x)) for x > −ln 2, where 1 − e^x would cancel, and log1p(−e^x) below. Needed by
 * ORPO's log-odds of averaged log-probabilities, which approach 0 for confident models.
 * Inputs above LOG1MEXP_MAX_INPUT (−1e-7, where the value is about −16.1) are clamped to it, and
 * the gradient there is 0 because the clamped function is flat.
 * The gradient is set explicitly to −e^x / (1 − e^x) = −exp(x − log1mexp(x)): differentiating the
 * two branches of tf.where would also differentiate the unselected branch, whose derivative
 * overflows to Infinity near 0 and far from it, and 0 · Infinity is NaN.
 */
export const log1mexp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const value = tf.tidy(() => {
    const clamped = tf.minimum(x, LOG1MEXP_MAX_INPUT);
    const nearZero = tf.greater(clamped, -Math.LN2);
    // Each branch receives only inputs from its own range, so neither computes log(0) on the other's inputs.
    const nearInput = tf.where(nearZero, clamped, tf.fill(clamped.shape, -Math.LN2));
    const farInput = tf.where(nearZero, tf.fill(clamped.shape, -Math.LN2), clamped);
    const nearValue = tf.log(tf.neg(tf.expm1(nearInput)));
    const farValue = log1pAccurate(tf.neg(tf.exp(farInput)));
    return tf.where(nearZero, nearValue, farValue);
  });
  save([x, value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, output] = saved;
      const slope = tf.neg(tf.exp(tf.sub(input, output)));
      return tf.mul(dy, tf.where(tf.greater(input, LOG1MEXP_MAX_INPUT), tf.zerosLike(slope), slope));
    },
  };
}) as <T extends tf.Tensor>(x: T) => T;

/**
 * log(1 + y) for y > −1, accurate for small |y| on every backend: u = 1 + y, then log(u)·y/(u − 1)
 * cancels the rounding error of u. tf.log1p is not used because the wasm backend of tfjs 4.22
 * computes it as log(1 + y), which returns 0 for y = −2e-9 (measured).
 */
function log1pAccurate(y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.add(1, y);
    const roundsToOne = tf.equal(u, 1);
    const denominator = tf.where(roundsToOne, tf.onesLike(u), tf.sub(u, 1));
    return tf.where(roundsToOne, y, tf.div(tf.mul(tf.log(u), y), denominator));
  });
}

/** Identity whose gradient is zero, for baselines that must not be trained (tfjs 4.22 has no stopGradient op). */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as <T extends tf.Tensor>(x: T) => T;
