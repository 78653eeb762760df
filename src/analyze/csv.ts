/** The raw timing samples as CSV: one row per timed repeat, the material of every figure. */
import type { SampleRow } from './analyze.js';

export function samplesCsv(rows: readonly SampleRow[]): string {
  const quote = (text: string): string =>
    /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  const lines = ['implementation,n,input,repeat,seconds_per_call'];
  for (const row of rows) {
    lines.push(`${quote(row.implementation)},${row.n},${row.input},${row.repeat},${row.seconds}`);
  }
  return lines.join('\n') + '\n';
}
