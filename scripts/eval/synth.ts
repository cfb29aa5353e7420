/**
 * Synthetic training runs for the evaluation harness: learning curves that look like real ones (decay with
 * plateaus, LR schedules that move the loss floor, noise that scales with the value plus a constant part,
 * train/validation gaps), and tools to damage them (NaN, missing points, resumes). Case families build their
 * healthy base here and inject one pathology on top. Nothing here knows any detector's thresholds.
 */
import { RunBuilder } from '../../src/engine/logs/series-builder';
import type { Run } from '../../src/engine/types';

export type Random = () => number;

/** A small, fast, seeded generator (mulberry32): uniform in [0, 1). */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform number in [lo, hi). */
export function between(random: Random, lo: number, hi: number): number {
  return lo + (hi - lo) * random();
}

/** A uniform integer in [lo, hi]. */
export function intBetween(random: Random, lo: number, hi: number): number {
  return Math.floor(between(random, lo, hi + 1));
}

/** A log-uniform number in [lo, hi): for scales that span decades (learning rates, loss levels). */
export function logBetween(random: Random, lo: number, hi: number): number {
  return Math.exp(between(random, Math.log(lo), Math.log(hi)));
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

export function chance(random: Random, p: number): boolean {
  return random() < p;
}

/** A standard normal draw (Box–Muller). */
export function normal(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

// ---------------------------------------------------------------------------------------------------------
// Learning-rate schedules

export type Schedule =
  | { readonly kind: 'constant' }
  | { readonly kind: 'step'; readonly every: number; readonly gamma: number }
  | { readonly kind: 'cosine'; readonly minRatio: number }
  | { readonly kind: 'plateau-halving'; readonly at: readonly number[] }
  | { readonly kind: 'linear-decay' };

export interface LrOptions {
  readonly base: number;
  readonly schedule: Schedule;
  /** Linear warm-up over this many points (0: none). */
  readonly warmup?: number;
}

/** The learning rate at each of `n` points. */
export function learningRate(n: number, { base, schedule, warmup = 0 }: LrOptions): number[] {
  const lr: number[] = [];
  for (let i = 0; i < n; i++) {
    let f = 1;
    switch (schedule.kind) {
      case 'constant':
        break;
      case 'step':
        f = Math.pow(schedule.gamma, Math.floor(i / schedule.every));
        break;
      case 'cosine':
        f = schedule.minRatio + (1 - schedule.minRatio) * 0.5 * (1 + Math.cos((Math.PI * i) / Math.max(1, n - 1)));
        break;
      case 'plateau-halving':
        f = Math.pow(0.5, schedule.at.filter((a) => i >= a).length);
        break;
      case 'linear-decay':
        f = 1 - i / n;
        break;
    }
    if (i < warmup) f *= (i + 1) / (warmup + 1);
    lr.push(base * f);
  }
  return lr;
}

/** A random schedule typical of real runs of `n` points. */
export function randomSchedule(random: Random, n: number): Schedule {
  const kind = pick(random, ['constant', 'step', 'cosine', 'plateau-halving', 'linear-decay'] as const);
  switch (kind) {
    case 'constant':
    case 'linear-decay':
      return { kind };
    case 'step':
      return { kind, every: Math.max(2, Math.round(n * between(random, 0.25, 0.45))), gamma: pick(random, [0.1, 0.2, 0.5]) };
    case 'cosine':
      return { kind, minRatio: between(random, 0, 0.05) };
    case 'plateau-halving': {
      const at: number[] = [];
      let t = Math.round(n * between(random, 0.3, 0.5));
      while (t < n) {
        at.push(t);
        t += Math.max(2, Math.round(n * between(random, 0.12, 0.3)));
      }
      return { kind, at };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Clean learning curves

export interface DecayOptions {
  /** Loss at the first point. */
  readonly start: number;
  /** The loss the run would reach with an infinitesimal learning rate and infinite time. */
  readonly floor: number;
  /** Points (at the base learning rate) for the loss to cover ~63% of the way (exp) or half (power). */
  readonly tau: number;
  readonly shape?: 'exp' | 'power';
  /** The power-law exponent (shape `power`). */
  readonly alpha?: number;
  /**
   * Learning rate at each point; progress runs at lr / lr₀ and the SGD noise floor sits at
   * `lrFloor × lr / lr₀` above `floor`, so an LR drop lowers the loss in a step (with a short lag).
   */
  readonly lr?: readonly number[];
  readonly lrFloor?: number;
  /** A plateau: progress stalls over [from, to) (a saddle), then resumes. */
  readonly stall?: { readonly from: number; readonly to: number };
}

/** A clean, decreasing loss curve of `n` points. */
export function decayCurve(n: number, o: DecayOptions): number[] {
  const lr0 = o.lr && o.lr.length > 0 ? Math.max(...o.lr) : 1;
  const out: number[] = [];
  let progress = 0;
  let lagged = o.lr ? o.lr[0] / lr0 : 1;
  for (let i = 0; i < n; i++) {
    const rel = o.lr ? o.lr[i] / lr0 : 1;
    // The loss floor follows the learning rate with a lag of about one point.
    lagged += 0.6 * (rel - lagged);
    const f = o.shape === 'power' ? Math.pow(1 + progress / o.tau, -(o.alpha ?? 1)) : Math.exp(-progress / o.tau);
    const floor = o.floor + (o.lrFloor ?? 0) * lagged;
    out.push(floor + (o.start - floor) * f);
    const stalled = o.stall && i >= o.stall.from && i < o.stall.to;
    // A smaller learning rate slows progress but does not freeze it (and lowers the floor above).
    progress += stalled ? 0.02 : Math.sqrt(rel);
  }
  return out;
}

/** An accuracy-like curve (fraction) that mirrors a loss curve: `chance` at `lossStart`, `top` at `lossFloor`. */
export function accuracyFromLoss(loss: readonly number[], o: { chance: number; top: number; lossStart: number; lossFloor: number; gamma?: number }): number[] {
  return loss.map((l) => {
    const r = Math.min(1, Math.max(0, (l - o.lossFloor) / (o.lossStart - o.lossFloor)));
    return o.top - (o.top - o.chance) * Math.pow(r, o.gamma ?? 0.7);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Noise and damage

export interface NoiseOptions {
  /** Relative noise: each point is multiplied by (1 + mult × N(0,1)). */
  readonly mult?: number;
  /** Absolute noise added to each point: add × N(0,1). */
  readonly add?: number;
  /** AR(1) coefficient of the noise: validation curves wander rather than jitter. */
  readonly ar?: number;
  /** Probability of a heavy-tailed outlier at each point (one bad batch), and its size in noise units. */
  readonly spikes?: number;
  readonly spikeSize?: number;
  /** Clamp results into [min, max] (accuracies stay in [0, 1]). */
  readonly min?: number;
  readonly max?: number;
}

/** The curve with realistic noise on top. */
export function noisy(random: Random, values: readonly number[], o: NoiseOptions): number[] {
  let e = 0;
  const ar = o.ar ?? 0;
  const scale = Math.sqrt(1 - ar * ar);
  return values.map((v) => {
    e = ar * e + scale * normal(random);
    let x = v * (1 + (o.mult ?? 0) * e) + (o.add ?? 0) * normal(random);
    if (o.spikes && random() < o.spikes) x += Math.abs(v * (o.mult ?? 0) + (o.add ?? 0)) * (o.spikeSize ?? 6) * (0.5 + random());
    if (o.min !== undefined) x = Math.max(o.min, x);
    if (o.max !== undefined) x = Math.min(o.max, x);
    return x;
  });
}

/** Percent scale (0–100) for an accuracy in fractions. */
export function percent(values: readonly number[]): number[] {
  return values.map((v) => v * 100);
}

/** The values from index `from` on replaced by `value` (NaN by default): the run blew up. */
export function poisonFrom(values: readonly (number | undefined)[], from: number, value = NaN): (number | undefined)[] {
  return values.map((v, i) => (i >= from && v !== undefined ? value : v));
}

/** Drops a share of points (a logger that skipped lines, a sparse CSV): `undefined` means no point. */
export function dropSome(random: Random, values: readonly (number | undefined)[], share: number): (number | undefined)[] {
  return values.map((v, i) => (i > 0 && i < values.length - 1 && random() < share ? undefined : v));
}

/** Keeps every k-th point only (validation evaluated less often than training is logged). */
export function every(values: readonly (number | undefined)[], k: number, phase = k - 1): (number | undefined)[] {
  return values.map((v, i) => (i % k === phase ? v : undefined));
}

/** A resume from an older checkpoint at `at`: the curve jumps back to where it was `back` points earlier. */
export function resumeFrom(values: readonly number[], at: number, back: number): number[] {
  return values.map((v, i) => (i < at ? v : values[Math.max(0, i - back)]));
}

/** Adds a rising ramp from `from` on: `(i − from)^power × slope` (overfitting, divergence). */
export function rampFrom(values: readonly number[], from: number, slope: number, power = 1): number[] {
  return values.map((v, i) => (i <= from ? v : v + slope * Math.pow(i - from, power)));
}

// ---------------------------------------------------------------------------------------------------------
// A typical healthy run, as the base for every case

export interface HealthyRun {
  readonly n: number;
  readonly lr: number[];
  /** Clean curves (no noise), so families can bend them before adding noise. */
  readonly loss: number[];
  readonly valLoss: number[];
  readonly accuracy: number[];
  readonly valAccuracy: number[];
  readonly chance: number;
  /** Noise levels the family should use, drawn per run. */
  readonly trainNoise: NoiseOptions;
  readonly valNoise: NoiseOptions;
  readonly accNoise: NoiseOptions;
  readonly valAccNoise: NoiseOptions;
}

export interface HealthyOptions {
  /** Number of points; drawn in [min, max] when a range. */
  readonly n?: number | readonly [number, number];
  /** Step-level training logs are noisier than epoch averages. */
  readonly stepLevel?: boolean;
  /** Validation loss ends this much above training loss (relative); drawn when absent. */
  readonly gap?: number;
}

/**
 * A healthy classifier run: training loss decays (exp or power law, maybe with a saddle plateau) under a
 * random LR schedule with optional warm-up; validation loss tracks it with a modest, slowly opening gap and
 * flattens (never rises) at the end; accuracies mirror the losses. Clean curves: add noise with {@link noisy}.
 */
export function healthyRun(random: Random, o: HealthyOptions = {}): HealthyRun {
  const n = typeof o.n === 'number' ? o.n : intBetween(random, o.n?.[0] ?? 12, o.n?.[1] ?? 120);
  const classes = pick(random, [2, 2, 3, 5, 7, 10, 10, 100]);
  const chanceAcc = 1 / classes;
  const start = Math.log(classes) * between(random, 0.8, 1.15);
  const floor = start * logBetween(random, 0.01, 0.35);
  const warmup = chance(random, 0.3) ? intBetween(random, 1, Math.max(1, Math.round(n * 0.08))) : 0;
  const lr = learningRate(n, { base: logBetween(random, 1e-4, 0.1), schedule: randomSchedule(random, n), warmup });
  const tau = n * between(random, 0.15, 0.35);
  const stall = chance(random, 0.15) ? { from: Math.round(n * 0.1), to: Math.round(n * between(random, 0.15, 0.3)) } : undefined;
  const shape = chance(random, 0.5) ? 'exp' : 'power';
  const lrFloor = floor * between(random, 0, 1.2);
  // Real runs keep inching down to the end: a slow linear tail on top of the decay.
  const tail = floor * between(random, 0.1, 0.4);
  const loss = decayCurve(n, { start, floor, tau, shape, alpha: between(random, 0.7, 1.5), lr, lrFloor, stall }).map((l, i) => l + tail * (1 - i / n));
  // Validation: a gap that opens as training loss falls below what generalises, then flattens.
  const gap = o.gap ?? between(random, 0.02, 0.35);
  const valFloor = floor * (1 + gap) + start * 0.02;
  const valLoss = loss.map((l) => {
    const progress = (start - l) / (start - floor);
    return l + (valFloor - floor) * Math.min(1, progress * 1.2);
  });
  const top = Math.min(0.995, chanceAcc + (1 - chanceAcc) * between(random, 0.6, 0.98));
  const lossFloorForAcc = floor * 0.9;
  const accuracy = accuracyFromLoss(loss, { chance: chanceAcc, top, lossStart: start, lossFloor: lossFloorForAcc });
  const valTop = chanceAcc + (top - chanceAcc) * (1 - Math.min(0.5, gap * 0.5));
  const valAccuracy = accuracyFromLoss(valLoss, { chance: chanceAcc, top: valTop, lossStart: start, lossFloor: lossFloorForAcc });
  const step = o.stepLevel === true;
  const trainNoise: NoiseOptions = step
    ? { mult: between(random, 0.03, 0.12), add: floor * between(random, 0, 0.05), spikes: 0.01, spikeSize: 5, min: 0 }
    : { mult: between(random, 0.003, 0.02), add: floor * between(random, 0, 0.01), min: 0 };
  const valNoise: NoiseOptions = { mult: between(random, 0.005, 0.03), ar: between(random, 0, 0.5), min: 0 };
  const accNoise: NoiseOptions = step
    ? { add: between(random, 0.01, 0.04), min: 0, max: 1 }
    : { add: between(random, 0.001, 0.006), min: 0, max: 1 };
  const valAccNoise: NoiseOptions = { add: between(random, 0.002, 0.012), ar: between(random, 0, 0.4), min: 0, max: 1 };
  return { n, lr, loss, valLoss, accuracy, valAccuracy, chance: chanceAcc, trainNoise, valNoise, accNoise, valAccNoise };
}

// ---------------------------------------------------------------------------------------------------------
// Runs

export interface RunOptions {
  /** `epoch`: point i is epoch `firstEpoch + i`; `step`: point i is step `(i + 1) × stride`, no epoch. */
  readonly axis?: 'epoch' | 'step';
  readonly firstEpoch?: number;
  readonly stride?: number;
  /** With axis `step`: steps per epoch, to fill in fractional epochs as Hugging Face logs do. */
  readonly stepsPerEpoch?: number;
  readonly source?: string;
  readonly format?: string;
  readonly totalEpochs?: number;
}

/**
 * A run from named value arrays of equal length (canonical or raw log names: `val_acc` becomes
 * `val_accuracy`); `undefined` means no point there. Point i is read from line i + 2 (a header on line 1).
 */
export function makeRun(series: Readonly<Record<string, readonly (number | undefined)[]>>, o: RunOptions = {}): Run {
  const builder = new RunBuilder(o.source ?? 'synthetic.log', o.format ?? 'synthetic', 0);
  const axis = o.axis ?? 'epoch';
  const firstEpoch = o.firstEpoch ?? 1;
  const stride = o.stride ?? 1;
  const n = Math.max(0, ...Object.values(series).map((v) => v.length));
  for (let i = 0; i < n; i++) {
    for (const [name, values] of Object.entries(series)) {
      const v = values[i];
      if (v === undefined) continue;
      const step = axis === 'step' ? (i + 1) * stride : NaN;
      const epoch = axis === 'epoch' ? firstEpoch + i : o.stepsPerEpoch ? step / o.stepsPerEpoch : NaN;
      builder.add(name, epoch, step, v, i + 2);
    }
  }
  builder.totalEpochs = o.totalEpochs;
  return builder.snapshot([]);
}

/** The x (epoch, else step) of point `i` of a run made with {@link makeRun} and the same options. */
export function xAt(i: number, o: RunOptions = {}): number {
  if ((o.axis ?? 'epoch') === 'epoch') return (o.firstEpoch ?? 1) + i;
  const step = (i + 1) * (o.stride ?? 1);
  return o.stepsPerEpoch ? step / o.stepsPerEpoch : step;
}

export interface SeriesOptions {
  /** Include accuracy curves (default true) and the learning rate (default: a coin flip). */
  readonly accuracy?: boolean;
  readonly lr?: boolean;
  /** Accuracies in percent instead of fractions. */
  readonly percent?: boolean;
  /** Include validation curves (default true). */
  readonly validation?: boolean;
  /** Log names: Keras (`accuracy`, `val_accuracy`), short (`acc`, `val_acc`) or Hugging Face (`eval_loss`). */
  readonly names?: 'keras' | 'short' | 'hf';
}

/** Clean curves to use instead of the healthy run's own (a family bends one of them). */
export interface CurveOverrides {
  readonly loss?: readonly number[];
  readonly valLoss?: readonly number[];
  readonly accuracy?: readonly number[];
  readonly valAccuracy?: readonly number[];
}

/** The run's curves with noise, under log-style names, ready for {@link makeRun}. */
export function noisySeries(random: Random, h: HealthyRun, over: CurveOverrides = {}, o: SeriesOptions = {}): Record<string, number[]> {
  const names = o.names ?? 'keras';
  const out: Record<string, number[]> = {};
  out.loss = noisy(random, over.loss ?? h.loss, h.trainNoise);
  if (o.validation !== false) out[names === 'hf' ? 'eval_loss' : 'val_loss'] = noisy(random, over.valLoss ?? h.valLoss, h.valNoise);
  if (o.accuracy !== false) {
    const scale = o.percent ? 100 : 1;
    const acc = noisy(random, over.accuracy ?? h.accuracy, h.accNoise).map((v) => v * scale);
    out[names === 'short' ? 'acc' : 'accuracy'] = acc;
    if (o.validation !== false) {
      const val = noisy(random, over.valAccuracy ?? h.valAccuracy, h.valAccNoise).map((v) => v * scale);
      out[names === 'short' ? 'val_acc' : names === 'hf' ? 'eval_accuracy' : 'val_accuracy'] = val;
    }
  }
  if (o.lr ?? chance(random, 0.5)) out[names === 'hf' ? 'learning_rate' : 'lr'] = h.lr;
  return out;
}

/** Index of the smallest value. */
export function argmin(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] < values[best]) best = i;
  return best;
}
