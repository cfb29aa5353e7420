/**
 * `loss-metric-mismatch`: training loss falling while the task metric stays flat near zero (corpus mmdet2:
 * loss 1.1 → 0.3, bbox/segm mAP around 0.01–0.03 for 12 epochs), a classifier whose validation accuracy does
 * not move while its losses fall, and validation loss rising while validation accuracy still rises
 * (over-confidence); hard negatives: training accuracy saturating early while the loss keeps falling, a
 * mis-scaled loss that barely moves while accuracy climbs (corpus cifar10 run 4), plain overfitting.
 */
import type { CaseFamily, CaseGenerator } from '../case';
import { argmin, between, chance, decayCurve, healthyRun, intBetween, makeRun, noisy, noisySeries, percent, pick, xAt } from '../synth';

const ALLOW = ['plateau', 'not-learning', 'generalization-gap', 'overfitting', 'val-better-than-train', 'chance-level', 'oscillation'];

/** MMDetection-like: step-level training loss, epoch-level validation mAP flat near zero. */
const mapNearZero: CaseGenerator = (random, index) => {
  const epochs = intBetween(random, 6, 30);
  const perEpoch = pick(random, [10, 18, 50]);
  const n = epochs * perEpoch;
  const start = between(random, 0.8, 2);
  const loss = decayCurve(n, { start, floor: start * between(random, 0.15, 0.45), tau: n * between(random, 0.1, 0.3), shape: 'power' });
  const level = between(random, 0.005, 0.05);
  const rise = between(random, 0, 0.02);
  const mAP = Array.from({ length: n }, (_, i) => ((i + 1) % perEpoch === 0 ? level + rise * ((i + 1) / n) : undefined));
  const noisyMap = mAP.map((v) => (v === undefined ? undefined : Math.max(0, v + between(random, -0.004, 0.004))));
  const series: Record<string, (number | undefined)[]> = {
    loss: noisy(random, loss, { mult: between(random, 0.03, 0.1), spikes: 0.01 }),
    val_bbox_mAP: noisyMap,
    val_segm_mAP: noisyMap.map((v) => (v === undefined ? undefined : v * between(random, 0.9, 1.1))),
  };
  if (chance(random, 0.5)) series.acc = noisy(random, loss.map((l) => 98 - 10 * Math.max(0, l - start * 0.5)), { add: 0.5, max: 100 });
  return {
    name: `mAP near zero #${index} (${epochs} epochs, mAP ~${level.toFixed(3)})`,
    run: makeRun(series, { axis: 'step', stride: 50, stepsPerEpoch: perEpoch * 50 }),
    expect: [{ id: 'loss-metric-mismatch' }],
    allow: ALLOW,
  };
};

/** A classifier whose losses fall while validation accuracy stays where it started (labels that do not match). */
const flatAccuracy: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [10, 80] });
  const level = between(random, 0.2, 0.7);
  const valAccuracy = h.valAccuracy.map(() => level);
  const series = noisySeries(random, h, { valAccuracy }, { percent: chance(random, 0.3) });
  return { name: `flat accuracy #${index} (${h.n} epochs at ${level.toFixed(2)})`, run: makeRun(series), expect: [{ id: 'loss-metric-mismatch' }], allow: ALLOW };
};

/** Validation loss turns up while validation accuracy keeps rising. */
const overConfident: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [25, 120] });
  const turn = Math.round(h.n * between(random, 0.25, 0.55));
  const rise = between(random, 0.15, 0.8);
  const valLoss = h.valLoss.map((v, i) => (i <= turn ? v : h.valLoss[turn] * (1 + rise * ((i - turn) / (h.n - 1 - turn)))));
  const gain = between(random, 0.02, 0.06);
  const base = h.valAccuracy[turn];
  const valAccuracy = h.valAccuracy.map((v, i) => (i <= turn ? v : Math.min(0.999, base + gain * Math.sqrt((i - turn) / (h.n - 1 - turn)))));
  const series = noisySeries(random, h, { valLoss, valAccuracy }, { percent: chance(random, 0.3) });
  const best = argmin(valLoss);
  return {
    name: `over-confident #${index} (min ${xAt(best)} of ${h.n}, +${Math.round(rise * 100)}%, acc +${(gain * 100).toFixed(1)})`,
    run: makeRun(series),
    expect: [{ id: 'loss-metric-mismatch', onset: xAt(best), tolerance: Math.max(4, Math.round(0.15 * h.n)) }],
    allow: ALLOW,
  };
};

/** Hard negative: training accuracy saturates in the first epochs while the loss keeps falling. */
const saturated: CaseGenerator = (random, index) => {
  const n = intBetween(random, 10, 60);
  const loss = decayCurve(n, { start: between(random, 0.1, 0.3), floor: 0.005, tau: n * 0.3 });
  const acc = loss.map((l) => 0.995 - 0.1 * l);
  const p = chance(random, 0.3);
  const series = {
    loss: noisy(random, loss, { mult: 0.01 }),
    accuracy: noisy(random, p ? percent(acc) : acc, { add: p ? 0.1 : 0.001 }),
  };
  return { name: `saturated accuracy #${index} (${n} epochs)`, run: makeRun(series), expect: [] };
};

/** Hard negative, corpus cifar10 run 4: a loss near 39 that barely moves while test accuracy climbs. */
const misScaled: CaseGenerator = (random, index) => {
  const n = intBetween(random, 7, 30);
  const level = between(random, 20, 60);
  const loss = decayCurve(n, { start: level, floor: level * 0.98, tau: n * 0.3 });
  const acc = decayCurve(n, { start: 50, floor: between(random, 70, 85), tau: n * 0.3 });
  return { name: `mis-scaled loss #${index} (${n} epochs)`, run: makeRun({ loss: noisy(random, loss, { mult: 0.0005 }), test_acc: noisy(random, acc, { add: 0.4 }) }), expect: [] };
};

/** Hard negative: plain overfitting, validation accuracy stalls as validation loss rises. */
const plainOverfit: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [25, 100] });
  const turn = Math.round(h.n * between(random, 0.25, 0.5));
  const valLoss = h.valLoss.map((v, i) => (i <= turn ? v : h.valLoss[turn] * (1 + 0.6 * ((i - turn) / (h.n - 1 - turn)))));
  const valAccuracy = h.valAccuracy.map((v, i) => (i <= turn ? v : h.valAccuracy[turn] - 0.02 * ((i - turn) / (h.n - 1 - turn))));
  const series = noisySeries(random, h, { valLoss, valAccuracy });
  return { name: `plain overfitting #${index}`, run: makeRun(series), expect: [{ id: 'overfitting' }], allow: ['generalization-gap', 'plateau'] };
};

export const family: CaseFamily = {
  id: 'loss-metric-mismatch',
  generators: [mapNearZero, flatAccuracy, overConfident, saturated, misScaled, plainOverfit],
};
