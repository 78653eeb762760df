/** Summary statistics and plain-text tables for the benchmark's output. */

/** The p-th percentile (0..100) by linear interpolation between closest ranks (numpy's default). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low]!;
  const b = sorted[high]!;
  return a + (b - a) * (rank - low);
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    min: Math.min(...samples),
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean: samples.reduce((sum, x) => sum + x, 0) / samples.length,
    max: Math.max(...samples),
  };
}

/** Milliseconds with precision that suits their size: 0.84 ms, 12.3 ms, 612 ms. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  // Thresholds after rounding, so 99.97 prints as "100 ms", not "100.0 ms".
  if (value < 9.995) return `${value.toFixed(2)} ms`;
  if (value < 99.95) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(0)} ms`;
}

export function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

export function ratio(value: number): string {
  return `${value.toFixed(2)}x`;
}

/** "PASS (<= 2 ms)" / "FAIL (<= 2 ms)": a figure against its target. */
export function verdict(value: number, limit: number, label: string): string {
  return `${value <= limit ? 'PASS' : 'FAIL'} (<= ${label})`;
}

export const LATENCY_HEADER = ['measure', 'n', 'p50', 'p99', 'mean', 'min', 'target'];

/** One row under LATENCY_HEADER. */
export function latencyRow(name: string, s: Summary, target = ''): string[] {
  return [name, String(s.n), ms(s.p50), ms(s.p99), ms(s.mean), ms(s.min), target];
}

/** A titled table with left-aligned first column and right-aligned figures. */
export function renderTable(
  title: string,
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  notes: readonly string[] = [],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(header), rule, ...rows.map(line), ...notes.map((n) => `  ${n}`), ''].join(
    '\n',
  );
}
