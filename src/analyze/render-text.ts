/** The report as terminal text and as Markdown. */
import { DEFAULT_GROWTH_OPTIONS, FLAT_CHANGE } from './growth-stats.js';
import { approxBytes } from '../shared/approx-bytes.js';
import type { Report } from './report.js';

export function formatSeconds(seconds: number): string {
  if (seconds < 1e-6) return `${(seconds * 1e9).toFixed(0)} ns`;
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(seconds < 1e-5 ? 2 : 1)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(seconds < 1e-2 ? 2 : 1)} ms`;
  return `${seconds.toFixed(2)} s`;
}

export function fitLabel(fit: NonNullable<Report['complexity'][number]['fit']>): string {
  return fit.class === 'O(2^n)' && fit.base !== null
    ? `O(2^n) (~${fit.base.toFixed(2)}^n)`
    : fit.class;
}

const percent = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)} %`;

type Entry = Report['complexity'][number];
type Check = NonNullable<Report['correctness']>['implementations'][number];

export function stopText(stop: Entry['stopped']): string {
  if (stop === null) return '';
  const at = stop.n === null ? '' : ` at n=${stop.n}`;
  const what: Record<NonNullable<Entry['stopped']>['reason'], string> = {
    max_size: 'max_size',
    budget: 'budget spent',
    slow_call: 'call too slow',
    raised: 'raised',
    input_error: 'input generator failed',
    not_measured: 'not measured',
    measuring_failed: 'measuring failed',
  };
  return `${what[stop.reason]}${stop.reason === 'max_size' ? ` ${stop.n ?? ''}` : at}${stop.detail && stop.reason !== 'max_size' && stop.reason !== 'budget' ? `: ${stop.detail}` : ''}`;
}

export function correctnessText(check: Check, reference: string): string {
  const sizes = check.checked_sizes;
  const range =
    sizes.length === 0
      ? ''
      : ` at ${sizes.length} size${sizes.length === 1 ? '' : 's'} (n=${sizes[0]}..${sizes[sizes.length - 1]})`;
  const unchecked =
    check.unchecked_sizes.length > 0 && check.failure === null
      ? `; ${check.unchecked_sizes.length} larger size${check.unchecked_sizes.length === 1 ? '' : 's'} not checked ${check.note ? `(${check.note})` : 'within the budget'}`
      : '';
  switch (check.status) {
    case 'reference':
      return 'reference';
    case 'agrees':
      return `agrees with ${reference} on ${check.checked_inputs} inputs${range}${unchecked}`;
    case 'failed':
      return `NOT CHECKED: ${check.note ?? 'the cross-check failed'}`;
    case 'disagrees':
    case 'raised':
    case 'did_not_finish': {
      const f = check.failure;
      const verb =
        check.status === 'disagrees'
          ? 'DISAGREES'
          : check.status === 'raised'
            ? 'RAISED'
            : 'DID NOT FINISH';
      if (f === null) return verb;
      return `${verb} at n=${f.n}${check.bisected ? ' (smallest failing n, bisected)' : ''}: input ${f.input}, expected ${f.expected}, got ${f.got}`;
    }
  }
}

export function classText(fit: NonNullable<Entry['fit']>): string {
  if (fit.certain) return fitLabel(fit);
  return [fitLabel(fit), ...fit.alternatives.map((a) => a.class)].join(' or ') + ' (uncertain)';
}

export function exponentText(fit: NonNullable<Entry['fit']>): string {
  const e = fit.exponent;
  return e === null ? '' : `n^${e.value.toFixed(2)} [${e.low.toFixed(2)}, ${e.high.toFixed(2)}]`;
}

/** A size as a reader takes it in: 250000, but 10^15 rather than 1000000000000000. */
export function formatN(n: number): string {
  if (n < 1e6) return String(n);
  const e = Math.log10(n);
  return Number.isInteger(e) ? `10^${e}` : n.toExponential(2).replace('e+', 'e');
}

