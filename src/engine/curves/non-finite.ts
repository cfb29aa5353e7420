import type { CurveFinding, Run, Series } from '../types';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { SPLIT_ORDER, trainingLoss } from './select';

/** Gradient-norm series: where mixed precision's loss scaler legitimately logs `inf` now and then. */
const GRAD_NORM = /grad/;
/** Isolated non-finite gradient norms stay a note while they are at most this share of the points. */
const RARE_SHARE = 0.05;

/** The first non-finite point of one series, and whether the series came back to finite values. */
interface Event {
  series: Series;
  index: number;
  count: number;
  recovered: boolean;
}

/**
 * `non-finite`: the first NaN or ±Inf in any metric; from there the weights are usually garbage. Also the
 * Hugging Face artefact: with `logging_nan_inf_filter` the Trainer drops NaN losses from its running sum,
 * so the log shows `loss: 0.0` while `grad_norm` or `eval_loss` is NaN.
 */
export const nonFinite: Detector = {
  id: 'non-finite',
  docs: 'docs/rules/non-finite.md',
  detect({ run }) {
    const events = run.series.map(firstNonFinite).filter((e): e is Event => e !== undefined);
    if (events.length === 0) return [];
    events.sort((a, b) => a.series.line[a.index] - b.series.line[b.index] || SPLIT_ORDER[a.series.split] - SPLIT_ORDER[b.series.split]);
    const zero = zeroedLoss(run, events);
    if (zero) return [reportZeroedLoss(zero.loss, zero.index, zero.event, events)];
    return [report(events)];
  },
};

function firstNonFinite(series: Series): Event | undefined {
  let first = -1;
  let count = 0;
  let lastBad = -1;
  let finiteAfter = false;
  for (let i = 0; i < series.length; i++) {
    if (Number.isFinite(series.value[i])) {
      if (first >= 0 && i > lastBad) finiteAfter = true;
      continue;
    }
    if (first < 0) first = i;
    count++;
    lastBad = i;
    finiteAfter = false;
  }
  return first < 0 ? undefined : { series, index: first, count, recovered: finiteAfter };
}

/** Same logging record: the same step, else the same epoch, else neighbouring lines. */
function samePlace(a: Series, i: number, b: Series, j: number): boolean {
  if (Number.isFinite(a.step[i]) && Number.isFinite(b.step[j])) return a.step[i] === b.step[j];
  if (Number.isFinite(a.epoch[i]) && Number.isFinite(b.epoch[j])) return a.epoch[i] === b.epoch[j];
  return Math.abs(a.line[i] - b.line[j]) <= 2;
}

/** The first training-loss point that reads exactly 0 after positive values, where another metric is non-finite. */
function zeroedLoss(run: Run, events: Event[]): { loss: Series; index: number; event: Event } | undefined {
  const loss = trainingLoss(run);
  if (!loss) return undefined;
  const others = events.filter((e) => e.series !== loss);
  if (others.length === 0) return undefined;
  let positive = false;
  for (let i = 0; i < loss.length; i++) {
    const v = loss.value[i];
    if (v > 0) positive = true;
    if (v !== 0 || !positive) continue;
    for (const e of others) {
      // The zero must coincide with a non-finite point of the other series, at or after its first one.
      for (let j = e.index; j < e.series.length; j++) {
        if (!Number.isFinite(e.series.value[j]) && samePlace(loss, i, e.series, j)) return { loss, index: i, event: e };
      }
    }
    return undefined;
  }
  return undefined;
}

function word(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'inf' : '-inf';
}

function lastFiniteBefore(series: Series, index: number): number {
  for (let i = index - 1; i >= 0; i--) if (Number.isFinite(series.value[i])) return i;
  return -1;
}

function describe(e: Event): string {
  const s = e.series;
  const before = lastFiniteBefore(s, e.index);
  const after = before >= 0 ? ` (after ${formatValue(s.value[before])} at ${pointLabel(s, before)})` : '';
  return `\`${s.name}\` became ${word(s.value[e.index])} at ${pointLabel(s, e.index)}${after}`;
}

function report(events: Event[]): CurveFinding {
  const [first, ...rest] = events;
  const s = first.series;
  const rareGradOverflow = events.every(
    (e) => GRAD_NORM.test(e.series.metric) && e.recovered && e.count <= Math.max(1, RARE_SHARE * e.series.length),
  );
  if (rareGradOverflow) {
    return {
      kind: 'curve',
      id: nonFinite.id,
      severity: 'info',
      message:
        `${describe(first)}, at ${first.count} point${first.count === 1 ? '' : 's'} in all, while the loss stayed finite: ` +
        'with mixed precision this is the loss scaler skipping steps whose gradients overflowed, harmless while it stays rare.',
      metric: s.name,
      ...anchorAt(s, first.index),
      evidence: events.map((e) => ({ series: e.series.name, startIndex: e.index, endIndex: e.index })),
      related: [],
    };
  }
  const also = rest.length > 0 ? `; ${rest.map((e) => `\`${e.series.name}\` from ${pointLabel(e.series, e.index)}`).join(', ')} too` : '';
  const fate = first.recovered
    ? `it came back to finite values later, but ${first.count} point${first.count === 1 ? ' was' : 's were'} non-finite`
    : 'it never recovered';
  // Non-finite training metrics mean the weights are poisoned; held-out metrics alone point at the evaluation.
  const training = events.some((e) => e.series.split === 'train' && !GRAD_NORM.test(e.series.metric)) || GRAD_NORM.test(s.metric);
  const advice = training
    ? 'Once a NaN reaches the weights every later update is garbage: look for a learning rate too high, a log or ' +
      'division of zero, or fp16 overflow, and restart from a checkpoint before it.'
    : 'Training metrics stayed finite, so look at the evaluation: an empty validation set or batch (a mean over ' +
      'nothing), a log of zero in the metric, or fp16 overflow in the evaluation pass.';
  return {
    kind: 'curve',
    id: nonFinite.id,
    severity: 'error',
    message:
      `${describe(first)}${also}; ${fate}. ${advice}`,
    metric: s.name,
    ...anchorAt(s, first.index),
    evidence: events.map((e) => ({ series: e.series.name, startIndex: e.index, endIndex: e.recovered ? e.index : e.series.length - 1 })),
    related: [],
  };
}

function reportZeroedLoss(loss: Series, index: number, event: Event, events: Event[]): CurveFinding {
  const others = events.filter((e) => e.series !== loss).map((e) => `\`${e.series.name}\``);
  const before = lastFiniteBefore(loss, index);
  const previous = before >= 0 && loss.value[before] !== 0 ? ` (it was ${formatValue(loss.value[before])} at ${pointLabel(loss, before)})` : '';
  return {
    kind: 'curve',
    id: nonFinite.id,
    severity: 'error',
    message:
      `\`${loss.name}\` reads 0 at ${pointLabel(loss, index)}${previous} while ${others.join(' and ')} ` +
      `${others.length === 1 ? 'is' : 'are'} NaN or inf (first at ${pointLabel(event.series, event.index)}): the loss is really NaN — ` +
      "the Hugging Face Trainer leaves NaN losses out of the logged average (`logging_nan_inf_filter`), so a zero here means every step's loss was non-finite.",
    metric: loss.name,
    ...anchorAt(loss, index),
    evidence: [
      { series: loss.name, startIndex: index, endIndex: loss.length - 1 },
      ...events.filter((e) => e.series !== loss).map((e) => ({ series: e.series.name, startIndex: e.index, endIndex: e.index })),
    ],
    related: [],
  };
}
