/**
 * From raw timing samples to a growth class with a measured confidence.
 *
 * Samples come as, for each size n, one list of repeated timings per seeded input. An input's
 * cost is the minimum of its repeats (timeit's rule: noise only adds); a size's cost is the
 * median over its inputs, and the smallest and largest input costs are its spread. The class is
 * chosen on those medians (fit.ts: BIC over relative residuals). Its confidence is a bootstrap:
 * draw the sizes, the inputs of each size and the repeats of each input with replacement,
 * recompute the medians, refit, and count how often each class is chosen. The same resamples give an
 * interval for the power-law exponent.
 */
import {
  classShape,
  fitClasses,
  fitPowerLaw,
  selectClass,
  GROWTH_CLASSES,
  type ClassFit,
  type GrowthClass,
  type Point,
} from './fit.js';
import { mulberry32 } from '../shared/prng.js';

/** For each size, the repeated timings (seconds per call) of each input. */
export type SampleSet = ReadonlyArray<{ n: number; inputs: ReadonlyArray<readonly number[]> }>;

interface SummaryPoint {
  n: number;
  /** Median over inputs of each input's best time. */
  seconds: number;
  /** Best time of the fastest and of the slowest input. */
  low: number;
  high: number;
  inputs: number;
  /** Fewest repeats of any input at this size. */
  rounds: number;
  /** Median over inputs of (median repeat / best repeat - 1): how noisy the machine was. */
  noise: number;
}

export interface GrowthOptions {
  resamples: number;
  seed: number;
  /** Share of resamples the chosen class needs to be reported as certain. */
  threshold: number;
}

export interface GrowthFit {
  chosen: ClassFit;
  all: ClassFit[];
  /** Share of bootstrap resamples choosing each class. */
  shares: Record<GrowthClass, number>;
  confidence: number;
  certain: boolean;
  /** Other classes chosen by at least 5 % of the resamples, most often first. */
  alternatives: Array<{ growth: GrowthClass; share: number }>;
  /** Why the chosen class is not the one with the lowest error, or what is uncertain. */
  reason: string | null;
  exponent: { value: number; low: number; high: number } | null;
}

/**
 * A fitted cost that changes by less than this factor over the whole measured range is reported
 * as O(1): such a drift (a few nanoseconds as integers leave CPython's small-int cache, say) is
 * real, and BIC may well prefer a growing class for it, but it says more about the machine than
 * about the algorithm. The reason then says which class fitted the drift.
 */
export const FLAT_CHANGE = 1.2;

interface Decision {
  chosen: ClassFit;
  all: ClassFit[];
  /** Set when a growing class fitted best but its whole change is under FLAT_CHANGE. */
  flat: { fitted: ClassFit; change: number; from: number; to: number } | null;
}

/** The class for these points: lowest BIC, or O(1) when the best fit barely changes. */
export function decide(points: readonly Point[]): Decision | null {
  const all = fitClasses(points);
  const best = selectClass(all);
  if (best === null) return null;
  const constant = all.find((f) => f.growth === 'O(1)');
  if (best.growth === 'O(1)' || constant === undefined) return { chosen: best, all, flat: null };
  const ns = points.map((p) => p.n);
  const from = Math.min(...ns);
  const to = Math.max(...ns);
  const change = best.predict(to) / best.predict(from);
  if (change < FLAT_CHANGE)
    return { chosen: constant, all, flat: { fitted: best, change, from, to } };
  return { chosen: best, all, flat: null };
}

export const DEFAULT_GROWTH_OPTIONS: GrowthOptions = { resamples: 200, seed: 1, threshold: 0.9 };

