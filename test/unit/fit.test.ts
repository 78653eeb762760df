import { describe, expect, test } from 'vitest';
import {
  fitClasses,
  fitPowerLaw,
  selectClass,
  type GrowthClass,
  type Point,
} from '../../src/analyze/fit.js';
import {
  analyseGrowth,
  straddledNeighbours,
  summarise,
  type SampleSet,
} from '../../src/analyze/growth-stats.js';

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

/** Samples as the probe returns them: `inputs` inputs per size, `repeats` timings each. */
function samples(
  shape: (n: number) => number,
  sizes: number[],
  { inputs = 3, repeats = 8, jitter = 0.05, inputSpread = 0, seed = 11 } = {},
): SampleSet {
  const rand = noise(seed);
  return sizes.map((n) => ({
    n,
    inputs: Array.from({ length: inputs }, (_, i) => {
      const cost = shape(n) * (1 + inputSpread * (i - (inputs - 1) / 2));
      // Noise only adds: a repeat is the cost plus up to `jitter` more (and, rarely, much more).
      return Array.from(
        { length: repeats },
        (_, r) => cost * (1 + Math.abs(rand(jitter)) + (r === 3 ? 2 : 0)),
      );
    }),
  }));
}

const doubling = (from: number, to: number): number[] => {
  const out: number[] = [];
  for (let n = from; n <= to; n *= 2) out.push(n);
  return out;
};

const chosen = (points: Point[]): GrowthClass | undefined =>
  selectClass(fitClasses(points))?.growth;

describe('fitClasses and selectClass', () => {
  const cases: Array<[GrowthClass, (n: number) => number, number[]]> = [
    ['O(1)', () => 2e-7, doubling(16, 1 << 20)],
    ['O(log n)', (n) => 5e-8 * Math.log2(n), doubling(16, 1 << 20)],
    ['O(n)', (n) => 3e-8 * n, doubling(64, 1 << 20)],
    ['O(n log n)', (n) => 4e-8 * n * Math.log2(n), doubling(64, 1 << 20)],
    ['O(n^1.5)', (n) => 4e-8 * n ** 1.5, doubling(16, 1 << 16)],
    ['O(n^2)', (n) => 5e-8 * n * n, doubling(16, 4096)],
    ['O(n^3)', (n) => 5e-9 * n ** 3, doubling(4, 256)],
    ['O(2^n)', (n) => 1e-7 * 1.618 ** n, [4, 8, 12, 16, 20, 22, 24, 26, 28, 30]],
  ];

  test.each(cases)('recognises %s with 5 %% noise and a fixed overhead', (growth, shape, sizes) => {
    const fits = fitClasses(synth(shape, sizes, 3e-7, 0.05));
    const best = selectClass(fits);
    expect(best?.growth).toBe(growth);
    expect(best?.rmsError).toBeLessThan(0.1);
    // Every class is fitted and reported, not only the winner.
    expect(fits.map((f) => f.growth)).toHaveLength(8);
  });

  test('estimates the base of exponential growth', () => {
    const fit = selectClass(
      fitClasses(synth((n) => 1e-7 * 1.618 ** n, [10, 14, 18, 20, 22, 24, 26], 0, 0.02)),
    );
    expect(fit?.base).toBeCloseTo(1.618, 1);
  });

  test('flat data is O(1): a class with an extra parameter must earn it (BIC)', () => {
    expect(chosen(synth(() => 1e-6, doubling(16, 65536), 0, 0.03))).toBe('O(1)');
  });

  test('needs at least four usable points', () => {
    expect(fitClasses([1, 2, 4].map((n) => ({ n, seconds: n })))).toEqual([]);
    expect(fitClasses([1, 2, 4, 8].map((n) => ({ n, seconds: 0 })))).toEqual([]);
  });
});

describe('fitPowerLaw', () => {
  test('Strassen-like cost shows an exponent near 2.81, not a forced class', () => {
    const power = fitPowerLaw(synth((n) => 1e-8 * n ** 2.807, doubling(8, 1024), 2e-6, 0.03));
    expect(power?.exponent).toBeGreaterThan(2.7);
    expect(power?.exponent).toBeLessThan(2.9);
  });

  test('sieve-like n log log n cost shows an exponent near 1.0', () => {
    const power = fitPowerLaw(
      synth((n) => 1e-8 * n * Math.log2(Math.log2(n)), doubling(128, 1 << 20), 1e-6, 0.02),
    );
    expect(power?.exponent).toBeGreaterThan(0.95);
    expect(power?.exponent).toBeLessThan(1.15);
  });
});

describe('summarise', () => {
  test('an input costs its best repeat; a size the median over inputs, with the spread', () => {
    const [point] = summarise([
      {
        n: 10,
        inputs: [
          [3, 2, 9],
          [5, 7],
          [1, 8, 1.5],
        ],
      },
    ]);
    expect(point).toMatchObject({ n: 10, seconds: 2, low: 1, high: 5, inputs: 3, rounds: 2 });
  });
});

