/**
 * `stuck-metric`: seed 004's validation accuracy frozen at 0.76 (or 76.00) for many epochs while training
 * goes on, a validation loss repeating one value (an evaluation bug), a validation metric frozen from the
 * start; hard negatives: an LR annealed to zero (everything freezes by design), training accuracy at 1.0,
 * a tiny validation set whose accuracy moves in steps of 1/50, a constant learning rate and epoch timings.
 */
import type { CaseFamily, CaseGenerator } from '../case';
import { between, chance, healthyRun, intBetween, learningRate, makeRun, noisy, noisySeries, pick } from '../synth';

const ALLOW = ['collapse', 'plateau', 'not-learning', 'generalization-gap', 'overfitting', 'loss-metric-mismatch', 'chance-level', 'val-better-than-train', 'oscillation'];

const seed004: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [20, 120] });
  const from = Math.round(h.n * between(random, 0.1, 0.6));
  const value = pick(random, [0.76, 0.5, 0.8125, 0.6667, 0.9]);
  const near = chance(random, 0.3);
  const p = chance(random, 0.3);
  const series = noisySeries(random, h, {}, { percent: p, lr: true });
  const key = Object.keys(series).find((k) => k.startsWith('val_acc'))!;
  series[key] = series[key].map((v, i) => (i < from ? v : (value + (near && i % 3 === 0 ? 1e-4 : 0)) * (p ? 100 : 1)));
  return {
    name: `seed 004 #${index} (${value} from ${from + 1} of ${h.n})`,
    run: makeRun(series),
    expect: [{ id: 'stuck-metric', onset: from + 1, tolerance: 2 }],
    allow: ALLOW,
  };
};

const stuckLoss: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [15, 80] });
  const from = Math.round(h.n * between(random, 0.2, 0.6));
  const series = noisySeries(random, h, {}, { accuracy: chance(random, 0.5) });
  const value = series.val_loss[from];
  series.val_loss = series.val_loss.map((v, i) => (i < from ? v : value));
  return { name: `stuck val loss #${index} (from ${from + 1} of ${h.n})`, run: makeRun(series), expect: [{ id: 'stuck-metric', onset: from + 1, tolerance: 2 }], allow: ALLOW };
};

const fromStart: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [10, 40] });
  const series = noisySeries(random, h, {}, { accuracy: true });
  const value = pick(random, [0.7, 0.8, 0.55]);
  series.val_accuracy = series.val_accuracy.map(() => value);
  return { name: `frozen from the start #${index} (${h.n} epochs)`, run: makeRun(series), expect: [{ id: 'stuck-metric', onset: 1, tolerance: 1 }], allow: ALLOW };
};

/** Hard negative: the learning rate anneals to exactly zero for the last epochs and the metrics freeze with it. */
const annealed: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [30, 100] });
  const freeze = Math.round(h.n * between(random, 0.6, 0.8));
  const lr = learningRate(h.n, { base: 0.01, schedule: { kind: 'cosine', minRatio: 0 } }).map((v, i) => (i >= freeze ? 0 : v));
  const series = noisySeries(random, h, {}, { lr: false });
  for (const key of Object.keys(series)) series[key] = series[key].map((v, i) => (i >= freeze ? series[key][freeze] : v));
  return { name: `annealed to zero #${index} (frozen from ${freeze + 1})`, run: makeRun({ ...series, lr }), expect: [] };
};

/** Hard negative: training accuracy at 1.0 (a memorised training set), a loss printed as 0. */
const memorised: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [30, 100] });
  const from = Math.round(h.n * between(random, 0.3, 0.6));
  const series = noisySeries(random, h, {}, { lr: true, validation: false });
  series.accuracy = series.accuracy.map((v, i) => (i < from ? v : 1));
  series.loss = series.loss.map((v, i) => (i < from ? v : Number((v * 1e-3).toFixed(4))));
  return { name: `memorised #${index} (from ${from + 1})`, run: makeRun(series), expect: [] };
};

/** Hard negative: a 50-example validation set (accuracy in steps of 0.02), plateaued; constant LR; epoch timings. */
const quantised: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [20, 100] });
  const series = noisySeries(random, h, {}, { lr: false });
  series.val_accuracy = series.val_accuracy.map((v) => Math.round(v * 50) / 50);
  const time = intBetween(random, 20, 200);
  const extra = { lr: h.lr.map(() => 1e-3), epoch_time: h.lr.map(() => time), epoch_time_s: noisy(random, h.lr.map(() => time), { mult: 0.02 }) };
  return { name: `quantised validation #${index} (${h.n} epochs)`, run: makeRun({ ...series, ...extra }), expect: [] };
};

export const family: CaseFamily = {
  id: 'stuck-metric',
  generators: [seed004, stuckLoss, fromStart, annealed, memorised, quantised],
};
