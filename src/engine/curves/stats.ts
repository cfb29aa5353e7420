/** Robust statistics shared by the detectors. All functions ignore non-finite values and run in O(n). */

/** The finite values of `values[from..to)`, in order, as a new typed array. */
export function finiteSlice(values: ArrayLike<number>, from = 0, to = values.length): Float64Array {
  const end = Math.min(to, values.length);
  const out = new Float64Array(Math.max(0, end - Math.max(0, from)));
  let n = 0;
  for (let i = Math.max(0, from); i < end; i++) {
    if (Number.isFinite(values[i])) out[n++] = values[i];
  }
  return out.subarray(0, n);
}

/** The k-th smallest element (0-based) of `a`, reordering `a` in place (Hoare's quickselect). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    // Median of three as pivot keeps sorted and reversed inputs linear.
    const mid = (lo + hi) >> 1;
    const pivot = Math.max(Math.min(a[lo], a[mid]), Math.min(Math.max(a[lo], a[mid]), a[hi]));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Median of the finite values; NaN when there are none. */
export function median(values: ArrayLike<number>): number {
  const a = finiteSlice(values);
  const n = a.length;
  if (n === 0) return NaN;
  const upper = select(a, n >> 1);
  if (n % 2 === 1) return upper;
  // The lower middle is the largest value left of the upper one after selection.
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/** Median absolute deviation, scaled to estimate a standard deviation under normal noise. */
export function mad(values: ArrayLike<number>): number {
  const m = median(values);
  if (Number.isNaN(m)) return NaN;
  const deviations = finiteSlice(values);
  for (let i = 0; i < deviations.length; i++) deviations[i] = Math.abs(deviations[i] - m);
  return 1.4826 * median(deviations);
}

/**
 * The point-to-point noise of a series: the scaled MAD of its first differences. A trend barely moves
 * it, so it measures how much the curve jitters around its own path.
 */
export function stepNoise(values: ArrayLike<number>): number {
  const finite = finiteSlice(values);
  if (finite.length < 3) return 0;
  const diffs = new Float64Array(finite.length - 1);
  for (let i = 1; i < finite.length; i++) diffs[i - 1] = finite[i] - finite[i - 1];
  // Differencing adds two noise terms: divide by √2 to get back to the noise of one point.
  return mad(diffs) / Math.SQRT2;
}

/** A series' finite points, reduced to at most a fixed number of block medians so trend work stays O(n). */
export interface Compressed {
  /** Block medians (the points themselves when the series is short). */
  readonly v: Float64Array;
  /** Raw index (into the series) of each block's first and last finite point. */
  readonly from: Int32Array;
  readonly to: Int32Array;
  /** Finite points per block: 1 when nothing was compressed. */
  readonly block: number;
}

/**
 * The finite values of a series, in order, as block medians of at most `max` blocks: a 1M-point step-level
 * loss becomes 1,000 robust points, a 50-epoch curve stays as it is. O(n).
 */
export function compress(values: ArrayLike<number>, max = 1000): Compressed {
  const cached = values instanceof Float64Array && max === 1000 ? compressed.get(values) : undefined;
  if (cached) return cached;
  let count = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) count++;
  const block = Math.max(1, Math.ceil(count / max));
  const m = Math.ceil(count / block);
  const v = new Float64Array(m);
  const from = new Int32Array(m);
  const to = new Int32Array(m);
  const scratch = new Float64Array(block);
  let i = 0;
  for (let b = 0; b < m; b++) {
    let k = 0;
    while (k < block && i < values.length) {
      const x = values[i];
      if (Number.isFinite(x)) {
        if (k === 0) from[b] = i;
        to[b] = i;
        scratch[k++] = x;
      }
      i++;
    }
    v[b] = k === 1 ? scratch[0] : medianInPlace(scratch.subarray(0, k));
  }
  const result = { v, from, to, block };
  if (values instanceof Float64Array && max === 1000) compressed.set(values, result);
  return result;
}

/** Series values are immutable snapshots, so their compressed form is computed once and shared by detectors. */
const compressed = new WeakMap<Float64Array, Compressed>();

/** Median of finite values, reordering `a` in place. */
function medianInPlace(a: Float64Array): number {
  const n = a.length;
  const upper = select(a, n >> 1);
  if (n % 2 === 1) return upper;
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/** A centred running median of odd `width` (shrinking at the ends): removes single-point spikes. O(n·width). */
export function runningMedian(v: ArrayLike<number>, width: number): Float64Array {
  const half = Math.max(0, Math.floor(width / 2));
  const out = new Float64Array(v.length);
  const window = new Float64Array(2 * half + 1);
  for (let i = 0; i < v.length; i++) {
    const a = Math.max(0, i - half);
    const b = Math.min(v.length, i + half + 1);
    for (let k = a; k < b; k++) window[k - a] = v[k];
    out[i] = median(window.subarray(0, b - a));
  }
  return out;
}

/**
 * The Mann–Kendall trend statistic of `v[from..to)` as a z-score (positive: rising), without tie
 * correction. Longer stretches are first reduced to 400 block medians, so the cost stays bounded.
 */
export function mannKendall(v: ArrayLike<number>, from = 0, to = v.length): number {
  let x = finiteSlice(v, from, to);
  if (x.length > 400) x = compress(x, 400).v;
  const n = x.length;
  if (n < 3) return 0;
  let s = 0;
  for (let i = 0; i < n - 1; i++) for (let j = i + 1; j < n; j++) s += Math.sign(x[j] - x[i]);
  const variance = (n * (n - 1) * (2 * n + 5)) / 18;
  return s === 0 ? 0 : (s - Math.sign(s)) / Math.sqrt(variance);
}

/**
 * A robust slope per point of `v[from..to)`: the median of the slopes between points half the stretch
 * apart (a Theil–Sen estimate over lagged pairs, O(n)).
 */
export function senSlope(v: ArrayLike<number>, from = 0, to = v.length): number {
  const x = finiteSlice(v, from, to);
  const lag = Math.floor(x.length / 2);
  if (lag < 1) return 0;
  const slopes = new Float64Array(x.length - lag);
  for (let i = 0; i + lag < x.length; i++) slopes[i] = (x[i + lag] - x[i]) / lag;
  return median(slopes);
}
