import type { CurveFinding, Series } from '../types';
import { collapse } from './collapse';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { isLossLike, SPLIT_ORDER, SPLIT_WORD } from './select';
import { compress, median, runningMedian, stepNoise } from './stats';

/** Far above the best: at least this ratio (loss-like values are positive; ratios survive any scale)... */
const MIN_RATIO = 2;
/** ...at least this many times the curve's own noise (in log units), ... */
const MIN_NOISE = 6;
/** ...and at least this share of the progress the run had made (a 0.002 → 0.004 wobble at the end of a converged run is not a divergence). */
const MIN_PROGRESS_SHARE = 0.1;
/** A climb that comes back down is a bump (warm-up, schedule restart) unless it lasted this share of the run. */
const LONG_EPISODE = 0.2;
const MIN_POINTS = 5;

/** One climb of one series, in compressed indices. */
interface Episode {
  series: Series;
  from: Int32Array;
  to: Int32Array;
  v: Float64Array;
  bestAt: number;
  onset: number;
  /** Where the climb crossed the far-above threshold. */
  crossing: number;
  peakAt: number;
  recoveredAt: number;
  start: number;
  /** The series turned non-finite after its last finite point. */
  nanAfter: boolean;
}

/**
 * `divergence`: a loss-like metric climbing far above its running best and staying there, often on its
 * way to NaN. Training losses are judged; a validation loss only when the log has no training loss (a
 * validation loss rising alone is `overfitting`). Accuracy-like metrics falling are `collapse`.
 */
export const divergence: Detector = {
  id: 'divergence',
  docs: 'docs/rules/divergence.md',
  detect(context) {
    const { run } = context;
    const losses = run.series.filter(isLossLike);
    const train = losses.filter((s) => s.split === 'train');
    const judged = train.length > 0 ? train : losses;
    let episodes = judged.flatMap(episodesIn);
    if (episodes.length === 0) return [];
    // When an accuracy collapses in the same stretch, `collapse` reports the episode: the loss climbing
    // back is the same event seen from the other side.
    const collapses = collapse.detect(context).map((f) => f.line ?? -1);
    episodes = episodes.filter((e) => !collapses.some((line) => line >= e.series.line[e.to[Math.max(0, e.onset - 2)]] && line <= e.series.line[e.to[Math.min(e.v.length - 1, e.crossing + 2)]]));
    if (episodes.length === 0) return [];
    // Held-out losses climbing in the same stretch are named in the finding, not reported on their own.
    const along = train.length > 0 ? losses.filter((s) => s.split !== 'train').flatMap(episodesIn) : [];
    return group(episodes).map((g) => report(g, along));
  },
};

function episodesIn(series: Series): Episode[] {
  const c = compress(series.value);
  const m = c.v.length;
  if (m < MIN_POINTS) return [];
  for (let i = 0; i < m; i++) if (c.v[i] <= 0) return [];
  const width = m >= 40 ? 5 : m >= 12 ? 3 : 1;
  const log = c.v.map(Math.log);
  const s = runningMedian(log, width);
  const noise = stepNoise(log);
  const start = median(c.v.subarray(0, Math.min(3, m)));
  const lastFinite = c.to[m - 1];
  let nanAfter = false;
  for (let i = lastFinite + 1; i < series.length; i++) if (!Number.isFinite(series.value[i])) nanAfter = true;

  const episodes: Episode[] = [];
  let best = Infinity;
  let bestAt = 0;
  for (let j = 0; j < m; j++) {
    if (s[j] < best) {
      best = s[j];
      bestAt = j;
      continue;
    }
    const rise = s[j] - best;
    if (rise < Math.max(Math.log(MIN_RATIO), MIN_NOISE * noise)) continue;
    const progress = start - Math.exp(best);
    if (progress > 0 && Math.exp(s[j]) - Math.exp(best) < MIN_PROGRESS_SHARE * progress) continue;
    // Where it ends: back within half the rise of the best.
    const back = best + 0.5 * Math.max(Math.log(MIN_RATIO), MIN_NOISE * noise);
    let end = j;
    while (end < m && s[end] > back) end++;
    const recovered = end < m;
    const length = end - j;
    const raw = log.subarray(j, end);
    const rawAbove = raw.filter((x) => x > back).length;
    const counts = recovered ? length >= Math.max(MIN_POINTS, LONG_EPISODE * m) : rawAbove >= 2 || (nanAfter && rawAbove >= 1);
    if (counts) {
      // The onset: the last point still near the best before the climb.
      const near = best + Math.max(2 * noise, 0.15 * rise);
      let onset = j - 1;
      while (onset > bestAt && s[onset] > near) onset--;
      let peakAt = j;
      for (let k = j; k < end; k++) if (log[k] > log[peakAt]) peakAt = k;
      episodes.push({ series, from: c.from, to: c.to, v: c.v, bestAt, onset, crossing: j, peakAt, recoveredAt: recovered ? end : -1, start, nanAfter: !recovered && nanAfter });
    }
    if (!recovered) break;
    // Re-arm from the recovery point.
    j = end;
    best = s[end];
    bestAt = end;
  }
  return episodes;
}

