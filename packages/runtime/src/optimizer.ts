import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export interface AdamWState {
  step: number;
  firstMoments: Record<string, tf.Tensor>;
  secondMoments: Record<string, tf.Tensor>;
}

/**
 * AdamW (Loshchilov & Hutter, 2019): Adam with bias correction and weight decay decoupled from the
 * gradient. Decay applies to matrices only (rank ≥ 2), not to biases and norm gains, as in GPT-2
 * training practice. tfjs ships no AdamW, so the update is written out here.
 */
export class AdamW {
  private state: AdamWState = { step: 0, firstMoments: {}, secondMoments: {} };

  constructor(private readonly options: AdamWOptions) {}

  get stepCount(): number {
    return this.state.step;
  }

  /**
   * Applies one update with learning rate `learningRate` to each weight that has a gradient. The
   * weights map is updated in place: each updated entry is replaced by a new tensor and the old one disposed.
   */
  apply(weights: Record<string, tf.Tensor>, gradients: Record<string, tf.Tensor>, learningRate: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    this.state.step++;
    const t = this.state.step;
    const firstCorrection = 1 - beta1 ** t;
    const secondCorrection = 1 - beta2 ** t;

    for (const [name, gradient] of Object.entries(gradients)) {
      const weight = weights[name];
      const previousFirst = this.state.firstMoments[name];
      const previousSecond = this.state.secondMoments[name];
      const [first, second] = tf.tidy(() => [
        tf.add(tf.mul(beta1, previousFirst ?? tf.zerosLike(gradient)), tf.mul(1 - beta1, gradient)),
        tf.add(tf.mul(beta2, previousSecond ?? tf.zerosLike(gradient)), tf.mul(1 - beta2, tf.square(gradient))),
      ]);
      tf.dispose([previousFirst, previousSecond].filter((tensor): tensor is tf.Tensor => tensor !== undefined));
      this.state.firstMoments[name] = first;
      this.state.secondMoments[name] = second;

      weights[name] = tf.tidy(() => {
        const update = tf.div(tf.div(first, firstCorrection), tf.add(tf.sqrt(tf.div(second, secondCorrection)), epsilon));
        const decayed = weight.rank >= 2 && weightDecay > 0 ? tf.add(update, tf.mul(weightDecay, weight)) : update;
        return tf.sub(weight, tf.mul(learningRate, decayed));
      });
      weight.dispose();
    }
  }

  /** Returns the optimizer state (the moment tensors themselves, not copies), for checkpoints. */
  exportState(): AdamWState {
    return this.state;
  }

  importState(state: AdamWState): void {
    this.dispose();
    this.state = state;
  }

  dispose(): void {
    tf.dispose([...Object.values(this.state.firstMoments), ...Object.values(this.state.secondMoments)]);
    this.state = { step: 0, firstMoments: {}, secondMoments: {} };
  }
}

/**
 * Scales gradients in place of their global L2 norm exceeding `maxNorm`; returns the norm before clipping.
 * A maxNorm of 0 or less disables clipping but still measures the norm.
 */
export function clipByGlobalNorm(gradients: Record<string, tf.Tensor>, maxNorm: number): { gradients: Record<string, tf.Tensor>; norm: number } {
  const normTensor = tf.tidy(() => tf.sqrt(tf.addN(Object.values(gradients).map((g) => tf.sum(tf.square(g))))));
  const norm = normTensor.dataSync()[0];
  normTensor.dispose();
  if (maxNorm <= 0 || !(norm > maxNorm)) return { gradients, norm };
  const scale = maxNorm / (norm + 1e-6);
  const clipped: Record<string, tf.Tensor> = {};
  for (const [name, gradient] of Object.entries(gradients)) {
    clipped[name] = tf.mul(gradient, scale);
    gradient.dispose();
  }
  return { gradients: clipped, norm };
}
