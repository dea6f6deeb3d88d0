import { isDeepStrictEqual } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { LossInputs, LossOutput, PreferenceLoss, RadpoPlugin } from '@radpo/core';
import { createInstance, describeError, runChecks, type ConformanceCheck, type ConformanceFinding } from './findings';
import { checkOptionsSchema } from './schema-checks';
import { readyBackend } from './tfjs-setup';

/** Settings of the loss conformance suite. */
export interface LossConformanceOptions {
  /** Plugin options the instance is created with. Default `{}`: the schema's defaults. */
  options?: Record<string, unknown>;
}

/** One batch the suite feeds a loss, as plain numbers; every array has one value per pair. */
export interface LossCase {
  name: string;
  policyChosen: number[];
  policyRejected: number[];
  referenceChosen: number[];
  referenceRejected: number[];
  chosenTokens: number[];
  rejectedTokens: number[];
  scoresChosen: number[];
  scoresRejected: number[];
}

const TYPICAL: LossCase = {
  name: 'typical log-probs',
  policyChosen: [-20, -35, -8, -50],
  policyRejected: [-25, -30, -12, -49],
  referenceChosen: [-21, -34, -9, -50.5],
  referenceRejected: [-24, -31, -11, -48],
  chosenTokens: [10, 15, 4, 20],
  rejectedTokens: [12, 14, 6, 21],
  scoresChosen: [8, 7, 9, 5.5],
  scoresRejected: [3, 6.5, 2, 5.5],
};

/**
 * The batches every loss must handle: typical values, policy margins of ±1e4 against a zero reference
 * margin, one-token responses, log-probs near 0, and very long responses. Log-probs are never positive,
 * as for real models.
 */
export const LOSS_CASES: readonly LossCase[] = [
  TYPICAL,
  {
    name: 'policy margins of +1e4 and -1e4',
    policyChosen: [-1e-6, -1e4, -1e-6, -1e4],
    policyRejected: [-1e4, -1e-6, -1e4, -1e-6],
    referenceChosen: [-5, -5, -1e4, -1e-6],
    referenceRejected: [-5, -5, -1e-6, -1e4],
    chosenTokens: [1, 1, 50, 50],
    rejectedTokens: [1, 1, 50, 50],
    scoresChosen: [10, 1, 10, 1],
    scoresRejected: [1, 10, 1, 10],
  },
  {
    name: 'one-token responses',
    policyChosen: [-0.5, -3, -7, -12],
    policyRejected: [-2, -0.1, -9, -11],
    referenceChosen: [-1, -2, -8, -12],
    referenceRejected: [-1, -1, -8, -12],
    chosenTokens: [1, 1, 1, 1],
    rejectedTokens: [1, 1, 1, 1],
    scoresChosen: [6, 7, 8, 9],
    scoresRejected: [5, 4, 3, 2],
  },
  {
    name: 'log-probs near 0',
    policyChosen: [-1e-6, -1e-7, -2e-6, -1e-6],
    policyRejected: [-2e-6, -1e-6, -1e-7, -1e-6],
    referenceChosen: [-1e-6, -3e-6, -1e-7, -1e-6],
    referenceRejected: [-1e-7, -1e-6, -2e-6, -1e-6],
    chosenTokens: [1, 3, 8, 1],
    rejectedTokens: [2, 1, 8, 1],
    scoresChosen: [10, 10, 10, 10],
    scoresRejected: [9.5, 9.5, 9.5, 10],
  },
  {
    name: 'long responses',
    policyChosen: [-4000, -9000, -2500, -6000],
    policyRejected: [-4100, -8500, -2600, -6000],
    referenceChosen: [-4050, -8800, -2500, -6100],
    referenceRejected: [-4000, -8600, -2700, -5900],
    chosenTokens: [2000, 4096, 1000, 3000],
    rejectedTokens: [2048, 4000, 1100, 3000],
    scoresChosen: [7, 6, 8, 4],
    scoresRejected: [6, 5, 2, 3],
  },
];

/**
 * Builds LossInputs as the runtime does: chosenNll is the mean per-token NLL of the chosen response,
 * and with a reference, mismatchedLogRatios stands in for the log-ratios of pair i's prompt with pair
 * i+1's responses (here the mean of the next pair's two log-ratios, wrapping around).
 */
