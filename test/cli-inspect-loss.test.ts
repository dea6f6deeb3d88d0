import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, runCli } from './helpers';

const PAIRS = [
  { policy_chosen: -10, policy_rejected: -12, reference_chosen: -11, reference_rejected: -11.5, chosen_tokens: 5, rejected_tokens: 8 },
  { policy_chosen: -4, policy_rejected: -30, reference_chosen: -5, reference_rejected: -28, chosen_tokens: 4, rejected_tokens: 10 },
];

function close(actual: number, expected: number, label: string, relative = 1e-5): void {
  const tolerance = relative * Math.max(Math.abs(expected), 1e-6);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: expected ${expected}, got ${actual}`);
}

describe('radpo inspect-loss', () => {
  let work: string;
  let input: string;

  before(() => {
    work = makeTempDir('inspect-loss');
    input = path.join(work, 'pairs.json');
    fs.writeFileSync(input, JSON.stringify({ pairs: PAIRS }));
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  function inspect(args: string[]): Record<string, any> {
    const result = runCli(['inspect-loss', ...args]);
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout);
  }

  it('should print dpo losses, gradients and metrics computed by hand', () => {
    const output = inspect(['--algo', 'dpo', '--input', input]);
    assert.equal(output.algo, 'dpo');
    assert.deepEqual(output.options, { beta: 0.1, labelSmoothing: 0 });
    // Pair 1: Δ = (−10 − −11) − (−12 − −11.5) = 1.5, loss = log(1 + e^−0.15) = 0.6209571,
    //   ∂/∂π_c = −β·σ(−0.15) = −0.1·0.4625702 = −0.04625702, ∂/∂π_r = +0.04625702.
    // Pair 2: Δ = (−4 − −5) − (−30 − −28) = 3, loss = log(1 + e^−0.3) = 0.5543553, σ(−0.3) = 0.4255575.
    close(output.pairs[0].loss, 0.6209571, 'pair 0 loss');
    close(output.pairs[0].grad_policy_chosen, -0.04625702, 'pair 0 chosen gradient');
    close(output.pairs[0].grad_policy_rejected, 0.04625702, 'pair 0 rejected gradient');
    close(output.pairs[1].loss, 0.5543553, 'pair 1 loss');
    close(output.pairs[1].grad_policy_chosen, -0.04255575, 'pair 1 chosen gradient');
    close(output.pairs[1].grad_policy_rejected, 0.04255575, 'pair 1 rejected gradient');
    // Batch loss (0.6209571 + 0.5543553)/2 = 0.5876562; rewards β·log-ratio: chosen (0.1 + 0.1)/2,
    // rejected (−0.05 − 0.2)/2 = −0.125; log-probs (−10 − 4)/2 = −7 and (−12 − 30)/2 = −21.
    close(output.loss, 0.5876562, 'batch loss');
    close(output.metrics['rewards/chosen'], 0.1, 'rewards/chosen');
    close(output.metrics['rewards/rejected'], -0.125, 'rewards/rejected');
    close(output.metrics['rewards/margins'], 0.225, 'rewards/margins');
    close(output.metrics['rewards/accuracies'], 1, 'rewards/accuracies');
    close(output.metrics['logps/chosen'], -7, 'logps/chosen');
    close(output.metrics['logps/rejected'], -21, 'logps/rejected');
  });

  it('should print simpo values computed by hand without reference fields', () => {
    const referenceFree = path.join(work, 'reference-free.json');
    const stripped = PAIRS.map(({ reference_chosen: _chosen, reference_rejected: _rejected, ...rest }) => rest);
    fs.writeFileSync(referenceFree, JSON.stringify({ pairs: stripped }));
    const output = inspect(['--algo', 'simpo', '--options', '{"gamma": 0.5}', '--input', referenceFree]);
    assert.deepEqual(output.options, { beta: 2, gamma: 0.5, labelSmoothing: 0 });
    // Pair 1: a_c = −2, a_r = −1.5, z = 2·(−0.5) − 0.5 = −1.5, loss = log(1 + e^1.5) = 1.7014133;
    //   σ(1.5) = 0.8175745, ∂/∂π_c = −2·0.8175745/5 = −0.3270298, ∂/∂π_r = 2·0.8175745/8 = 0.2043936.
    // Pair 2: a_c = −1, a_r = −3, z = 3.5, loss = log(1 + e^−3.5) = 0.0297504;
    //   σ(−3.5) = 0.0293122, ∂/∂π_c = −2·0.0293122/4 = −0.0146561, ∂/∂π_r = 2·0.0293122/10 = 0.0058624.
    close(output.pairs[0].loss, 1.7014133, 'pair 0 loss');
    close(output.pairs[0].grad_policy_chosen, -0.3270298, 'pair 0 chosen gradient');
    close(output.pairs[0].grad_policy_rejected, 0.2043936, 'pair 0 rejected gradient');
    close(output.pairs[1].loss, 0.0297504, 'pair 1 loss');
    close(output.pairs[1].grad_policy_chosen, -0.0146561, 'pair 1 chosen gradient');
    close(output.pairs[1].grad_policy_rejected, 0.0058624, 'pair 1 rejected gradient');
    // Rewards β·a: chosen (−4 − 2)/2 = −3, rejected (−3 − 6)/2 = −4.5; pair 1 ranks the rejected higher.
    close(output.loss, (1.7014133 + 0.0297504) / 2, 'batch loss');
    close(output.metrics['rewards/chosen'], -3, 'rewards/chosen');
    close(output.metrics['rewards/rejected'], -4.5, 'rewards/rejected');
    close(output.metrics['rewards/margins'], 1.5, 'rewards/margins');
    close(output.metrics['rewards/accuracies'], 0.5, 'rewards/accuracies');
  });

  it('should print one line per installed loss with --algo all', () => {
    const withKl = path.join(work, 'with-kl.json');
    fs.writeFileSync(withKl, JSON.stringify({ pairs: PAIRS.map((pair) => ({ ...pair, mismatched_log_ratio: 0.2 })) }));
    const result = runCli(['inspect-loss', '--algo', 'all', '--options', '{"beta": 0.2}', '--input', withKl]);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const names = lines.map((line) => line.algo);
    for (const name of ['cpo', 'dpo', 'ipo', 'kto', 'orpo', 'sft', 'simpo', 'slic']) assert.ok(names.includes(name), `no line for ${name}`);
    for (const line of lines) {
      assert.ok(Number.isFinite(line.loss), `${line.algo} loss ${line.loss}`);
      if ('beta' in line.options) assert.equal(line.options.beta, 0.2, `${line.algo} beta`);
    }
  });

  it('should name the pair and field missing for a reference-based loss', () => {
    const incomplete = path.join(work, 'incomplete.json');
    const { reference_rejected: _dropped, ...second } = PAIRS[1];
    fs.writeFileSync(incomplete, JSON.stringify({ pairs: [PAIRS[0], second] }));
    const result = runCli(['inspect-loss', '--algo', 'dpo', '--input', incomplete]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /pairs\[1\] is missing "reference_rejected"/);
  });

  it('should reject unknown options and list the valid ones', () => {
    const result = runCli(['inspect-loss', '--algo', 'simpo', '--options', '{"gama": 1}', '--input', input]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown key "gama"/);
    assert.match(result.stderr, /Valid keys: beta, gamma, labelSmoothing/);
  });
});