const onsetX = (e: Episode) => e.series.line[e.to[e.onset]];

/** Climbs of several training losses in the same stretch are one episode: one finding, the main loss first. */
function group(episodes: Episode[]): Episode[][] {
  const sorted = [...episodes].sort((a, b) => onsetX(a) - onsetX(b));
  const groups: Episode[][] = [];
  for (const e of sorted) {
    const last = groups[groups.length - 1];
    const end = last ? Math.max(...last.map((g) => g.series.line[g.to[g.recoveredAt >= 0 ? g.recoveredAt : g.v.length - 1]])) : -1;
    if (last && onsetX(e) <= end) last.push(e);
    else groups.push([e]);
  }
  const rank = (e: Episode) => (e.series.metric === 'loss' ? 0 : 1) + 2 * SPLIT_ORDER[e.series.split];
  return groups.map((g) => g.sort((a, b) => rank(a) - rank(b)));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function report(group: Episode[], along: Episode[]): CurveFinding {
  const [e, ...others] = group;
  const s = e.series;
  const onset = e.to[e.onset];
  const bestRaw = e.to[e.bestAt];
  const peakRaw = e.to[e.peakAt];
  const best = e.v[e.bestAt];
  const peak = e.v[e.peakAt];
  const fate =
    e.recoveredAt >= 0
      ? `came back down by ${pointLabel(s, e.from[e.recoveredAt])}`
      : e.nanAfter
        ? 'then became NaN'
        : 'had not come back by the end of the log';
  const start = peak > e.start ? `, and above its starting ${formatValue(e.start)}` : '';
  const lineOf = (x: Episode) => x.series.line[x.to[x.onset]];
  const endLine = e.recoveredAt >= 0 ? s.line[e.to[e.recoveredAt]] : Infinity;
  const heldOut = along.filter((a) => lineOf(a) <= endLine && (a.recoveredAt < 0 || a.series.line[a.to[a.recoveredAt]] >= s.line[onset]));
  const withIt = [...others, ...heldOut].map((o) => `${SPLIT_WORD[o.series.split]} \`${o.series.metric}\``);
  const together = withIt.length > 0 ? ` ${capitalize(withIt.join(' and '))} climbed with it.` : '';
  const message =
    `${SPLIT_WORD[s.split]} \`${s.metric}\` started climbing at ${pointLabel(s, onset)}: from its best ` +
    `${formatValue(best)} (${pointLabel(s, bestRaw)}) to ${formatValue(peak)} by ${pointLabel(s, peakRaw)} ` +
    `(${formatValue(peak / best)}× its best${start}), and ${fate}.${together} A loss that runs away like this usually means a learning rate too ` +
    'high for this stage of training (the end of a warm-up, a schedule restart) or exploding gradients: lower the ' +
    'learning rate or clip the gradient norm.';
  return {
    kind: 'curve',
    id: divergence.id,
    severity: 'warning',
    message,
    metric: s.name,
    ...anchorAt(s, onset),
    evidence: [...group, ...heldOut].map((g) => ({
      series: g.series.name,
      startIndex: g.to[g.onset],
      endIndex: g.recoveredAt >= 0 ? g.to[g.recoveredAt] : g.to[g.v.length - 1],
    })),
    related: [],
  };
}