export function growthRows(report: Report): string[][] {
  return report.complexity.map((c) => {
    const last = c.points[c.points.length - 1];
    const first = c.points[0];
    return [
      c.name,
      first && last ? `${formatN(first.n)}..${formatN(last.n)}` : '-',
      last
        ? `${formatSeconds(last.seconds)}${last.high > last.low ? ` (${formatSeconds(last.low)}..${formatSeconds(last.high)})` : ''}`
        : '-',
      c.fit ? classText(c.fit) : c.points.length > 0 ? 'too few points' : '-',
      c.fit ? percent(c.fit.confidence, 0) : '',
      c.fit ? exponentText(c.fit) : '',
      c.fit ? percent(c.fit.rms_error) : '',
      stopText(c.stopped),
    ];
  });
}

export const GROWTH_HEAD = [
  'implementation',
  'n',
  'time at largest n (inputs)',
  'class',
  'confidence',
  'exponent [90 %]',
  'fit error',
  'stopped',
];

export function memoryRows(report: Report): string[][] {
  return report.complexity
    .flatMap((c) => (c.memory === null ? [] : [{ name: c.name, memory: c.memory }]))
    .map(({ name, memory }) => {
      const last = memory.points[memory.points.length - 1];
      const fit = memory.fit;
      return [
        name,
        last ? `${formatN(memory.points[0]?.n ?? 0)}..${formatN(last.n)}` : '-',
        last ? approxBytes(last.bytes) : '-',
        fit ? `${fit.class}${fit.certain ? '' : ' (uncertain)'}` : 'too few points',
        fit === null || fit.exponent === null || fit.class === 'O(1)'
          ? ''
          : `n^${fit.exponent.toFixed(2)}`,
        stopText(memory.stopped),
      ];
    });
}

/** Why a class is not certain, for each implementation whose time (or memory) class is not. */
export function fitReasons(
  report: Report,
  of: 'time' | 'memory',
): Array<{ name: string; reason: string }> {
  return report.complexity.flatMap((c) => {
    const reason = of === 'time' ? c.fit?.reason : c.memory?.fit?.reason;
    return reason ? [{ name: c.name, reason }] : [];
  });
}

export const MEMORY_HEAD = [
  'implementation',
  'n',
  'peak at largest n',
  'class',
  'exponent',
  'stopped',
];

/** Every class's fit error (and bootstrap share) per implementation. */
export function classTable(report: Report): { head: string[]; rows: string[][] } | null {
  const fitted = report.complexity.filter((c) => c.fit !== null);
  const first = fitted[0]?.fit;
  if (first === undefined || first === null) return null;
  const classes = first.classes.map((k) => k.class);
  return {
    head: ['implementation', ...classes],
    rows: fitted.map((c) => [
      c.name,
      ...classes.map((k) => {
        const row = c.fit?.classes.find((r) => r.class === k);
        if (row === undefined) return '';
        return `${percent(row.rms_error)}${row.share > 0 ? ` (${percent(row.share, 0)})` : ''}${k === c.fit?.class ? ' *' : ''}`;
      }),
    ]),
  };
}

export const METHOD_NOTE = `Each size is timed on several seeded inputs; an input counts its best repeat, a size the median over its inputs (the range in brackets is the fastest and slowest input). Every class is fitted as y = a·f(n) + b by least squares on relative error and the one with the lowest BIC is chosen (O(1) when its fitted cost changes by under ${Math.round((FLAT_CHANGE - 1) * 100)} % over the range); confidence is the share of ${DEFAULT_GROWTH_OPTIONS.resamples} bootstrap resamples (inputs and repeats drawn with replacement) that choose it, and below ${DEFAULT_GROWTH_OPTIONS.threshold * 100} %, or when the exponent interval reaches past halfway to the exponent of a neighbouring class over the range, the report says "uncertain" and names the classes the data cannot separate. The exponent is k in y = a·n^k + c with a 90 % bootstrap interval.`;

interface Section {
  title: string;
  lines?: string[];
  table?: { head: string[]; rows: string[][] };
}

