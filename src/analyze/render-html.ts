/**
 * The report as one self-contained HTML page: a log-log chart of time against n (inline SVG,
 * one series per implementation), the fitted classes, correctness, and the language-server
 * findings. No scripts, no external resources.
 */
import { classShape, GROWTH_CLASSES, type GrowthClass } from './fit.js';
import type { Report } from './report.js';
import {
  classTable,
  correctnessText,
  fitReasons,
  formatSeconds,
  growthRows,
  GROWTH_HEAD,
  memoryRows,
  MEMORY_HEAD,
  METHOD_NOTE,
} from './render-text.js';
import { fitLabel } from './render-text.js';
import { approxBytes } from '../shared/approx-bytes.js';

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
const WIDTH = 880;
const HEIGHT = 440;
const MARGIN = { left: 100, right: 260, top: 20, bottom: 52 };

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

interface ChartSeries {
  name: string;
  label: string;
  points: Array<{ n: number; y: number; low?: number; high?: number }>;
  /** The fitted curve, drawn dashed over the measured range. */
  curve: ((n: number) => number) | null;
}

interface ChartSpec {
  kind: 'time' | 'memory';
  ariaLabel: string;
  yTitle: string;
  yTick: (value: number) => string;
  yValue: (value: number) => string;
  series: ChartSeries[];
}

export function renderChart(report: Report): string {
  return chart({
    kind: 'time',
    ariaLabel: 'Time per call against n, log-log, with fitted curves',
    yTitle: 'time per call (log scale)',
    yTick: tickSeconds,
    yValue: formatSeconds,
    series: report.complexity.map((c) => ({
      name: c.name,
      label: `${c.name}${c.fit ? ` ${fitLabel(c.fit)}${c.fit.certain ? '' : '?'}` : ''}`,
      points: c.points.map((p) => ({ n: p.n, y: p.seconds, low: p.low, high: p.high })),
      curve:
        c.fit === null
          ? null
          : curveOf(c.fit.class, c.fit.coefficients.a, c.fit.coefficients.b, c.fit.base),
    })),
  });
}

export function renderMemoryChart(report: Report): string {
  return chart({
    kind: 'memory',
    ariaLabel: 'Peak memory per call against n, log-log, with fitted curves',
    yTitle: 'peak memory per call (log scale)',
    yTick: tickBytes,
    yValue: approxBytes,
    series: report.complexity.map((c) => ({
      name: c.name,
      label: `${c.name}${c.memory?.fit ? ` ${c.memory.fit.class}${c.memory.fit.certain ? '' : '?'}` : ''}`,
      // A log axis has no 0: peaks under 64 bytes are drawn at 64.
      points: (c.memory?.points ?? []).map((p) => ({ n: p.n, y: Math.max(p.bytes, 64) })),
      curve: c.memory?.fit
        ? curveOf(
            c.memory.fit.class,
            c.memory.fit.coefficients.a,
            c.memory.fit.coefficients.b,
            null,
          )
        : null,
    })),
  });
}

/** The reasons as a list, or nothing when there are none. */
function reasonList(reasons: ReadonlyArray<{ name: string; reason: string }>): string {
  if (reasons.length === 0) return '';
  const items = reasons.map(
    ({ name, reason }) => `<li><code>${escapeHtml(name)}</code>: ${escapeHtml(reason)}</li>`,
  );
  return `<ul class="reasons">${items.join('')}</ul>`;
}

function curveOf(growth: string, a: number, b: number, base: number | null): (n: number) => number {
  const shape = (GROWTH_CLASSES as readonly string[]).includes(growth)
    ? classShape(growth as GrowthClass, base ?? undefined)
    : () => 0;
  return (n) => a * shape(n) + b;
}

