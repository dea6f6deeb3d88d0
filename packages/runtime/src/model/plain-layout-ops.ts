import * as tf from '@tensorflow/tfjs-core';

/*
 * Differentiable building blocks whose gradients only use matmuls in the plain layout.
 *
 * tfjs's own gradient of matMul(a, b) computes dy·bᵀ and aᵀ·dy with transposed operands. The wasm
 * backend of tfjs 4.22 runs every transposed or batched BatchMatMul in a naive loop (~2 GFLOP/s on one
 * core), and only the plain rank-2 case in XNNPACK (~30 GFLOP/s). These gradients therefore transpose
 * explicitly, which takes a few milliseconds for the largest activation, and then use the plain layout.
 */

/** Swaps the last two axes. */
export function transposeLastTwo<T extends tf.Tensor>(x: T): T {
  const rank = x.rank;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  return tf.transpose(x, perm);
}

/**
 * a·b for a [..., m, k] and b [..., k, n] with equal leading axes; both gradients are plain-layout
 * matmuls: da = dy·(bᵀ) and db = (aᵀ)·dy with the transposes done explicitly.
 */
export const plainMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b] = args as tf.Tensor[];
  const save = args[2] as tf.GradSaveFunc;
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.matMul(dy, transposeLastTwo(saved[1])),
      tf.matMul(transposeLastTwo(saved[0]), dy),
    ],
  };
}) as <T extends tf.Tensor>(a: T, b: T) => T;

/**
 * x·w + bias for x [rows, in], w [in, out], bias [out]. The forward pass is one fused matmul. The bias
 * gradient, the column sum of dy, is computed as ones[1, rows]·dy, because tfjs transposes before a sum
 * over axis 0, which makes that sum three times slower on wasm.
 */
export const linear = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, weight, bias] = args as tf.Tensor2D[];
  const save = args[3] as tf.GradSaveFunc;
  save([x, weight]);
  return {
    value: tf.fused.matMul({ a: x, b: weight, bias }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, w] = saved as tf.Tensor2D[];
      const dy2d = dy as tf.Tensor2D;
      const ones = tf.ones([1, input.shape[0]]) as tf.Tensor2D;
      return [
        tf.matMul(dy2d, transposeLastTwo(w)),
        tf.matMul(transposeLastTwo(input), dy2d),
        tf.reshape(tf.matMul(ones, dy2d), [w.shape[1]]),
      ];
    },
  };
}) as (x: tf.Tensor2D, weight: tf.Tensor, bias: tf.Tensor) => tf.Tensor2D;

// GELU's tanh approximation: 0.5·x·(1 + tanh(u)) = x·σ(2u), u = √(2/π)·(x + 0.044715·x³).
const GELU_SCALE = 2 * Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/**
 * GELU, tanh approximation (as in GPT-2), written as x·σ(2u) because tfjs-wasm's Sigmoid is vectorized
 * (XNNPACK) while its Tanh and Pow are scalar loops, several times slower. The gradient is given in
 * closed form: σ(2u) + x·σ(2u)·(1 − σ(2u))·2u'(x).
 */
export const gelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  // The tidy frees the forward's temporaries; save() keeps its own references to what the gradient needs.
  const value = tf.tidy(() => {
    const squared = tf.mul(x, x);
    const gate = tf.sigmoid(tf.mul(tf.mul(x, tf.add(tf.mul(squared, GELU_CUBIC), 1)), GELU_SCALE));
    save([x, squared, gate]);
    return tf.mul(x, gate);
  });
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, inputSquared, sigma] = saved;
      // d(2u)/dx = GELU_SCALE·(1 + 3·0.044715·x²)
      const slope = tf.mul(tf.add(tf.mul(inputSquared, 3 * GELU_CUBIC), 1), GELU_SCALE);
      const sigmaSlope = tf.mul(sigma, tf.sub(1, sigma));
      return tf.mul(dy, tf.add(sigma, tf.mul(tf.mul(input, sigmaSlope), slope)));
    },
  };
}) as <T extends tf.Tensor>(x: T) => T;

/** Column sums of a [rows, columns] matrix as ones[1, rows]·m, a plain-layout matmul; shape [columns]. */
function columnSums(m: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, m.shape[0]]) as tf.Tensor2D, m), [m.shape[1]]);
}

/**
 * Layer normalization over the last axis of x [rows, features]: (x − mean)/√(var + ε)·gain + bias.
 * The gradient is written out in closed form, which replaces a dozen small ops of the composed version,
 * and the gain and bias gradients use plain-layout matmuls (see `linear`):
 *   dx = rstd·(g·dy − mean(g·dy) − x̂·mean(g·dy·x̂)),  dgain = Σ_rows dy·x̂,  dbias = Σ_rows dy.
 */
export function layerNormalization(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, epsilon: number): tf.Tensor2D {
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const value = tf.tidy(() => {
      const centered = tf.sub(input, tf.mean(input, -1, true));
      const inverseStd = tf.rsqrt(tf.add(tf.mean(tf.mul(centered, centered), -1, true), epsilon));
      const normalized = tf.mul(centered, inverseStd);
      save([normalized, inverseStd, g]);
      return tf.add(tf.mul(normalized, g), b);
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [normalized, inverseStd, savedGain] = saved;
        const scaled = tf.mul(dy, savedGain);
        const dx = tf.mul(
          inverseStd,
          tf.sub(tf.sub(scaled, tf.mean(scaled, -1, true)), tf.mul(normalized, tf.mean(tf.mul(scaled, normalized), -1, true))),
        );
        return [dx, columnSums(tf.mul(dy, normalized) as tf.Tensor2D), columnSums(dy as tf.Tensor2D)];
      },
    };
  });
  return normalize(x, gain, bias) as tf.Tensor2D;
}