export function lossInputs(batch: LossCase, withReference = true): LossInputs {
  const policyChosen = tf.tensor1d(batch.policyChosen);
  const chosenTokens = tf.tensor1d(batch.chosenTokens);
  const pairs = batch.policyChosen.length;
  const mismatched = batch.policyChosen.map((_, i) => {
    const next = (i + 1) % pairs;
    const chosenRatio = batch.policyChosen[next] - batch.referenceChosen[next];
    const rejectedRatio = batch.policyRejected[next] - batch.referenceRejected[next];
    return (chosenRatio + rejectedRatio) / 2;
  });
  return {
    mismatchedLogRatios: withReference ? tf.tensor1d(mismatched) : undefined,
    policyChosen,
    policyRejected: tf.tensor1d(batch.policyRejected),
    referenceChosen: withReference ? tf.tensor1d(batch.referenceChosen) : undefined,
    referenceRejected: withReference ? tf.tensor1d(batch.referenceRejected) : undefined,
    chosenTokens,
    rejectedTokens: tf.tensor1d(batch.rejectedTokens),
    chosenNll: tf.neg(tf.div(policyChosen, chosenTokens)) as tf.Tensor1D,
    scoresChosen: tf.tensor1d(batch.scoresChosen),
    scoresRejected: tf.tensor1d(batch.scoresRejected),
  };
}

/** Plain numbers of a loss output, read back from the tensors. */
interface OutputValues {
  losses: number[];
  rewardsChosen: number[];
  rewardsRejected: number[];
  metrics: Record<string, number[]>;
}

/** Computes the loss on a case and returns its values; every tensor involved is disposed. */
function computeValues(loss: PreferenceLoss, batch: LossCase, withReference = true): OutputValues {
  return inScope(() => readOutput(loss.compute(lossInputs(batch, withReference))));
}

/** Runs `body` in a tfjs scope, so that every tensor it allocates is disposed, and returns its plain result. */
function inScope<T>(body: () => T): T {
  tf.engine().startScope();
  try {
    return body();
  } finally {
    tf.engine().endScope();
  }
}

function readOutput(output: LossOutput): OutputValues {
  const values = (tensor: tf.Tensor | undefined): number[] => (tensor ? Array.from(tensor.dataSync()) : []);
  return {
    losses: values(output.losses),
    rewardsChosen: values(output.rewardsChosen),
    rewardsRejected: values(output.rewardsRejected),
    metrics: Object.fromEntries(Object.entries(output.metrics ?? {}).map(([name, tensor]) => [name, values(tensor)])),
  };
}

function createLoss(plugin: RadpoPlugin<'loss'>, settings: LossConformanceOptions): PreferenceLoss {
  return createInstance(plugin, settings.options ?? {});
}

function nonFinite(values: number[]): number[] {
  return values.map((value, index) => (Number.isFinite(value) ? -1 : index)).filter((index) => index >= 0);
}

function shapeProblem(name: string, tensor: tf.Tensor | undefined, pairs: number): string | undefined {
  if (!tensor) return `${name} is missing`;
  if (tensor.rank !== 1 || tensor.shape[0] !== pairs) return `${name} has shape ${JSON.stringify(tensor.shape)}; expected [${pairs}], one value per pair`;
  if (tensor.dtype !== 'float32') return `${name} has dtype ${tensor.dtype}; expected float32`;
  return undefined;
}

