import { metricDirection } from '../logs/names';
import type { CurveFinding, Related, Run, Series } from '../types';
import { finitePoints } from './align';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { FROZEN_LR_SHARE, SPLIT_ORDER, SPLIT_WORD, scoreScale, trainingLoss, xOf, xUnit } from './select';
import { median } from './stats';

/** A stuck stretch is at least this many evaluations... */
const MIN_POINTS = 8;
/** ...and at least this share of the series' evaluations... */
const MIN_SHARE = 0.2;
/** ...and, when the log has epochs, spans at least this many epochs (a value repeated inside one epoch is a logger refreshing it). */
const MIN_EPOCHS = 5;
/** Values within this relative tolerance of the stretch's first value count as the same value (0.7600 vs 0.7601). */
const RELATIVE_TOLERANCE = 2e-4;
/** A grid step of at least this share of the scale is coarse... */
const COARSE_STEP = 0.005;
/** ...and a stuck stretch there must cover this share of the series (and 4 times its longest other stretch). */
const COARSE_SHARE = 0.4;
/** A stuck stretch takes at most this many distinct values (0.7600 and 0.7601 from rounding). */
const MAX_DISTINCT = 3;
/** Runs needed before "the same final value in several runs" means anything. */
const MIN_RUNS = 3;

/** Whether two values are the same for this detector. */
export function sameValue(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b)), 1e-9);
}

/**
 * Whether a series is a metric a constant value says something about: a loss-like or score-like metric
 * (the learning rate, timings and counters have no direction and are skipped), not at a value where
 * standing still is healthy (a training accuracy of 1.0, a loss printed as 0 after memorisation).
 */
function judged(series: Series, value: number, scale: number, values: ArrayLike<number>): boolean {
  const direction = metricDirection(series.metric);
  if (direction === 'higher') {
    if (value >= 0.9999 * scale) return false;
    // A training score of exactly 0 is usually a metric the trainer does not compute yet.
    return value !== 0 || series.split !== 'train';
  }
  // A loss down at 1% of where it started is a memorised training set printed with few decimals.
  if (direction === 'lower') return Math.abs(value) >= 1e-3 && Math.abs(value) > 0.01 * Math.abs(firstFinite(values));
  return false;
}

function firstFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) return values[i];
  return NaN;
}

/**
 * Whether a series moves on a coarse grid (a 50-example validation set: steps of 0.02): its smallest change
 * is at least 0.5% of its scale and every value is a whole multiple of it.
 */
function onCoarseGrid(v: Float64Array, scale: number): boolean {
  let step = Infinity;
  for (let k = 1; k < v.length; k++) {
    const d = Math.abs(v[k] - v[k - 1]);
    if (d > 1e-12 && d < step) step = d;
  }
  if (!(step >= COARSE_STEP * scale) || !Number.isFinite(step)) return false;
  for (let k = 0; k < v.length; k++) {
    const r = v[k] / step;
    if (Math.abs(r - Math.round(r)) > 0.02) return false;
  }
  return true;
}

/** One stuck stretch of one series: `from..to` index its finite points. */
interface Episode {
  series: Series;
  at: Int32Array;
  from: number;
  to: number;
  value: number;
  exact: boolean;
}

