/**
 * Healthy controls: nothing may be reported on any of these. Many are hard negatives on purpose: noisy
 * step-level logs, warm-up bumps, LR drops, cosine schedules, resumes, very short runs, long runs that
 * flatten late, persistent gaps without a rise, a loss on a strange scale while accuracy climbs.
 */
import type { CaseFamily, CaseGenerator } from '../case';
import {
  accuracyFromLoss,
  between,
  chance,
  decayCurve,
  dropSome,
  every,
  healthyRun,
  intBetween,
  learningRate,
  logBetween,
  makeRun,
  noisy,
  noisySeries,
  pick,
  resumeFrom,
  type RunOptions,
} from '../synth';

const epochRun: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [10, 120] });
  const percent = chance(random, 0.3);
  const names = pick(random, ['keras', 'short', 'hf'] as const);
  const series = noisySeries(random, h, {}, { percent, names });
  const o: RunOptions = { firstEpoch: pick(random, [0, 1]) };
  return { name: `epoch-level #${index} (${h.n} epochs${percent ? ', percent' : ''})`, run: makeRun(series, o), expect: [] };
};

const stepRun: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [150, 1500], stepLevel: true });
  const evalEvery = intBetween(random, 5, 50);
  const series = noisySeries(random, h, {}, { names: 'hf', accuracy: chance(random, 0.5), lr: true });
  for (const key of Object.keys(series)) if (key.startsWith('eval_')) series[key] = every(series[key], evalEvery) as number[];
  // The gradient norm: large and noisy early, settling as the loss falls.
  series.grad_norm = noisy(random, h.loss.map((l) => 0.5 + 3 * l), { mult: 0.3, min: 0 });
  const stride = pick(random, [5, 10, 20, 50]);
  const o: RunOptions = { axis: 'step', stride, stepsPerEpoch: chance(random, 0.6) ? stride * intBetween(random, 20, 200) : undefined };
  return { name: `step-level #${index} (${h.n} points, eval every ${evalEvery})`, run: makeRun(series, o), expect: [] };
};

/** A 3–6 epoch run like corpus imdb_bilstm: loss, val_acc, val_f1 and nothing else. */
const shortRun: CaseGenerator = (random, index) => {
  const n = intBetween(random, 3, 6);
  const start = between(random, 0.5, 0.75);
  const loss = decayCurve(n, { start, floor: start * between(random, 0.1, 0.4), tau: between(random, 0.8, 2.5) });
  const valAcc = accuracyFromLoss(loss, { chance: 0.5, top: between(random, 0.8, 0.92), lossStart: start * 1.3, lossFloor: 0 });
  const series = {
    loss: noisy(random, loss, { mult: 0.01 }),
    val_acc: noisy(random, valAcc, { add: 0.004, max: 1 }),
    val_f1: noisy(random, valAcc.map((v) => v - 0.01), { add: 0.005, max: 1 }),
  };
  return { name: `short #${index} (${n} epochs)`, run: makeRun(series), expect: [] };
};

/** A long detection run (ultralytics-style names) whose mAP flattens late and whose val losses drift up a hair. */
const longFlattening: CaseGenerator = (random, index) => {
  const n = intBetween(random, 100, 200);
  const lr = learningRate(n, { base: 0.01, schedule: { kind: 'linear-decay' }, warmup: 3 });
  const box = decayCurve(n, { start: 1.6, floor: between(random, 0.5, 0.9), tau: n * between(random, 0.3, 0.6), shape: 'power' });
  const cls = decayCurve(n, { start: 1.7, floor: between(random, 0.2, 0.5), tau: n * between(random, 0.2, 0.5), shape: 'power' });
  const conv = Math.round(n * between(random, 0.5, 0.75));
  // Validation losses converge, then drift up by at most ~3% while the LR decays.
  const vbox = box.map((_, i) => 1.19 + 0.35 * Math.exp(-i / (conv / 4)) + (i > conv ? 0.006 * ((i - conv) / (n - conv)) : 0));
  const vcls = cls.map((_, i) => 0.7 + 0.55 * Math.exp(-i / (conv / 4)) + (i > conv ? between(random, 0, 0.02) * ((i - conv) / (n - conv)) : 0));
  const map = vbox.map((_, i) => 0.34 + 0.2 * (1 - Math.exp(-i / (conv / 3))) + 0.004 * (i / n));
  const series = {
    'train/box_loss': noisy(random, box, { mult: 0.006 }),
    'train/cls_loss': noisy(random, cls, { mult: 0.01 }),
    'metrics/mAP50-95(B)': noisy(random, map, { add: 0.0015, ar: 0.3 }),
    'val/box_loss': noisy(random, vbox, { mult: 0.002, ar: 0.3 }),
    'val/cls_loss': noisy(random, vcls, { mult: 0.004, ar: 0.3 }),
    'lr/pg0': lr,
  };
  return { name: `long detection #${index} (${n} epochs, converged ~${conv})`, run: makeRun(series), expect: [] };
};

