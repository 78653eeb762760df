/**
 * The fitted class is right for implementations whose class is known, measured for real on
 * this machine. Runs alone (GROWTH=1) so other test files do not add noise.
 */
import { describe, expect, test } from 'vitest';
import type { Report } from '../../src/analyze/report.js';
import { runCli } from '../helpers/cli.js';

async function analyse(fixture: string): Promise<Report> {
  const result = await runCli(
    [
      'analyze',
      `test/fixtures/growth/${fixture}.py`,
      '--format',
      'json',
      '--lsp',
      'off',
      '--budget',
      '3',
    ],
    { timeoutMs: 180_000 },
  );
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

const fitted = (report: Report, name: string): string | undefined =>
  report.complexity.find((c) => c.name === name)?.fit?.class;

describe('fitted growth classes of known implementations', () => {
  test('naive recursive Fibonacci is exponential and the iterative one linear', async () => {
    const report = await analyse('growth_fibonacci');
    expect(fitted(report, 'fib_naive')).toBe('O(2^n)');
    expect(report.complexity.find((c) => c.name === 'fib_naive')?.fit?.base).toBeGreaterThan(1.4);
    expect(fitted(report, 'fib_iterative')).toBe('O(n)');
  }, 180_000);

  test('bubble sort is quadratic and merge sort n log n', async () => {
    const report = await analyse('growth_sorting');
    expect(fitted(report, 'bubble_sort')).toBe('O(n^2)');
    expect(fitted(report, 'merge_sort')).toBe('O(n log n)');
  }, 180_000);

  test('binary search is logarithmic and linear search linear', async () => {
    const report = await analyse('growth_searching');
    expect(fitted(report, 'binary_search')).toBe('O(log n)');
    expect(fitted(report, 'linear_search')).toBe('O(n)');
  }, 180_000);
});
