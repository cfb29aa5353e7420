import { metricDirection } from '../logs/names';
import type { CurveFinding, Series, Severity } from '../types';
import { alignTrain, sharedAxis, share, type Aligned } from './align';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { scoreScale, trainHeldOutPairs } from './select';
import { median, stepNoise } from './stats';

/** Held-out points needed to judge a pair. */
const MIN_POINTS = 6;
/** The episode covers at least this share of the aligned points ("most of the run")... */
const MIN_COVER = 0.6;
/** ...and validation is better at at least this share of its points. */
const MIN_BETTER = 0.8;
/** The median gap is at least this many standard errors (the gap's point-to-point noise over √points)... */
const MIN_GAP_NOISE = 3;
/** ...and at least 3% of the training loss, or 1% of a score's scale. */
const MIN_LOSS_GAP = 0.03;
const MIN_SCORE_GAP = 0.01;
/** A gap this large (validation loss under half the training loss, or 15 points of accuracy) is a warning: check for leakage. */
const HUGE_LOSS_GAP = 0.5;
const HUGE_SCORE_GAP = 0.15;
/** The last share of the points over which the gap must still hold. */
const END_SHARE = 0.2;
/** After shifting training by half an epoch, the gap counts as gone when validation is better at fewer than this share of points. */
const SHIFTED_BETTER = 0.6;

/** One (training, held-out) pair where the held-out curve is consistently better. */
interface Gap {
  train: Series;
  held: Series;
  aligned: Aligned;
  onset: number;
  better: number;
  total: number;
  gap: number;
  relative: number;
  scale: number;
  /** Median gap after shifting training half an epoch later; undefined when the shift does not apply. */
  shifted?: number;
  huge: boolean;
}

function judge(train: Series, held: Series): Gap | undefined {
  const axis = sharedAxis(train, held);
  // A training loss that blew up (or a NaN-filtered one) makes validation look better: `non-finite` reports it.
  if (!axis || hasNonFinite(train) || hasNonFinite(held)) return undefined;
  const aligned = withoutFrozenRepeats(alignTrain(train, held, axis), held);
  const n = aligned.length;
  if (n < MIN_POINTS) return undefined;
  const lower = metricDirection(train.metric) === 'lower';
  const sign = lower ? 1 : -1;
  const gaps = new Float64Array(n);
  for (let k = 0; k < n; k++) gaps[k] = sign * (aligned.train[k] - held.value[aligned.held[k]]);

  // The episode: the earliest point from which validation is better at ≥ 80% of the points to the end.
  const suffixBetter = new Int32Array(n + 1);
  for (let k = n - 1; k >= 0; k--) suffixBetter[k] = suffixBetter[k + 1] + (gaps[k] > 0 ? 1 : 0);
  const minLength = Math.max(MIN_POINTS, Math.ceil(MIN_COVER * n));
  let onset = -1;
  for (let k = 0; n - k >= minLength; k++) {
    if (gaps[k] > 0 && suffixBetter[k] >= MIN_BETTER * (n - k)) {
      onset = k;
      break;
    }
  }
  if (onset < 0) return undefined;
  const tail = gaps.subarray(onset);
  const gap = median(tail);
  const scale = lower ? Math.abs(median(aligned.train.subarray(onset))) : scoreScale(held.value);
  const minGap = lower ? MIN_LOSS_GAP * scale : MIN_SCORE_GAP * scale;
  if (!(gap >= minGap) || gap < (MIN_GAP_NOISE * stepNoise(tail)) / Math.sqrt(tail.length)) return undefined;
  // Still there at the end: a gap that closes as training catches up is early-epoch lag, not this finding.
  const end = median(gaps.subarray(n - Math.max(2, Math.ceil(END_SHARE * n))));
  if (!(end >= minGap)) return undefined;

  const result: Gap = {
    train, held, aligned, onset, better: suffixBetter[onset], total: n - onset, gap, relative: gap / scale, scale,
    huge: lower ? gap >= HUGE_LOSS_GAP * scale : gap >= HUGE_SCORE_GAP * scale,
  };
  // Epoch-level training metrics are averages over the epoch (the model of mid-epoch), validation is
  // measured at its end: compare each validation point with the training value half an epoch later.
  const epochLevel = axis === 'epoch' && aligned.count.every((c) => c === 1) && isEpochLevel(held, aligned);
  if (epochLevel && n - onset >= MIN_POINTS) {
    const shifted: number[] = [];
    for (let k = onset; k + 1 < n; k++) shifted.push(sign * ((aligned.train[k] + aligned.train[k + 1]) / 2 - held.value[aligned.held[k]]));
    result.shifted = median(shifted);
    // The lag explains it all: nothing to report.
    if (result.shifted < minGap || share(shifted, (x) => x > 0) < SHIFTED_BETTER) return undefined;
  }
  return result;
}

/**
 * The pairs without the repeats of a frozen stretch: when both curves stop moving (a learning rate annealed to
 * zero, a run that logs its last values again), one difference repeated 20 times is one observation, not 20.
 */
