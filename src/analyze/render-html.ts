/**
 * The report as one self-contained HTML page: a log-log chart of time against n (inline SVG,
 * one series per implementation), the fitted classes, correctness, and the language-server
 * findings. No scripts, no external resources.
 */
import type { Report } from './report.js';
import { fitLabel, formatSeconds } from './render-text.js';

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];
const WIDTH = 860;
const HEIGHT = 440;
const MARGIN = { left: 78, right: 250, top: 20, bottom: 52 };

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function renderChart(report: Report): string {
  const series = report.complexity.filter((c) => c.points.length > 0);
  const points = series.flatMap((c) => c.points);
  if (points.length === 0) return '<p class="empty">No timings were measured.</p>';
  const xs = points.map((p) => Math.log10(p.n));
  const ys = points.map((p) => Math.log10(p.seconds));
  const [x0, x1] = paddedRange(Math.min(...xs), Math.max(...xs));
  const [y0, y1] = paddedRange(Math.min(...ys), Math.max(...ys));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (n: number): number => MARGIN.left + ((Math.log10(n) - x0) / (x1 - x0)) * plotW;
  const sy = (s: number): number => MARGIN.top + (1 - (Math.log10(s) - y0) / (y1 - y0)) * plotH;

  const grid: string[] = [];
  for (const n of xTicks(x0, x1)) {
    const x = sx(n).toFixed(1);
    grid.push(
      `<line class="grid" x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}"/>`,
    );
    grid.push(
      `<text class="tick" x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${tickLabel(n)}</text>`,
    );
  }
  for (let e = Math.ceil(y0); e <= Math.floor(y1); e += 1) {
    const y = sy(10 ** e).toFixed(1);
    grid.push(
      `<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}"/>`,
    );
    grid.push(
      `<text class="tick" x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(formatSeconds(10 ** e))}</text>`,
    );
  }
  const body = series.map((c, i) => {
    const color = COLORS[i % COLORS.length] ?? '#000';
    const path = c.points.map((p) => `${sx(p.n).toFixed(1)},${sy(p.seconds).toFixed(1)}`).join(' ');
    const dots = c.points
      .map(
        (p) =>
          `<circle cx="${sx(p.n).toFixed(1)}" cy="${sy(p.seconds).toFixed(1)}" r="3"><title>${escapeHtml(`${c.name}: n=${p.n}, ${formatSeconds(p.seconds)}`)}</title></circle>`,
      )
      .join('');
    const legendY = MARGIN.top + 14 + i * 20;
    const label = `${c.name}${c.fit ? ` ${fitLabel(c.fit)}` : ''}`;
    return (
      `<g class="series" data-name="${escapeHtml(c.name)}" stroke="${color}" fill="${color}">` +
      `<polyline points="${path}" fill="none" stroke-width="2"/>${dots}` +
      `<rect x="${WIDTH - MARGIN.right + 12}" y="${legendY - 6}" width="12" height="12"/>` +
      `<text class="legend" x="${WIDTH - MARGIN.right + 30}" y="${legendY + 4}" stroke="none">${escapeHtml(label.slice(0, 40))}</text>` +
      `</g>`
    );
  });
  return (
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="Time per call against n, log-log">` +
    `<rect class="plot" x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}"/>` +
    grid.join('') +
    body.join('') +
    `<text class="axis" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">n (input size, log scale)</text>` +
    `<text class="axis" transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">time per call (log scale)</text>` +
    `</svg>`
  );
}

