import type { CurveFinding, Run, Series } from '../types';
import { epochPositions, finitePoints } from './align';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { SPLIT_ORDER, SPLIT_WORD, isLossLike, isScoreLike, scoreScale, xOf } from './select';
import { compress, mad, median, runningMedian } from './stats';

/** Points a series needs before its fluctuation can be judged. */
const MIN_POINTS = 16;
/** The first share of the points is warm-up: fast early progress is not fluctuation. */
const WARMUP_SHARE = 0.1;
/** Full epochs needed to call an epoch-locked pattern periodic. */
const MIN_CYCLES = 6;
/** Periodic: the phase-folded residual means must explain this share of the residual variance... */
const MIN_EXPLAINED = 0.2;
/** ...(more for a searched period, which is tested many times)... */
const MIN_EXPLAINED_SEARCHED = 0.3;
/** ...with an F statistic at least this large... */
const MIN_F = 10;
/**
 * ...or this large for a searched period. Every period from 2 up is tried on each series: at F ≥ 10 (p ≈ 1e-5 for
 * a 5-phase profile over 40 evaluations) noise passed about once in 4,600 healthy runs (seeds 3, 4, 6, 7: swings
 * of 0.6-2.8 accuracy points on smooth or noisy rising curves). At 25, none in 36,800 (the default draw and seeds
 * 1-7), and the recall on injected oscillations is unchanged on all eight draws: real cycles are far stronger.
 */
const MIN_F_SEARCHED = 25;
/** A searched period must repeat at least this many times. */
const MIN_CYCLES_SEARCHED = 5;
/** A searched period's swing is at least this many robust SDs of the residuals around the cycle's profile. */
const MIN_SWING_NOISE = 3;
/** Periods longer than 2 must repeat at least this many times. */
const LONG_PERIOD_CYCLES = 8;
/** Periods searched when the log has no epochs to fold by. */
const MAX_PERIOD = 64;
/** The swing must be at least 2% of the level for a loss, 0.5% of the scale for a score. */
const MIN_LOSS_SWING = 0.02;
const MIN_SCORE_SWING = 0.005;
/** High amplitude without a period: the robust residual scale is at least 12% of the level (loss) or 4% of the scale (score). */
const HIGH_LOSS_JITTER = 0.12;
const HIGH_SCORE_JITTER = 0.04;
/** Points sampled from a long series to judge its jitter. */
const JITTER_SAMPLE = 20_000;
/** After an LR drop of at least 2×, the swing shrinking to under half says the learning rate drives it. */
const LR_DROP = 0.5;

/** What a series' fluctuation looks like. */
interface Episode {
  series: Series;
  at: Int32Array;
  from: number;
  to: number;
  kind: 'epoch' | 'period' | 'jitter';
  /** Period in evaluations (points). */
  period: number;
  perEpoch: number;
  /** Peak-to-peak swing of the folded profile (periodic) or 2× the robust residual scale (jitter). */
  swing: number;
  level: number;
  /** Position in the cycle (0-based) where the metric is best. */
  bestAt: number;
  residual: Float64Array;
  /** Residuals' index offset into the series' finite points. */
  residualFrom: number;
}

/** Centred moving average over exactly `w` points (one full cycle); NaN where the window does not fit. O(n). */
function cycleAverage(v: Float64Array, w: number): Float64Array {
  const n = v.length;
  const out = new Float64Array(n).fill(NaN);
  const half = Math.floor(w / 2);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += v[k];
    if (k >= w) sum -= v[k - w];
    if (k >= w - 1) out[k - w + 1 + half] = sum / w;
  }
  return out;
}

/** At most ~20,000 evenly spaced elements: robust levels of a million-point series at a fraction of the cost. */
function strided(values: Float64Array): Float64Array {
  const stride = Math.max(1, Math.floor(values.length / 20_000));
  if (stride === 1) return values;
  const out = new Float64Array(Math.ceil(values.length / stride));
  for (let k = 0, j = 0; k < values.length; k += stride) out[j++] = values[k];
  return out;
}