/** The stuck stretches of one series, longest first within each stretch of the run. O(n). */
function stretches(series: Series, run: Run): Episode[] {
  const { at, v } = finitePoints(series);
  const n = v.length;
  if (n < MIN_POINTS) return [];
  const scale = metricDirection(series.metric) === 'higher' ? scoreScale(v) : 1;
  const minPoints = Math.max(MIN_POINTS, Math.ceil(MIN_SHARE * n));
  // Every stretch of equal values, in order; a series on a coarse grid (a 50-example validation set moves in
  // steps of 0.02) repeats values by chance, so a stuck stretch must also be well over twice its longest
  // other stretch.
  const candidates: [number, number][] = [];
  let longest = 0;
  let second = 0;
  let start = 0;
  for (let k = 1; k <= n; k++) {
    if (k < n && sameValue(v[k], v[start])) continue;
    const length = k - start;
    if (length > longest) {
      second = longest;
      longest = length;
    } else if (length > second) second = length;
    if (length >= minPoints) candidates.push([start, k - 1]);
    start = k;
  }
  // Whether the values sit on a coarse grid: an O(n) check, only made for a stretch long enough to need it.
  let coarse: boolean | undefined;
  const out: Episode[] = [];
  for (const [a, b] of candidates) {
    const length = b - a + 1;
    const longestOther = length === longest ? second : longest;
    if (length < minPoints || length < 2 * longestOther + 2) continue;
    // A converged metric on a coarse grid repeats itself by nature: only a very long stretch counts there.
    coarse ??= onCoarseGrid(v, scale);
    if (coarse && (length < COARSE_SHARE * n || length < 4 * longestOther)) continue;
    if (!judged(series, v[a], scale, v) || !spansEnough(series, at[a], at[b]) || frozenByDesign(run, series, at[a], at[b]) || zeroedByNaN(run, series, v[a])) continue;
    // A stuck metric printed with rounding jitter takes one or two values; a curve converging by tiny steps
    // (0.9911, 0.9912, 0.9913, ...) takes a new one at every point and is not stuck.
    const distinct = new Set<number>();
    for (let m = a; m <= b && distinct.size <= MAX_DISTINCT; m++) distinct.add(v[m]);
    if (distinct.size > MAX_DISTINCT) continue;
    out.push({ series, at, from: a, to: b, value: v[a], exact: distinct.size === 1 });
  }
  return out;
}

function spansEnough(series: Series, a: number, b: number): boolean {
  return xUnit(series, a) !== 'epochs' || xOf(series, b) - xOf(series, a) >= MIN_EPOCHS - 1;
}

/** The learning rate (when logged) was annealed to about zero over the stretch: nothing was meant to move. */
function frozenByDesign(run: Run, series: Series, a: number, b: number): boolean {
  const lr = run.series.find((s) => s.metric === 'lr');
  if (!lr || lr.length === 0) return false;
  let max = 0;
  for (let i = 0; i < lr.length; i++) if (lr.value[i] > max) max = lr.value[i];
  if (!(max > 0)) return true;
  const x0 = xOf(series, a);
  const x1 = xOf(series, b);
  const inside: number[] = [];
  for (let i = 0; i < lr.length; i++) {
    const x = xOf(lr, i);
    if (x >= x0 && x <= x1 && Number.isFinite(lr.value[i])) inside.push(lr.value[i]);
  }
  return inside.length > 0 && median(inside) <= FROZEN_LR_SHARE * max;
}

/** A loss standing at exactly 0 while another metric is NaN is Hugging Face's NaN filter: `non-finite` reports it. */
function zeroedByNaN(run: Run, series: Series, value: number): boolean {
  if (value !== 0 || metricDirection(series.metric) !== 'lower') return false;
  return run.series.some((s) => s.value.some((x) => Number.isNaN(x) || !Number.isFinite(x)));
}

/**
 * `stuck-metric`: a metric that holds the same value, or practically the same, over many evaluations
 * while the run goes on (seed 004: validation accuracy "always stuck at 76%"). The usual causes are a model
 * that predicts one class everywhere (accuracy is then that class's share) or an evaluation that scores
 * stale or constant outputs. The learning rate, timings and counters are not judged; neither is a run whose
 * learning rate was annealed to about zero.
 */
export const stuckMetric: Detector = {
  id: 'stuck-metric',
  docs: 'docs/rules/stuck-metric.md',
  detect({ run }) {
    const episodes = run.series.flatMap((s) => stretches(s, run));
    return group(episodes).map((g) => report(run, g));
  },
};

