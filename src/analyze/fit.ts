/**
 * Fits measured costs to growth classes. Each class is fitted as y = a·f(n) + b (a, b >= 0: a
 * cost per unit of work plus a fixed overhead) by least squares on relative error, so a 10 µs
 * point counts as much as a 10 ms one; exponential growth as y = a·c^n + b with c searched.
 * The class is chosen by BIC on those relative residuals (N·ln(RSS/N) + k·ln N, k = the number
 * of fitted parameters), so a class with more parameters must fit better by more than noise
 * would give it. Every class's error is kept, so a report can show all of them.
 */

export interface Point {
  n: number;
  /** The measured cost: seconds per call, or bytes. */
  seconds: number;
}

export const GROWTH_CLASSES = [
  'O(1)',
  'O(log n)',
  'O(n)',
  'O(n log n)',
  'O(n^1.5)',
  'O(n^2)',
  'O(n^3)',
  'O(2^n)',
] as const;
export type GrowthClass = (typeof GROWTH_CLASSES)[number];

export interface ClassFit {
  growth: GrowthClass;
  /** Root-mean-square relative error of the fitted curve (0.05 = 5 %). */
  rmsError: number;
  /** y ≈ a·f(n) + b. */
  a: number;
  b: number;
  /** Fitted parameters: 1 for O(1), 3 for O(2^n) (a, b and the base), else 2. */
  parameters: number;
  /** BIC on the relative residuals: lower is better. */
  bic: number;
  /** For O(2^n): the fitted base c of c^n. */
  base?: number;
  predict(n: number): number;
}

export interface PowerLaw {
  /** k in y ≈ a·n^k + c. */
  exponent: number;
  rmsError: number;
}

export const MIN_POINTS = 4;
/** The power-law exponent is searched in [0, MAX_EXPONENT]. */
export const MAX_EXPONENT = 4;

const log2 = (n: number): number => Math.log2(Math.max(n, 2));
const SHAPES: Array<[GrowthClass, (n: number) => number]> = [
  ['O(log n)', log2],
  ['O(n)', (n) => n],
  ['O(n log n)', (n) => n * log2(n)],
  ['O(n^1.5)', (n) => n * Math.sqrt(n)],
  ['O(n^2)', (n) => n * n],
  ['O(n^3)', (n) => n * n * n],
];

/** y = a·f(n) + b for a class by name (O(2^n) needs its base), or null for an unknown class. */
export function predictClass(
  growth: string,
  a: number,
  b: number,
  base: number | null,
  n: number,
): number | null {
  const known = (GROWTH_CLASSES as readonly string[]).includes(growth);
  if (!known || (growth === 'O(2^n)' && base === null)) return null;
  return a * classShape(growth as GrowthClass, base ?? undefined)(n) + b;
}

export function usablePoints(points: readonly Point[]): Point[] {
  return points.filter((p) => p.n > 0 && p.seconds > 0 && Number.isFinite(p.seconds));
}

/** Every class fitted to the points, in GROWTH_CLASSES order; [] with fewer than MIN_POINTS. */
export function fitClasses(points: readonly Point[]): ClassFit[] {
  const usable = usablePoints(points);
  if (usable.length < MIN_POINTS) return [];
  const fits: ClassFit[] = [constantFit(usable)];
  for (const [growth, shape] of SHAPES) fits.push(linearFit(usable, growth, shape, 2));
  fits.push(exponentialFit(usable));
  return fits;
}

/**
 * At how many of the sizes `ns` the growing term a·f(n) is at least `share` of the fitted value:
 * a class whose growth shows at one or two sizes only is fitting a step, not a trend.
 */
export function sizesShowingGrowth(fit: ClassFit, ns: readonly number[], share = 0.1): number {
  return ns.filter((n) => {
    const y = fit.predict(n);
    return y > 0 && (y - fit.b) / y >= share;
  }).length;
}

/** The class with the lowest BIC (ties go to the simpler class). */
export function selectClass(fits: readonly ClassFit[]): ClassFit | null {
  let best: ClassFit | null = null;
  for (const fit of fits) if (best === null || fit.bic < best.bic - 1e-9) best = fit;
  return best;
}

