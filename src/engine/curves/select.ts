import { metricDirection } from '../logs/names';
import type { Run, Series, Split } from '../types';

/** Reading order of splits: training first. */
export const SPLIT_ORDER: Readonly<Record<Split, number>> = { train: 0, val: 1, test: 2 };
/** How messages name a split. */
export const SPLIT_WORD: Readonly<Record<Split, string>> = { train: 'training', val: 'validation', test: 'test' };

/**
 * Loss components whose rise is part of healthy training (a GAN's adversarial terms, a VAE's KL term), so
 * trend detectors leave them alone.
 */
const RISES_BY_DESIGN = /(^|[_/])(g|d|gen|disc|generator|discriminator|adv|adversarial|gan|kl|kld)([_/]|$)/;

/** A loss-like series a trend detector may judge (lower is better, not a term that rises by design). */
export function isLossLike(series: Series): boolean {
  return metricDirection(series.metric) === 'lower' && !RISES_BY_DESIGN.test(series.metric);
}

/** An accuracy-like series (higher is better). */
export function isScoreLike(series: Series): boolean {
  return metricDirection(series.metric) === 'higher';
}

/** How many finite points a series has. */
export function finiteCount(series: Series): number {
  let n = 0;
  for (let i = 0; i < series.length; i++) if (Number.isFinite(series.value[i])) n++;
  return n;
}

/** The main training loss: `loss` itself, else the training loss-like series with the most points. */
export function trainingLoss(run: Run): Series | undefined {
  const candidates = run.series.filter((s) => s.split === 'train' && isLossLike(s) && finiteCount(s) > 0);
  return candidates.find((s) => s.metric === 'loss') ?? candidates.sort((a, b) => finiteCount(b) - finiteCount(a))[0];
}

/** Held-out series of the same metric as `train`: validation first, else test. */
export function heldOut(run: Run, train: Series): Series | undefined {
  const val = run.series.find((s) => s.split === 'val' && s.metric === train.metric);
  return val ?? run.series.find((s) => s.split === 'test' && s.metric === train.metric);
}

/** Pairs of (training, held-out) series of the same metric that both have points. */
export function trainHeldOutPairs(run: Run, accept: (s: Series) => boolean): [Series, Series][] {
  const pairs: [Series, Series][] = [];
  for (const train of run.series) {
    if (train.split !== 'train' || !accept(train)) continue;
    const held = heldOut(run, train);
    if (held && finiteCount(train) > 0 && finiteCount(held) > 0) pairs.push([train, held]);
  }
  return pairs;
}

/** 100 when an accuracy-like series is in percent (any value above 1.5), else 1. */
export function scoreScale(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (values[i] > 1.5) return 100;
  return 1;
}

/** The x of a point as a number (epoch, else step, else the index), for spans between points. */
export function xOf(series: Series, index: number): number {
  const e = series.epoch[index];
  if (Number.isFinite(e)) return e;
  const s = series.step[index];
  return Number.isFinite(s) ? s : index;
}

/** The unit of a span of x: `epochs` when the series has epochs, else `steps` (or `evaluations`). */
export function xUnit(series: Series, index: number): 'epochs' | 'steps' | 'evaluations' {
  if (Number.isFinite(series.epoch[index])) return 'epochs';
  return Number.isFinite(series.step[index]) ? 'steps' : 'evaluations';
}

/** A span of x, compactly: `12 epochs`, `1,500 steps`, `1.5 epochs`. */
export function formatSpan(series: Series, a: number, b: number): string {
  const d = xOf(series, b) - xOf(series, a);
  const unit = xUnit(series, b);
  const n = Number.isInteger(d) ? d.toLocaleString('en') : d.toFixed(1);
  return `${n} ${d === 1 ? unit.slice(0, -1) : unit}`;
}

/** A learning rate at or below this share of its maximum is annealed to about zero: the weights stand still. */
export const FROZEN_LR_SHARE = 1e-3;

/**
 * Where training stopped moving the weights: the x of the first point of a final stretch over which the logged
 * learning rate stays annealed to about zero (a cosine schedule run down to 0, then more epochs). Infinity when
 * the log has no learning rate or it never gets there. Metrics after it stand still by design.
 */
export function trainingEnd(run: Run): number {
  const lr = run.series.find((s) => s.metric === 'lr');
  if (!lr) return Infinity;
  let max = 0;
  for (let i = 0; i < lr.length; i++) if (lr.value[i] > max) max = lr.value[i];
  if (!(max > 0) || !Number.isFinite(max)) return Infinity;
  let last = lr.length - 1;
  while (last >= 0 && !(lr.value[last] > FROZEN_LR_SHARE * max)) last--;
  for (let j = last + 1; j < lr.length; j++) if (Number.isFinite(lr.value[j])) return xOf(lr, j);
  return Infinity;
}
