import type { CurveFinding, Run, Series, Split } from '../types';
import { finitePoints, medianOf } from './align';
import { anchorAt, formatValue, pointLabel, type Detector } from './detector';
import { SPLIT_ORDER, SPLIT_WORD, scoreScale } from './select';
import { runningMedian, stepNoise } from './stats';

/** Options the code side may supply: the number of classes read from the script (`nn.Linear(…, 10)`). */
export interface ChanceLevelOptions {
  /** Number of classes; when absent it is inferred from the curves (accuracy ≈ 1/C together with loss ≈ ln C). */
  readonly classes?: number;
}

/** Points a series needs before "after enough training" holds... */
const MIN_POINTS = 5;
/** ...and the share of its last points that are judged (at least 3). */
const LAST_SHARE = 0.3;
/** Accuracy within max(0.02, 0.06/C) of 1/C (2 points for 10 classes, 3 points for 2) is at chance. */
const ACC_TOLERANCE = 0.02;
const ACC_RELATIVE = 0.06;
/** A loss within 5% of ln C is at the uniform-guess level. */
const LOSS_RELATIVE = 0.05;
/** The curve never rose more than this share of the way from chance to perfect (else it learned, and a fall back is `collapse`). */
const NEVER_ROSE = 0.06;
/** A same-split loss that fell by this share while accuracy stayed at chance is `loss-metric-mismatch`'s finding. */
const LOSS_FELL = 0.25;
/** Class counts we consider. */
const MAX_CLASSES = 1000;

const isAccuracy = (s: Series) => s.metric === 'accuracy' || /^(top-?1_?)acc(uracy)?$/.test(s.metric);
const isCrossEntropy = (s: Series) => s.metric === 'loss' || /^(ce|nll|xent|cross_?entropy)(_loss)?$/.test(s.metric);

/** One series judged at chance, with its judged stretch. */
interface AtChance {
  series: Series;
  at: Int32Array;
  from: number;
  to: number;
  level: number;
  /** Highest smoothed value (accuracy) or lowest (loss) over the whole run. */
  extreme: number;
  kind: 'accuracy' | 'loss';
}

/** The judged (last) stretch of a series' finite points. */
function lastStretch(n: number): number {
  return Math.max(0, n - Math.max(3, Math.ceil(LAST_SHARE * n)));
}

/** The C whose 1/C an accuracy level (a fraction) sits at, if any. */
function classesFromAccuracy(level: number): number | undefined {
  if (!(level > 0) || level > 0.55) return undefined;
  const c = Math.round(1 / level);
  return c >= 2 && c <= MAX_CLASSES && Math.abs(level - 1 / c) <= accTolerance(c) ? c : undefined;
}

function accTolerance(c: number): number {
  return Math.max(ACC_TOLERANCE, ACC_RELATIVE / c);
}

function nearLnC(loss: number, c: number): boolean {
  return Math.abs(loss - Math.log(c)) <= LOSS_RELATIVE * Math.log(c);
}

/** An accuracy series at 1/C that never rose above it, or undefined. */
function accuracyAtChance(series: Series, c: number | undefined): (AtChance & { classes: number }) | undefined {
  const { at, v } = finitePoints(series);
  const n = v.length;
  if (n < MIN_POINTS) return undefined;
  const scale = scoreScale(v);
  const from = lastStretch(n);
  const level = medianOf(v, from, n) / scale;
  const classes = c ?? classesFromAccuracy(level);
  if (classes === undefined || Math.abs(level - 1 / classes) > accTolerance(classes)) return undefined;
  // Never rose: its smoothed curve stayed within reach of chance (allowing for its own noise).
  const smooth = runningMedian(v, 3);
  let extreme = -Infinity;
  for (let k = 0; k < n; k++) extreme = Math.max(extreme, smooth[k] / scale);
  const chance = 1 / classes;
  const noise = stepNoise(v) / scale;
  if (extreme > chance + NEVER_ROSE * (1 - chance) + 2 * noise) return undefined;
  // ...and started there: a model that learned from a lower chance (1/5) up to 0.26 is not at chance for 4 classes.
  const start = medianOf(v, 0, Math.min(3, n)) / scale;
  if (Math.abs(start - chance) > accTolerance(classes) + 2 * noise) return undefined;
  // A metric frozen on one exact value is `stuck-metric`'s finding.
  let frozen = n - from >= 8;
  for (let k = from + 1; k < n && frozen; k++) frozen = v[k] === v[from];
  if (frozen) return undefined;
  return { series, at, from, to: n - 1, level: level * scale, extreme: extreme * scale, kind: 'accuracy', classes };
}

/** A cross-entropy series at ln C that never fell well below it, or undefined. */
function lossAtChance(series: Series, c: number): AtChance | undefined {
  const { at, v } = finitePoints(series);
  const n = v.length;
  if (n < MIN_POINTS) return undefined;
  const from = lastStretch(n);
  const level = medianOf(v, from, n);
  if (!nearLnC(level, c)) return undefined;
  const smooth = runningMedian(v, 3);
  let extreme = Infinity;
  for (let k = 0; k < n; k++) extreme = Math.min(extreme, smooth[k]);
  if (extreme < Math.log(c) * (1 - 2 * LOSS_RELATIVE) - 2 * stepNoise(v)) return undefined;
  return { series, at, from, to: n - 1, level, extreme, kind: 'loss' };
}

