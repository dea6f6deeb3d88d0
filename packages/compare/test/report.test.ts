import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectComparison, describe as describeValues, renderCsv, renderMarkdown, writeReport } from '../src';
import { writeFakeComparison } from './fake-comparison';

describe('comparison reports', () => {
  let outDir: string;
  before(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-report-'));
    await writeFakeComparison(outDir);
  });
  after(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('should average metrics over finished seeds', () => {
    const results = collectComparison(outDir);
    const dpo = results.groups.find((group) => group.group === 'dpo')!;
    const augmented = results.groups.find((group) => group.group === 'dpo-augment')!;

    assert.ok(Math.abs(dpo.metrics['rewards/accuracies'].mean - 0.7) < 1e-12);
    // Sample standard deviation of 0.5, 0.7, 0.9: sqrt((0.04 + 0 + 0.04) / 2) = 0.2.
    assert.ok(Math.abs(dpo.metrics['rewards/accuracies'].std! - 0.2) < 1e-12);
    assert.deepEqual(augmented.seedsFinished, [0, 1]);
    assert.deepEqual(augmented.seedsPlanned, [0, 1, 2]);
  });

  it('should average curves over seeds step by step', () => {
    const { curves } = collectComparison(outDir);
    const margins = curves.filter((point) => point.group === 'dpo' && point.metric === 'rewards/margins');

    // Seeds 0, 1 and 2 have margins s, 2s and 3s at step s: the mean is 2s.
    assert.deepEqual(margins.map((point) => [point.step, point.value]), [[1, 2], [2, 4], [3, 6], [4, 8]]);
  });

  it('should leave out the standard deviation of one value', () => {
    assert.deepEqual(describeValues([3]), { mean: 3, n: 1 });
  });

  it('should write one csv row per group', () => {
    const lines = renderCsv(collectComparison(outDir)).trim().split('\n');

    assert.equal(lines.length, 3);
    assert.match(lines[0], /^group,algorithm,augment,seeds_finished,seeds_planned,rewards\/accuracies_mean,rewards\/accuracies_std,loss_mean/);
    assert.match(lines[2], /^dpo-augment,dpo,true,2,3,0\.6,0,/);
  });

  it('should show mean ± std and unfinished groups in markdown', () => {
    const markdown = renderMarkdown(collectComparison(outDir));

    assert.match(markdown, /^# Fake \| comparison/);
    assert.match(markdown, /\| dpo \| dpo \| false \| 3\/3 \| 0\.7 ± 0\.2 \| 0\.5 ± 0 \|/);
    assert.match(markdown, /Unfinished: dpo-augment\./);
  });

  it('should inline vega and load nothing from the network', () => {
    const { files } = writeReport(outDir);
    const html = fs.readFileSync(files.html, 'utf8');

    assert.equal(/<script[^>]+src=/i.test(html), false);
    assert.equal(/<link[^>]+href=/i.test(html), false);
    assert.ok(html.includes('vegaEmbed'), 'vega-embed is not inlined');
    assert.equal((html.match(/<script>/g) ?? []).length, 4);
    assert.match(html, /<td>0\.7 ± 0\.2<\/td>/);
  });
});
