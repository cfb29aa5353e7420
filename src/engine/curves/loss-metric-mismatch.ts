import type { CurveFinding, Run, Series } from '../types';
import { finitePoints, medianOf, sharedAxis, type Points } from './align';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { isLossLike, isScoreLike, scoreScale, trainingLoss, xOf } from './select';
import { compress, mannKendall, runningMedian, stepNoise } from './stats';

/** Points a metric needs on the stretch it is compared over. */
const MIN_POINTS = 5;
/** Loss improving: it fell by at least this share of its starting level... */
const MIN_LOSS_FALL = 0.25;
/** ...with a Mann–Kendall trend at least this strong (z-score). */
const MIN_TREND_Z = 3;
/** ...and by at least this many standard errors of its block medians. */
const MIN_FALL_NOISE = 5;
/** Task metric flat: it moved less than this share of its scale from its first stretch to its last... */
const MAX_METRIC_MOVE = 0.03;
/** ...never rose more than this share of its scale above where it started... */
const MAX_METRIC_RISE = 0.05;
/** ...and sits below this share of its scale (a metric already near perfect has nothing left to gain). */
const MAX_METRIC_LEVEL = 0.85;
/** Over-confidence: validation loss rose from its minimum by this share and this many times its noise... */
const MIN_LOSS_RISE = 0.1;
const MIN_RISE_NOISE = 4;
/** ...while validation accuracy gained at least this many times its point-to-point noise and 1% of its scale since that minimum... */
const MIN_METRIC_GAIN_NOISE = 1.5;
const MIN_METRIC_GAIN = 0.01;
/** ...with a Mann–Kendall trend at least this strong from the loss minimum on. */
const MIN_RISE_Z = 2.5;
/** Points after the loss minimum needed to call the rise a trend. */
const MIN_AFTER = 4;

/** The values of `p` whose x lies in [x0, x1], compressed for trend tests. */
function within(series: Series, p: Points, x0: number, x1: number): Float64Array {
  const out: number[] = [];
  for (let k = 0; k < p.v.length; k++) {
    const x = xOf(series, p.at[k]);
    if (x >= x0 && x <= x1) out.push(p.v[k]);
  }
  return compress(out, 1000).v;
}

/** A flat task metric while its loss fell. */
interface Flat {
  metric: Series;
  mp: Points;
  loss: Series;
  lossFrom: number;
  lossTo: number;
  start: number;
  end: number;
}

/** Whether a score series is flat over the run (and has room to improve), with its start and end levels. */
function flatScore(series: Series, p: Points): { start: number; end: number } | undefined {
  const n = p.v.length;
  if (n < MIN_POINTS) return undefined;
  const scale = scoreScale(p.v);
  const k = Math.max(2, Math.floor(n / 3));
  const start = medianOf(p.v, 0, k);
  const end = medianOf(p.v, n - k, n);
  if (Math.abs(end - start) > MAX_METRIC_MOVE * scale || end > MAX_METRIC_LEVEL * scale) return undefined;
  const smooth = runningMedian(p.v, 3);
  for (let i = 0; i < n; i++) if (smooth[i] - start > MAX_METRIC_RISE * scale) return undefined;
  // A metric frozen on one exact value is `stuck-metric`'s finding.
  if (p.v.every((x) => x === p.v[0])) return undefined;
  return { start, end };
}

/** The first kind: the loss improves steadily while a task metric on the same stretch does not move. */
function flatWhileLossFalls(run: Run): Flat[] {
  const out: Flat[] = [];
  const trainLoss = trainingLoss(run);
  for (const metric of run.series) {
    if (!isScoreLike(metric)) continue;
    // The loss of the same split, else the training loss (MMDetection logs validation mAP but no validation loss).
    const loss = run.series.find((s) => s.split === metric.split && s.metric === 'loss') ?? run.series.find((s) => s.split === metric.split && isLossLike(s)) ?? trainLoss;
    if (!loss || !sharedAxis(loss, metric)) continue;
    const mp = finitePoints(metric);
    const flat = flatScore(metric, mp);
    if (!flat) continue;
    const lp = finitePoints(loss);
    if (lp.v.length < MIN_POINTS) continue;
    const x0 = Math.min(xOf(metric, mp.at[0]), xOf(loss, lp.at[0]));
    const x1 = xOf(metric, mp.at[mp.at.length - 1]);
    const lv = within(loss, lp, x0, x1);
    if (lv.length < MIN_POINTS) continue;
    const k = Math.max(1, Math.floor(lv.length / 5));
    const lossFrom = medianOf(lv, 0, k);
    const lossTo = medianOf(lv, lv.length - k, lv.length);
    if (!(lossFrom > 0) || lossTo > (1 - MIN_LOSS_FALL) * lossFrom || mannKendall(lv) > -MIN_TREND_Z) continue;
    // The fall stands out of the noise of the two block medians it compares.
    if (lossFrom - lossTo < (MIN_FALL_NOISE * stepNoise(lv)) / Math.sqrt(k)) continue;
    out.push({ metric, mp, loss, lossFrom, lossTo, start: flat.start, end: flat.end });
  }
  return out;
}

const SPLIT_NAME = { train: 'training', val: 'validation', test: 'test' } as const;
const named = (s: Series) => `${SPLIT_NAME[s.split]} \`${s.metric}\``;