/** The checks every loss plugin must pass, in the order they run. */
export const LOSS_CHECKS: readonly ConformanceCheck<'loss', LossConformanceOptions>[] = [
  {
    id: 'options-schema',
    title: 'have an options schema that compiles and whose defaults validate',
    run: (plugin, settings) => checkOptionsSchema(plugin, settings.options),
  },
  {
    id: 'instance',
    title: 'create a loss named after the plugin with a boolean requiresReference',
    async run(plugin, settings) {
      const loss = createLoss(plugin, settings);
      const problems: string[] = [];
      if (loss.name !== plugin.name) problems.push(`the instance is named "${loss.name}"; expected "${plugin.name}", the plugin's name`);
      if (typeof loss.requiresReference !== 'boolean') problems.push(`requiresReference is ${String(loss.requiresReference)}; expected true or false`);
      if (typeof loss.compute !== 'function') problems.push('compute is not a function');
      return problems;
    },
  },
  {
    id: 'shapes',
    title: 'return per-pair losses, implicit rewards and metrics of shape [N]',
    async run(plugin, settings) {
      await readyBackend();
      const loss = createLoss(plugin, settings);
      const problems: string[] = [];
      inScope(() => {
        const output = loss.compute(lossInputs(TYPICAL));
        const pairs = TYPICAL.policyChosen.length;
        for (const key of ['losses', 'rewardsChosen', 'rewardsRejected'] as const) {
          const problem = shapeProblem(key, output[key], pairs);
          if (problem) problems.push(problem);
        }
        for (const [name, tensor] of Object.entries(output.metrics ?? {})) {
          const problem = shapeProblem(`metric "${name}"`, tensor, pairs);
          if (problem) problems.push(problem);
          if (!name.startsWith(`${plugin.name}/`)) problems.push(`metric "${name}" should be named "${plugin.name}/<metric>" so that it cannot clash with other losses`);
        }
      });
      return problems;
    },
  },
  {
    id: 'finite',
    title: 'give finite losses, rewards and metrics on extreme inputs',
    async run(plugin, settings) {
      await readyBackend();
      const loss = createLoss(plugin, settings);
      const problems: string[] = [];
      for (const batch of LOSS_CASES) {
        const values = computeValues(loss, batch);
        const entries: Array<[string, number[]]> = [
          ['losses', values.losses],
          ['rewardsChosen', values.rewardsChosen],
          ['rewardsRejected', values.rewardsRejected],
          ...Object.entries(values.metrics).map(([name, metric]): [string, number[]] => [`metric "${name}"`, metric]),
        ];
        for (const [name, numbers] of entries) {
          const bad = nonFinite(numbers);
          if (bad.length > 0) problems.push(`${batch.name}: ${name} is not finite for pairs ${bad.join(', ')} (values ${JSON.stringify(bad.map((i) => numbers[i]))})`);
        }
      }
      return problems;
    },
  },
  {
    id: 'gradients',
    title: 'have finite gradients on extreme inputs and depend on the policy log-probs',
    async run(plugin, settings) {
      await readyBackend();
      const loss = createLoss(plugin, settings);
      const problems: string[] = [];
      for (const batch of LOSS_CASES) {
        const gradients = inScope(() => {
          const inputs = lossInputs(batch);
          // The 0·Σ terms connect both inputs to the output, so a loss that ignores one side (sft) gets a zero gradient there instead of a tfjs error.
          const gradient = tf.grads((chosen: tf.Tensor, rejected: tf.Tensor) =>
            tf.addN([tf.mul(0, tf.sum(chosen)), tf.mul(0, tf.sum(rejected)), tf.sum(
              loss.compute({
                ...inputs,
                policyChosen: chosen as tf.Tensor1D,
                policyRejected: rejected as tf.Tensor1D,
                // As in the runtime, the chosen NLL is a function of the chosen log-prob, so NLL-only losses have a gradient.
                chosenNll: tf.neg(tf.div(chosen, inputs.chosenTokens)) as tf.Tensor1D,
              }).losses,
            )]),
          );
          return gradient([inputs.policyChosen, inputs.policyRejected]).map((tensor) => Array.from(tensor.dataSync()));
        });
        for (const [index, side] of ['policyChosen', 'policyRejected'].entries()) {
          const bad = nonFinite(gradients[index]);
          if (bad.length > 0) problems.push(`${batch.name}: the gradient with respect to ${side} is not finite for pairs ${bad.join(', ')}`);
        }
        if (batch === TYPICAL && gradients.every((values) => values.every((value) => value === 0))) {
          problems.push(`${batch.name}: every gradient with respect to the policy log-probs is 0, so training would not move the policy`);
        }
      }
      return problems;
    },
  },
  {
    id: 'reference-use',
    title: 'declare its use of reference log-probs truthfully',
    async run(plugin, settings) {
      await readyBackend();
      const loss = createLoss(plugin, settings);
      const shifted: LossCase = {
        ...TYPICAL,
        name: 'other reference values',
        referenceChosen: TYPICAL.referenceChosen.map((value, i) => value - 3 - i),
        referenceRejected: TYPICAL.referenceRejected.map((value, i) => value + 2 + i),
      };
      const original = computeValues(loss, TYPICAL, true);
      const changed = computeValues(loss, shifted, true);
      if (loss.requiresReference) {
        return isDeepStrictEqual(original.losses, changed.losses)
          ? ['requiresReference is true, but the losses are identical whatever reference log-probs are passed; declare requiresReference: false so that the runtime builds no reference model']
          : [];
      }
      let without: OutputValues;
      try {
        without = computeValues(loss, TYPICAL, false);
      } catch (error) {
        return [
          `requiresReference is false, but compute() fails without reference log-probs (${describeError(error)}); ` +
            'the runtime passes none to a reference-free loss, so declare requiresReference: true',
        ];
      }
      const problems: string[] = [];
      for (const [label, other] of [
        ['other reference values', changed],
        ['no reference values', without],
      ] as const) {
        if (!isDeepStrictEqual(original, other)) {
          problems.push(`requiresReference is false, but the output changes with ${label}; the runtime passes no reference to this loss, so declare requiresReference: true`);
        }
      }
      return problems;
    },
  },
  {
    id: 'rewards',
    title: 'return implicit rewards whose margin grows with the policy margin',
    async run(plugin, settings) {
      await readyBackend();
      const loss = createLoss(plugin, settings);
      const raised: LossCase = { ...TYPICAL, name: 'policy chosen log-probs raised by 1', policyChosen: TYPICAL.policyChosen.map((value) => value + 1) };
      const before = computeValues(loss, TYPICAL);
      const after = computeValues(loss, raised);
      const margin = (values: OutputValues, i: number) => values.rewardsChosen[i] - values.rewardsRejected[i];
      const problems: string[] = [];
      const pairs = before.losses.length;
      let grew = false;
      for (let i = 0; i < pairs; i++) {
        if (margin(after, i) < margin(before, i)) {
          problems.push(`pair ${i}: raising the chosen response's policy log-prob lowered the reward margin from ${margin(before, i)} to ${margin(after, i)}`);
        }
        if (margin(after, i) > margin(before, i)) grew = true;
      }
      if (!grew) {
        problems.push('the reward margin (rewardsChosen − rewardsRejected) does not change with the policy, so rewards/margins and rewards/accuracies would say nothing; return the implicit rewards of the algorithm');
      }
      return problems;
    },
  },
  {
    id: 'deterministic',
    title: 'give identical outputs for identical inputs',
    async run(plugin, settings) {
      await readyBackend();
      const first = createLoss(plugin, settings);
      const second = createLoss(plugin, settings);
      const problems: string[] = [];
      for (const batch of LOSS_CASES) {
        const values = [computeValues(first, batch), computeValues(first, batch), computeValues(second, batch)];
        if (!isDeepStrictEqual(values[0], values[1])) problems.push(`${batch.name}: two calls on one instance differ`);
        if (!isDeepStrictEqual(values[0], values[2])) problems.push(`${batch.name}: two instances created with the same options differ`);
      }
      return problems;
    },
  },
  {
    id: 'tensor-leaks',
    title: 'dispose every intermediate tensor',
    async run(plugin, settings) {
      await readyBackend();
      const loss = createLoss(plugin, settings);
      const inputs = lossInputs(TYPICAL);
      try {
        const before = tf.memory().numTensors;
        const output = loss.compute(inputs);
        const returned = [output.losses, output.rewardsChosen, output.rewardsRejected, ...Object.values(output.metrics ?? {})];
        const distinct = new Set(returned.filter((tensor) => !Object.values(inputs).includes(tensor)));
        const leaked = tf.memory().numTensors - before - distinct.size;
        tf.dispose([...distinct]);
        return leaked > 0 ? [`compute() left ${leaked} intermediate tensors allocated; wrap its body in tf.tidy()`] : [];
      } finally {
        tf.dispose(Object.values(inputs).filter((tensor): tensor is tf.Tensor => tensor !== undefined));
      }
    },
  },
];

/** Runs every loss check and returns one finding per check; never throws for a failing plugin. */
export function checkLossPlugin(plugin: RadpoPlugin<'loss'>, settings: LossConformanceOptions = {}): Promise<ConformanceFinding[]> {
  return runChecks(LOSS_CHECKS, plugin, settings);
}
