import { describe, expect, test } from 'vitest';
import { fitGrowth, type GrowthClass, type Point } from '../../src/analyze/fit.js';

/** Deterministic pseudo-random noise in [-amplitude, amplitude]. */
function noise(seed: number): (amplitude: number) => number {
  let state = seed;
  return (amplitude) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return ((state / 2 ** 31) * 2 - 1) * amplitude;
  };
}

function synth(
  shape: (n: number) => number,
  sizes: number[],
  overhead: number,
  jitter: number,
  seed = 7,
): Point[] {
  const rand = noise(seed);
  return sizes.map((n) => ({ n, seconds: (shape(n) + overhead) * (1 + rand(jitter)) }));
}

const doubling = (from: number, to: number): number[] => {
  const out: number[] = [];
  for (let n = from; n <= to; n *= 2) out.push(n);
  return out;
};

describe('fitGrowth', () => {
  const cases: Array<[GrowthClass, (n: number) => number, number[]]> = [
    ['O(1)', () => 2e-7, doubling(16, 1 << 20)],
    ['O(log n)', (n) => 5e-8 * Math.log2(n), doubling(16, 1 << 20)],
    ['O(n)', (n) => 3e-8 * n, doubling(64, 1 << 20)],
    ['O(n log n)', (n) => 4e-8 * n * Math.log2(n), doubling(64, 1 << 20)],
    ['O(n^2)', (n) => 5e-8 * n * n, doubling(16, 4096)],
    ['O(n^3)', (n) => 5e-9 * n ** 3, doubling(4, 256)],
    ['O(2^n)', (n) => 1e-7 * 1.618 ** n, [4, 8, 12, 16, 20, 22, 24, 26, 28, 30]],
  ];

  test.each(cases)('recognises %s with 5 %% noise and a fixed overhead', (growth, shape, sizes) => {
    const points = synth(shape, sizes, 3e-7, 0.05);
    const fit = fitGrowth(points);
    expect(fit?.best.growth).toBe(growth);
    expect(fit?.best.rmsError).toBeLessThan(0.1);
  });

  test('estimates the base of exponential growth', () => {
    const fit = fitGrowth(synth((n) => 1e-7 * 1.618 ** n, [10, 14, 18, 20, 22, 24, 26], 0, 0.02));
    expect(fit?.best.base).toBeCloseTo(1.618, 1);
  });

  test('prefers the simpler class when a richer one fits no better', () => {
    // Flat data: every class with a constant term can fit it; O(1) must win.
    const fit = fitGrowth(doubling(16, 65536).map((n) => ({ n, seconds: 1e-6 })));
    expect(fit?.best.growth).toBe('O(1)');
  });

  test('reports a weak choice when neighbours fit about as well, a clear one when they do not', () => {
    // ±30 % noise over one and a half decades: the runner-up fits nearly as well.
    const noisy = [64, 128, 256, 512, 1024].map((n, i) => ({
      n,
      seconds: 1e-8 * n * (1 + [0.3, -0.3, 0.25, -0.2, 0.3][i]!),
    }));
    expect(fitGrowth(noisy)).toMatchObject({ best: { growth: 'O(n)' }, confidence: 'weak' });
    const clean = doubling(64, 4096).map((n) => ({ n, seconds: 1e-8 * n }));
    expect(fitGrowth(clean)).toMatchObject({ best: { growth: 'O(n)' }, confidence: 'clear' });
  });

  test('over less than two decades of n, a slight log-factor bend is not enough for O(n log n)', () => {
    // Linear cost that creeps up by 10 % across the range (allocation effects, noise): the log
    // class may fit a little better, but not clearly enough to claim it.
    const points = [4, 6, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44].map((n) => ({
      n,
      seconds: (120 + 19 * n * (1 + n / 440)) * 1e-9,
    }));
    expect(fitGrowth(points)?.best.growth).toBe('O(n)');
  });

  test('over many decades the log factor is kept', () => {
    const points = synth((n) => 4e-8 * n * Math.log2(n), doubling(64, 1 << 20), 3e-7, 0.03);
    expect(fitGrowth(points)?.best.growth).toBe('O(n log n)');
  });

  test('needs at least four usable points', () => {
    expect(
      fitGrowth([
        { n: 1, seconds: 1 },
        { n: 2, seconds: 2 },
        { n: 4, seconds: 4 },
      ]),
    ).toBeNull();
    expect(fitGrowth([1, 2, 4, 8].map((n) => ({ n, seconds: 0 })))).toBeNull();
  });
});