function withoutFrozenRepeats(aligned: Aligned, held: Series): Aligned {
  const repeat = (k: number) => aligned.train[k] === aligned.train[k - 1] && held.value[aligned.held[k]] === held.value[aligned.held[k - 1]];
  let first = 1;
  while (first < aligned.length && !repeat(first)) first++;
  if (first >= aligned.length) return aligned;
  const keep: number[] = [];
  for (let k = 0; k < aligned.length; k++) if (k === 0 || !repeat(k)) keep.push(k);
  return {
    length: keep.length,
    held: Int32Array.from(keep, (k) => aligned.held[k]),
    train: Float64Array.from(keep, (k) => aligned.train[k]),
    count: Int32Array.from(keep, (k) => aligned.count[k]),
  };
}

function hasNonFinite(series: Series): boolean {
  for (let i = 0; i < series.length; i++) if (!Number.isFinite(series.value[i])) return true;
  return false;
}

/** Whether consecutive held-out points are one epoch apart (so "half an epoch" means half a step here). */
function isEpochLevel(held: Series, aligned: Aligned): boolean {
  const d: number[] = [];
  for (let k = 1; k < aligned.length; k++) d.push(held.epoch[aligned.held[k]] - held.epoch[aligned.held[k - 1]]);
  return d.length > 0 && median(d) === 1;
}

/**
 * The overall objective and task scores only. Loss components (YOLO's `box_loss`, `cls_loss`) are computed
 * on mosaic-augmented training images by design, so their validation values sit below training ones.
 */
function judged(series: Series): boolean {
  return series.metric === 'loss' || (metricDirection(series.metric) === 'higher' && /acc|f1|auc|map|iou|dice/.test(series.metric));
}

/**
 * `val-better-than-train`: the validation (or test) curve is better than the training curve over most of
 * the run, beyond the noise of the gap (seed 002: validation loss below training loss from the start).
 * Usually harmless: dropout, augmentation and weight penalties act only in training, and epoch-averaged
 * training metrics lag the end-of-epoch validation by half an epoch; the finding says whether that shift
 * alone explains the gap. A huge gap is a warning: it is also what leakage between the splits looks like.
 */
export const valBetterThanTrain: Detector = {
  id: 'val-better-than-train',
  docs: 'docs/rules/val-better-than-train.md',
  detect({ run }) {
    const gaps = trainHeldOutPairs(run, judged)
      .map(([train, held]) => judge(train, held))
      .filter((g): g is Gap => g !== undefined);
    if (gaps.length === 0) return [];
    // Loss first, then scores: one finding for the episode.
    gaps.sort((a, b) => (metricDirection(a.train.metric) === 'lower' ? 0 : 1) - (metricDirection(b.train.metric) === 'lower' ? 0 : 1));
    return [report(gaps)];
  },
};

function amount(g: Gap): string {
  if (metricDirection(g.train.metric) === 'lower') return `median gap ${formatValue(g.gap)}, ${Math.round(100 * g.relative)}% of the training loss`;
  return g.scale === 100 ? `median gap ${formatValue(g.gap)} points` : `median gap ${formatValue(g.gap)}`;
}

function describe(g: Gap): string {
  const lower = metricDirection(g.train.metric) === 'lower';
  const split = g.held.split === 'test' ? 'test' : 'validation';
  const last = g.aligned.length - 1;
  return (
    `${split} \`${g.held.metric}\` was ${lower ? 'below' : 'above'} training at ${g.better} of ${g.total} evaluations ` +
    `from ${pointLabel(g.held, g.aligned.held[g.onset])} (${amount(g)}; ${pointLabel(g.held, g.aligned.held[last])}: ` +
    `${formatValue(g.held.value[g.aligned.held[last]])} vs ${formatValue(g.aligned.train[last])})`
  );
}

function report(gaps: Gap[]): CurveFinding {
  const [g] = gaps;
  const s = gaps.find((x) => x.shifted !== undefined);
  const shift = s
    ? ` Comparing each validation point with the training value half an epoch later (training metrics are averaged over ` +
      `the epoch, validation is measured at its end) still leaves a median gap of ${formatValue(s.shifted!)}, so that lag explains only part of it.`
    : '';
  const huge = gaps.some((x) => x.huge);
  const causes =
    ` The usual causes are dropout, augmentation or weight penalties that act only in training (Keras adds L2 penalties to the ` +
    `training loss), or a validation set that is easier than the training data${huge ? '; a gap this large is also what leakage looks like: check that no validation examples (or near-duplicates) are in the training set' : ' or overlaps it (leakage)'}.`;
  const severity: Severity = huge ? 'warning' : 'info';
  return {
    kind: 'curve',
    id: valBetterThanTrain.id,
    severity,
    message: `${gaps.map(describe).join('; ')}.${shift}${causes}`,
    metric: g.held.name,
    ...anchorAt(g.held, g.aligned.held[g.onset]),
    evidence: gaps.flatMap((x) => [
      { series: x.held.name, startIndex: x.aligned.held[x.onset], endIndex: x.aligned.held[x.aligned.length - 1] },
    ]),
    related: [],
  };
}
