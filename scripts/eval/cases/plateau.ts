/** `plateau`: the validation metric stops improving early and stays flat for most of the run. Onset: its last improvement. */
import type { CaseFamily, CaseGenerator } from '../case';
import { between, chance, healthyRun, makeRun, noisy, noisySeries, xAt } from '../synth';

const ALLOW = ['generalization-gap', 'loss-metric-mismatch', 'stuck-metric', 'overfitting', 'oscillation', 'val-better-than-train'];

/** Rises (or falls) smoothly to `level` at index `at`, flat after. */
function saturating(n: number, from: number, level: number, at: number, power: number): number[] {
  return Array.from({ length: n }, (_, i) => (i >= at ? level : level + (from - level) * Math.pow(1 - i / at, power)));
}

const scorePlateau: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [20, 150] });
  const at = Math.max(3, Math.round(h.n * between(random, 0.08, 0.35)));
  const top = h.chance + (1 - h.chance) * between(random, 0.4, 0.9);
  const valAccuracy = saturating(h.n, h.chance, top, at, between(random, 1.5, 3));
  const valLossLevel = h.valLoss[at];
  const valLoss = saturating(h.n, h.valLoss[0], valLossLevel, at, 2);
  const series = noisySeries(random, h, { valAccuracy, valLoss }, { percent: chance(random, 0.3) });
  return { name: `score plateau #${index} (from ${xAt(at)} of ${h.n})`, run: makeRun(series), expect: [{ id: 'plateau', onset: xAt(at), tolerance: Math.max(3, Math.round(0.1 * h.n)) }], allow: ALLOW };
};

const lossPlateau: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [20, 150] });
  const at = Math.max(3, Math.round(h.n * between(random, 0.08, 0.35)));
  const valLoss = saturating(h.n, h.valLoss[0], h.valLoss[at] + (h.valLoss[0] - h.valLoss[at]) * between(random, 0, 0.3), at, 2);
  const series = noisySeries(random, h, { valLoss }, { accuracy: false });
  series.val_loss = noisy(random, valLoss, h.valNoise);
  return { name: `loss plateau #${index} (from ${xAt(at)} of ${h.n})`, run: makeRun(series), expect: [{ id: 'plateau', onset: xAt(at), tolerance: Math.max(3, Math.round(0.1 * h.n)) }], allow: ALLOW };
};

export const family: CaseFamily = { id: 'plateau', generators: [scorePlateau, lossPlateau] };
