/**
 * `val-better-than-train`: training curves worse than validation over most of the run (dropout and
 * augmentation in training only, as in corpus fer_emotion: percent accuracies, short restarted runs), a huge
 * gap (leakage), step-level training against periodic evaluation; and hard negatives: validation better only
 * in the first epochs (corpus keras nmt), detection loss components that sit lower on validation by design
 * (YOLO's mosaic augmentation), short healthy runs, percent scales.
 */
import type { CaseFamily, CaseGenerator } from '../case';
import { between, chance, decayCurve, every, healthyRun, intBetween, makeRun, noisy, noisySeries, pick } from '../synth';

const ALLOW = ['plateau', 'not-learning', 'generalization-gap', 'oscillation'];

/** The healthy run with training curves worse than validation by a relative `gap` (loss) and `points` (accuracy). */
function regularised(random: () => number, n: number | [number, number], gap: number, points: number, percent: boolean, stepLevel = false) {
  const h = healthyRun(random, { n, gap: 0.01, stepLevel });
  const loss = h.valLoss.map((v) => v * (1 + gap));
  // Training accuracy short of validation by `points` of the way from chance to the validation level's headroom.
  const accuracy = h.valAccuracy.map((v) => v - (v - h.chance) * Math.min(0.5, points * 3));
  return { h, series: noisySeries(random, h, { loss, accuracy }, { percent, names: pick(random, ['keras', 'short'] as const) }) };
}

const dropout: CaseGenerator = (random, index) => {
  const gap = between(random, 0.08, 0.35);
  const points = between(random, 0.02, 0.08);
  const percent = chance(random, 0.4);
  const { h, series } = regularised(random, [6, 100], gap, points, percent);
  return {
    name: `dropout/augmentation #${index} (${h.n} epochs, train +${Math.round(gap * 100)}%${percent ? ', percent' : ''})`,
    run: makeRun(series),
    expect: [{ id: 'val-better-than-train', onset: 1, tolerance: Math.max(3, Math.round(0.3 * h.n)) }],
    allow: ALLOW,
  };
};

const leakage: CaseGenerator = (random, index) => {
  const gap = between(random, 1, 3);
  const { h, series } = regularised(random, [10, 80], gap, between(random, 0.15, 0.3), chance(random, 0.3));
  return { name: `leakage #${index} (${h.n} epochs, train ×${(1 + gap).toFixed(1)})`, run: makeRun(series), expect: [{ id: 'val-better-than-train' }], allow: ALLOW };
};

const stepTraining: CaseGenerator = (random, index) => {
  const { h, series } = regularised(random, [200, 1200], between(random, 0.12, 0.4), between(random, 0.03, 0.08), false, true);
  const evalEvery = intBetween(random, 10, 50);
  for (const key of Object.keys(series)) if (key.startsWith('val_')) series[key] = every(series[key], evalEvery) as number[];
  return {
    name: `step-level training #${index} (${h.n} points, eval every ${evalEvery})`,
    run: makeRun(series, { axis: 'step', stride: 10 }),
    expect: [{ id: 'val-better-than-train' }],
    allow: ALLOW,
  };
};

/** Validation better in the first epochs only (epoch-averaged training lag early on), then the usual gap. */
const earlyOnly: CaseGenerator = (random, index) => {
  const n = intBetween(random, 20, 80);
  const loss = decayCurve(n, { start: between(random, 1.5, 2.5), floor: between(random, 0.1, 0.3), tau: n * between(random, 0.15, 0.3) });
  const gap = between(random, 0.05, 0.25);
  const valLoss = loss.map((l, i) => l * (i < 3 ? 0.8 : 1 + gap * Math.min(1, i / (0.3 * n))));
  const series = { loss: noisy(random, loss, { mult: 0.005 }), val_loss: noisy(random, valLoss, { mult: 0.005, ar: 0.3 }) };
  return { name: `early only #${index} (${n} epochs)`, run: makeRun(series, { firstEpoch: 0 }), expect: [] };
};

/** Ultralytics-style: validation box/cls losses below training ones by design (mosaic), mAP rising. */
const detectionComponents: CaseGenerator = (random, index) => {
  const n = intBetween(random, 30, 150);
  const box = decayCurve(n, { start: 1.6, floor: between(random, 0.8, 1.1), tau: n * 0.4, shape: 'power' });
  const cls = decayCurve(n, { start: 1.8, floor: between(random, 0.6, 0.9), tau: n * 0.3, shape: 'power' });
  const map = box.map((_, i) => 0.3 + 0.25 * (1 - Math.exp(-i / (n * 0.2))));
  const series = {
    'train/box_loss': noisy(random, box, { mult: 0.005 }),
    'train/cls_loss': noisy(random, cls, { mult: 0.008 }),
    'val/box_loss': noisy(random, box.map((v) => v * 0.85), { mult: 0.004, ar: 0.3 }),
    'val/cls_loss': noisy(random, cls.map((v) => v * 0.8), { mult: 0.004, ar: 0.3 }),
    'metrics/mAP50-95(B)': noisy(random, map, { add: 0.002, ar: 0.3 }),
  };
  return { name: `detection components #${index} (${n} epochs)`, run: makeRun(series), expect: [] };
};

/** A healthy run (validation a little worse), sometimes short, sometimes in percent. */
const healthy: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: chance(random, 0.3) ? [4, 8] : [10, 100] });
  const series = noisySeries(random, h, {}, { percent: chance(random, 0.4) });
  return { name: `healthy #${index} (${h.n} epochs)`, run: makeRun(series), expect: [] };
};

export const family: CaseFamily = {
  id: 'val-better-than-train',
  generators: [dropout, leakage, stepTraining, earlyOnly, detectionComponents, healthy],
};
