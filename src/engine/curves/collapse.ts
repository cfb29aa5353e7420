import type { CurveFinding, Series } from '../types';
import { metricDirection } from '../logs/names';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { finitePoints } from './align';
import { scoreScale } from './select';
import { stepNoise } from './stats';

/** Points before anything counts: the start level is the median of these. */
const START_POINTS = 3;
/** A collapse happens within this many evaluations of the curve being near its best. */
const WINDOW = 3;
/** The curve must first gain at least this share of its scale (1 for fractions, 100 for percentages). */
const MIN_GAIN_SHARE = 0.1;
/** ... and at least this many times its own point-to-point noise. */
const MIN_GAIN_NOISE = 8;
/** Before the fall it was within the top 30% of its gain. */
const NEAR_BEST = 0.7;
/** After the fall it is within the bottom 35% of its gain: back at or near where it started. */
const NEAR_START = 0.35;
/** More falls than this in one series are the logging's resets, not collapses. */
const MAX_EPISODES = 3;
/** The fall itself is at least half the gain and this many times the noise. */
const MIN_DROP_NOISE = 6;

/**
 * `collapse`: after real progress, an accuracy-like metric falls back to or near its starting level
 * within a few evaluations (seed 000: a GRU's train accuracy 0.99 → 0.51 at epoch 27). Loss-like
 * metrics climbing back are `divergence`'s business.
 */
export const collapse: Detector = {
  id: 'collapse',
  docs: 'docs/rules/collapse.md',
  detect({ run }) {
    const episodes: Episode[] = [];
    for (const series of run.series) {
      if (metricDirection(series.metric) !== 'higher') continue;
      for (const episode of collapsesIn(series)) episodes.push(episode);
    }
    return groupByOnset(episodes).map(report);
  },
};

/** One collapse of one series. Indices are into `v`, the series' finite values; `at` maps them back. */
interface Episode {
  series: Series;
  at: Int32Array;
  v: Float64Array;
  start: number;
  before: number;
  beforeAt: number;
  onset: number;
  bottomAt: number;
  /** The highest point after the bottom (the first of equals), for the recovery; the bottom itself when none is higher. */
  bestAfter: number;
}

function collapsesIn(series: Series): Episode[] {
  const { at, v } = finitePoints(series);
  if (v.length < START_POINTS + WINDOW) return [];

  // The lower of the first points: a steep first epoch must not lift the starting level.
  const start = Math.min(...v.subarray(0, START_POINTS));
  const scale = scoreScale(v);
  // A collapse falls by at least half a gain of 10% of the scale from one of the few points before it (a
  // hair less here, so rounding cannot rule a real one out): a curve with no such fall anywhere, most runs,
  // needs no noise estimate.
  if (!fallsBy(v, 0.49 * MIN_GAIN_SHARE * scale)) return [];
  const noise = stepNoise(v);
  const episodes: Episode[] = [];
  let peak = -Infinity;
  let armed = true;

  for (let j = START_POINTS; j < v.length; j++) {
    peak = Math.max(peak, v[j - 1]);
    const gain = peak - start;
    if (gain < MIN_GAIN_SHARE * scale || gain < MIN_GAIN_NOISE * noise) continue;
    if (!armed) {
      // One finding per episode: wait until the curve is back near its best.
      if (v[j] >= start + NEAR_BEST * gain) armed = true;
      continue;
    }
    let before = -Infinity;
    let beforeAt = -1;
    for (let k = Math.max(0, j - WINDOW); k < j; k++) {
      if (v[k] > before) {
        before = v[k];
        beforeAt = k;
      }
    }
    const drop = before - v[j];
    if (before < start + NEAR_BEST * gain || v[j] > start + NEAR_START * gain) continue;
    if (drop < 0.5 * gain || drop < MIN_DROP_NOISE * noise) continue;
    // A single bad evaluation (one unlucky batch in a step-level log) is noise, not a collapse: the next
    // point must still be down there.
    if (j + 1 >= v.length || v[j + 1] > start + NEAR_START * gain) continue;

    // The bottom of the fall: the lowest point among the next few.
    let bottomAt = j;
    for (let k = j + 1; k < Math.min(v.length, j + WINDOW); k++) if (v[k] < v[bottomAt]) bottomAt = k;
    // A metric that falls back to its start again and again is reset by the logging (a running mean restarted
    // every epoch, a metric of each new task), not a model that collapsed: no finding at all.
    if (episodes.length === MAX_EPISODES) return [];
    episodes.push({ series, at, v, start, before, beforeAt, onset: j, bottomAt, bestAfter: -1 });
    armed = false;
  }
  // Where each episode's recovery peaked: one backward pass, not one scan to the end per episode.
  const byBottom = [...episodes].sort((a, b) => b.bottomAt - a.bottomAt);
  let best = v.length - 1;
  for (let k = v.length - 1, e = 0; e < byBottom.length && k >= 0; k--) {
    while (e < byBottom.length && k === byBottom[e].bottomAt) byBottom[e++].bestAfter = best;
    if (v[k] >= v[best]) best = k;
  }
  return episodes;
}

