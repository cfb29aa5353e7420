import type { CurveFinding, Run, Series } from '../types';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { finiteCount, formatSpan, isLossLike, isScoreLike, scoreScale, SPLIT_WORD, trainingEnd, trainingLoss, xOf } from './select';
import { compress, mannKendall, median, runningMedian, senSlope, stepNoise, type Compressed } from './stats';

/** Evaluations needed before a plateau can be told from a slow start. */
const MIN_POINTS = 10;
/** The plateau cannot start before the smoothed curve comes within this many noise units of its best. */
const NEAR_BEST_NOISE = 3;
/** The noise of a running median of w points is about √(π/2w) of the points' own: 1.2533/√w. */
const MEDIAN_SE = 1.2533;
/** The plateau starts where the smoothed curve is within this many of its standard errors of the level it then holds. */
const LEVEL_SE = 2;
/** The metric must first have improved by this many times its noise: a curve that never moved is `not-learning`'s. */
const MIN_GAIN_NOISE = 4;
/** Without improvement for at least this share of the run (a late flattening after convergence is normal)... */
const MIN_SHARE = 0.6;
/** ...and at least this many evaluations. */
const MIN_STRETCH = 10;
/** A score this close to its scale's top (0.98, 98%) is saturated, not stuck. */
const SATURATED = 0.98;
/** A Mann–Kendall z this high over the stretch, with a Theil–Sen gain of at least the noise, means the metric is still improving. */
const STILL_IMPROVING_Z = 2.5;

interface Plateau {
  series: Series;
  better: 'higher' | 'lower';
  /** Raw indices of the first point judged, the point the plateau starts at, and the last point judged. */
  first: number;
  bestAt: number;
  best: number;
  last: number;
  share: number;
}

/**
 * `plateau`: the validation metric has not improved for a long stretch (60% of the run or more) while
 * training went on: it reached the level it then held (and, for a score, so did the held-out loss) early, and
 * did not creep up after. Evaluations after the learning rate was annealed to zero do not count. Severity
 * `info`: the run is not broken, but compute is being spent for nothing.
 */
export const plateau: Detector = {
  id: 'plateau',
  docs: 'docs/rules/plateau.md',
  detect({ run }) {
    const held = heldOutMetrics(run);
    const primary = held[0];
    if (!primary) return [];
    const end = trainingEnd(run);
    const p = plateauIn(primary.series, primary.better, end);
    if (!p) return [];
    // A score that looks flat while the held-out loss beside it still falls is a model still getting better
    // on held-out data (a coarse or noisy score hides it): not "training longer is not helping". Held-out
    // progress stopped only once both had reached their levels, and that stretch must be long enough too.
    const companion = held.find((h) => h.better !== primary.better);
    if (companion) {
      const settled = Math.max(xOf(p.series, p.bestAt), settledAt(companion.series, companion.better, end));
      const x0 = xOf(p.series, p.first);
      const x1 = xOf(p.series, p.last);
      if ((x1 - settled) / Math.max(1e-12, x1 - x0) < MIN_SHARE) return [];
    }
    return [report(run, p)];
  },
};

interface HeldOut {
  series: Series;
  better: 'higher' | 'lower';
}

/**
 * The metrics people watch, most watched first: the held-out score (validation before test, most points),
 * then the held-out loss (validation before test, `loss` itself first).
 */
function heldOutMetrics(run: Run): HeldOut[] {
  const held = run.series.filter((s) => s.split !== 'train' && finiteCount(s) > 0);
  const order = (s: Series) => (s.split === 'val' ? 0 : 1);
  const scores = held.filter(isScoreLike).sort((a, b) => order(a) - order(b) || finiteCount(b) - finiteCount(a));
  const losses = held.filter(isLossLike).sort((a, b) => order(a) - order(b) || (a.metric === 'loss' ? -1 : b.metric === 'loss' ? 1 : 0));
  const out: HeldOut[] = [];
  if (scores.length > 0) out.push({ series: scores[0], better: 'higher' });
  if (losses.length > 0) out.push({ series: losses[0], better: 'lower' });
  return out;
}

/** A series as a curve where higher is better, with its smoothed form and its noise. */
interface Curve {
  c: Compressed;
  /** Values, sign-flipped for a loss so that higher is better. */
  g: Float64Array;
  s: Float64Array;
  width: number;
  noise: number;
}

/**
 * The curve of a series over its points up to `end` (the x where training stopped: evaluations of weights
 * that an annealed-to-zero learning rate no longer moves are not "training went on").
 */
function curveOf(series: Series, better: 'higher' | 'lower', end: number): Curve {
  let limit = series.length;
  if (end < Infinity) {
    limit = 0;
    while (limit < series.length && !(xOf(series, limit) > end)) limit++;
  }
  const c = compress(limit === series.length ? series.value : series.value.subarray(0, limit));
  const m = c.v.length;
  const sign = better === 'higher' ? 1 : -1;
  const g = c.v.map((v) => sign * v);
  const width = m >= 20 ? 5 : 3;
  const s = runningMedian(g, width);
  // The level's noise: the larger of the point-to-point jitter and the scatter around the local median
  // (validation curves wander, and differences alone understate a wandering curve's spread).
  const residual = new Float64Array(m);
  for (let i = 0; i < m; i++) residual[i] = g[i] - s[i];
  const noise = m === 0 ? 0 : Math.max(stepNoise(g), 1.4826 * median(residual.map(Math.abs)));
  return { c, g, s, width, noise };
}

