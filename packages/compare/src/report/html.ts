import { CURVE_METRICS, type ComparisonResults, type CurveMetric } from '../aggregate';
import { renderMarkdown } from './markdown';
import { reportTable } from './table';
import { readVegaBundles, type VegaBundles } from './vega-bundles';

const CURVE_TITLES: Record<CurveMetric, string> = {
  loss: 'Training loss',
  'rewards/margins': 'Reward margin (chosen − rejected implicit reward)',
  'rewards/accuracies': 'Reward accuracy (share of pairs with chosen reward > rejected)',
};

/**
 * Renders report.html: the table of report.md and one vega-lite line chart per training curve (loss,
 * reward margin, reward accuracy against the optimizer step, one line per group). vega, vega-lite and
 * vega-embed are inlined, so the page needs no network. When every chart has rendered, the body gets
 * `data-charts="rendered"`; a chart that fails shows its error in an element of class chart-error.
 */
export function renderHtml(results: ComparisonResults, bundles: VegaBundles = readVegaBundles()): string {
  const [header, ...rows] = reportTable(results);
  const specs = CURVE_METRICS.map((metric) => ({
    id: `chart-${metric.replace(/[^a-z]/g, '-')}`,
    spec: curveSpec(metric, results),
  }));
  const table = [
    '<table>',
    `<thead><tr>${header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
  const note = renderMarkdown(results).split('\n')[2];

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(results.manifest.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.chart { margin: 1.5em 0; }
.chart-error { color: #b00; }
</style>
<script>${inlineScript(bundles.vega)}</script>
<script>${inlineScript(bundles.vegaLite)}</script>
<script>${inlineScript(bundles.vegaEmbed)}</script>
</head>
<body>
<h1>${escapeHtml(results.manifest.title)}</h1>
<p>${escapeHtml(note)}</p>
${(results.manifest.notes ?? []).map((text) => `<p>${escapeHtml(text)}</p>`).join('\n')}
${table}
<h2>Training curves</h2>
<p>Mean over finished seeds at each optimizer step, averaged over buckets of steps for long runs.</p>
${specs.map(({ id }) => `<div class="chart" id="${id}"></div>`).join('\n')}
<script>
const charts = ${inlineJson(specs)};
Promise.all(charts.map(({ id, spec }) =>
  vegaEmbed('#' + id, spec, { renderer: 'svg', actions: false }).catch((error) => {
    const message = document.createElement('p');
    message.className = 'chart-error';
    message.textContent = 'chart ' + id + ' failed: ' + error.message;
    document.getElementById(id).appendChild(message);
    throw error;
  })
)).then(() => { document.body.dataset.charts = 'rendered'; }, () => { document.body.dataset.charts = 'failed'; });
</script>
</body>
</html>
`;
}

function curveSpec(metric: CurveMetric, results: ComparisonResults): Record<string, unknown> {
  const algorithmOf = new Map(results.groups.map((group) => [group.group, group.labels.algorithm ?? group.group]));
  const values = results.curves
    .filter((point) => point.metric === metric)
    .map(({ group, step, value }) => ({ group, algorithm: algorithmOf.get(group), step, value }));
  const encoding = {
    x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
    y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
    color: { field: 'group', type: 'nominal', title: 'group' },
    tooltip: [{ field: 'group' }, { field: 'step' }, { field: 'value', format: '.4f' }],
  };
  const mark = { type: 'line', interpolate: 'monotone' };
  const schema = 'https://vega.github.io/schema/vega-lite/v6.json';
  if (metric !== 'loss') {
    return { $schema: schema, title: CURVE_TITLES[metric], width: 560, height: 260, data: { values }, mark, encoding };
  }
  // Losses of different algorithms live on different scales (IPO's starts near 1/(4β²) = 25 for β = 0.1,
  // DPO's near ln 2), so each algorithm gets its own row and y scale.
  return {
    $schema: schema,
    title: CURVE_TITLES[metric],
    data: { values },
    facet: { row: { field: 'algorithm', type: 'nominal', title: 'algorithm' } },
    resolve: { scale: { y: 'independent' } },
    spec: { width: 560, height: 140, mark, encoding },
  };
}

/** Keeps an inlined script from closing its own <script> element. */
function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}

/** JSON that is safe inside a <script> element. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