/** Clips residuals to the median ± 4 robust SDs, in place, so one outlier (a bad batch, a kink) cannot fake a cycle. */
function winsorize(residual: Float64Array): void {
  // Median and MAD of an evenly strided sample: the same answer in O(n) without copying a million points twice.
  const sample = strided(residual);
  const m = median(sample);
  const spread = 4 * mad(sample);
  if (!(spread > 0)) return;
  for (let k = 0; k < residual.length; k++) {
    if (residual[k] > m + spread) residual[k] = m + spread;
    else if (residual[k] < m - spread) residual[k] = m - spread;
  }
}

/** One-way ANOVA of residuals grouped by bin: share of variance explained, F, and each bin's mean. */
function fold(residual: Float64Array, bins: Int32Array, count: number): { explained: number; f: number; means: Float64Array } {
  winsorize(residual);
  const sums = new Float64Array(count);
  const ns = new Float64Array(count);
  let total = 0;
  let n = 0;
  for (let k = 0; k < residual.length; k++) {
    const b = bins[k];
    if (b < 0 || !Number.isFinite(residual[k])) continue;
    sums[b] += residual[k];
    ns[b]++;
    total += residual[k];
    n++;
  }
  const means = new Float64Array(count);
  for (let b = 0; b < count; b++) means[b] = ns[b] > 0 ? sums[b] / ns[b] : NaN;
  const grand = n > 0 ? total / n : 0;
  let between = 0;
  let all = 0;
  let used = 0;
  for (let b = 0; b < count; b++) if (ns[b] > 0) {
    between += ns[b] * (means[b] - grand) ** 2;
    used++;
  }
  for (let k = 0; k < residual.length; k++) {
    if (bins[k] < 0 || !Number.isFinite(residual[k])) continue;
    all += (residual[k] - grand) ** 2;
  }
  const within = all - between;
  if (used < 2 || n <= used || all <= 0) return { explained: 0, f: 0, means };
  const f = within <= 0 ? Infinity : between / (used - 1) / (within / (n - used));
  return { explained: between / all, f, means };
}

function range(means: Float64Array): { swing: number; lowAt: number; highAt: number } {
  let lowAt = -1;
  let highAt = -1;
  for (let b = 0; b < means.length; b++) {
    if (Number.isNaN(means[b])) continue;
    if (lowAt < 0 || means[b] < means[lowAt]) lowAt = b;
    if (highAt < 0 || means[b] > means[highAt]) highAt = b;
  }
  return { swing: lowAt < 0 ? 0 : means[highAt] - means[lowAt], lowAt, highAt };
}

/**
 * A loss's residual relative to its trend: a multiplicative wiggle keeps its size as the loss falls, so the
 * fold and the before/after-LR comparison are not fooled by the level. Scores stay absolute.
 */
function relative(lossLike: boolean, residual: number, trend: number): number {
  return lossLike && Math.abs(trend) > 0 ? residual / Math.abs(trend) : residual;
}

/** A profile's swing back in the metric's units. */
function absolute(series: Series, r: { swing: number; lowAt: number; highAt: number }, level: number) {
  return isLossLike(series) ? { ...r, swing: r.swing * Math.abs(level) } : r;
}

function material(series: Series, swing: number, level: number, v: Float64Array): boolean {
  return isLossLike(series) ? swing >= MIN_LOSS_SWING * Math.abs(level) : swing >= MIN_SCORE_SWING * scoreScale(v);
}