/** Stretches of different series that overlap for at least half of the shorter one are one episode. */
function group(episodes: Episode[]): Episode[][] {
  const span = (e: Episode): [number, number] => [e.series.line[e.at[e.from]], e.series.line[e.at[e.to]]];
  const sorted = [...episodes].sort((a, b) => span(a)[0] - span(b)[0] || SPLIT_ORDER[a.series.split] - SPLIT_ORDER[b.series.split]);
  const groups: Episode[][] = [];
  for (const e of sorted) {
    const [a, b] = span(e);
    const home = groups.find((g) => {
      const [c, d] = span(g[0]);
      const overlap = Math.min(b, d) - Math.max(a, c);
      return overlap >= 0.5 * Math.min(b - a, d - c);
    });
    if (home) home.push(e);
    else groups.push([e]);
  }
  // Held-out metrics first: a frozen validation accuracy is the classic case.
  return groups.map((g) => g.sort((x, y) => SPLIT_ORDER[y.series.split] - SPLIT_ORDER[x.series.split] || x.series.name.localeCompare(y.series.name)));
}

function describe(e: Episode): string {
  const n = e.to - e.from + 1;
  return (
    `${SPLIT_WORD[e.series.split]} \`${e.series.metric}\` stayed at ${e.exact ? 'exactly ' : ''}${formatValue(e.value)} ` +
    `for ${n} evaluations (${pointLabel(e.series, e.at[e.from])} to ${pointLabel(e.series, e.at[e.to])})`
  );
}

/** What the training loss did over the stuck stretch, when it moved. */
function meanwhile(run: Run, group: Episode[]): string {
  const loss = trainingLoss(run);
  if (!loss || group.some((e) => e.series === loss)) return '';
  const e = group[0];
  const x0 = xOf(e.series, e.at[e.from]);
  const x1 = xOf(e.series, e.at[e.to]);
  let first = NaN;
  let last = NaN;
  for (let i = 0; i < loss.length; i++) {
    const x = xOf(loss, i);
    if (!Number.isFinite(loss.value[i]) || x < x0 || x > x1) continue;
    if (Number.isNaN(first)) first = loss.value[i];
    last = loss.value[i];
  }
  if (!Number.isFinite(first) || Math.abs(first - last) < 0.05 * Math.abs(first)) return '';
  return ` while training \`${loss.metric}\` went from ${formatValue(first)} to ${formatValue(last)}`;
}

function report(run: Run, group: Episode[]): CurveFinding {
  const [e, ...others] = group;
  const also = others.map((o) => `; ${describe(o)}`).join('');
  const message =
    `${describe(e)}${meanwhile(run, group)}${also}. A metric that does not move while training goes on usually ` +
    `means the model predicts one class everywhere (accuracy then equals that class's share) or the evaluation ` +
    `scores stale or constant outputs.`;
  return {
    kind: 'curve',
    id: stuckMetric.id,
    severity: 'warning',
    message,
    metric: e.series.name,
    ...anchorAt(e.series, e.at[e.from]),
    evidence: group.map((g) => ({ series: g.series.name, startIndex: g.at[g.from], endIndex: g.at[g.to] })),
    related: [],
  };
}

/** The last finite value of a series and its index, if any. */
function lastPoint(series: Series): number {
  for (let i = series.length - 1; i >= 0; i--) if (Number.isFinite(series.value[i])) return i;
  return -1;
}

/** The file name at the end of a path, for listing runs compactly. */
function baseName(source: string): string {
  const parts = source.split(/[\\/]/);
  return parts[parts.length - 1] || source;
}

/** A run's label in a list: its file name, plus the segment when one file holds several runs. */
function runLabel(run: Run, all: readonly Run[]): string {
  const shared = all.filter((r) => r.source === run.source).length > 1;
  // Runs are often `name/train.log`: keep the folder when file names collide.
  const sameBase = all.filter((r) => baseName(r.source) === baseName(run.source)).length > 1 && !shared;
  const label = sameBase ? run.source.split(/[\\/]/).slice(-2).join('/') : baseName(run.source);
  return `\`${label}\`${shared ? ` (run ${run.segment + 1})` : ''}`;
}