export function summarise(samples: SampleSet): SummaryPoint[] {
  const out: SummaryPoint[] = [];
  for (const { n, inputs } of samples) {
    const usable = inputs.filter((r) => r.length > 0);
    if (usable.length === 0) continue;
    const bests = usable.map((r) => Math.min(...r));
    out.push({
      n,
      seconds: median(bests),
      low: Math.min(...bests),
      high: Math.max(...bests),
      inputs: usable.length,
      rounds: Math.min(...usable.map((r) => r.length)),
      noise: median(usable.map((r) => median(r) / Math.min(...r) - 1)),
    });
  }
  return out.sort((a, b) => a.n - b.n);
}

export function analyseGrowth(
  samples: SampleSet,
  options: GrowthOptions = DEFAULT_GROWTH_OPTIONS,
): GrowthFit | null {
  const points: Point[] = summarise(samples).map((p) => ({ n: p.n, seconds: p.seconds }));
  const decision = decide(points);
  if (decision === null) return null;
  const { chosen, all, flat } = decision;
  const counts = new Map<GrowthClass, number>();
  const exponents: number[] = [];
  const random = mulberry32(options.seed);
  const pick = (length: number): number => Math.floor(random() * length);
  const sizes = samples
    .map(({ n, inputs }) => ({ n, inputs: inputs.filter((r) => r.length > 0) }))
    .filter((s) => s.inputs.length > 0);
  for (let b = 0; b < options.resamples; b += 1) {
    // Sizes are drawn with replacement too (a pairs bootstrap): a class that wins only thanks
    // to one or two sizes (a cache step, a slow spell) then loses in many resamples.
    const resampled: Point[] = [];
    for (let k = 0; k < sizes.length; k += 1) {
      const { n, inputs } = sizes[pick(sizes.length)] ?? { n: 0, inputs: [] };
      const bests: number[] = [];
      for (let i = 0; i < inputs.length; i += 1) {
        const rounds = inputs[pick(inputs.length)] ?? [];
        let best = Infinity;
        for (let j = 0; j < rounds.length; j += 1)
          best = Math.min(best, rounds[pick(rounds.length)] ?? Infinity);
        bests.push(best);
      }
      resampled.push({ n, seconds: median(bests) });
    }
    const winner = decide(resampled)?.chosen;
    if (winner !== undefined) counts.set(winner.growth, (counts.get(winner.growth) ?? 0) + 1);
    const power = fitPowerLaw(resampled);
    if (power !== null) exponents.push(power.exponent);
  }
  const total = [...counts.values()].reduce((s, c) => s + c, 0) || 1;
  const shares = Object.fromEntries(
    GROWTH_CLASSES.map((g) => [g, (counts.get(g) ?? 0) / total]),
  ) as Record<GrowthClass, number>;
  const confidence = shares[chosen.growth];
  const power = fitPowerLaw(points);
  const sorted = [...exponents].sort((a, b) => a - b);
  const exponent =
    power === null || chosen.growth === 'O(2^n)'
      ? null
      : {
          value: power.exponent,
          low: quantile(sorted, 0.05) ?? power.exponent,
          high: quantile(sorted, 0.95) ?? power.exponent,
        };
  const straddled =
    exponent === null
      ? []
      : straddledNeighbours(
          chosen.growth,
          exponent,
          points.map((p) => p.n),
        );
  const certain = confidence >= options.threshold && straddled.length === 0;
  const alternatives = GROWTH_CLASSES.filter(
    (g) => g !== chosen.growth && (shares[g] >= 0.05 || straddled.some((s) => s.growth === g)),
  )
    .map((growth) => ({ growth, share: shares[growth] }))
    .sort((a, b) => b.share - a.share);
  return {
    chosen,
    all,
    shares,
    confidence,
    certain,
    alternatives,
    reason: explain(chosen, all, certain, confidence, alternatives, flat, exponent, straddled),
    exponent,
  };
}

