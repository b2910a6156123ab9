/**
 * Small statistics for the benchmarks: percentiles of timing samples and the fits that say how
 * time grows with load. Pure functions, no dependencies.
 */

/** A point of a measured series: `x` the load (tenants), `y` the result (seconds). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A straight line through a series: y = intercept + slope * x, with its coefficient of determination. */
export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  /** 1 is a perfect line; 0 explains nothing. */
  readonly r2: number;
}

function requireValues(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`${what} of an empty sample`);
  if (values.some((value) => !Number.isFinite(value)))
    throw new RangeError(`${what} of a sample with a non-finite value`);
}

/**
 * The p-th percentile (0..100) with linear interpolation between closest ranks (the method of
 * NumPy's default and Excel's PERCENTILE.INC), so p50 of an even sample is the mean of the middle two.
 */
export function percentile(values: readonly number[], p: number): number {
  requireValues(values, 'percentile');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower]!;
  return low + (sorted[upper]! - low) * (rank - lower);
}

/** The 50th percentile. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The arithmetic mean. */
export function mean(values: readonly number[]): number {
  requireValues(values, 'mean');
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Ordinary least squares over at least two points with distinct x. */
export function linearFit(points: readonly Point[]): LinearFit {
  if (points.length < 2) throw new RangeError(`a linear fit needs at least two points, got ${points.length}`);
  const meanX = mean(points.map((point) => point.x));
  const meanY = mean(points.map((point) => point.y));
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const { x, y } of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
    syy += (y - meanY) ** 2;
  }
  if (sxx === 0) throw new RangeError('a linear fit needs points with distinct x');
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  // All y equal: the horizontal line explains everything there is.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2 };
}

/**
 * The exponent k of y ≈ c·x^k (the slope of the log-log fit): 1 means time grows linearly with
 * load, 2 quadratically. Needs positive x and y.
 */
export function growthExponent(points: readonly Point[]): number {
  if (points.some((point) => !(point.x > 0 && point.y > 0)))
    throw new RangeError('a growth exponent needs positive x and y');
  return linearFit(points.map((point) => ({ x: Math.log(point.x), y: Math.log(point.y) }))).slope;
}
