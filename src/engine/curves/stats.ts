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
  return a.length === 0 ? NaN : medianInPlace(a);
}

/** Median absolute deviation, scaled to estimate a standard deviation under normal noise. */
export function mad(values: ArrayLike<number>): number {
  return madInPlace(finiteSlice(values));
}

/**
 * The scaled MAD of `a`, whose values are all finite, reordering and overwriting `a`: the median of the
 * deviations does not depend on their order, so one copy serves both medians.
 */
function madInPlace(a: Float64Array): number {
  if (a.length === 0) return NaN;
  const m = medianInPlace(a);
  // A deviation can overflow to Infinity: left out, as the median of the deviations always did.
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - m);
    if (Number.isFinite(d)) a[n++] = d;
  }
  return n === 0 ? NaN : 1.4826 * medianInPlace(a.subarray(0, n));
}

/**
 * The point-to-point noise of a series: the scaled MAD of its first differences. A trend barely moves
 * it, so it measures how much the curve jitters around its own path.
 */
export function stepNoise(values: ArrayLike<number>): number {
  const finite = finiteSlice(values);
  if (finite.length < 3) return 0;
  // Differences of finite values can still overflow to ±Infinity: those are left out, as `mad` would.
  let n = 0;
  for (let i = 1; i < finite.length; i++) {
    const d = finite[i] - finite[i - 1];
    if (Number.isFinite(d)) finite[n++] = d;
  }
  // Differencing adds two noise terms: divide by √2 to get back to the noise of one point.
  return madInPlace(finite.subarray(0, n)) / Math.SQRT2;
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
  if (n >= LARGE) {
    const m = bracketedMedian(a);
    if (!Number.isNaN(m)) return m;
  }
  const upper = select(a, n >> 1);
  if (n % 2 === 1) return upper;
  // The lower middle is the largest value left of the upper one after selection.
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/** Arrays at least this long find their median by bracketing it first. */
const LARGE = 8192;
/** Evenly spaced values sampled to bracket the median, and the bracket's half-width in sample ranks (~5 SDs). */
const SAMPLE = 4096;
const MARGIN = 160;

/**
 * The exact median of the finite values in `a` (left as it is), found in one pass: two values from a sorted
 * sample bracket the middle ranks, and only the values between them are selected from. NaN when the
 * bracket missed (rare), so the caller falls back to a full selection.
 */
function bracketedMedian(a: Float64Array): number {
  const n = a.length;
  const stride = Math.floor(n / SAMPLE);
  const sample = new Float64Array(SAMPLE);
  for (let i = 0; i < SAMPLE; i++) sample[i] = a[i * stride];
  sample.sort();
  const upperRank = n >> 1;
  const lowerRank = n % 2 === 1 ? upperRank : upperRank - 1;
  const centre = Math.round((upperRank / n) * SAMPLE);
  const lo = sample[Math.max(0, centre - MARGIN)];
  const hi = sample[Math.min(SAMPLE - 1, centre + MARGIN)];
  let below = 0;
  let m = 0;
  const inside = new Float64Array(Math.min(n, 4 * Math.ceil((n * 2 * MARGIN) / SAMPLE)));
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (x < lo) below++;
    else if (x <= hi) {
      if (m === inside.length) return NaN;
      inside[m++] = x;
    }
  }
  // Every value below the bracket is smaller than every value in it, every value above it larger.
  if (lowerRank < below || upperRank >= below + m) return NaN;
  const bucket = inside.subarray(0, m);
  const upper = select(bucket, upperRank - below);
  if (lowerRank === upperRank) return upper;
  let lower = -Infinity;
  for (let i = 0; i < upperRank - below; i++) if (bucket[i] > lower) lower = bucket[i];
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
    // The window's finite values, kept sorted by insertion (small windows) or selected (wide ones).
    let n = 0;
    if (half <= 8) {
      for (let k = a; k < b; k++) {
        const x = v[k];
        if (!Number.isFinite(x)) continue;
        let j = n++;
        while (j > 0 && window[j - 1] > x) {
          window[j] = window[j - 1];
          j--;
        }
        window[j] = x;
      }
      out[i] = n === 0 ? NaN : n % 2 === 1 ? window[n >> 1] : (window[(n >> 1) - 1] + window[n >> 1]) / 2;
    } else {
      for (let k = a; k < b; k++) if (Number.isFinite(v[k])) window[n++] = v[k];
      out[i] = n === 0 ? NaN : medianInPlace(window.subarray(0, n));
    }
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
