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
