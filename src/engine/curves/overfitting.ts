import type { CurveFinding, Run, Series } from '../types';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { formatSpan, isLossLike, isScoreLike, trainHeldOutPairs, xOf } from './select';
import { compress, mannKendall, median, runningMedian, stepNoise } from './stats';

/** Evaluations needed to call a minimum and a rise. */
const MIN_POINTS = 6;
/** Evaluations after the best, at least (and at least this share of the run). */
const MIN_AFTER = 3;
const MIN_AFTER_SHARE = 0.1;
/** The rise, at least this share of the best value (a 3% drift of a converged validation loss is not worth a warning)... */
const MIN_RISE_SHARE = 0.08;
/** ...and this many times the validation curve's own noise... */
const MIN_RISE_NOISE = 4;
/** ...with a Mann–Kendall trend after the best at least this strong. */
const MIN_TREND_Z = 2;

interface Overfit {
  train: Series;
  val: Series;
  bestAt: number;
  best: number;
  late: number;
  lateAt: number;
  trainAtBest: number;
  trainLate: number;
}

/**
 * `overfitting`: validation loss rises from its minimum while training loss keeps falling. Reports the best
 * evaluation, how long ago it was, and what early stopping would have kept.
 */
export const overfitting: Detector = {
  id: 'overfitting',
  docs: 'docs/rules/overfitting.md',
  detect({ run }) {
    const found = trainHeldOutPairs(run, isLossLike)
      .map(([train, val]) => overfitIn(train, val))
      .filter((o): o is Overfit => o !== undefined);
    if (found.length === 0) return [];
    found.sort((a, b) => (a.train.metric === 'loss' ? 0 : 1) - (b.train.metric === 'loss' ? 0 : 1));
    return [report(run, found)];
  },
};

/** Median of the finite training values whose x lies in [x0, x1]. */
function trainLevel(train: Series, x0: number, x1: number): number {
  const picked: number[] = [];
  for (let i = 0; i < train.length; i++) {
    const x = xOf(train, i);
    if (x >= x0 && x <= x1 && Number.isFinite(train.value[i])) picked.push(train.value[i]);
  }
  return median(picked);
}

function overfitIn(train: Series, val: Series): Overfit | undefined {
  const c = compress(val.value);
  const m = c.v.length;
  if (m < MIN_POINTS) return undefined;
  // The minimum of a running median: one lucky evaluation is not a level the curve reached (a long noisy plateau
  // dips once, and everything after it looks like a rise). Seven wide once there are 30 evaluations.
  const half = m >= 30 ? 3 : m >= 8 ? 1 : 0;
  const s = runningMedian(c.v, 2 * half + 1);
  let bestAt = 0;
  for (let i = 1; i < m; i++) if (s[i] < s[bestAt]) bestAt = i;
  const after = m - 1 - bestAt;
  if (after < Math.max(MIN_AFTER, MIN_AFTER_SHARE * m)) return undefined;
  // The best as early stopping would have seen it: the lowest raw point within the median's window.
  let rawBest = bestAt;
  for (let k = Math.max(0, bestAt - half); k <= Math.min(m - 1, bestAt + half); k++) if (c.v[k] < c.v[rawBest]) rawBest = k;
  const best = s[bestAt];
  const k = Math.max(2, Math.min(5, Math.floor(after / 2)));
  const late = median(c.v.subarray(m - k));
  const rise = late - best;
  // Noise measured after the best, where the curve is judged: early points of a loss are noisier in absolute terms.
  const noise = stepNoise(c.v.subarray(bestAt));
  if (rise < MIN_RISE_SHARE * Math.abs(best) || rise < MIN_RISE_NOISE * noise) return undefined;
  if (mannKendall(c.v, bestAt, m) < MIN_TREND_Z) return undefined;

  // Training must still be improving over the same stretch; a training loss rising too is divergence.
  const xBest = xOf(val, c.to[rawBest]);
  const xEnd = xOf(val, c.to[m - 1]);
  const span = xEnd - xBest;
  const trainAtBest = trainLevel(train, xBest - 0.15 * span, xBest + 0.15 * span);
  const trainLate = trainLevel(train, xEnd - 0.3 * span, xEnd);
  if (!(trainLate < trainAtBest)) return undefined;
  return { train, val, bestAt: c.to[rawBest], best: c.v[rawBest], late, lateAt: c.to[m - 1], trainAtBest, trainLate };
}

/** The value of a held-out score at the same x as point `index` of `series`. */
function scoreAt(run: Run, series: Series, index: number): { name: string; value: number } | undefined {
  const x = xOf(series, index);
  for (const s of run.series) {
    if (s.split !== series.split || !isScoreLike(s)) continue;
    for (let i = 0; i < s.length; i++) if (xOf(s, i) === x && Number.isFinite(s.value[i])) return { name: s.name, value: s.value[i] };
  }
  return undefined;
}

function report(run: Run, found: Overfit[]): CurveFinding {
  const [o, ...others] = found;
  const { val, train } = o;
  const percent = Math.round((100 * (o.late - o.best)) / o.best);
  const score = scoreAt(run, val, o.bestAt);
  const kept = score ? `\`${val.name}\` ${formatValue(o.best)}, \`${score.name}\` ${formatValue(score.value)}` : `\`${val.name}\` ${formatValue(o.best)}`;
  const also = others.length > 0 ? ` ${others.map((x) => `\`${x.val.name}\``).join(' and ')} rose the same way.` : '';
  const message =
    `validation \`${val.metric}\` rose from its best ${formatValue(o.best)} at ${pointLabel(val, o.bestAt)} to ` +
    `${formatValue(o.late)} (+${percent}%) by ${pointLabel(val, o.lateAt)}, ${formatSpan(val, o.bestAt, o.lateAt)} later, ` +
    `while training \`${train.metric}\` kept falling (${formatValue(o.trainAtBest)} → ${formatValue(o.trainLate)}): the model is ` +
    `overfitting.${also} Early stopping on \`${val.name}\` would have kept ${pointLabel(val, o.bestAt)} (${kept}); ` +
    'more data, augmentation, dropout or weight decay push the best later and lower.';
  return {
    kind: 'curve',
    id: overfitting.id,
    severity: 'warning',
    message,
    metric: val.name,
    ...anchorAt(val, o.bestAt),
    evidence: found.flatMap((x) => [
      { series: x.val.name, startIndex: x.bestAt, endIndex: x.lateAt },
    ]),
    related: [],
  };
}