function sections(report: Report): Section[] {
  const out: Section[] = [];
  const { structure } = report;
  out.push({
    title: 'Verdict',
    lines: [`${report.verdict.status.toUpperCase()}: ${report.verdict.summary}`],
  });
  const overview: string[] = [];
  for (const target of report.targets) {
    overview.push(`File: ${target.file}${target.module ? ` (module ${target.module})` : ''}`);
  }
  if (structure.available) {
    const count = structure.diagnostics.items.length;
    overview.push(
      `Language server: ${report.language_server ?? 'yes'}; ${
        structure.diagnostics.known
          ? `${count} diagnostic${count === 1 ? '' : 's'}`
          : 'diagnostics not known yet'
      }`,
    );
  } else {
    overview.push(`Language server: unavailable${structure.error ? ` (${structure.error})` : ''}`);
  }
  if (report.load_error !== null)
    overview.push(`Could not load the module in the sandbox:\n${report.load_error.trim()}`);
  if (report.doctests) {
    const { attempted, failed } = report.doctests;
    overview.push(
      `Doctests: ${attempted - failed} of ${attempted} passed${failed > 0 ? ` (${failed} FAILED)` : ''}`,
    );
  }
  if (report.declaration) {
    const d = report.declaration;
    overview.push(
      `Declared by ${d.source === 'ANALYSIS' ? 'ANALYSIS' : 'the options'}: input ${d.input}, sizes ${d.sizes[0] ?? ''}..${d.sizes[d.sizes.length - 1] ?? ''} (${d.sizes.length}), reference ${d.reference}`,
    );
  }
  const env = report.environment;
  overview.push(
    `Environment: Python ${env.python ?? '?'}, ${env.cpus} cpus, load ${env.load_average_start.join(' ')} -> ${env.load_average_end.join(' ')}; seed ${env.seed}, budget ${env.budget_seconds} s per implementation, up to ${env.inputs_per_size} inputs per size`,
  );
  out.push({ title: 'Overview', lines: overview });
  if (report.declaration_errors.length > 0)
    out.push({ title: 'Declaration errors', lines: report.declaration_errors });

  if (structure.functions.length > 0) {
    out.push({
      title: `Functions (${structure.functions_from === 'module' ? 'from the module, loaded in the sandbox' : 'from the language server'})`,
      table: {
        head: ['name', 'line', 'signature', 'summary'],
        rows: structure.functions.map((f) => [
          f.name,
          f.line === null ? '' : String(f.line),
          (f.signature ?? '').replace(/\s+/g, ' ').slice(0, 90),
          (f.doc.split('\n')[0] ?? '').slice(0, 80),
        ]),
      },
    });
  }
  if (structure.diagnostics.items.length > 0) {
    out.push({
      title: 'Diagnostics',
      lines: structure.diagnostics.items.map(
        (d) =>
          `${report.target.file}:${d.line}:${d.column} ${d.severity}: ${d.message.split('\n')[0] ?? ''}`,
      ),
    });
  }
  if (report.doctests && report.doctests.failed > 0) {
    out.push({ title: 'Doctest failures', lines: [report.doctests.report.trim().slice(0, 4000)] });
  }
  if (report.correctness) {
    const reference = report.correctness.reference;
    out.push({
      title: `Correctness (each implementation against ${reference}, on the inputs it is timed on)`,
      table: {
        head: ['implementation', 'result'],
        rows: report.correctness.implementations.map((c) => [
          c.name,
          correctnessText(c, reference),
        ]),
      },
    });
  }
  if (report.complexity.length > 0) {
    out.push({
      title: 'Growth of time (median over inputs, class by BIC, bootstrap confidence)',
      table: { head: GROWTH_HEAD, rows: growthRows(report) },
    });
    const reasons = fitReasons(report, 'time').map(({ name, reason }) => `${name}: ${reason}`);
    if (reasons.length > 0) out.push({ title: 'About these classes', lines: reasons });
    const classes = classTable(report);
    if (classes !== null)
      out.push({
        title: 'Fit error of every class (bootstrap share in brackets, * chosen)',
        table: classes,
      });
    const memory = memoryRows(report);
    if (memory.length > 0)
      out.push({
        title: 'Peak memory per call (tracemalloc, measured apart from the timing)',
        table: { head: MEMORY_HEAD, rows: memory },
      });
    const memoryReasons = fitReasons(report, 'memory').map(
      ({ name, reason }) => `${name}: ${reason}`,
    );
    if (memoryReasons.length > 0)
      out.push({ title: 'About the memory classes', lines: memoryReasons });
  }
  if (report.notes.length > 0) out.push({ title: 'Notes', lines: report.notes });
  return out;
}

