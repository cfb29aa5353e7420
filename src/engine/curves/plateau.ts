import type { CurveFinding, Run, Series } from '../types';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { finiteCount, formatSpan, isLossLike, isScoreLike, scoreScale, SPLIT_WORD, trainingLoss, xOf } from './select';
import { compress, mannKendall, median, runningMedian, senSlope, stepNoise } from './stats';

/** Evaluations needed before a plateau can be told from a slow start. */
const MIN_POINTS = 10;
/** The plateau starts where the smoothed curve first comes within this many noise units of its best. */
const NEAR_BEST_NOISE = 3;
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
  bestAt: number;
  best: number;
  last: number;
  share: number;
}

/**
 * `plateau`: the validation metric has not improved for a long stretch (half the run or more) while
 * training went on. Severity `info`: the run is not broken, but compute is being spent for nothing.
 */
export const plateau: Detector = {
  id: 'plateau',
  docs: 'docs/rules/plateau.md',
  detect({ run }) {
    const series = primaryHeldOut(run);
    if (!series) return [];
    const p = plateauIn(series.series, series.better);
    return p ? [report(run, p)] : [];
  },
};

/** The metric people watch: a held-out score (validation before test, most points), else the held-out loss. */
function primaryHeldOut(run: Run): { series: Series; better: 'higher' | 'lower' } | undefined {
  const held = run.series.filter((s) => s.split !== 'train' && finiteCount(s) > 0);
  const order = (s: Series) => (s.split === 'val' ? 0 : 1);
  const scores = held.filter(isScoreLike).sort((a, b) => order(a) - order(b) || finiteCount(b) - finiteCount(a));
  if (scores.length > 0) return { series: scores[0], better: 'higher' };
  const losses = held.filter(isLossLike).sort((a, b) => order(a) - order(b) || (a.metric === 'loss' ? -1 : b.metric === 'loss' ? 1 : 0));
  return losses.length > 0 ? { series: losses[0], better: 'lower' } : undefined;
}

function plateauIn(series: Series, better: 'higher' | 'lower'): Plateau | undefined {
  const c = compress(series.value);
  const m = c.v.length;
  if (m < MIN_POINTS) return undefined;
  const sign = better === 'higher' ? 1 : -1;
  const g = c.v.map((v) => sign * v);
  const s = runningMedian(g, m >= 20 ? 5 : 3);
  // The level's noise: the larger of the point-to-point jitter and the scatter around the local median
  // (validation curves wander, and differences alone understate a wandering curve's spread).
  const residual = new Float64Array(m);
  for (let i = 0; i < m; i++) residual[i] = g[i] - s[i];
  const noise = Math.max(stepNoise(g), 1.4826 * median(residual.map(Math.abs)));
  let top = -Infinity;
  for (let i = 0; i < m; i++) top = Math.max(top, s[i]);
  if (top - s[0] < MIN_GAIN_NOISE * noise) return undefined;
  // A score at its ceiling (100% accuracy) has nothing left to improve.
  if (better === 'higher' && top >= SATURATED * scoreScale(series.value)) return undefined;
  // The plateau starts where the curve first came within reach of its best: later noise peaks do not move it.
  let reached = 0;
  while (s[reached] < top - NEAR_BEST_NOISE * noise) reached++;
  // The point the message names: the best raw value around there, as users see it in the log.
  let bestAt = reached;
  for (let k = Math.max(0, reached - 2); k <= Math.min(m - 1, reached + 2); k++) if (g[k] > g[bestAt]) bestAt = k;
  const stretch = m - 1 - bestAt;
  const x0 = xOf(series, c.from[0]);
  const x1 = xOf(series, c.to[m - 1]);
  const share = (x1 - xOf(series, c.to[bestAt])) / Math.max(1e-12, x1 - x0);
  if (stretch < MIN_STRETCH || share < MIN_SHARE) return undefined;
  // Still creeping up, steadily if slowly (a trend test over the stretch): not a plateau.
  if (mannKendall(g, reached, m) >= STILL_IMPROVING_Z && senSlope(g, reached, m) * (m - 1 - reached) >= noise) return undefined;
  return { series, better, bestAt: c.to[bestAt], best: c.v[bestAt], last: c.to[m - 1], share };
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
  const message =
    `${SPLIT_WORD[series.split]} \`${series.metric}\` has not improved on ${formatValue(p.best)} (${pointLabel(series, p.bestAt)}) for ` +
    `${formatSpan(series, p.bestAt, p.last)}, ${Math.round(100 * p.share)}% of the run${training}. Training longer is not ` +
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
