/** Small helpers over a series' finite points, shared by the pairwise and periodic detectors. O(n). */
import type { Series } from '../types';
import { median } from './stats';

/** A series' finite points: their indices into the series and their values, in order. */
export interface Points {
  readonly at: Int32Array;
  readonly v: Float64Array;
}

/**
 * The finite points of a series. Series values are immutable snapshots, so the result is computed once per
 * series and shared by the detectors, which only read it.
 */
export function finitePoints(series: Series): Points {
  const cached = series.value instanceof Float64Array ? pointsOf.get(series.value) : undefined;
  if (cached && cached.length === series.length) return cached.points;
  const at = new Int32Array(series.length);
  const v = new Float64Array(series.length);
  let n = 0;
  for (let i = 0; i < series.length; i++) {
    if (Number.isFinite(series.value[i])) {
      at[n] = i;
      v[n++] = series.value[i];
    }
  }
  const points = { at: at.subarray(0, n), v: v.subarray(0, n) };
  if (series.value instanceof Float64Array) pointsOf.set(series.value, { length: series.length, points });
  return points;
}

const pointsOf = new WeakMap<Float64Array, { length: number; points: Points }>();

/** The median of `v[from..to)` (clamped to the array). */
export function medianOf(v: Float64Array, from: number, to: number): number {
  return median(v.subarray(Math.max(0, from), Math.min(v.length, to)));
}

/**
 * The x two series share: `epoch` when both carry epochs, else `step` when both carry steps, else none.
 * Messages and alignment use the same axis, so a run written by a different logger gives the same answer.
 */
export function sharedAxis(a: Series, b: Series): 'epoch' | 'step' | undefined {
  const has = (s: Series, column: 'epoch' | 'step') => s.length > 0 && Number.isFinite(s[column][s.length - 1]) && Number.isFinite(s[column][0]);
  if (has(a, 'epoch') && has(b, 'epoch')) return 'epoch';
  if (has(a, 'step') && has(b, 'step')) return 'step';
  return undefined;
}

/** Held-out points and the training values that go with them, column by column (`length` of each). */
export interface Aligned {
  readonly length: number;
  /** Index into the held-out series. */
  readonly held: Int32Array;
  /** Median of the training points logged since the previous held-out point, up to and at this one. */
  readonly train: Float64Array;
  /** How many training points went into `train`. */
  readonly count: Int32Array;
}

/**
 * Pairs each held-out point with the training points logged over the same stretch (after the previous
 * held-out point, up to and including this one), summarised by their median: one epoch-average line per
 * epoch-level validation point, a robust summary of the step-level points otherwise. O(n) for both in order.
 */
export function alignTrain(train: Series, held: Series, axis: 'epoch' | 'step'): Aligned {
  const tx = train[axis];
  const hx = held[axis];
  const heldAt = new Int32Array(held.length);
  const trainValue = new Float64Array(held.length);
  const count = new Int32Array(held.length);
  let buffer = new Float64Array(16);
  let n = 0;
  let j = 0;
  let previous = -Infinity;
  for (let i = 0; i < held.length; i++) {
    const x = hx[i];
    if (!Number.isFinite(x) || !Number.isFinite(held.value[i]) || x <= previous) continue;
    while (j < train.length && !(tx[j] > previous)) j++;
    let k = 0;
    while (j < train.length && tx[j] <= x + 1e-9) {
      const t = train.value[j];
      if (Number.isFinite(t)) {
        if (k === buffer.length) {
          const grown = new Float64Array(2 * k);
          grown.set(buffer);
          buffer = grown;
        }
        buffer[k++] = t;
      }
      j++;
    }
    previous = x;
    if (k > 0) {
      heldAt[n] = i;
      trainValue[n] = k === 1 ? buffer[0] : median(buffer.subarray(0, k));
      count[n++] = k;
    }
  }
  return { length: n, held: heldAt.subarray(0, n), train: trainValue.subarray(0, n), count: count.subarray(0, n) };
}

/** The fraction of the array's elements for which `test` holds (0 for an empty array). */
export function share(values: ArrayLike<number>, test: (x: number) => boolean): number {
  if (values.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) if (test(values[i])) n++;
  return n / values.length;
}

/**
 * Points per epoch of a series logged several times an epoch (seed 001 evaluates 4 times an epoch), and
 * each point's position inside its epoch. Fractional epochs (Hugging Face: 1.25, 1.5, ...) and repeated
 * whole epochs (MMDetection: `Epoch [1][50/930]`) both count. `perEpoch` is 1 for epoch-level series and 0
 * when the series has no epochs; `position` is -1 in epochs that do not have the usual number of points
 * (a partial first or last epoch), so folding by position compares like with like; `regular` says whether
 * nearly all epochs have that number.
 */
export function epochPositions(series: Series, at: Int32Array): { perEpoch: number; position: Int32Array; regular: boolean } {
  const n = at.length;
  const position = new Int32Array(n).fill(-1);
  if (n === 0 || !Number.isFinite(series.epoch[at[0]]) || !Number.isFinite(series.epoch[at[n - 1]])) {
    return { perEpoch: 0, position, regular: false };
  }
  // Epoch 0.25 … 1.0 is the first epoch: the point at a whole number closes the epoch it ends.
  const starts: number[] = [];
  let previous = NaN;
  for (let k = 0; k < n; k++) {
    const epoch = Math.ceil(series.epoch[at[k]] - 1e-9);
    if (epoch !== previous) starts.push(k);
    previous = epoch;
  }
  starts.push(n);
  const sizes: number[] = [];
  for (let g = 0; g + 1 < starts.length; g++) sizes.push(starts[g + 1] - starts[g]);
  const inner = sizes.length > 2 ? sizes.slice(1, -1) : sizes;
  const perEpoch = Math.max(1, Math.round(median(inner)));
  let full = 0;
  for (let g = 0; g < sizes.length; g++) {
    if (sizes[g] !== perEpoch) continue;
    full++;
    for (let k = starts[g]; k < starts[g + 1]; k++) position[k] = k - starts[g];
  }
  // Regular: the inner epochs (nearly) all have the usual number of points, so positions mean the same thing
  // in every epoch (an evaluation every 33 steps of a 100-step epoch is not).
  return { perEpoch, position, regular: full >= 0.8 * inner.length };
}
