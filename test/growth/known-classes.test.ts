/**
 * Fitted growth classes of implementations whose class is known, measured for real on this
 * machine. Runs alone (GROWTH=1) so other test files add less noise, but the machine may still be
 * loaded: these tests assert what load cannot change. A report may call a class uncertain (then
 * the right class must be among the ones it names), but it must never be certain and wrong; pairs
 * are far apart (exponential against linear, n^2 against n log n, log n against n); and memory
 * peaks, which load does not move, are asserted exactly.
 */
import { describe, expect, test } from 'vitest';
import type { Report } from '../../src/analyze/report.js';
import { runCli } from '../helpers/cli.js';

type Entry = Report['complexity'][number];

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

function entry(report: Report, name: string): Entry {
  const found = report.complexity.find((c) => c.name === name);
  expect(found?.fit, `${name} was fitted`).toBeTruthy();
  return found as Entry;
}

/** Certain and right, or uncertain with the right class among those it names. */
function expectClass(e: Entry, expected: string): void {
  const fit = e.fit;
  if (fit === null) throw new Error(`${e.name}: no fit`);
  const named = [fit.class, ...fit.alternatives.map((a) => a.class)];
  if (fit.certain) expect(fit.class, `${e.name} (certain)`).toBe(expected);
  else expect(named, `${e.name} (uncertain: ${fit.reason ?? ''})`).toContain(expected);
  expect(fit.confidence).toBe(fit.classes.find((c) => c.class === fit.class)?.share);
}

const exponent = (e: Entry): number => e.fit?.exponent?.value ?? NaN;

describe('fitted growth classes of known implementations', () => {
  test('naive recursive Fibonacci is exponential (base ~1.6) and the iterative one linear', async () => {
    const report = await analyse('growth_fibonacci');
    const naive = entry(report, 'fib_naive');
    const iterative = entry(report, 'fib_iterative');
    expectClass(naive, 'O(2^n)');
    expect(naive.fit?.base).toBeGreaterThan(1.4);
    expect(naive.fit?.base).toBeLessThan(1.9);
    expectClass(iterative, 'O(n)');
    // Memory: the loop keeps two numbers, whatever n is.
    expect(iterative.memory?.fit?.class).toBe('O(1)');
  }, 180_000);

  test('bubble sort is quadratic and merge sort n log n, exponents far apart', async () => {
    const report = await analyse('growth_sorting');
    const bubble = entry(report, 'bubble_sort');
    const merge = entry(report, 'merge_sort');
    expectClass(bubble, 'O(n^2)');
    expectClass(merge, 'O(n log n)');
    expect(exponent(bubble)).toBeGreaterThan(exponent(merge) + 0.5);
    // Both build a new list of n items: linear memory.
    expect(bubble.memory?.fit?.class).toBe('O(n)');
    expect(merge.memory?.fit?.class).toBe('O(n)');
  }, 180_000);

  test('binary search is logarithmic and linear search linear', async () => {
    const report = await analyse('growth_searching');
    const binary = entry(report, 'binary_search');
    const linear = entry(report, 'linear_search');
    expectClass(binary, 'O(log n)');
    expectClass(linear, 'O(n)');
    expect(exponent(linear)).toBeGreaterThan(exponent(binary) + 0.5);
    expect(binary.memory?.fit?.class).toBe('O(1)');
    expect(linear.memory?.fit?.class).toBe('O(1)');
  }, 180_000);
});