function chart(spec: ChartSpec): string {
  const series = spec.series.filter((c) => c.points.length > 0);
  const points = series.flatMap((c) => c.points);
  if (points.length === 0)
    return `<p class="empty">No ${spec.kind === 'time' ? 'timings' : 'memory peaks'} were measured.</p>`;
  const xs = points.map((p) => Math.log10(p.n));
  const ys = points.flatMap((p) => [p.y, p.low ?? p.y, p.high ?? p.y].map(Math.log10));
  const [x0, x1] = paddedRange(Math.min(...xs), Math.max(...xs));
  const [y0, y1] = paddedRange(Math.min(...ys), Math.max(...ys));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (n: number): number => MARGIN.left + ((Math.log10(n) - x0) / (x1 - x0)) * plotW;
  const sy = (v: number): number => MARGIN.top + (1 - (Math.log10(v) - y0) / (y1 - y0)) * plotH;
  const inside = (v: number): boolean =>
    Number.isFinite(v) && v > 0 && Math.log10(v) >= y0 && Math.log10(v) <= y1;

  const grid: string[] = [];
  const ticks = xTicks(x0, x1);
  const powers = ticks.length > 0 && Math.max(...ticks) >= 1e4;
  const decades = powers ? ticks.filter((t) => Number.isInteger(Math.log10(t))) : ticks;
  // At most about ten labelled ticks: every second or third decade over a wide range.
  const every = Math.max(1, Math.ceil(decades.length / 10));
  for (const n of decades.filter((_, i) => i % every === 0)) {
    const x = sx(n).toFixed(1);
    grid.push(
      `<line class="grid" x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}"/>`,
    );
    grid.push(
      `<text class="tick x" x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${powers ? `10${sup(Math.round(Math.log10(n)))}` : String(n)}</text>`,
    );
  }
  // Decades, every second one over a wide range; 1-2-5 steps over a short one.
  const yTicks =
    y1 - y0 < 2
      ? xTicks(y0, y1)
      : xTicks(y0, y1).filter(
          (v, i) => Number.isInteger(Math.log10(v)) && (y1 - y0 <= 8 || i % 2 === 0),
        );
  for (const value of yTicks) {
    const y = sy(value).toFixed(1);
    grid.push(
      `<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}"/>`,
    );
    grid.push(
      `<text class="tick y" x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(spec.yTick(value))}</text>`,
    );
  }
  const body = series.map((c, i) => {
    const color = COLORS[i % COLORS.length] ?? '#000';
    const bars = c.points
      .filter((p) => p.low !== undefined && p.high !== undefined && p.high > p.low)
      .map(
        (p) =>
          `<line class="spread" x1="${sx(p.n).toFixed(1)}" x2="${sx(p.n).toFixed(1)}" y1="${sy(p.low ?? p.y).toFixed(1)}" y2="${sy(p.high ?? p.y).toFixed(1)}" stroke-width="1.5"/>`,
      )
      .join('');
    const dots = c.points
      .map(
        (p) =>
          `<circle cx="${sx(p.n).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3"><title>${escapeHtml(
            `${c.name}: n=${p.n}, ${spec.yValue(p.y)}${p.low !== undefined && p.high !== undefined && p.high > p.low ? ` (inputs ${spec.yValue(p.low)} to ${spec.yValue(p.high)})` : ''}`,
          )}</title></circle>`,
      )
      .join('');
    let fitted = '';
    if (c.curve !== null) {
      const lo = Math.log10(Math.min(...c.points.map((p) => p.n)));
      const hi = Math.log10(Math.max(...c.points.map((p) => p.n)));
      const path: string[] = [];
      for (let k = 0; k <= 60; k += 1) {
        const n = 10 ** (lo + ((hi - lo) * k) / 60);
        const v = c.curve(n);
        if (inside(v)) path.push(`${sx(n).toFixed(1)},${sy(v).toFixed(1)}`);
      }
      if (path.length > 1)
        fitted = `<polyline class="fitted" points="${path.join(' ')}" fill="none" stroke-width="1.5" stroke-dasharray="5 4"/>`;
    }
    const legendY = MARGIN.top + 14 + i * 20;
    return (
      `<g class="series" data-name="${escapeHtml(c.name)}" stroke="${color}" fill="${color}">` +
      fitted +
      bars +
      dots +
      `<rect x="${WIDTH - MARGIN.right + 12}" y="${legendY - 6}" width="12" height="12"/>` +
      `<text class="legend" x="${WIDTH - MARGIN.right + 30}" y="${legendY + 4}" stroke="none">${escapeHtml(c.label.slice(0, 42))}</text>` +
      `</g>`
    );
  });
  const legendNote = MARGIN.top + 14 + series.length * 20 + 8;
  return (
    `<svg class="chart ${spec.kind}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(spec.ariaLabel)}">` +
    `<rect class="plot" x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}"/>` +
    grid.join('') +
    body.join('') +
    `<text class="key" x="${WIDTH - MARGIN.right + 12}" y="${legendNote + 4}">dots: ${spec.kind === 'time' ? 'median over inputs' : 'peak on input 0'}</text>` +
    (spec.kind === 'time'
      ? `<text class="key" x="${WIDTH - MARGIN.right + 12}" y="${legendNote + 20}">bars: fastest to slowest input</text>`
      : '') +
    `<text class="key" x="${WIDTH - MARGIN.right + 12}" y="${legendNote + (spec.kind === 'time' ? 36 : 20)}">dashes: fitted class</text>` +
    `<text class="axis" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">n (input size, log scale)</text>` +
    `<text class="axis" transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yTitle)}</text>` +
    `</svg>`
  );
}