export function renderHtml(report: Report): string {
  const title = `Analysis of ${report.target.name}`;
  const rows = (cells: string[][]): string =>
    cells.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  const growth = report.complexity.map((c) => [
    `<code>${escapeHtml(c.name)}</code>`,
    c.fit
      ? `<strong>${escapeHtml(fitLabel(c.fit))}</strong>${c.fit.confidence === 'weak' ? ' <span class="weak">weak</span>' : ''}`
      : 'too few points',
    c.fit ? `${(c.fit.rms_error * 100).toFixed(1)} %` : '',
    c.fit?.runner_up
      ? `${escapeHtml(c.fit.runner_up)} (${((c.fit.runner_up_rms_error ?? 0) * 100).toFixed(1)} %)`
      : '',
    c.points.length > 0 ? `${c.points[0]?.n ?? ''}..${c.points[c.points.length - 1]?.n ?? ''}` : '',
    escapeHtml(c.stopped ?? ''),
  ]);
  const correctness = (report.correctness?.implementations ?? []).map((c) => [
    `<code>${escapeHtml(c.name)}</code>`,
    c.name === report.correctness?.reference
      ? 'reference'
      : c.failure === null
        ? `<span class="ok">agrees</span> on ${c.agreed} inputs`
        : `<span class="bad">disagrees</span> at n=${c.failure.n}: input <code>${escapeHtml(c.failure.input)}</code>, expected <code>${escapeHtml(c.failure.expected)}</code>, got <code>${escapeHtml(c.failure.got)}</code>`,
  ]);
  const functions = report.structure.functions.map((f) => [
    `<code>${escapeHtml(f.name)}</code>`,
    f.line === null ? '' : String(f.line),
    f.signature ? `<pre>${escapeHtml(f.signature)}</pre>` : '',
    escapeHtml(f.doc.split('\n\n')[0] ?? ''),
  ]);
  const diagnostics = report.structure.diagnostics.items.map((d) => [
    `${d.line}:${d.column}`,
    escapeHtml(d.severity),
    escapeHtml(d.message),
  ]);
  const doctests = report.doctests
    ? `${report.doctests.attempted - report.doctests.failed} of ${report.doctests.attempted} passed`
    : 'not run';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
pre { margin: 0; white-space: pre-wrap; font-size: 13px; } code { font-size: 13px; }
.chart .plot { fill: #fcfcfc; stroke: #ccc; } .chart .grid { stroke: #eee; } .chart .tick, .chart .axis, .chart .legend { font-size: 12px; fill: #444; }
.ok { color: #2a7d2a; } .bad, .weak { color: #b22; font-weight: 600; } .meta { color: #666; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta"><code>${escapeHtml(report.target.file)}</code>${report.target.module ? ` (module <code>${escapeHtml(report.target.module)}</code>)` : ''}. Generated ${escapeHtml(report.generated_at)} by isolated-pymcp. Doctests: ${doctests}. Language server: ${escapeHtml(report.language_server ?? 'unavailable')}.</p>
${report.load_error ? `<h2>The module did not load</h2><pre>${escapeHtml(report.load_error)}</pre>` : ''}
<h2>Time against n</h2>
${renderChart(report)}
<h2>Fitted growth</h2>
<table class="growth"><thead><tr><th>implementation</th><th>class</th><th>fit error</th><th>runner-up</th><th>n</th><th>stopped</th></tr></thead><tbody>${rows(growth)}</tbody></table>
<p class="meta">Each class is fitted as t = a·f(n) + b by least squares on relative error; the fit error is its RMS relative error. "weak" means the runner-up fits almost as well.</p>
<h2>Correctness</h2>
${correctness.length > 0 ? `<table class="correctness"><tbody>${rows(correctness)}</tbody></table>` : '<p>No cross-check (the file declares no ANALYSIS).</p>'}
<h2>Language-server findings</h2>
<table class="functions"><thead><tr><th>function</th><th>line</th><th>signature</th><th>summary</th></tr></thead><tbody>${rows(functions)}</tbody></table>
${diagnostics.length > 0 ? `<h3>Diagnostics</h3><table class="diagnostics"><tbody>${rows(diagnostics)}</tbody></table>` : `<p>${report.structure.diagnostics.known ? 'No diagnostics.' : 'Diagnostics not known.'}</p>`}
${report.notes.length > 0 ? `<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
</body>
</html>
`;
}

/** Ticks at 1, 2 and 5 times powers of ten when the range is short, else at powers of ten. */
function xTicks(lo: number, hi: number): number[] {
  const steps = hi - lo < 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e += 1) {
    for (const m of steps) {
      const n = m * 10 ** e;
      if (Math.log10(n) >= lo && Math.log10(n) <= hi) ticks.push(n);
    }
  }
  return ticks;
}

function tickLabel(n: number): string {
  const e = Math.round(Math.log10(n));
  return n === 10 ** e && Math.abs(e) >= 3 ? `10${sup(e)}` : String(n);
}

function paddedRange(min: number, max: number): [number, number] {
  if (max - min < 0.5) return [min - 0.5, max + 0.5];
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};
function sup(exponent: number): string {
  return String(exponent)
    .split('')
    .map((c) => SUPERSCRIPT[c] ?? c)
    .join('');
}
