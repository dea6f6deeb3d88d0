import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, logSigmoid, type PreferenceRecord, type RadpoPlugin } from '@radpo/core';
import { checkPlugin, formatFindings, type ConformanceFinding } from '../src';

const SCHEMA = { type: 'object', additionalProperties: false, properties: {} };

function lossPlugin(name: string, requiresReference: boolean, body: (pc: tf.Tensor1D, pr: tf.Tensor1D, rc?: tf.Tensor1D, rr?: tf.Tensor1D) => tf.Tensor1D): RadpoPlugin<'loss'> {
  return definePlugin<'loss', object>({
    name,
    kind: 'loss',
    description: 'test loss',
    packageName: 'test-losses',
    version: '0.0.0',
    optionsSchema: SCHEMA,
    create: () => ({
      name,
      requiresReference,
      compute: (inputs) =>
        tf.tidy(() => ({
          losses: body(inputs.policyChosen, inputs.policyRejected, inputs.referenceChosen, inputs.referenceRejected),
          rewardsChosen: tf.mul(0.1, inputs.policyChosen) as tf.Tensor1D,
          rewardsRejected: tf.mul(0.1, inputs.policyRejected) as tf.Tensor1D,
        })),
    }),
  });
}

function statusOf(findings: ConformanceFinding[], check: string): string {
  const finding = findings.find((item) => item.check === check);
  assert.ok(finding, `no finding for ${check}`);
  return finding.status;
}

describe('loss conformance checks', () => {
  it('should pass a reference-free logistic loss', async () => {
    const plugin = lossPlugin('good', false, (pc, pr) => tf.neg(logSigmoid(tf.mul(0.1, tf.sub(pc, pr)))) as tf.Tensor1D);
    const findings = await checkPlugin(plugin);
    assert.deepEqual(findings.filter((finding) => finding.status !== 'passed'), [], formatFindings(plugin, findings));
  });

  it('should flag a naive exponential overflowing at margin -1e4', async () => {
    const plugin = lossPlugin('overflow', false, (pc, pr) => tf.exp(tf.mul(-0.1, tf.sub(pc, pr))) as tf.Tensor1D);
    const findings = await checkPlugin(plugin);
    assert.equal(statusOf(findings, 'finite'), 'failed');
    assert.match(findings.find((f) => f.check === 'finite')!.problems[0], /margins of \+1e4 and -1e4: losses is not finite for pairs 1, 3/);
  });

  it('should flag a loss that uses the reference it declares unused', async () => {
    const plugin = lossPlugin('liar', false, (pc, pr, rc, rr) =>
      tf.neg(logSigmoid(tf.mul(0.1, tf.sub(tf.sub(pc, rc ?? tf.zerosLike(pc)), tf.sub(pr, rr ?? tf.zerosLike(pr)))))) as tf.Tensor1D,
    );
    assert.equal(statusOf(await checkPlugin(plugin), 'reference-use'), 'failed');
  });

  it('should explain a reference-free loss that reads the reference', async () => {
    const plugin = lossPlugin('needs-reference', false, (pc, pr, rc, rr) => tf.neg(logSigmoid(tf.sub(tf.sub(pc, rc!), tf.sub(pr, rr!)))) as tf.Tensor1D);
    const findings = await checkPlugin(plugin);
    const failed = findings.filter((finding) => finding.status === 'failed').map((finding) => finding.check);
    assert.deepEqual(failed, ['reference-use']);
    assert.match(findings.find((f) => f.check === 'reference-use')!.problems[0], /compute\(\) fails without reference log-probs .*declare requiresReference: true/);
  });

  it('should flag a loss that declares a reference it never reads', async () => {
    const plugin = lossPlugin('unused-reference', true, (pc, pr) => tf.neg(logSigmoid(tf.sub(pc, pr))) as tf.Tensor1D);
    assert.equal(statusOf(await checkPlugin(plugin), 'reference-use'), 'failed');
  });

  it('should flag a loss returning one value for the batch', async () => {
    const plugin = lossPlugin('scalar', false, (pc, pr) => tf.reshape(tf.mean(tf.sub(pr, pc)), [1]) as tf.Tensor1D);
    const findings = await checkPlugin(plugin);
    assert.equal(statusOf(findings, 'shapes'), 'failed');
    assert.match(findings.find((f) => f.check === 'shapes')!.problems.join('\n'), /losses has shape \[1\]; expected \[4\]/);
  });

  it('should flag a loss that leaks tensors', async () => {
    const plugin = definePlugin<'loss', object>({
      name: 'leaky',
      kind: 'loss',
      description: 'test loss',
      packageName: 'test-losses',
      version: '0.0.0',
      optionsSchema: SCHEMA,
      create: () => ({
        name: 'leaky',
        requiresReference: false,
        compute: (inputs) => {
          const margin = tf.sub(inputs.policyChosen, inputs.policyRejected);
          return { losses: tf.neg(logSigmoid(margin)) as tf.Tensor1D, rewardsChosen: inputs.policyChosen, rewardsRejected: inputs.policyRejected };
        },
      }),
    });
    assert.equal(statusOf(await checkPlugin(plugin), 'tensor-leaks'), 'failed');
  });

  it('should report a schema whose defaults do not validate', async () => {
    const plugin = definePlugin<'loss', object>({
      name: 'needs-option',
      kind: 'loss',
      description: 'test loss',
      packageName: 'test-losses',
      version: '0.0.0',
      optionsSchema: { type: 'object', required: ['beta'], properties: { beta: { type: 'number', description: 'β' } } },
      create: () => ({ name: 'needs-option', requiresReference: false, compute: () => { throw new Error('not reached'); } }),
    });
    assert.equal(statusOf(await checkPlugin(plugin), 'options-schema'), 'failed');
  });
});

