/** The report as terminal text and as Markdown. */
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

const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;

interface Section {
  title: string;
  lines?: string[];
  table?: { head: string[]; rows: string[][] };
}

function sections(report: Report): Section[] {
  const out: Section[] = [];
  const { structure } = report;
  const overview: string[] = [];
  overview.push(
    `File: ${report.target.file}${report.target.module ? ` (module ${report.target.module})` : ''}`,
  );
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
  out.push({ title: 'Overview', lines: overview });

  if (structure.functions.length > 0) {
    out.push({
      title: 'Functions (from the language server)',
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
    out.push({
      title: `Correctness (each implementation against ${report.correctness.reference})`,
      table: {
        head: ['implementation', 'result'],
        rows: report.correctness.implementations.map((c) => [
          c.name,
          c.name === report.correctness?.reference
            ? 'reference'
            : c.failure === null
              ? `agrees on ${c.agreed} inputs`
              : `DISAGREES at n=${c.failure.n}: input ${c.failure.input}, expected ${c.failure.expected}, got ${c.failure.got}`,
        ]),
      },
    });
  }
  if (report.complexity.length > 0) {
    out.push({
      title: 'Growth (best time per call, fitted by least squares)',
      table: {
        head: [
          'implementation',
          'n',
          'time at largest n',
          'fitted class',
          'fit error',
          'runner-up',
          'stopped',
        ],
        rows: report.complexity.map((c) => {
          const last = c.points[c.points.length - 1];
          const first = c.points[0];
          return [
            c.name,
            first && last ? `${first.n}..${last.n}` : '-',
            last ? formatSeconds(last.seconds) : '-',
            c.fit
              ? `${fitLabel(c.fit)}${c.fit.confidence === 'weak' ? ' (weak)' : ''}`
              : 'too few points',
            c.fit ? percent(c.fit.rms_error) : '',
            c.fit?.runner_up ? `${c.fit.runner_up} ${percent(c.fit.runner_up_rms_error ?? 0)}` : '',
            c.stopped ?? '',
          ];
        }),
      },
    });
  }
  if (report.notes.length > 0) out.push({ title: 'Notes', lines: report.notes });
  return out;
}

export function renderText(report: Report): string {
  const parts = [`Analysis of ${report.target.name}`, '='.repeat(12 + report.target.name.length)];
  for (const section of sections(report)) {
    parts.push('', section.title, '-'.repeat(section.title.length));
    if (section.lines) parts.push(...section.lines);
    if (section.table) parts.push(...alignTable(section.table.head, section.table.rows));
  }
  parts.push(
    '',
    'Fit error is the RMS relative error of the fitted curve; "weak" means the runner-up fits almost as well.',
  );
  return parts.join('\n') + '\n';
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
    `# Analysis of \`${report.target.name}\``,
    '',
    `_Generated ${report.generated_at} by isolated-pymcp._`,
  ];
  for (const section of sections(report)) {
    parts.push('', `## ${section.title}`, '');
    if (section.lines) {
      for (const line of section.lines)
        parts.push(line.includes('\n') ? '```\n' + line + '\n```' : `- ${escapeMd(line)}`);
    }
    if (section.table) {
      parts.push(
        `| ${section.table.head.join(' | ')} |`,
        `|${section.table.head.map(() => '---').join('|')}|`,
      );
      for (const row of section.table.rows) parts.push(`| ${row.map(escapeMd).join(' | ')} |`);
    }
  }
  if (report.complexity.some((c) => c.points.length > 0)) {
    parts.push('', '## Timings', '', ...timingTable(report));
  }
  return parts.join('\n') + '\n';
}

function timingTable(report: Report): string[] {
  const sizes = [...new Set(report.complexity.flatMap((c) => c.points.map((p) => p.n)))].sort(
    (a, b) => a - b,
  );
  const head = ['n', ...report.complexity.map((c) => c.name)];
  const rows = sizes.map((n) => [
    String(n),
    ...report.complexity.map((c) => {
      const point = c.points.find((p) => p.n === n);
      return point ? formatSeconds(point.seconds) : '';
    }),
  ]);
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

function escapeMd(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