function reportFlat(group: Flat[]): CurveFinding {
  const [f] = group;
  const last = f.mp.at[f.mp.at.length - 1];
  const shown = group.slice(0, 3).map((g) => `${named(g.metric)} went only from ${formatValue(g.start)} to ${formatValue(g.end)}`);
  if (group.length > 3) shown.push(`${group.length - 3} more ${group.length === 4 ? 'metric' : 'metrics'} stayed as flat`);
  const metrics = shown.join(', ');
  const message =
    `${named(f.loss)} fell from ${formatValue(f.lossFrom)} to ${formatValue(f.lossTo)} while ${metrics} ` +
    `(${pointLabel(f.metric, f.mp.at[0])} to ${pointLabel(f.metric, last)}). When the loss improves and the task metric does not, the ` +
    `metric is usually not measuring what the model learns: labels or annotations that do not match the inputs ` +
    `(a broken conversion, wrong class ids or box format), an evaluation on the wrong split or with the wrong ` +
    `post-processing, or a loss that rewards something other than the task.`;
  return {
    kind: 'curve',
    id: lossMetricMismatch.id,
    severity: 'warning',
    message,
    metric: f.metric.name,
    ...anchorAt(f.metric, f.mp.at[0]),
    evidence: [
      ...group.map((g) => ({ series: g.metric.name, startIndex: g.mp.at[0], endIndex: g.mp.at[g.mp.at.length - 1] })),
      { series: f.loss.name, startIndex: 0, endIndex: f.loss.length - 1 },
    ],
    related: [],
  };
}

/** The second kind: validation loss rising from its minimum while validation accuracy still rises. */
function overConfident(run: Run): CurveFinding[] {
  const findings: CurveFinding[] = [];
  for (const loss of run.series) {
    if (loss.split === 'train' || loss.metric !== 'loss') continue;
    const score = run.series.find((s) => s.split === loss.split && isScoreLike(s) && /acc/.test(s.metric));
    if (!score || sharedAxis(loss, score) === undefined) continue;
    const lp = finitePoints(loss);
    const sp = finitePoints(score);
    const n = lp.v.length;
    if (n < 2 * MIN_AFTER || sp.v.length < 2 * MIN_AFTER) continue;
    const smooth = runningMedian(lp.v, 3);
    let m = 0;
    for (let k = 1; k < n; k++) if (smooth[k] < smooth[m]) m = k;
    if (n - 1 - m < MIN_AFTER || m < 1) continue;
    const minimum = smooth[m];
    const lossEnd = medianOf(lp.v, n - 3, n);
    const lossNoise = stepNoise(lp.v);
    if (lossEnd - minimum < Math.max(MIN_LOSS_RISE * minimum, MIN_RISE_NOISE * lossNoise)) continue;
    if (mannKendall(lp.v, m) < MIN_TREND_Z - 1) continue;
    // Accuracy from the loss minimum on.
    const xMin = xOf(loss, lp.at[m]);
    let s0 = -1;
    for (let k = 0; k < sp.v.length; k++) {
      if (xOf(score, sp.at[k]) >= xMin) {
        s0 = k;
        break;
      }
    }
    if (s0 < 0 || sp.v.length - s0 < MIN_AFTER) continue;
    const scale = scoreScale(sp.v);
    const sSmooth = runningMedian(sp.v, 3);
    const accAt = sSmooth[s0];
    const accEnd = medianOf(sp.v, sp.v.length - 3, sp.v.length);
    const gain = accEnd - accAt;
    if (gain < Math.max(MIN_METRIC_GAIN * scale, MIN_METRIC_GAIN_NOISE * stepNoise(sp.v)) || mannKendall(sp.v, s0) < MIN_RISE_Z) continue;
    const message =
      `${named(loss)} rose from ${formatValue(minimum)} (${pointLabel(loss, lp.at[m])}) to ${formatValue(lossEnd)} ` +
      `(${pointLabel(loss, lp.at[n - 1])}) while ${named(score)} kept rising from ${formatValue(accAt)} to ` +
      `${formatValue(accEnd)}: the model is growing over-confident on the examples it still gets wrong (cross-entropy ` +
      `punishes confident mistakes) while getting more of them right. Keep the checkpoint with the best ` +
      `\`${score.name}\`, not the lowest \`${loss.name}\`, and consider label smoothing or calibration if you need the probabilities.`;
    findings.push({
      kind: 'curve',
      id: lossMetricMismatch.id,
      severity: 'info',
      message,
      metric: loss.name,
      ...anchorAt(loss, lp.at[m]),
      evidence: [
        { series: loss.name, startIndex: lp.at[m], endIndex: lp.at[n - 1] },
        { series: score.name, startIndex: sp.at[s0], endIndex: sp.at[sp.v.length - 1] },
      ],
      related: [],
    });
  }
  return findings;
}

/**
 * `loss-metric-mismatch`: the loss and the task metric disagree. Either the loss improves steadily while a
 * task metric (accuracy, mAP, F1, ...) on the same stretch stays flat well short of perfect (MMDetection
 * with broken annotations: training loss 1.1 → 0.30 while bbox mAP stays near 0.02 for 12 epochs), or the
 * validation loss rises from its minimum while validation accuracy still rises (over-confidence). A loss
 * that barely moves while accuracy climbs is not this finding: that is a mis-scaled or mislabelled loss.
 */
export const lossMetricMismatch: Detector = {
  id: 'loss-metric-mismatch',
  docs: 'docs/rules/loss-metric-mismatch.md',
  detect({ run }) {
    const flats = flatWhileLossFalls(run);
    // One finding per loss: its flat metrics together (bbox and segm mAP of one detector are one episode).
    const byLoss = new Map<Series, Flat[]>();
    for (const f of flats) byLoss.set(f.loss, [...(byLoss.get(f.loss) ?? []), f]);
    return [...[...byLoss.values()].map(reportFlat), ...overConfident(run)];
  },
};
