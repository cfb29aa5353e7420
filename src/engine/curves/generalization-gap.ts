import type { CurveFinding, Series } from '../types';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { formatSpan, isScoreLike, scoreScale, SPLIT_WORD, trainHeldOutPairs, xOf } from './select';
import { mannKendall, median } from './stats';

/** Held-out evaluations needed; the gap is judged over the last third of them. */
const MIN_POINTS = 6;
const WINDOW_SHARE = 1 / 3;
const MIN_WINDOW = 3;
/** A large gap: at least this much of the metric's scale (0.12 = 12 points of accuracy)... */
const MIN_GAP = 0.12;
/** ...with the held-out error at least this many times the training error... */
const MIN_ERROR_RATIO = 3;
/** ...on at least this share of the window's evaluations, and not closing. */
const PERSISTENT_SHARE = 0.8;
const CLOSING_SHARE = 0.2;
const STILL_RISING_Z = 3;

interface Gap {
  train: Series;
  held: Series;
  from: number;
  to: number;
  trainLevel: number;
  heldLevel: number;
  gap: number;
  scale: number;
}

/**
 * `generalization-gap`: an accuracy-like metric much better on training than on held-out data, for the
 * whole last stretch of the run (seed 004: 99% training vs 76% validation accuracy). Judged on scores, not
 * losses: a validation loss several times the training loss is common in healthy runs.
 */
export const generalizationGap: Detector = {
  id: 'generalization-gap',
  docs: 'docs/rules/generalization-gap.md',
  detect({ run }) {
    for (const [train, held] of trainHeldOutPairs(run, isScoreLike)) {
      const gap = gapIn(train, held);
      if (gap) return [report(gap)];
    }
    return [];
  },
};

function gapIn(train: Series, held: Series): Gap | undefined {
  let finite = 0;
  for (let i = 0; i < held.length; i++) if (Number.isFinite(held.value[i])) finite++;
  if (finite < MIN_POINTS) return undefined;
  const scale = Math.max(scoreScale(train.value), scoreScale(held.value));
  // The last third of the held-out points, found from the end.
  const window = new Int32Array(Math.max(MIN_WINDOW, Math.round(WINDOW_SHARE * finite)));
  for (let i = held.length - 1, w = window.length; w > 0; i--) if (Number.isFinite(held.value[i])) window[--w] = i;

  // The training value at each held-out evaluation: the last training point at or before its x. Both
  // series are in x order, so one forward pass pairs them.
  const trainAll = new Float64Array(window.length);
  const heldAll = new Float64Array(window.length);
  const gapsAll = new Float64Array(window.length);
  let m = 0;
  let t = -1;
  for (const i of window) {
    const x = xOf(held, i);
    while (t + 1 < train.length && xOf(train, t + 1) <= x) t++;
    let k = t;
    while (k >= 0 && !Number.isFinite(train.value[k])) k--;
    if (k < 0) continue;
    trainAll[m] = train.value[k] / scale;
    heldAll[m] = held.value[i] / scale;
    gapsAll[m++] = (train.value[k] - held.value[i]) / scale;
  }
  const trainValues = trainAll.subarray(0, m);
  const heldValues = heldAll.subarray(0, m);
  const gaps = gapsAll.subarray(0, m);
  if (gaps.length < MIN_WINDOW) return undefined;
  const trainLevel = median(trainValues);
  const heldLevel = median(heldValues);
  const gap = trainLevel - heldLevel;
  if (gap < MIN_GAP) return undefined;
  if (trainLevel > 1 || 1 - heldLevel < MIN_ERROR_RATIO * (1 - trainLevel)) return undefined;
  let persistent = 0;
  for (const g of gaps) if (g >= 0.75 * MIN_GAP) persistent++;
  if (persistent < PERSISTENT_SHARE * gaps.length) return undefined;
  // Closing: the gap shrank by a good share of itself across the window (a slow creep of the validation curve is not that).
  const third = Math.max(1, Math.floor(gaps.length / 3));
  const early = median(gaps.subarray(0, third));
  if (early - median(gaps.subarray(gaps.length - third)) > CLOSING_SHARE * early) return undefined;
  // Or the held-out curve is still climbing steadily: the gap is being worked off.
  if (mannKendall(heldValues) >= STILL_RISING_Z) return undefined;
  return { train, held, from: window[0], to: window[window.length - 1], trainLevel, heldLevel, gap, scale };
}

function report(g: Gap): CurveFinding {
  const { train, held, scale } = g;
  const points = `${formatValue(100 * g.gap)} points`;
  const ratio = (1 - g.heldLevel) / Math.max(1e-9, 1 - g.trainLevel);
  const errors = ratio >= 100 ? 'many times' : `${formatValue(ratio)}×`;
  const message =
    `over the last ${formatSpan(held, g.from, g.to)} (${pointLabel(held, g.from)} to ${pointLabel(held, g.to)}) training ` +
    `\`${train.metric}\` was ${formatValue(g.trainLevel * scale)} and ${SPLIT_WORD[held.split]} only ` +
    `${formatValue(g.heldLevel * scale)}: a gap of ${points} that is not closing, with ${errors} as many errors on ` +
    `held-out data. The model fits its training set far better than it generalizes: regularize (augmentation, ` +
    'dropout, weight decay, a smaller model), get more data, or check that both splits come from the same distribution.';
  return {
    kind: 'curve',
    id: generalizationGap.id,
    severity: 'warning',
    message,
    metric: held.name,
    ...anchorAt(held, g.from),
    evidence: [
      { series: held.name, startIndex: g.from, endIndex: g.to },
      { series: train.name, startIndex: lastAtOrBefore(train, xOf(held, g.from)), endIndex: lastAtOrBefore(train, xOf(held, g.to)) },
    ],
    related: [],
  };
}

function lastAtOrBefore(series: Series, x: number): number {
  let k = 0;
  while (k + 1 < series.length && xOf(series, k + 1) <= x) k++;
  return k;
}