/** An epoch-synchronous pattern in a series logged several times an epoch. O(n). */
function byEpoch(series: Series, at: Int32Array, v: Float64Array, from: number, { perEpoch, position, regular }: ReturnType<typeof epochPositions>): Episode | undefined {
  if (perEpoch < 2 || !regular || (v.length - from) / perEpoch < MIN_CYCLES) return undefined;
  const lossLike = isLossLike(series);
  const sub = v.subarray(from);
  const trend = cycleAverage(sub, perEpoch);
  const residual = new Float64Array(sub.length);
  const binCount = Math.min(perEpoch, 16);
  const bins = new Int32Array(sub.length);
  for (let k = 0; k < sub.length; k++) {
    residual[k] = relative(lossLike, sub[k] - trend[k], trend[k]);
    const p = position[from + k];
    bins[k] = p < 0 ? -1 : Math.floor((p * binCount) / perEpoch);
  }
  const { explained, f, means } = fold(residual, bins, binCount);
  if (explained < MIN_EXPLAINED || f < MIN_F) return undefined;
  const level = median(strided(sub));
  const { swing, lowAt, highAt } = absolute(series, range(means), level);
  if (!material(series, swing, level, v)) return undefined;
  const bestBin = isLossLike(series) ? lowAt : highAt;
  return {
    series, at, from, to: v.length - 1, kind: 'epoch', period: perEpoch, perEpoch, swing, level,
    bestAt: Math.floor((bestBin * perEpoch) / binCount), residual, residualFrom: from,
  };
}

/**
 * The noise of one point, from the residuals left after removing a moving average over one `period` and the
 * folded profile. Both shrink the residuals below the points' own noise: a point minus the average of the
 * `period` points around it (itself included) keeps a share 1 − 1/period of the variance, and fitting one mean
 * per phase takes `period` of the n degrees of freedom. Undoing both keeps the "3 SDs" a statement about the
 * points a user sees, not about residuals deflated by the fit (which let chance patterns of short noisy
 * curves through).
 */
function pointNoise(within: Float64Array, period: number): number {
  let n = 0;
  for (let k = 0; k < within.length; k++) if (Number.isFinite(within[k])) n++;
  if (n <= period) return Infinity;
  return mad(within) / Math.sqrt((1 - 1 / period) * ((n - period) / n));
}

/** A period found by folding the detrended residuals at each candidate period (series without sub-epoch positions). */
function byPeriod(series: Series, at: Int32Array, v: Float64Array, from: number, perEpoch: number): Episode | undefined {
  const lossLike = isLossLike(series);
  const c = compress(v.subarray(from), 2000);
  const m = c.v.length;
  const maxPeriod = Math.min(MAX_PERIOD, Math.floor(m / MIN_CYCLES_SEARCHED));
  const results: { period: number; f: number; explained: number; means: Float64Array; residual: Float64Array }[] = [];
  for (let period = 2; period <= maxPeriod; period++) {
    // Longer periods are tested more ways on fewer cycles: they need more of both.
    if (period > 2 && m / period < LONG_PERIOD_CYCLES) break;
    const trend = cycleAverage(c.v, period);
    const residual = new Float64Array(m);
    const bins = new Int32Array(m);
    for (let k = 0; k < m; k++) {
      residual[k] = relative(lossLike, c.v[k] - trend[k], trend[k]);
      bins[k] = k % period;
    }
    const r = fold(residual, bins, period);
    // Residuals from a moving average over exactly one cycle sum to about zero over every cycle, so under
    // noise alone the phase means spread p/(p − 1) times more than the F test assumes (twice as much for a
    // zig-zag): scaled back, F keeps its meaning.
    const f = (r.f * (period - 1)) / period;
    if (r.explained >= MIN_EXPLAINED_SEARCHED + (period > 2 ? 0.1 : 0) && f >= MIN_F_SEARCHED) results.push({ period, ...r, f, residual });
  }
  if (results.length === 0) return undefined;
  // The fundamental: the shortest period nearly as strong as the strongest (its multiples fold as well).
  const strongest = Math.max(...results.map((r) => r.f));
  const best = results.find((r) => r.f >= 0.6 * strongest)!;
  // A searched period must also stand out of the noise point by point: its swing at least 3 robust SDs of
  // the points' own noise, estimated from what the cycle leaves unexplained.
  const within = best.residual.map((r, k) => r - best.means[k % best.period]);
  if (range(best.means).swing < MIN_SWING_NOISE * pointNoise(within, best.period)) return undefined;
  const level = median(c.v);
  const { swing, lowAt, highAt } = absolute(series, range(best.means), level);
  if (!material(series, swing, level, v)) return undefined;
  const period = best.period * c.block;
  return {
    series, at, from, to: v.length - 1, kind: perEpoch > 1 && period % perEpoch === 0 ? 'epoch' : 'period', period, perEpoch,
    swing, level, bestAt: isLossLike(series) ? lowAt : highAt, residual: c.block === 1 ? best.residual : new Float64Array(0), residualFrom: from,
  };
}