/**
 * y = a·n^k + c with c >= 0, k searched on a grid of 0.05 in [0, MAX_EXPONENT] and refined: the
 * exponent of the growth once the fixed overhead is set apart (trend-prof fits the same power
 * law on log-log axes, without the overhead).
 */
export function fitPowerLaw(points: readonly Point[]): PowerLaw | null {
  const usable = usablePoints(points);
  if (usable.length < MIN_POINTS) return null;
  const top = Math.max(...usable.map((p) => p.n));
  const errorFor = (k: number): number =>
    linearFit(usable, 'O(1)', (n) => (n / top) ** k, 3).rmsError;
  let bestK = 0;
  let bestError = Infinity;
  for (let k = 0; k <= MAX_EXPONENT + 1e-9; k += 0.05) {
    const error = errorFor(k);
    if (error < bestError) {
      bestError = error;
      bestK = k;
    }
  }
  const [k, error] = goldenMin(
    errorFor,
    Math.max(0, bestK - 0.05),
    Math.min(MAX_EXPONENT, bestK + 0.05),
    25,
  );
  return error < bestError
    ? { exponent: k, rmsError: error }
    : { exponent: bestK, rmsError: bestError };
}

function bic(rmsError: number, count: number, parameters: number): number {
  return 2 * count * Math.log(Math.max(rmsError, 1e-6)) + parameters * Math.log(count);
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
  const rmsError = rms(points, () => b);
  return {
    growth: 'O(1)',
    rmsError,
    a: 0,
    b,
    parameters: 1,
    bic: bic(rmsError, points.length, 1),
    predict: () => b,
  };
}

/** Weighted least squares for y = a·f + b with weights 1/y^2, constrained to a, b >= 0. */
function linearFit(
  points: readonly Point[],
  growth: GrowthClass,
  shape: (n: number) => number,
  parameters: number,
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
  if (!(a >= 0 && b >= 0)) {
    // Boundary solutions: only the growing term, or only the constant.
    const aOnly = swff > 0 ? swft / swff : 0;
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
  const rmsError = rms(points, predict);
  return {
    growth,
    rmsError,
    a,
    b,
    parameters,
    bic: bic(rmsError, points.length, parameters),
    predict,
  };
}

/**
 * y = a·c^n + b, the base c found by golden-section search on the fit error, a and b by the
 * same weighted least squares. c^n is scaled by c^-max(n) so it cannot overflow; the reported
 * a is for c^n itself.
 */
function exponentialFit(points: readonly Point[]): ClassFit {
  const top = Math.max(...points.map((p) => p.n));
  const fitFor = (c: number): ClassFit =>
    linearFit(points, 'O(2^n)', (n) => Math.pow(c, n - top), 3);
  const [x] = goldenMin((x) => fitFor(Math.exp(x)).rmsError, Math.log(1.01), Math.log(4), 40);
  const base = Math.exp(x);
  const fit = fitFor(base);
  return { ...fit, a: fit.a * Math.pow(base, -top), base };
}

function goldenMin(
  f: (x: number) => number,
  lo: number,
  hi: number,
  steps: number,
): [number, number] {
  const golden = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - golden * (hi - lo);
  let x2 = lo + golden * (hi - lo);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let i = 0; i < steps; i += 1) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - golden * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + golden * (hi - lo);
      f2 = f(x2);
    }
  }
  const x = (lo + hi) / 2;
  return [x, f(x)];
}

function rms(points: readonly Point[], predict: (n: number) => number): number {
  let sum = 0;
  for (const p of points) {
    const r = (predict(p.n) - p.seconds) / p.seconds;
    sum += r * r;
  }
  return Math.sqrt(sum / points.length);
}

/** The shape f(n) of a class, for drawing its fitted curve (O(2^n) needs its base). */
export function classShape(growth: GrowthClass, base?: number): (n: number) => number {
  if (growth === 'O(1)') return () => 0;
  if (growth === 'O(2^n)') return (n) => Math.pow(base ?? 2, n);
  const found = SHAPES.find(([g]) => g === growth);
  return found ? found[1] : () => 0;
}
