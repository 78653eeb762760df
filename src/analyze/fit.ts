/**
 * Fits measured times to growth classes. Each class is fitted as t = a·f(n) + b (a, b >= 0: a
 * cost per unit of work plus a fixed overhead) by least squares on relative error, so a 10 µs
 * point counts as much as a 10 ms one; exponential growth is fitted as t = a·c^n in log space.
 * The best class wins unless a simpler one fits almost as well; the margin to the runner-up is
 * reported, because on a noisy machine neighbours (n vs n log n) can be close.
 */

export interface Point {
  n: number;
  seconds: number;
}

export const GROWTH_CLASSES = [
  'O(1)',
  'O(log n)',
  'O(n)',
  'O(n log n)',
  'O(n^2)',
  'O(n^3)',
  'O(2^n)',
] as const;
export type GrowthClass = (typeof GROWTH_CLASSES)[number];

export interface ClassFit {
  growth: GrowthClass;
  /** Root-mean-square relative error of the fitted curve (0.05 = 5 %). */
  rmsError: number;
  /** Predicted seconds for n. */
  predict(n: number): number;
  /** For O(2^n): the fitted base c of c^n. */
  base?: number;
}

export interface FitResult {
  best: ClassFit;
  runnerUp: ClassFit | null;
  /** runnerUp.rmsError / best.rmsError: above ~1.5 the choice is clear. */
  margin: number | null;
  confidence: 'clear' | 'weak';
  all: ClassFit[];
}

const log2 = (n: number): number => Math.log2(Math.max(n, 2));
const SHAPES: Record<Exclude<GrowthClass, 'O(2^n)' | 'O(1)'>, (n: number) => number> = {
  'O(log n)': log2,
  'O(n)': (n) => n,
  'O(n log n)': (n) => n * log2(n),
  'O(n^2)': (n) => n * n,
  'O(n^3)': (n) => n * n * n,
};

/**
 * A simpler class is preferred unless the more complex one is clearly better: by more than
 * 15 % of its error plus 1.5 points. Over a short range of n, neighbours such as O(n) and
 * O(n log n) fit about equally well and noise alone would pick between them.
 */
const SIMPLER_WINS_WITHIN = 1.15;
const SIMPLER_WINS_BY = 0.015;
export const MIN_POINTS = 4;

/** The class without the extra log factor. */
const LOG_NEIGHBOUR: Partial<Record<GrowthClass, GrowthClass>> = {
  'O(log n)': 'O(1)',
  'O(n log n)': 'O(n)',
};

export function fitGrowth(points: readonly Point[]): FitResult | null {
  const usable = points.filter((p) => p.n > 0 && p.seconds > 0 && Number.isFinite(p.seconds));
  if (usable.length < MIN_POINTS) return null;
  const constant = constantFit(usable);
  const fits: ClassFit[] = [constant];
  for (const [growth, shape] of Object.entries(SHAPES) as Array<
    [GrowthClass, (n: number) => number]
  >) {
    fits.push(linearFit(usable, growth, shape));
  }
  const exponential = exponentialFit(usable);
  if (exponential) fits.push(exponential);

  const ranked = [...fits].sort((a, b) => a.rmsError - b.rmsError);
  const lowest = ranked[0] ?? constant;
  let best = lowest;
  // Occam: walk from the simplest class up; take the first within the tolerance of the best.
  for (const fit of fits) {
    if (fit.rmsError <= lowest.rmsError * SIMPLER_WINS_WITHIN + SIMPLER_WINS_BY) {
      best = fit;
      break;
    }
  }
  // Over less than two decades of n, a class and the same times log n (O(1) and O(log n), O(n)
  // and O(n log n)) differ by too little for timing noise to separate them: keep the one
  // without the log factor unless the data clearly need it.
  const decades = Math.log10(
    Math.max(...usable.map((p) => p.n)) / Math.min(...usable.map((p) => p.n)),
  );
  const withoutLog = LOG_NEIGHBOUR[best.growth];
  const simpler = withoutLog === undefined ? undefined : fits.find((f) => f.growth === withoutLog);
  if (decades < 2 && simpler !== undefined && simpler.rmsError <= best.rmsError * 2 + 0.02)
    best = simpler;
  const runnerUp = ranked.find((f) => f !== best) ?? null;
  const margin = runnerUp === null ? null : runnerUp.rmsError / Math.max(best.rmsError, 1e-9);
  return {
    best,
    runnerUp,
    margin,
    confidence: margin !== null && margin >= 1.5 ? 'clear' : 'weak',
    all: fits,
  };
}

function constantFit(points: readonly Point[]): ClassFit {
  // Minimise sum(((b - t)/t)^2): b = sum(1/t) / sum(1/t^2).
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += 1 / p.seconds;
    den += 1 / (p.seconds * p.seconds);
  }
  const b = num / den;
  return { growth: 'O(1)', rmsError: rms(points, () => b), predict: () => b };
}

/** Weighted least squares for t = a·f + b with weights 1/t^2, constrained to a, b >= 0. */
function linearFit(
  points: readonly Point[],
  growth: GrowthClass,
  shape: (n: number) => number,
): ClassFit {
  let sww = 0;
  let swf = 0;
  let swff = 0;
  let swt = 0;
  let swft = 0;
  for (const p of points) {
    const w = 1 / (p.seconds * p.seconds);
    const f = shape(p.n);
    sww += w;
    swf += w * f;
    swff += w * f * f;
    swt += w * p.seconds;
    swft += w * f * p.seconds;
  }
  const det = swff * sww - swf * swf;
  let a = det === 0 ? 0 : (swft * sww - swf * swt) / det;
  let b = det === 0 ? swt / sww : (swff * swt - swf * swft) / det;
  if (a < 0 || b < 0) {
    // Boundary solutions: only the growing term, or only the constant.
    const aOnly = swft / swff;
    const bOnly = swt / sww;
    const errA = rms(points, (n) => aOnly * shape(n));
    const errB = rms(points, () => bOnly);
    if (errA <= errB) {
      a = aOnly;
      b = 0;
    } else {
      a = 0;
      b = bOnly;
    }
  }
  const predict = (n: number): number => a * shape(n) + b;
  return { growth, rmsError: rms(points, predict), predict };
}

/**
 * t = a·c^n + b, with the base c found by a search (golden-section on the fit error) and a, b by
 * the same weighted least squares as the polynomial classes. c^n is scaled by c^-max(n) so it
 * cannot overflow.
 */
function exponentialFit(points: readonly Point[]): ClassFit | null {
  const top = Math.max(...points.map((p) => p.n));
  const fitFor = (c: number): ClassFit => linearFit(points, 'O(2^n)', (n) => Math.pow(c, n - top));
  let lo = Math.log(1.01);
  let hi = Math.log(4);
  const golden = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - golden * (hi - lo);
  let x2 = lo + golden * (hi - lo);
  let f1 = fitFor(Math.exp(x1)).rmsError;
  let f2 = fitFor(Math.exp(x2)).rmsError;
  for (let i = 0; i < 60; i += 1) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - golden * (hi - lo);
      f1 = fitFor(Math.exp(x1)).rmsError;
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + golden * (hi - lo);
      f2 = fitFor(Math.exp(x2)).rmsError;
    }
  }
  const base = Math.exp((lo + hi) / 2);
  const fit = fitFor(base);
  return { ...fit, base };
}

function rms(points: readonly Point[], predict: (n: number) => number): number {
  let sum = 0;
  for (const p of points) {
    const r = (predict(p.n) - p.seconds) / p.seconds;
    sum += r * r;
  }
  return Math.sqrt(sum / points.length);
}