function transformPlugin(name: string, apply: (source: AsyncIterable<PreferenceRecord>) => AsyncIterable<PreferenceRecord>): RadpoPlugin<'transform'> {
  return definePlugin<'transform', object>({
    name,
    kind: 'transform',
    description: 'test transform',
    packageName: 'test-transforms',
    version: '0.0.0',
    optionsSchema: SCHEMA,
    create: () => ({ name, apply, stats: () => ({}) }),
  });
}

describe('transform conformance checks', () => {
  it('should pass a lazy copying transform', async () => {
    const plugin = transformPlugin('upper', async function* (source) {
      for await (const record of source) yield { ...record, chosen: typeof record.chosen === 'string' ? record.chosen.toUpperCase() : record.chosen };
    });
    const findings = await checkPlugin(plugin);
    assert.deepEqual(findings.filter((finding) => finding.status !== 'passed'), [], formatFindings(plugin, findings));
  });

  it('should flag a transform that mutates its input', async () => {
    const plugin = transformPlugin('mutating', async function* (source) {
      for await (const record of source) {
        record.prompt = 'changed';
        yield record;
      }
    });
    assert.equal(statusOf(await checkPlugin(plugin), 'pure'), 'failed');
  });

  it('should flag a transform that reads everything first', async () => {
    const plugin = transformPlugin('eager', async function* (source) {
      const all: PreferenceRecord[] = [];
      for await (const record of source) all.push(record);
      yield* all;
    });
    const findings = await checkPlugin(plugin);
    assert.equal(statusOf(findings, 'streaming'), 'failed');
    assert.equal(statusOf(await checkPlugin(plugin, { buffersInput: 'it sorts' }), 'streaming'), 'skipped');
  });
});

function schedulerPlugin(name: string, rate: (step: number, total: number, base: number) => number, withWarmup = true): RadpoPlugin<'scheduler'> {
  return definePlugin<'scheduler', object>({
    name,
    kind: 'scheduler',
    description: 'test schedule',
    packageName: 'test-schedules',
    version: '0.0.0',
    optionsSchema: withWarmup
      ? { type: 'object', properties: { warmupSteps: { type: 'integer', description: 'warmup steps' } } }
      : SCHEMA,
    create: () => ({ name, learningRate: rate }),
  });
}

describe('scheduler conformance checks', () => {
  it('should flag negative rates', async () => {
    const plugin = schedulerPlugin('negative', (step, total, base) => base * (1 - (2 * step) / total));
    assert.equal(statusOf(await checkPlugin(plugin), 'finite-rates'), 'failed');
  });

  it('should flag a schedule that ignores warmupSteps', async () => {
    const plugin = schedulerPlugin('no-warmup', (_step, _total, base) => base);
    assert.equal(statusOf(await checkPlugin(plugin), 'warmup'), 'failed');
  });

  it('should skip the warmup check without warmup options', async () => {
    const plugin = schedulerPlugin('plain', (_step, _total, base) => base, false);
    assert.equal(statusOf(await checkPlugin(plugin), 'warmup'), 'skipped');
  });
});