/** Still creeping up over `g[from..)`, steadily if slowly (a trend test over the stretch). */
function creeping(g: Float64Array, from: number, noise: number): boolean {
  const m = g.length;
  return mannKendall(g, from, m) >= STILL_IMPROVING_Z && senSlope(g, from, m) * (m - 1 - from) >= noise;
}

/**
 * Where a curve reaches the level it then holds: the first point whose smoothed value is within two standard
 * errors (of a smoothed point) of the median of everything from there on, and within 3 noise units of the
 * smoothed best.
 */
function reachedIn({ g, s, width, noise }: Curve): number {
  const m = g.length;
  let top = -Infinity;
  for (let i = 0; i < m; i++) top = Math.max(top, s[i]);
  const tolerance = (LEVEL_SE * MEDIAN_SE * noise) / Math.sqrt(width);
  let reached = 0;
  while (reached < m - 1 && (s[reached] < top - NEAR_BEST_NOISE * noise || s[reached] < median(g.subarray(reached)) - tolerance)) reached++;
  return reached;
}

/** The x where a series reaches the level it then holds (within its training, up to `end`); -Infinity when it has too few points to tell. */
function settledAt(series: Series, better: 'higher' | 'lower', end: number): number {
  const curve = curveOf(series, better, end);
  if (curve.c.v.length < MIN_POINTS) return -Infinity;
  return xOf(series, curve.c.to[reachedIn(curve)]);
}

function plateauIn(series: Series, better: 'higher' | 'lower', end: number): Plateau | undefined {
  const curve = curveOf(series, better, end);
  const { c, g, s, width, noise } = curve;
  const m = c.v.length;
  if (m < MIN_POINTS) return undefined;
  let top = -Infinity;
  for (let i = 0; i < m; i++) top = Math.max(top, s[i]);
  if (top - s[0] < MIN_GAIN_NOISE * noise) return undefined;
  // A score at its ceiling (100% accuracy) has nothing left to improve.
  if (better === 'higher' && top >= SATURATED * scoreScale(series.value)) return undefined;
  // The plateau starts where the curve first reaches the level it then holds (the median of the rest).
  // Measured only against the smoothed maximum (within 3 noise units of it), a curve still two or three noise
  // units short of its final level counted as "no longer improving". That bound stays as a floor: when the
  // metric later falls (a collapse), the median of the rest drops with it and alone would start the plateau
  // on the way up.
  const reached = reachedIn(curve);
  // The point the message names: the best raw value as the curve arrives there, as users see it in the log
  // (never an earlier one: a lucky point before the curve got there is not where it stopped improving).
  let bestAt = reached;
  for (let k = reached; k <= Math.min(m - 1, reached + Math.floor(width / 2)); k++) if (g[k] > g[bestAt]) bestAt = k;
  const stretch = m - 1 - bestAt;
  const x0 = xOf(series, c.from[0]);
  const x1 = xOf(series, c.to[m - 1]);
  const share = (x1 - xOf(series, c.to[bestAt])) / Math.max(1e-12, x1 - x0);
  if (stretch < MIN_STRETCH || share < MIN_SHARE) return undefined;
  if (creeping(g, reached, noise)) return undefined;
  return { series, better, first: c.from[0], bestAt: c.to[bestAt], best: c.v[bestAt], last: c.to[m - 1], share };
}

function report(run: Run, p: Plateau): CurveFinding {
  const { series } = p;
  const train = trainingLoss(run);
  let training = '';
  if (train) {
    const x = xOf(series, p.bestAt);
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < train.length; i++) {
      if (!Number.isFinite(train.value[i])) continue;
      (xOf(train, i) <= x ? before : after).push(train.value[i]);
    }
    if (before.length > 0 && after.length > 0) {
      const a = median(before.slice(-3));
      const b = median(after.slice(-3));
      training = b < a ? `, while training \`${train.metric}\` kept falling (${formatValue(a)} → ${formatValue(b)})` : '';
    }
  }
  // The level is judged against the run's noise: a later point a hair better is named, not hidden.
  let peak = p.bestAt;
  for (let i = p.bestAt + 1; i <= p.last; i++) {
    const v = series.value[i];
    if (Number.isFinite(v) && (p.better === 'higher' ? v > series.value[peak] : v < series.value[peak])) peak = i;
  }
  const within = peak !== p.bestAt && formatValue(series.value[peak]) !== formatValue(p.best)
    ? ` by more than its noise (its best since: ${formatValue(series.value[peak])}, ${pointLabel(series, peak)})`
    : '';
  const message =
    `${SPLIT_WORD[series.split]} \`${series.metric}\` has not improved on ${formatValue(p.best)} (${pointLabel(series, p.bestAt)}) for ` +
    `${formatSpan(series, p.bestAt, p.last)}${within}, ${Math.round(100 * p.share)}% of the run${training}. Training longer is not ` +
    'helping: stop early at the best checkpoint, or lower the learning rate when it plateaus (ReduceLROnPlateau) to get more out of it.';
  return {
    kind: 'curve',
    id: plateau.id,
    severity: 'info',
    message,
    metric: series.name,
    ...anchorAt(series, p.bestAt),
    evidence: [{ series: series.name, startIndex: p.bestAt, endIndex: p.last }],
    related: [],
  };
}