/**
 * Like corpus keras_csvlogger_lstm_attention_nmt: a persistent train/validation gap, LR halvings, a validation
 * loss that flattens early and stays flat (never rises) while validation accuracy creeps up.
 */
const gapWithoutRise: CaseGenerator = (random, index) => {
  const n = intBetween(random, 30, 90);
  const at: number[] = [];
  for (let t = Math.round(n * 0.35); t < n; t += Math.max(3, Math.round(n * between(random, 0.1, 0.2)))) at.push(t);
  const lr = learningRate(n, { base: 0.005, schedule: { kind: 'plateau-halving', at } });
  const loss = decayCurve(n, { start: 1.9, floor: between(random, 0.15, 0.3), tau: n * between(random, 0.1, 0.2), lr, lrFloor: 0.1 });
  const flat = between(random, 0.6, 0.9);
  const valLoss = loss.map((_, i) => flat + 0.6 * Math.exp(-i / (n * 0.08)));
  const acc = loss.map((l) => 0.95 - 0.1 * (l - 0.2));
  const valAcc = valLoss.map((_, i) => 0.79 + 0.1 * (1 - Math.exp(-i / (n * 0.12))) + 0.012 * (i / n));
  const series = {
    accuracy: noisy(random, acc, { add: 0.0005 }),
    learning_rate: lr,
    loss: noisy(random, loss, { mult: 0.004 }),
    val_accuracy: noisy(random, valAcc, { add: 0.0004, ar: 0.3 }),
    val_loss: noisy(random, valLoss, { mult: 0.004, ar: 0.4 }),
  };
  return { name: `gap without rise #${index} (${n} epochs)`, run: makeRun(series, { firstEpoch: 0 }), expect: [] };
};

/** Warm-up: the loss climbs for the first few points as the LR ramps up, then trains normally. */
const warmupBump: CaseGenerator = (random, index) => {
  const stepLevel = chance(random, 0.5);
  const h = healthyRun(random, { n: stepLevel ? [150, 800] : [20, 100], stepLevel });
  const len = Math.max(2, Math.round(h.n * between(random, 0.03, 0.08)));
  const height = between(random, 0.1, 0.6);
  const bump = (v: readonly number[]) => v.map((x, i) => (i < len ? x * (1 + height * Math.sin((Math.PI * i) / len)) : x));
  const series = noisySeries(random, h, { loss: bump(h.loss), valLoss: bump(h.valLoss) }, { lr: true });
  const o: RunOptions = stepLevel ? { axis: 'step', stride: 10 } : {};
  return { name: `warm-up bump #${index} (+${Math.round(height * 100)}% over ${len} points)`, run: makeRun(series, o), expect: [] };
};

/** A resume from the last checkpoint a few points back: the curves repeat a short stretch. */
const resumed: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [30, 120] });
  const at = Math.round(h.n * between(random, 0.3, 0.8));
  const back = intBetween(random, 1, 4);
  const over = { loss: resumeFrom(h.loss, at, back), valLoss: resumeFrom(h.valLoss, at, back), accuracy: resumeFrom(h.accuracy, at, back), valAccuracy: resumeFrom(h.valAccuracy, at, back) };
  return { name: `resumed #${index} (at ${at}, ${back} back)`, run: makeRun(noisySeries(random, h, over)), expect: [] };
};

/** Corpus cifar10 run 4: a loss near 39 that barely moves (label smoothing mis-scaled) while test accuracy climbs. */
const misScaledLoss: CaseGenerator = (random, index) => {
  const n = intBetween(random, 7, 30);
  const level = logBetween(random, 10, 60);
  const loss = decayCurve(n, { start: level, floor: level * (1 - between(random, 0.01, 0.03)), tau: n * 0.3 });
  const acc = decayCurve(n, { start: -0.5, floor: -between(random, 0.7, 0.85), tau: n * 0.25 }).map((v) => -v * 100);
  const series = { loss: noisy(random, loss, { mult: 0.0005 }), test_acc: noisy(random, acc, { add: 0.4 }) };
  return { name: `mis-scaled loss #${index} (loss ~${level.toFixed(0)})`, run: makeRun(series), expect: [] };
};

/** Regression: MSE losses only, on a scale far from 1. */
const regression: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [15, 100] });
  const scale = logBetween(random, 1e-3, 1e4);
  // The whole run on another scale, noise included. Scaling the clean curves only and then adding the run's
  // additive noise (drawn for a loss near 1) buried a loss at scale 1e-3 under noise 30 times its size and
  // clamped it at 0: a training `mse` jumping between 7e-6 and 0.004 (`healthy/regression #342`, seed 5),
  // which a careful engineer would not call healthy either.
  const series = noisySeries(random, h, {}, { accuracy: false });
  const renamed = { mse: series.loss.map((v) => v * scale), val_mse: series.val_loss.map((v) => v * scale), ...(series.lr ? { lr: series.lr } : {}) };
  return { name: `regression #${index} (scale ${scale.toExponential(0)})`, run: makeRun(renamed), expect: [] };
};