describe('analyseGrowth (bootstrap confidence)', () => {
  test('clearly separated data give a certain class with an exponent interval around the truth', () => {
    const fit = analyseGrowth(samples((n) => 1e-8 * n * n + 1e-6, doubling(16, 4096)));
    expect(fit?.chosen.growth).toBe('O(n^2)');
    expect(fit?.certain).toBe(true);
    expect(fit?.confidence).toBeGreaterThanOrEqual(0.9);
    expect(fit?.exponent?.low).toBeLessThanOrEqual(2);
    expect(fit?.exponent?.high).toBeGreaterThanOrEqual(1.9);
  });

  test('input-dependent cost (a wide spread between inputs) still finds the class from the medians', () => {
    const fit = analyseGrowth(
      samples((n) => 1e-8 * n * n, [10, 30, 100, 300, 1000, 2000, 4000], {
        inputs: 5,
        inputSpread: 0.4,
      }),
    );
    expect(fit?.chosen.growth).toBe('O(n^2)');
  });

  test('when the data cannot separate two classes, it says so and names both', () => {
    // Linear cost with a 12 % bend over half a decade, and noisy repeats: n and n log n fit
    // about equally well.
    const fit = analyseGrowth(
      samples((n) => 1e-8 * n * (1 + n / 300) + 2e-7, [14, 18, 22, 26, 30, 34, 38, 44], {
        jitter: 0.25,
        repeats: 4,
        inputs: 1,
      }),
    );
    expect(fit?.certain).toBe(false);
    expect(fit?.alternatives.length).toBeGreaterThan(0);
    expect(fit?.reason).toMatch(/uncertain: .* the data cannot separate them/);
    const named = [fit?.chosen.growth, ...(fit?.alternatives.map((a) => a.growth) ?? [])];
    expect(named).toEqual(expect.arrayContaining(['O(n)', 'O(n log n)']));
  });

  test('a class chosen over a lower-error one says why', () => {
    // Flat with ±3 % noise and a 0.2 % drift per doubling: O(log n) has the lower error, but
    // not by enough to pay for its extra parameter.
    const data = doubling(16, 65536).map((n, i) => ({
      n,
      inputs: [[1e-6 * (1 + (i % 2 ? 0.03 : -0.03) + 0.002 * Math.log2(n))]],
    }));
    const fit = analyseGrowth(data);
    expect(fit?.chosen.growth).toBe('O(1)');
    const logFit = fit?.all.find((f) => f.growth === 'O(log n)');
    expect(logFit?.rmsError).toBeLessThan(fit?.chosen.rmsError ?? 0);
    expect(fit?.reason).toMatch(/O\(log n\) fits slightly better \(2\.9 % against 3\.0 %\) .* BIC/);
  });

  test('a drift of a few per cent over the whole range is O(1), with the class that fitted it named', () => {
    // 55 ns -> 60 ns over n = 16..4096, smooth in log n: BIC prefers O(log n), but the whole
    // change is 9 %.
    const data = doubling(16, 4096).map((n) => ({
      n,
      inputs: [[55e-9 * (1 + 0.0115 * (Math.log2(n) - 4))]],
    }));
    const fit = analyseGrowth(data);
    expect(fit?.chosen.growth).toBe('O(1)');
    expect(fit?.certain).toBe(true);
    expect(fit?.reason).toMatch(
      /the cost changes by only 9 % from n=16 to n=4096, so it is reported as O\(1\); O\(log n\) fits that drift best/,
    );
  });

  test('an exponent interval past halfway to a neighbouring class makes the class uncertain', () => {
    // n + n log n / 8: a recursion's per-call cost plus a small n log n term. The resamples
    // agree on one class (the bend is in every sample), but the exponent sits between n and
    // n log n, so the report must not be certain of either.
    const fit = analyseGrowth(
      samples((n) => 1e-8 * n * (1 + Math.log2(n) / 8) + 1e-6, doubling(16, 131072), {
        jitter: 0.02,
      }),
    );
    expect(fit?.confidence).toBeGreaterThanOrEqual(0.9);
    expect(fit?.certain).toBe(false);
    const named = [fit?.chosen.growth, ...(fit?.alternatives.map((a) => a.growth) ?? [])];
    expect(named).toEqual(expect.arrayContaining(['O(n)', 'O(n log n)']));
    expect(fit?.reason).toMatch(/the exponent's interval \(.*\) reaches past halfway from O\(n/);
  });

  test('the neighbours an exponent interval reaches towards, over the measured sizes', () => {
    const sizes = doubling(16, 131072);
    const towards = straddledNeighbours('O(n)', { low: 1.04, high: 1.11 }, sizes);
    expect(towards.map((t) => t.growth)).toEqual(['O(n log n)']);
    expect(towards[0]?.exponent).toBeGreaterThan(1.1);
    expect(towards[0]?.exponent).toBeLessThan(1.25);
    expect(straddledNeighbours('O(n)', { low: 0.99, high: 1.03 }, sizes)).toEqual([]);
    expect(straddledNeighbours('O(n^2)', { low: 1.95, high: 2.06 }, sizes)).toEqual([]);
    expect(
      straddledNeighbours('O(n^1.5)', { low: 1.31, high: 1.46 }, sizes).map((t) => t.growth),
    ).toEqual(['O(n log n)']);
    // O(log n) and O(1) have no exponent to compare: the rule leaves them alone.
    expect(straddledNeighbours('O(log n)', { low: 0, high: 0.6 }, sizes)).toEqual([]);
  });

  test('the same samples and seed give the same confidence', () => {
    const data = samples((n) => 1e-8 * n, doubling(16, 8192), { jitter: 0.3 });
    expect(analyseGrowth(data)?.shares).toEqual(analyseGrowth(data)?.shares);
  });
});