/** Tick labels without needless decimals: 1 µs, 10 µs, 100 µs, 1 ms. */
function tickSeconds(seconds: number): string {
  const units: Array<[number, string]> = [
    [1, 's'],
    [1e-3, 'ms'],
    [1e-6, 'µs'],
    [1e-9, 'ns'],
  ];
  for (const [scale, unit] of units) {
    if (seconds >= scale * 0.999) return `${Number((seconds / scale).toPrecision(3))} ${unit}`;
  }
  return `${Number((seconds / 1e-9).toPrecision(3))} ns`;
}

function tickBytes(bytes: number): string {
  return approxBytes(bytes);
}

export function renderHtml(report: Report): string {
  const title =
    report.targets.length > 1
      ? `Comparison of ${report.targets.map((t) => t.name).join(', ')}`
      : `Analysis of ${report.target.name}`;
  const rows = (cells: string[][]): string =>
    cells.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  const table = (cls: string, head: string[], body: string[][]): string =>
    `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows(body.map((r) => r.map(escapeHtml)))}</tbody></table>`;
  const correctness = (report.correctness?.implementations ?? []).map((c) => [
    `<code>${escapeHtml(c.name)}</code>`,
    c.status === 'agrees' || c.status === 'reference'
      ? `<span class="ok">${escapeHtml(correctnessText(c, report.correctness?.reference ?? ''))}</span>`
      : `<span class="bad">${escapeHtml(correctnessText(c, report.correctness?.reference ?? ''))}</span>`,
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
  const env = report.environment;
  const reasons = reasonList(fitReasons(report, 'time'));
  const memoryReasons = reasonList(fitReasons(report, 'memory'));
  const classes = classTable(report);
  const hasMemory = report.complexity.some((c) => (c.memory?.points.length ?? 0) > 0);
  const files = report.targets
    .map(
      (t) =>
        `<code>${escapeHtml(t.file)}</code>${t.module ? ` (module <code>${escapeHtml(t.module)}</code>)` : ''}`,
    )
    .join(', ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1040px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
pre { margin: 0; white-space: pre-wrap; font-size: 13px; } code { font-size: 13px; }
td, pre, li, .verdict { overflow-wrap: anywhere; }
.chart .plot { fill: #fcfcfc; stroke: #ccc; } .chart .grid { stroke: #eee; } .chart .tick, .chart .axis, .chart .legend, .chart .key { font-size: 12px; fill: #444; } .chart .key { fill: #777; }
.ok { color: #2a7d2a; } .bad { color: #b22; font-weight: 600; } .meta { color: #666; }
.verdict { padding: .6rem .8rem; border-radius: 4px; } .verdict.ok { background: #eef7ee; } .verdict.uncertain { background: #fff6e0; color: #222; } .verdict.failed { background: #fbeaea; color: #222; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="verdict ${report.verdict.status}"><strong>${escapeHtml(report.verdict.status.toUpperCase())}</strong>: ${escapeHtml(report.verdict.summary)}</p>
<p class="meta">${files}. Generated ${escapeHtml(report.generated_at)} by isolated-pymcp. Doctests: ${doctests}. Language server: ${escapeHtml(report.language_server ?? 'unavailable')}. Python ${escapeHtml(env.python ?? '?')}, seed ${env.seed}, budget ${env.budget_seconds} s per implementation, up to ${env.inputs_per_size} inputs per size, load average ${escapeHtml(env.load_average_start.join(' '))} at the start and ${escapeHtml(env.load_average_end.join(' '))} at the end.</p>
${report.load_error ? `<h2>The module did not load</h2><pre>${escapeHtml(report.load_error)}</pre>` : ''}
${report.declaration_errors.length > 0 ? `<h2>Declaration errors</h2><ul class="declaration-errors">${report.declaration_errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''}
<h2>Time against n</h2>
${renderChart(report)}
<h2>Fitted growth</h2>
${table('growth', GROWTH_HEAD, growthRows(report))}
${reasons}
${classes === null ? '' : `<h3>Fit error of every class (bootstrap share in brackets, * chosen)</h3>${table('classes', classes.head, classes.rows)}`}
<p class="meta">${escapeHtml(METHOD_NOTE)}</p>
${hasMemory ? `<h2>Peak memory against n</h2>${renderMemoryChart(report)}${table('memory', MEMORY_HEAD, memoryRows(report))}${memoryReasons}<p class="meta">Peak bytes allocated during one call on the first input (tracemalloc, which counts Python allocations only), measured in a separate pass from the timing.</p>` : ''}
<h2>Correctness</h2>
${correctness.length > 0 ? `<table class="correctness"><tbody>${rows(correctness)}</tbody></table>` : '<p>No cross-check (nothing was declared).</p>'}
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