/** Cosine annealing with warm restarts (SGDR): each restart kicks the loss up a little, then it falls further. */
const warmRestarts: CaseGenerator = (random, index) => {
  const n = intBetween(random, 40, 200);
  const periods = intBetween(random, 2, 5);
  const period = Math.ceil(n / periods);
  const lr = Array.from({ length: n }, (_, i) => 0.05 * (0.5 * (1 + Math.cos((Math.PI * (i % period)) / period))) + 1e-4);
  const base = decayCurve(n, { start: 2.3, floor: between(random, 0.05, 0.4), tau: n * between(random, 0.15, 0.3), shape: 'power' });
  const kick = between(random, 0.1, 0.6);
  // Right after a restart the loss sits above the trend by `kick`, fading over the period as the LR anneals.
  // The kick is relative to how far training has come: a restart barely moves a loss that is still high.
  const loss = base.map((l, i) => l * (1 + (i >= period ? kick * (1 - l / 2.3) * Math.max(0, 1 - (i % period) / (period * 0.4)) : 0)));
  const valLoss = loss.map((l) => l * 1.1 + 0.05);
  const acc = accuracyFromLoss(loss, { chance: 0.1, top: 0.97, lossStart: 2.3, lossFloor: 0 });
  const valAcc = accuracyFromLoss(valLoss, { chance: 0.1, top: 0.93, lossStart: 2.4, lossFloor: 0 });
  const series = {
    loss: noisy(random, loss, { mult: 0.01 }),
    val_loss: noisy(random, valLoss, { mult: 0.015, ar: 0.3 }),
    accuracy: noisy(random, acc, { add: 0.003, max: 1 }),
    val_accuracy: noisy(random, valAcc, { add: 0.005, ar: 0.3, max: 1 }),
    lr,
  };
  return { name: `warm restarts #${index} (${periods} periods of ${period}, kick +${Math.round(kick * 100)}%)`, run: makeRun(series), expect: [] };
};

/**
 * Fine-tuning a pretrained model: the loss starts low, improves a little, and is very noisy step to step.
 * The loss follows the schedule the run logs: part of the gain (the SGD noise floor) only comes as the linear
 * decay lowers the rate, so the eval metrics keep improving to the end, as a healthy fine-tune's do. The
 * generator once ignored its own schedule: the eval loss and accuracy of a fast, small gain then sat within
 * their noise for the last 60% or more of the steps (`healthy/fine-tune #91`: both flat from step ~1,500 of
 * 3,770), a plateau a careful engineer does note (most of the schedule bought nothing), not a healthy control.
 */
const fineTune: CaseGenerator = (random, index) => {
  const n = intBetween(random, 100, 1200);
  const start = between(random, 0.2, 0.7);
  const gain = between(random, 0.1, 0.35);
  const lr = learningRate(n, { base: 2e-5, schedule: { kind: 'linear-decay' }, warmup: Math.round(n * 0.06) });
  const lrFloor = start * gain * between(random, 0.3, 0.5);
  const loss = decayCurve(n, { start, floor: start * (1 - gain), tau: n * between(random, 0.25, 0.5), lr, lrFloor });
  const series: Record<string, number[]> = {
    loss: noisy(random, loss, { mult: between(random, 0.05, 0.2), spikes: 0.01, spikeSize: 4, min: 0 }),
    learning_rate: lr,
  };
  const evalEvery = intBetween(random, 20, 100);
  series.eval_loss = every(noisy(random, loss.map((l) => l * 1.05), { mult: 0.01 }), evalEvery) as number[];
  series.eval_accuracy = every(noisy(random, loss.map((l) => 0.93 - (l - start * (1 - gain))), { add: 0.004, max: 1 }), evalEvery) as number[];
  return { name: `fine-tune #${index} (${n} steps, -${Math.round(gain * 100)}%)`, run: makeRun(series, { axis: 'step', stride: 10 }), expect: [] };
};

/** A healthy epoch-level run with a tenth of its points missing (a logger that skipped lines, sparse rows). */
const gappy: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [15, 100] });
  const series = noisySeries(random, h);
  const share = between(random, 0.05, 0.2);
  const sparse: Record<string, (number | undefined)[]> = {};
  for (const [k, v] of Object.entries(series)) sparse[k] = dropSome(random, v, share);
  return { name: `gappy #${index} (${Math.round(share * 100)}% missing)`, run: makeRun(sparse), expect: [] };
};

export const family: CaseFamily = {
  id: 'healthy',
  generators: [epochRun, stepRun, shortRun, longFlattening, gapWithoutRise, warmupBump, resumed, misScaledLoss, regression, warmRestarts, fineTune, gappy],
};