/** Whether some point is at least `drop` below the highest of the `WINDOW` points before it. O(n). */
function fallsBy(v: Float64Array, drop: number): boolean {
  for (let j = START_POINTS; j < v.length; j++) {
    for (let k = Math.max(0, j - WINDOW); k < j; k++) if (v[k] - v[j] >= drop) return true;
  }
  return false;
}

/**
 * Curves that collapse at the same log line (train and validation in one epoch) are one episode: one
 * finding, on the training curve first, naming the others and carrying their evidence too.
 */
function groupByOnset(episodes: Episode[]): Episode[][] {
  const groups = new Map<number, Episode[]>();
  for (const e of episodes) {
    const line = e.series.line[e.at[e.onset]];
    groups.set(line, [...(groups.get(line) ?? []), e]);
  }
  return [...groups.values()].map((group) => group.sort((a, b) => SPLIT_ORDER[a.series.split] - SPLIT_ORDER[b.series.split]));
}

const SPLIT_ORDER = { train: 0, val: 1, test: 2 } as const;
const SPLIT_WORD = { train: 'train', val: 'validation', test: 'test' } as const;

function fall(e: Episode): string {
  return (
    `${SPLIT_WORD[e.series.split]} \`${e.series.metric}\` collapsed from ${formatValue(e.before)} ` +
    `(${pointLabel(e.series, e.at[e.beforeAt])}) to ${formatValue(e.v[e.bottomAt])}`
  );
}

function recovery(e: Episode): string {
  const { series, at, v } = e;
  const last = v.length - 1;
  if (e.bottomAt === last) return 'the run ends there';
  const best = v[e.bestAfter] > v[e.bottomAt] ? e.bestAfter : e.bottomAt;
  const recovered = (v[best] - v[e.bottomAt]) / (e.before - v[e.bottomAt]);
  return recovered >= 0.9
    ? `it recovered to ${formatValue(v[best])} by ${pointLabel(series, at[best])}`
    : `by ${pointLabel(series, at[last])} it had recovered only to ${formatValue(v[last])}`;
}

function report(group: Episode[]): CurveFinding {
  const [e, ...others] = group;
  const onset = e.at[e.onset];
  const together = others.map((o) => `; ${fall(o)} at the same time`).join('');
  const message =
    `${fall(e)} at ${pointLabel(e.series, onset)}, back near its starting level (${formatValue(e.start)}); ` +
    `${recovery(e)}${together}. A sudden collapse mid-run usually means exploding gradients or a learning rate ` +
    `too high for this stage of training.`;
  return {
    kind: 'curve',
    id: collapse.id,
    severity: 'warning',
    message,
    metric: e.series.name,
    ...anchorAt(e.series, onset),
    evidence: group.map((g) => ({ series: g.series.name, startIndex: g.at[g.beforeAt], endIndex: g.at[g.bottomAt] })),
    related: [],
  };
}
