import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { PluginRegistry, type RadpoPlugin } from '@radpo/core';
import { selectBackend } from '../backend';
import { emptyMetricSums } from '../metrics';
import { BuiltinTransformer } from '../model/builtin-transformer';
import type { Weights } from '../model/causal-lm';
import { preferenceGradients, type LossTerm, type PreferenceObjective } from '../preference-step';
import type { SerializedWeights, WorkerInit, WorkerReply, WorkerRequest, WorkerStep } from './protocol';
import { deserializePairBatch, deserializeWeights, serializeWeights } from './serialization';

/*
 * Entry point of a data-parallel gradient worker: a thread with its own TensorFlow.js engine and
 * backend. It receives the model shape, loss terms and reference weights once, then for each step the
 * current policy weights and a shard of the batch, and replies with the shard's loss, gradients and
 * metric sums.
 */

let objective: PreferenceObjective | undefined;

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(reply, transfer);
}

async function initialize(message: WorkerInit): Promise<void> {
  const backend = await selectBackend(message.backend);
  const terms: LossTerm[] = message.terms.map((term) => ({ loss: createLoss(term.packageName, term.name, term.options), weight: term.weight }));
  const reference: Weights | undefined = message.reference ? deserializeWeights(message.reference) : undefined;
  objective = { model: new BuiltinTransformer(message.model), terms, reference };
  post({ type: 'ready', backend: backend.name });
}

/** Loads a loss plugin by its package name, the way the main thread's registry created it. */
function createLoss(packageName: string, name: string, options: Record<string, unknown>) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(packageName) as Record<string, unknown>;
  const plugin = Object.values(exports).find(
    (value): value is RadpoPlugin => isPlugin(value) && value.kind === 'loss' && value.name === name,
  );
  if (!plugin) throw new Error(`package ${packageName} exports no loss plugin named "${name}".`);
  return new PluginRegistry().register(plugin).create('loss', name, options);
}

function isPlugin(value: unknown): value is RadpoPlugin {
  return typeof value === 'object' && value !== null && 'kind' in value && 'name' in value && 'module' in value;
}

function step(message: WorkerStep): void {
  if (!objective) throw new Error('the gradient worker received a step before its init message.');
  const weights = deserializeWeights(message.weights);
  const batch = deserializePairBatch(message.batch);
  const reference = message.reference
    ? { chosen: tf.tensor1d(message.reference.chosen), rejected: tf.tensor1d(message.reference.rejected) }
    : undefined;
  const sums = emptyMetricSums();
  let gradients: SerializedWeights;
  let loss: number;
  try {
    const result = preferenceGradients(objective, weights, batch, sums, reference);
    loss = result.loss;
    gradients = serializeWeights(result.gradients);
    tf.dispose(Object.values(result.gradients));
  } finally {
    tf.dispose([...Object.values(weights), batch.ids, batch.responseMask, batch.scoresChosen, batch.scoresRejected]);
    if (reference) tf.dispose([reference.chosen, reference.rejected]);
  }
  post({ type: 'gradients', loss, gradients, sums }, Object.values(gradients).map((entry) => entry.values.buffer as ArrayBuffer));
}

parentPort!.on('message', (message: WorkerRequest) => {
  const run = message.type === 'init' ? initialize(message) : Promise.resolve().then(() => step(message));
  run.catch((error: Error) => post({ type: 'error', message: error.message, stack: error.stack }));
});