function explain(
  chosen: ClassFit,
  all: readonly ClassFit[],
  certain: boolean,
  confidence: number,
  alternatives: ReadonlyArray<{ growth: GrowthClass; share: number }>,
  flat: Decision['flat'],
  exponent: GrowthFit['exponent'],
  straddled: readonly Neighbour[],
): string | null {
  const parts: string[] = [];
  const lowest = [...all].sort((a, b) => a.rmsError - b.rmsError)[0];
  if (flat !== null) {
    parts.push(
      `the cost changes by only ${pct(flat.change - 1, 0)} from n=${flat.from} to n=${flat.to}, so it is reported as O(1); ${flat.fitted.growth} fits that drift best (${pct(flat.fitted.rmsError)} against ${pct(chosen.rmsError)})`,
    );
  } else if (lowest !== undefined && lowest !== chosen && lowest.rmsError < chosen.rmsError) {
    parts.push(
      `${lowest.growth} fits slightly better (${pct(lowest.rmsError)} against ${pct(chosen.rmsError)}) but has ${lowest.parameters - chosen.parameters} more parameter${lowest.parameters - chosen.parameters === 1 ? '' : 's'}, and BIC charges ln(N) for each`,
    );
  }
  if (exponent !== null && straddled.length > 0) {
    const own = straddled[0]?.own ?? 0;
    const named = straddled.map((s) => `${s.growth}'s ${s.exponent.toFixed(2)}`).join(' and ');
    parts.push(
      `the exponent's interval (${exponent.low.toFixed(2)} to ${exponent.high.toFixed(2)}) reaches past halfway from ${chosen.growth}'s ${own.toFixed(2)} to ${named} over this range, so the class is not certain whatever the resamples chose`,
    );
  }
  if (!certain) {
    const others = alternatives.map((a) => `${a.growth} in ${pct(a.share, 0)}`).join(', ');
    parts.push(
      `uncertain: ${chosen.growth} was chosen in ${pct(confidence, 0)} of the bootstrap resamples${others ? `, ${others}` : ''}${alternatives.length > 0 ? '; the data cannot separate them' : ''}`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : null;
}

/** The classes whose curve the exponent can tell apart: their exponents are 1 or more. */
const POLYNOMIAL: readonly GrowthClass[] = ['O(n)', 'O(n log n)', 'O(n^1.5)', 'O(n^2)', 'O(n^3)'];

interface Neighbour {
  growth: GrowthClass;
  /** The neighbour's own exponent over the measured sizes (n log n's is above 1: 1.17 over 10..10^5). */
  exponent: number;
  /** The chosen class's own exponent over the same sizes. */
  own: number;
}

/**
 * The neighbouring classes (next lower and next higher among O(n) .. O(n^3)) whose exponent,
 * over the measured sizes, the chosen class's exponent interval reaches past halfway towards. The
 * bootstrap cannot see a bend that is the same in every sample (a cost per element that rises
 * with n, a term that only shows at large n); the exponent can: an interval from 1.04 to 1.11,
 * with O(n log n) at 1.17 over the range, says n log n as much as n.
 */
export function straddledNeighbours(
  growth: GrowthClass,
  exponent: { low: number; high: number },
  sizes: readonly number[],
): Neighbour[] {
  if (!POLYNOMIAL.includes(growth) || sizes.length < 2) return [];
  const own = (g: GrowthClass): number | null => {
    const shape = classShape(g);
    return fitPowerLaw(sizes.map((n) => ({ n, seconds: shape(n) })))?.exponent ?? null;
  };
  const mine = own(growth);
  if (mine === null) return [];
  const index = POLYNOMIAL.indexOf(growth);
  const out: Neighbour[] = [];
  const below = POLYNOMIAL[index - 1];
  const above = POLYNOMIAL[index + 1];
  if (below !== undefined) {
    const e = own(below);
    if (e !== null && exponent.low < (mine + e) / 2)
      out.push({ growth: below, exponent: e, own: mine });
  }
  if (above !== undefined) {
    const e = own(above);
    if (e !== null && exponent.high > (mine + e) / 2)
      out.push({ growth: above, exponent: e, own: mine });
  }
  return out;
}

const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)} %`;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[index];
}
