import { definePlugin, logSigmoid, tf, type JsonSchema, type LossInputs, type LossOutput, type PreferenceLoss } from '@radpo/core';

// The package's own name and version, so that radpo's messages name this package.
const manifest = require('../package.json') as { name: string; version: string };

/** Options of the savage loss, after radpo applied the schema's defaults. */
export interface SavageOptions {
  beta: number;
}

/** JSON Schema of the options: every property has a description and a default. */
export const SAVAGE_OPTIONS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    beta: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 0.1,
      description: 'Scale β of the log-ratio margin inside the sigmoid. Default 0.1.',
    },
  },
};

/**
 * Creates the savage loss, one of the losses of Generalized Preference Optimization (Tang et al., 2024,
 * "Generalized Preference Optimization: A Unified Approach to Offline Alignment"):
 *   Δ = (π_c − ref_c) − (π_r − ref_r)        on summed response log-probs
 *   loss = σ(−β·Δ)² = 1 / (1 + e^{β·Δ})²
 * It is bounded in (0, 1), so a pair the policy gets badly wrong pulls no harder than 1, unlike DPO's
 * −log σ(β·Δ). σ(−x)² is computed as exp(2·log σ(−x)), which stays finite at |x| = 1e4.
 * Implicit rewards are β·(π − ref) for each response, as in DPO.
 */
export function createSavageLoss(options: SavageOptions): PreferenceLoss {
  const { beta } = options;
  return {
    name: 'savage',
    requiresReference: true,
    compute(inputs: LossInputs): LossOutput {
      return tf.tidy(() => {
        const chosenLogRatio = tf.sub(inputs.policyChosen, inputs.referenceChosen!);
        const rejectedLogRatio = tf.sub(inputs.policyRejected, inputs.referenceRejected!);
        const scaledMargin = tf.mul(beta, tf.sub(chosenLogRatio, rejectedLogRatio));
        const losses = tf.exp(tf.mul(2, logSigmoid(tf.neg(scaledMargin))));
        return {
          losses: losses as tf.Tensor1D,
          rewardsChosen: tf.mul(beta, chosenLogRatio) as tf.Tensor1D,
          rewardsRejected: tf.mul(beta, rejectedLogRatio) as tf.Tensor1D,
        };
      });
    },
  };
}

export const savagePlugin = definePlugin<'loss', SavageOptions>({
  name: 'savage',
  kind: 'loss',
  description: 'GPO savage loss: the squared logistic probability of the wrong order, sigma(-beta * margin)^2 (Tang et al., 2024).',
  packageName: manifest.name,
  version: manifest.version,
  optionsSchema: SAVAGE_OPTIONS_SCHEMA,
  create: createSavageLoss,
});

export default savagePlugin;