/** Large point-to-point swings without a period, in an evaluation-level series. */
function byJitter(series: Series, at: Int32Array, v: Float64Array, from: number): Episode | undefined {
  const sub = v.subarray(from);
  if (sub.length < 10) return undefined;
  const lossLike = isLossLike(series);
  // Long series are judged on every point of an even sample (each against the median of its own 5 neighbours, as
  // below): the same spread in a fraction of the time; the residuals are computed whole only for a finding.
  if (sub.length > 2 * JITTER_SAMPLE && !highSpread(series, mad(sampledResiduals(sub, lossLike)), v)) return undefined;
  const trend = runningMedian(sub, 5);
  const residual = new Float64Array(sub.length);
  for (let k = 0; k < sub.length; k++) residual[k] = relative(lossLike, sub[k] - trend[k], trend[k]);
  const spread = mad(residual);
  if (!highSpread(series, spread, v)) return undefined;
  const level = median(trend);
  const swing = isLossLike(series) ? 2 * spread * Math.abs(level) : 2 * spread;
  return { series, at, from, to: v.length - 1, kind: 'jitter', period: 0, perEpoch: 0, swing, level, bestAt: 0, residual, residualFrom: from };
}

/** Whether residuals from the running trend spread far (loss residuals are relative to the trend already). */
function highSpread(series: Series, spread: number, v: Float64Array): boolean {
  return isLossLike(series) ? spread >= HIGH_LOSS_JITTER : spread >= HIGH_SCORE_JITTER * scoreScale(v);
}

/** The residuals of about {@link JITTER_SAMPLE} evenly spaced points, each from the median of the 5 points around it. */
function sampledResiduals(sub: Float64Array, lossLike: boolean): Float64Array {
  const stride = Math.floor(sub.length / JITTER_SAMPLE);
  const out = new Float64Array(Math.floor((sub.length - 4) / stride));
  const window = new Float64Array(5);
  for (let j = 0; j < out.length; j++) {
    const k = 2 + j * stride;
    window.set(sub.subarray(k - 2, k + 3));
    const trend = median(window);
    out[j] = relative(lossLike, sub[k] - trend, trend);
  }
  return out;
}

/** Whether the logged learning rate itself goes up and down (cyclic or restarting schedules): oscillation by design. */
function cyclicLr(run: Run): boolean {
  const lr = run.series.find((s) => s.metric === 'lr');
  if (!lr) return false;
  let reversals = 0;
  let direction = 0;
  for (let i = 1; i < lr.length; i++) {
    const d = lr.value[i] - lr.value[i - 1];
    if (!Number.isFinite(d) || Math.abs(d) <= 1e-12 * Math.abs(lr.value[i])) continue;
    const s = Math.sign(d);
    if (direction !== 0 && s !== direction) reversals++;
    direction = s;
  }
  // Warm-up then decay is one reversal; a cycle needs more.
  return reversals >= 2;
}

function judge(series: Series, run: Run): Episode | undefined {
  if (!isLossLike(series) && !isScoreLike(series)) return undefined;
  const { at, v } = finitePoints(series);
  if (v.length < MIN_POINTS) return undefined;
  const from = Math.max(1, Math.ceil(WARMUP_SHARE * v.length));
  const epochs = epochPositions(series, at);
  const periodic = epochs.perEpoch >= 2 ? byEpoch(series, at, v, from, epochs) : byPeriod(series, at, v, from, epochs.perEpoch);
  if (periodic) return periodic;
  // Swings without a period are judged on held-out curves only: training curves carry batch noise.
  return series.split !== 'train' && !cyclicLr(run) ? byJitter(series, at, v, from) : undefined;
}

