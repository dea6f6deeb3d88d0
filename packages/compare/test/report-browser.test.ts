import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeReport } from '../src';
import { writeFakeComparison } from './fake-comparison';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((candidate) => fs.existsSync(candidate));

/** Opens a local file in headless Chromium and returns the DOM after the page's scripts ran. */
function dumpDom(file: string, profile: string): { dom: string; stderr: string; status: number | null } {
  const result = spawnSync(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      // Virtual time runs the page's timers and promises without waiting in real time.
      '--virtual-time-budget=10000',
      '--dump-dom',
      `file://${file}`,
    ],
    { encoding: 'utf8', timeout: 90_000 },
  );
  return { dom: result.stdout, stderr: result.stderr, status: result.status };
}

describe('report.html in headless Chromium', function () {
  this.timeout(120_000);
  let work: string;
  let dom: string;

  before(async function () {
    if (!CHROMIUM) {
      console.warn('    skipped: chromium is not installed (apt-get install -y chromium); report.html was not opened in a browser');
      this.skip();
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-browser-'));
    const outDir = path.join(work, 'comparison');
    await writeFakeComparison(outDir);
    const { files } = writeReport(outDir);
    const result = dumpDom(files.html, path.join(work, 'profile'));
    assert.equal(result.status, 0, result.stderr);
    dom = result.dom;
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('should render every chart', () => {
    assert.match(dom, /<body[^>]*data-charts="rendered"/);
  });

  it('should draw three charts as SVG', () => {
    for (const id of ['chart-loss', 'chart-rewards-margins', 'chart-rewards-accuracies']) {
      const start = dom.indexOf(`id="${id}"`);
      assert.ok(start >= 0, `no element ${id}`);
      assert.match(dom.slice(start, start + 5000), /<svg[^>]*class="marks"/, `${id} has no vega SVG`);
    }
  });

  it('should draw one line per group in each chart', () => {
    // Two groups in three charts: vega draws each series as a path with role "line mark".
    const lines = dom.match(/aria-roledescription="line mark"/g) ?? [];
    assert.equal(lines.length, 6);
  });

  it('should show no chart error', () => {
    assert.equal(dom.includes('class="chart-error"'), false);
    assert.equal(dom.includes('data-charts="failed"'), false);
  });
});
