/** Fits as the report states them: rounded, with every class's row, for time and memory. */
import { fitClasses, fitPowerLaw, MIN_POINTS, selectClass, sizesShowingGrowth } from './fit.js';
import type { GrowthFit } from './growth-stats.js';
import type { ComplexityEntry } from './report.js';

/** Under this peak at every size, memory is O(1) without fitting (allocator noise). */
const MEMORY_FLOOR_BYTES = 1024;
/**
 * A memory class is certain when it fits every peak within this relative error. Peaks do not
 * vary between runs, but allocators grow in steps (a list or dict doubling, CPython's frame
 * stack taking a new chunk in deep recursion), so a true class is often 10-15 % off; a class
 * 25-40 % off is the nearest of several bad fits (measured on the bundled modules).
 */
export const MEMORY_FIT_TOLERANCE = 0.2;
/** O(2^n) is a candidate only when its growth shows at this many sizes (else it fits a step). */
const MIN_GROWTH_SIZES = 3;

export function growthFitOf(growth: GrowthFit): NonNullable<ComplexityEntry['fit']> {
  const ranked = [...growth.all].sort((a, b) => a.bic - b.bic);
  const runnerUp = ranked.find((f) => f !== growth.chosen) ?? null;
  return {
    class: growth.chosen.growth,
    confidence: round(growth.confidence),
    certain: growth.certain,
    alternatives: growth.alternatives.map((a) => ({ class: a.growth, share: round(a.share) })),
    reason: growth.reason,
    rms_error: round(growth.chosen.rmsError),
    coefficients: { a: sig(growth.chosen.a), b: sig(growth.chosen.b) },
    base: growth.chosen.base === undefined ? null : round(growth.chosen.base),
    exponent:
      growth.exponent === null
        ? null
        : {
            value: round(growth.exponent.value, 100),
            low: round(growth.exponent.low, 100),
            high: round(growth.exponent.high, 100),
          },
    runner_up: runnerUp?.growth ?? null,
    runner_up_rms_error: runnerUp ? round(runnerUp.rmsError) : null,
    classes: growth.all.map((f) => ({
      class: f.growth,
      rms_error: round(f.rmsError),
      bic: round(f.bic, 100),
      share: round(growth.shares[f.growth]),
      a: sig(f.a),
      b: sig(f.b),
      base: f.base === undefined ? null : round(f.base),
    })),
  };
}

/**
 * The class of peak memory against n: O(1) when every peak is under a kilobyte, else BIC (O(2^n)
 * only when its growth shows at MIN_GROWTH_SIZES sizes or more), certain when it fits every
 * peak within MEMORY_FIT_TOLERANCE.
 */
export function memoryFit(
  points: ReadonlyArray<{ n: number; bytes: number }>,
): NonNullable<ComplexityEntry['memory']>['fit'] {
  if (points.length < MIN_POINTS) return null;
  if (points.every((p) => p.bytes < MEMORY_FLOOR_BYTES)) {
    return {
      class: 'O(1)',
      rms_error: 0,
      coefficients: { a: 0, b: Math.max(...points.map((p) => p.bytes)) },
      exponent: 0,
      classes: [],
      certain: true,
      reason: null,
    };
  }
  // Allocator noise is tens of bytes: a floor keeps a 0-byte point from dominating the fit.
  const floored = points.map((p) => ({ n: p.n, seconds: Math.max(p.bytes, 64) }));
  const all = fitClasses(floored);
  const ns = floored.map((p) => p.n);
  const chosen = selectClass(
    all.filter((f) => f.growth !== 'O(2^n)' || sizesShowingGrowth(f, ns) >= MIN_GROWTH_SIZES),
  );
  if (chosen === null) return null;
  const power = fitPowerLaw(floored);
  const off = chosen.rmsError > MEMORY_FIT_TOLERANCE;
  return {
    class: chosen.growth,
    certain: !off,
    reason: off
      ? `no class fits every peak within ${Math.round(MEMORY_FIT_TOLERANCE * 100)} %: the nearest, ${chosen.growth}, is ${Math.round(chosen.rmsError * 100)} % off (a step in the peaks, or a cost between classes)`
      : null,
    rms_error: round(chosen.rmsError),
    coefficients: { a: sig(chosen.a), b: sig(chosen.b) },
    exponent: power === null || chosen.growth === 'O(2^n)' ? null : round(power.exponent, 100),
    classes: all.map((f) => ({ class: f.growth, rms_error: round(f.rmsError) })),
  };
}

/** Four significant digits. */
export function sig(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value;
}

export function round(value: number, scale = 10_000): number {
  return Math.round(value * scale) / scale;
}