/**
 * `oscillation`: a metric that rises and falls periodically, or swings far more than its trend explains.
 * The period is estimated by folding the detrended residuals (a moving average over one cycle removes the
 * trend) at each candidate period, or at the epoch when the log is written several times an epoch; a
 * pattern that repeats every epoch is the epoch "sawtooth" (seed 001: 4 evaluations an epoch, training
 * best at the first). The finding says which cause the evidence supports: the data order at epoch
 * boundaries, or a learning rate too high (the swing shrinks when the rate drops, or a period-2 zig-zag).
 * Runs whose logged learning rate itself cycles are left alone.
 */
export const oscillation: Detector = {
  id: 'oscillation',
  docs: 'docs/rules/oscillation.md',
  detect({ run }) {
    if (cyclicLr(run)) return [];
    const episodes = run.series.map((s) => judge(s, run)).filter((e): e is Episode => e !== undefined);
    if (episodes.length === 0) return [];
    // One finding per pattern: series sharing a kind (and period) are one episode.
    const groups = new Map<string, Episode[]>();
    for (const e of episodes) {
      const key = e.kind === 'jitter' ? 'jitter' : `${e.kind}:${e.period}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    return [...groups.values()].flatMap((g) => report(run, g.sort((a, b) => SPLIT_ORDER[a.series.split] - SPLIT_ORDER[b.series.split])) ?? []);
  },
};

function ordinal(k: number): string {
  const suffix = k % 10 === 1 && k % 100 !== 11 ? 'st' : k % 10 === 2 && k % 100 !== 12 ? 'nd' : k % 10 === 3 && k % 100 !== 13 ? 'rd' : 'th';
  return `${k}${suffix}`;
}

function swingText(e: Episode): string {
  const relative = isLossLike(e.series) ? `, ${Math.round((100 * e.swing) / Math.abs(e.level))}% of its level` : '';
  return `swing ${formatValue(e.swing)}${relative}`;
}

function describe(e: Episode): string {
  const name = `${SPLIT_WORD[e.series.split]} \`${e.series.metric}\``;
  const span = `${pointLabel(e.series, e.at[e.from])} to ${pointLabel(e.series, e.at[e.to])}`;
  if (e.kind === 'epoch') {
    const cycle = e.period === e.perEpoch ? `every epoch (${e.perEpoch} evaluations an epoch)` : `every ${e.period / e.perEpoch} epochs`;
    const best = e.period === e.perEpoch && e.period <= 64 ? `; best at the ${ordinal(e.bestAt + 1)} of the ${e.period} evaluations of each epoch` : '';
    return `${name} rises and falls ${cycle} from ${span} (${swingText(e)}${best})`;
  }
  if (e.kind === 'period') {
    return `${name} oscillates with a period of ${e.period} evaluations${e.period === 2 ? ' (a zig-zag)' : ''} from ${span} (${swingText(e)})`;
  }
  return `${name} swings far more than its trend from ${span} (typical deviation ${formatValue(e.swing / 2)}${isLossLike(e.series) ? `, ${Math.round((50 * e.swing) / Math.abs(e.level))}% of its level` : ''})`;
}

/** A residual size as users read it: a share of the level for losses (residuals are relative there). */
function size(series: Series, r: number): string {
  if (!isLossLike(series)) return formatValue(r);
  const pct = 100 * r;
  return `${pct >= 10 ? Math.round(pct) : Number(pct.toFixed(1))}% of the loss`;
}

/** How the swing changed across the largest learning-rate drop inside the episode, when the log has one. */
function lrEvidence(run: Run, e: Episode): { drop: string; shrank: boolean } | undefined {
  const lr = run.series.find((s) => s.metric === 'lr');
  if (!lr || lr.length < 2 || e.residual.length === 0) return undefined;
  const x0 = xOf(e.series, e.at[e.from]);
  const x1 = xOf(e.series, e.at[e.to]);
  let best = -1;
  let ratio = 1;
  for (let i = 1; i < lr.length; i++) {
    const x = xOf(lr, i);
    if (x <= x0 || x >= x1 || !(lr.value[i - 1] > 0)) continue;
    const r = lr.value[i] / lr.value[i - 1];
    if (r < ratio) {
      ratio = r;
      best = i;
    }
  }
  if (best < 0 || ratio > LR_DROP) return undefined;
  const xDrop = xOf(lr, best);
  const before: number[] = [];
  const after: number[] = [];
  for (let k = 0; k < e.residual.length; k++) {
    const r = e.residual[k];
    if (!Number.isFinite(r)) continue;
    (xOf(e.series, e.at[e.residualFrom + k]) < xDrop ? before : after).push(Math.abs(r));
  }
  const cycle = Math.max(2, e.period);
  if (before.length < 2 * cycle || after.length < 2 * cycle) return undefined;
  const a = median(before);
  const b = median(after);
  const shrank = b <= 0.5 * a;
  return {
    shrank,
    drop:
      `when the learning rate dropped from ${formatValue(lr.value[best - 1])} to ${formatValue(lr.value[best])} (${pointLabel(lr, best)}) ` +
      `the typical swing went from ${size(e.series, a)} to ${size(e.series, b)}`,
  };
}

/**
 * A small epoch-locked sawtooth that the learning rate does not drive is what every unshuffled or
 * Adam-trained run shows (the word-language-model example's loss swings 4% within each epoch): worth
 * nothing to a user who did not ask. Below these sizes it is not reported.
 */
const BENIGN_LOSS_SWING = 0.1;
const BENIGN_SCORE_SWING = 0.02;

function benign(group: Episode[]): boolean {
  // Perplexity and other exponentiated losses swing far more than the loss they come from: judge by the loss.
  const judged = group.some((g) => /loss/.test(g.series.metric)) ? group.filter((g) => /loss/.test(g.series.metric)) : group;
  return judged.every((g) =>
    isLossLike(g.series) ? g.swing < BENIGN_LOSS_SWING * Math.abs(g.level) : g.swing < BENIGN_SCORE_SWING * scoreScale(g.series.value),
  );
}

function report(run: Run, group: Episode[]): CurveFinding | undefined {
  const [e] = group;
  const evidence = lrEvidence(run, e);
  if (e.kind === 'epoch' && !evidence?.shrank && benign(group)) return undefined;
  let cause: string;
  if (evidence?.shrank) {
    cause = ` The learning rate drives it: ${evidence.drop}. Lower the learning rate or decay it sooner.`;
  } else if (e.kind === 'epoch') {
    cause =
      ` A pattern locked to epoch boundaries comes from the data order: each pass brings back examples the model ` +
      `has partly memorised, and Adam's slow second-moment average (β₂) adds to it; it is not overfitting by itself.` +
      (evidence ? ` It is not the step size: ${evidence.drop}.` : ` It grows with the learning rate: if it is large, lower the rate or decay it; a learning-rate scheduler shows which.`);
  } else if (e.kind === 'period' && e.period === 2) {
    cause = ` A zig-zag from one evaluation to the next is the classic sign of a learning rate too high for the valley the model is in: lower it, decay it, or clip gradients.`;
  } else if (e.kind === 'period') {
    cause =
      ` A period that does not match the epoch usually comes from something periodic in the pipeline (a cyclic or restarting ` +
      `schedule, evaluation on rotating subsets, data sources taken in turn)${evidence ? `; ${evidence.drop}` : ''}.`;
  } else {
    cause = ` Swings this large usually mean the learning rate is too high (or the batch too small) for this stage of training${evidence ? `; ${evidence.drop}` : ''}: lower or decay the rate.`;
  }
  const others = group.slice(1).map((o) => `; ${describe(o)}`).join('');
  return {
    kind: 'curve',
    id: oscillation.id,
    severity: e.kind === 'epoch' && !evidence?.shrank ? 'info' : 'warning',
    message: `${describe(e)}${others}.${cause}`,
    metric: e.series.name,
    ...anchorAt(e.series, e.at[e.from]),
    evidence: group.map((g) => ({ series: g.series.name, startIndex: g.at[g.from], endIndex: g.at[g.to] })),
    related: [],
  };
}
