/** `overfitting`: validation loss turns up from its minimum while training loss keeps falling. Onset: the minimum. */
import type { CaseFamily, CaseGenerator } from '../case';
import { argmin, between, chance, every, healthyRun, intBetween, makeRun, noisySeries, pick, type RunOptions, xAt } from '../synth';

const ALLOW = ['generalization-gap', 'plateau', 'loss-metric-mismatch', 'stuck-metric', 'oscillation'];

function overfit(stepLevel: boolean): CaseGenerator {
  return (random, index) => {
    const h = healthyRun(random, stepLevel ? { n: [200, 1000], stepLevel } : { n: [15, 150] });
    const turn = Math.round(h.n * between(random, 0.15, 0.6));
    const valMin = h.valLoss[turn];
    const total = valMin * between(random, 0.15, 1.2);
    const power = between(random, 0.8, 1.8);
    const valLoss = h.valLoss.map((v, i) => (i <= turn ? v : valMin + total * Math.pow((i - turn) / (h.n - 1 - turn), power)));
    // Validation accuracy stalls (or sags a little) from the turn on.
    const sag = between(random, 0, 0.04);
    const valAccuracy = h.valAccuracy.map((v, i) => (i <= turn ? v : h.valAccuracy[turn] - sag * ((i - turn) / (h.n - 1 - turn))));
    const names = pick(random, ['keras', 'short', 'hf'] as const);
    const series = noisySeries(random, h, { valLoss, valAccuracy }, { names, percent: chance(random, 0.3) });
    const evalEvery = stepLevel ? intBetween(random, 10, 40) : 1;
    if (evalEvery > 1) for (const key of Object.keys(series)) if (key.startsWith('eval_') || key.startsWith('val_')) series[key] = every(series[key], evalEvery) as number[];
    const best = argmin(valLoss);
    const o: RunOptions = stepLevel ? { axis: 'step', stride: 10 } : {};
    const tolerance = Math.max(3, Math.round(0.12 * h.n)) * (stepLevel ? 10 : 1);
    return {
      name: `${stepLevel ? 'step' : 'epoch'}-level #${index} (best ${xAt(best, o)} of ${h.n}, +${Math.round((100 * total) / valMin)}%)`,
      run: makeRun(series, o),
      expect: [{ id: 'overfitting', onset: xAt(best, o), tolerance }],
      allow: ALLOW,
    };
  };
}

export const family: CaseFamily = { id: 'overfitting', generators: [overfit(false), overfit(true)] };