/**
 * Control characters shown as `\xHH` (newline and tab kept). Security: the report carries text
 * the module wrote (doctest output, exception messages, docstrings, its file name); an ESC or BEL
 * in it would otherwise drive the reader's terminal: clear it, retitle it, or set its clipboard
 * (OSC 52).
 */
export function visibleControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => {
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

export function renderText(report: Report): string {
  const parts = [`Analysis of ${report.target.name}`, '='.repeat(12 + report.target.name.length)];
  for (const section of sections(report)) {
    parts.push('', section.title, '-'.repeat(section.title.length));
    if (section.lines) parts.push(...section.lines);
    if (section.table) parts.push(...alignTable(section.table.head, section.table.rows));
  }
  parts.push('', METHOD_NOTE);
  return visibleControls(parts.join('\n')) + '\n';
}

function alignTable(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function renderMarkdown(report: Report): string {
  const parts = [
    `# Analysis of ${codeSpan(report.target.name)}`,
    '',
    `_Generated ${report.generated_at} by isolated-pymcp._`,
  ];
  for (const section of sections(report)) {
    parts.push('', `## ${escapeMd(section.title)}`, '');
    if (section.lines) {
      for (const line of section.lines)
        parts.push(line.includes('\n') ? fenced(line) : `- ${escapeMd(line)}`);
    }
    if (section.table) {
      parts.push(
        `| ${section.table.head.map(escapeMd).join(' | ')} |`,
        `|${section.table.head.map(() => '---').join('|')}|`,
      );
      for (const row of section.table.rows) parts.push(`| ${row.map(escapeMd).join(' | ')} |`);
    }
  }
  if (report.complexity.some((c) => c.points.length > 0)) {
    parts.push(
      '',
      '## Timings (median over inputs; fastest..slowest input)',
      '',
      ...timingTable(report),
    );
  }
  parts.push('', `_${METHOD_NOTE}_`);
  return parts.join('\n') + '\n';
}

function timingTable(report: Report): string[] {
  const sizes = [...new Set(report.complexity.flatMap((c) => c.points.map((p) => p.n)))].sort(
    (a, b) => a - b,
  );
  const head = ['n', ...report.complexity.map((c) => escapeMd(c.name))];
  const rows = sizes.map((n) => [
    String(n),
    ...report.complexity.map((c) => {
      const point = c.points.find((p) => p.n === n);
      if (!point) return '';
      return point.high > point.low
        ? `${formatSeconds(point.seconds)} (${formatSeconds(point.low)}..${formatSeconds(point.high)})`
        : formatSeconds(point.seconds);
    }),
  ]);
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/**
 * One line of Markdown text, inert. Security: names, docstrings and messages come from the
 * module; unescaped, `<img onerror=...>` would be raw HTML, `[x](javascript:...)` a link and
 * `![x](http://...)` an image fetched when the report is viewed, and `|` would split a table cell.
 */
function escapeMd(text: string): string {
  return visibleControls(text)
    .replace(/\n/g, ' ')
    .replace(/[\\`*_[\]<>!|~&#]/g, '\\$&');
}

/** Backticks one longer than the longest run in `text`, at least `least`. */
function ticksAround(text: string, least: number): string {
  const runs = text.match(/`+/g) ?? [];
  return '`'.repeat(Math.max(least, ...runs.map((run) => run.length + 1)));
}

/** A code span `text` cannot close early (CommonMark: a longer backtick string). */
function codeSpan(text: string): string {
  const inner = visibleControls(text).replace(/\n/g, ' ');
  const ticks = ticksAround(inner, 1);
  const pad = inner.startsWith('`') || inner.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${inner}${pad}${ticks}`;
}

/** A fenced block `text` cannot close early (its lines may hold ``` of their own). */
function fenced(text: string): string {
  const inner = visibleControls(text);
  const fence = ticksAround(inner, 3);
  return `${fence}\n${inner}\n${fence}`;
}