/**
 * The cross-run form of `stuck-metric`, for a folder of runs: the same metric ends at the same value in at
 * least three runs (and in at least half of the runs that log it) although their curves differ (seed 004:
 * "no matter which architecture or regularization alternative", validation accuracy ends at 76%). Different
 * models landing on one value points at the data or the evaluation, not the models. Runs whose curves are
 * identical (a copied or restarted log) do not count as different. One finding per metric, anchored on the
 * first such run's last point, with the other runs as related locations. Pure; O(total points).
 */
export function stuckAcrossRuns(runs: readonly Run[]): CurveFinding[] {
  return stuckAcrossRunsAnchored(runs).map((a) => a.finding);
}

/** `stuckAcrossRuns` with the run each finding is anchored on, so the caller can put it on that run's log. */
export function stuckAcrossRunsAnchored(runs: readonly Run[]): { run: Run; finding: CurveFinding }[] {
  if (runs.length < MIN_RUNS) return [];
  const names = new Set<string>();
  for (const run of runs) for (const s of run.series) names.add(s.name);
  const findings: { run: Run; finding: CurveFinding }[] = [];
  for (const name of [...names].sort()) {
    const finals: { run: Run; series: Series; index: number; value: number }[] = [];
    for (const run of runs) {
      const series = run.series.find((s) => s.name === name);
      if (!series) continue;
      const index = lastPoint(series);
      if (index >= 0) finals.push({ run, series, index, value: series.value[index] });
    }
    if (finals.length < MIN_RUNS) continue;
    const { series: first } = finals[0];
    const scale = metricDirection(first.metric) === 'higher' ? scoreScale(finals.map((f) => f.value)) : 1;
    // The largest set of runs ending on the same value (each final tried as the reference: few runs, O(r²)).
    let best: typeof finals = [];
    for (const ref of finals) {
      const same = finals.filter((f) => sameValue(f.value, ref.value));
      if (same.length > best.length) best = same;
    }
    if (best.length < MIN_RUNS || best.length < 0.5 * finals.length) continue;
    if (!judged(best[0].series, best[0].value, scale, best[0].series.value) || !curvesDiffer(best.map((b) => b.series))) continue;
    // Models that all fit their training set end near the ceiling: that is convergence, not a shared cause.
    if (metricDirection(first.metric) === 'higher' && best[0].value >= 0.98 * scale) continue;
    const [anchor, ...rest] = best;
    const related: Related[] = rest.map((b) => ({
      location: { file: b.run.source, line: b.series.line[b.index] > 0 ? b.series.line[b.index] : 1 },
      message: `\`${b.series.name}\` ends at ${formatValue(b.value)} here too`,
    }));
    const exact = best.every((b) => b.value === anchor.value);
    const message =
      `${SPLIT_WORD[anchor.series.split]} \`${anchor.series.metric}\` ends at ${exact ? 'exactly ' : ''}${formatValue(anchor.value)} ` +
      `in ${best.length} of ${finals.length} runs (${best.map((b) => runLabel(b.run, runs)).join(', ')}) although their curves differ. ` +
      `Different models landing on the same value points at the data or the evaluation, not the model: often the share ` +
      `of the majority class (a model that predicts one class), a fixed subset being scored, or a split that differs ` +
      `from the training data.`;
    findings.push({
      run: anchor.run,
      finding: {
        kind: 'curve',
        id: stuckMetric.id,
        severity: 'warning',
        message,
        metric: anchor.series.name,
        ...anchorAt(anchor.series, anchor.index),
        evidence: [{ series: anchor.series.name, startIndex: anchor.index, endIndex: anchor.index }],
        related,
      },
    });
  }
  return findings;
}

/** Whether at least two of the series differ somewhere (length or any value). */
function curvesDiffer(series: readonly Series[]): boolean {
  const [a, ...rest] = series;
  return rest.some((b) => b.length !== a.length || b.value.some((x, i) => !Object.is(x, a.value[i])));
}