/** Whether a loss fell by {@link LOSS_FELL} of its start: the model is learning something. */
function lossFell(series: Series | undefined): boolean {
  if (!series) return false;
  const { v } = finitePoints(series);
  if (v.length < MIN_POINTS) return false;
  const k = Math.max(1, Math.floor(v.length / 5));
  const first = medianOf(v, 0, k);
  const last = medianOf(v, v.length - k, v.length);
  return first > 0 && last < (1 - LOSS_FELL) * first;
}

/**
 * `chance-level`: after enough training, accuracy sits at 1/C or the cross-entropy loss at ln C, the
 * score and loss of a uniform guess among C classes, and never rose above it. C comes from
 * `options.classes` (the code rules can read it from the script) or from the curves: an accuracy level at
 * 1/C counts only when a cross-entropy loss of the run agrees (at ln C now, or at the start, as an
 * untrained classifier's loss is). A binary accuracy falling back to 0.5 after learning is `collapse`'s
 * finding, a frozen exact value `stuck-metric`'s, and accuracy at chance while its loss falls
 * `loss-metric-mismatch`'s.
 */
export function detectChanceLevel(run: Run, options: ChanceLevelOptions = {}): CurveFinding[] {
  const hint = options.classes !== undefined && options.classes >= 2 && Number.isInteger(options.classes) ? options.classes : undefined;
  const bySplit = new Map<Split, { acc?: Series; loss?: Series }>();
  for (const s of run.series) {
    const entry = bySplit.get(s.split) ?? {};
    if (isAccuracy(s) && !entry.acc) entry.acc = s;
    else if (isCrossEntropy(s) && (!entry.loss || s.metric === 'loss')) entry.loss = s;
    bySplit.set(s.split, entry);
  }
  // Another split's cross-entropy at ln C now (validation accuracy logged with the training loss only).
  const anyLossAt = (c: number) => [...bySplit.values()].find((e) => e.loss && lossAtChance(e.loss, c))?.loss;

  const found: AtChance[] = [];
  let classes = hint;
  let source = hint !== undefined ? 'as given' : '';
  for (const split of ['val', 'test', 'train'] as const) {
    const { acc, loss } = bySplit.get(split) ?? {};
    if (acc) {
      const hit = accuracyAtChance(acc, classes);
      if (hit && !lossFell(loss)) {
        const c = hit.classes;
        const lossHit = loss ? lossAtChance(loss, c) : undefined;
        const other = lossHit ? undefined : anyLossAt(c);
        const corroborated = classes !== undefined || lossHit !== undefined || other !== undefined;
        if (corroborated) {
          if (classes === undefined) {
            classes = c;
            source = `inferred: accuracy at 1/${c} and \`${(lossHit?.series ?? other)!.name}\` at ln ${c}`;
          }
          found.push(hit);
          if (lossHit) found.push(lossHit);
          continue;
        }
      }
    }
    if (loss && classes !== undefined && !acc) {
      const lossHit = lossAtChance(loss, classes);
      if (lossHit) found.push(lossHit);
    }
  }
  if (found.length === 0 || classes === undefined) return [];
  return [report(found, classes, source)];
}

const named = (h: AtChance) => `${SPLIT_WORD[h.series.split]} \`${h.series.metric}\``;

/** Accuracies first (one clause for all of them), then losses. */
function describe(found: AtChance[], classes: number): string {
  const accs = found.filter((f) => f.kind === 'accuracy');
  const losses = found.filter((f) => f.kind === 'loss');
  const parts: string[] = [];
  if (accs.length > 0) {
    const [a] = accs;
    const scale = a.level > 1.5 ? 100 : 1;
    const levels = accs.map((f) => `${named(f)} ${formatValue(f.level)}`).join(', ');
    const extreme = Math.max(...accs.map((f) => f.extreme));
    parts.push(
      `by ${pointLabel(a.series, a.at[a.to])} ${levels}: chance for ${classes} classes (1/${classes} = ` +
        `${formatValue(scale / classes)}), never above ${formatValue(extreme)}`,
    );
  }
  if (losses.length > 0) {
    const levels = losses.map((f) => `${named(f)} ${formatValue(f.level)}`).join(', ');
    parts.push(`${levels}: the loss of a uniform guess (ln ${classes} = ${formatValue(Math.log(classes))})`);
  }
  return parts.join('; ');
}

function report(found: AtChance[], classes: number, source: string): CurveFinding {
  // Held-out accuracy first: it is what the user judges the model by.
  const ordered = [...found].sort((a, b) => (a.kind === b.kind ? SPLIT_ORDER[b.series.split] - SPLIT_ORDER[a.series.split] : a.kind === 'accuracy' ? -1 : 1));
  const [h] = ordered;
  const message =
    `${describe(ordered, classes)} (${classes} classes, ${source}). The model predicts no better ` +
    `than guessing: check that labels line up with their inputs, that the model's output reaches the loss ` +
    `(a frozen or detached layer, softmax over the wrong axis), and that the learning rate is neither ` +
    `near zero nor so high that training never starts.`;
  return {
    kind: 'curve',
    id: 'chance-level',
    severity: 'warning',
    message,
    metric: h.series.name,
    ...anchorAt(h.series, h.at[h.from]),
    evidence: ordered.map((f) => ({ series: f.series.name, startIndex: f.at[f.from], endIndex: f.at[f.to] })),
    related: [],
  };
}

/** The registered detector: classes inferred from the curves. */
export const chanceLevel: Detector = {
  id: 'chance-level',
  docs: 'docs/rules/chance-level.md',
  detect: ({ run }) => detectChanceLevel(run),
};
