/** `divergence`: the training loss runs away from its best and stays up (often to NaN). Onset: where the climb starts. */
import type { CaseFamily, CaseGenerator } from '../case';
import { accuracyFromLoss, between, chance, healthyRun, intBetween, makeRun, noisySeries, poisonFrom, xAt, type RunOptions } from '../synth';

const ALLOW = ['non-finite', 'collapse', 'plateau', 'chance-level', 'stuck-metric', 'oscillation', 'loss-metric-mismatch', 'overfitting'];

/** Multiplies the curve by e^(rate·(i − from)) after `from`, capped at `cap` times. */
function explode(values: readonly number[], from: number, rate: number, cap: number): number[] {
  return values.map((v, i) => (i <= from ? v : values[from] * Math.min(cap, Math.exp(rate * (i - from)))));
}

/**
 * How the accuracy curves behave while the loss runs away: absent (a loss-only log), degrading only partly
 * (over-confident wrong predictions: the loss explodes long before accuracy reaches chance), or collapsing
 * to chance — then `collapse` reports the episode and `divergence` must not report it a second time.
 */
type Accuracy = 'none' | 'partial' | 'collapse';

function diverging(stepLevel: boolean, accuracy: Accuracy): CaseGenerator {
  return (random, index) => {
    const h = healthyRun(random, stepLevel ? { n: [150, 1000], stepLevel } : { n: [15, 120] });
    const onset = Math.round(h.n * between(random, 0.2, 0.75));
    const rate = between(random, 0.3, 1.5) * (stepLevel ? 0.05 : 1);
    const cap = between(random, 4, 60);
    const loss = explode(h.loss, onset, rate, cap);
    const valLoss = explode(h.valLoss, onset, rate, cap);
    let acc = h.accuracy;
    let valAcc = h.valAccuracy;
    if (accuracy === 'collapse') {
      const start = h.loss[0];
      acc = accuracyFromLoss(loss, { chance: h.chance, top: Math.max(...h.accuracy), lossStart: start, lossFloor: Math.min(...h.loss) * 0.9 });
      valAcc = accuracyFromLoss(valLoss, { chance: h.chance, top: Math.max(...h.valAccuracy), lossStart: start * 1.05, lossFloor: Math.min(...h.valLoss) * 0.9 });
    } else if (accuracy === 'partial') {
      // Accuracy loses at most a quarter of what it had gained.
      const keep = (curve: readonly number[]) => {
        const at = curve[onset];
        const drop = (at - h.chance) * between(random, 0.05, 0.25);
        return curve.map((v, i) => (i <= onset ? v : at - drop * Math.min(1, (loss[i] / loss[onset] - 1) / (cap - 1))));
      };
      acc = keep(h.accuracy);
      valAcc = keep(h.valAccuracy);
    }
    const series = noisySeries(random, h, { loss, valLoss, accuracy: acc, valAccuracy: valAcc }, { accuracy: accuracy !== 'none' });
    const nanAt = chance(random, 0.4) ? Math.min(h.n - 1, onset + Math.ceil(Math.log(cap) / rate) + intBetween(random, 1, 8)) : -1;
    if (nanAt > 0) for (const key of Object.keys(series)) if (key !== 'lr') series[key] = poisonFrom(series[key], nanAt) as number[];
    const o: RunOptions = stepLevel ? { axis: 'step', stride: 10 } : {};
    const tolerance = Math.max(2, Math.round(0.05 * h.n)) * (stepLevel ? 10 : 1);
    const id = accuracy === 'collapse' ? 'collapse' : 'divergence';
    return {
      name: `${stepLevel ? 'step' : 'epoch'}-level, accuracy ${accuracy} #${index} (onset ${xAt(onset, o)} of ${h.n}, ×${cap.toFixed(0)}${nanAt > 0 ? ', then NaN' : ''})`,
      run: makeRun(series, o),
      // When accuracy collapses, the episode is `collapse`'s; its onset is where accuracy lands near chance, a few points on.
      expect: accuracy === 'collapse' ? [{ id }] : [{ id, onset: xAt(onset, o), tolerance }],
      allow: accuracy === 'collapse' ? [...ALLOW, 'divergence'] : ALLOW,
    };
  };
}

/** The learning rate is far too high: the loss climbs from the very first points. */
const fromTheStart: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [10, 60] });
  const loss = explode(h.loss.map(() => h.loss[0]), 0, between(random, 0.2, 1), between(random, 5, 1e3));
  const series = noisySeries(random, h, { loss, valLoss: loss.map((l) => l * 1.05), accuracy: h.loss.map(() => h.chance), valAccuracy: h.loss.map(() => h.chance) });
  return { name: `from the start #${index}`, run: makeRun(series), expect: [{ id: 'divergence', onset: xAt(0), tolerance: 2 }], allow: [...ALLOW, 'not-learning'] };
};

export const family: CaseFamily = { id: 'divergence', generators: [diverging(false, 'none'), diverging(false, 'partial'), diverging(true, 'none'), diverging(true, 'partial'), diverging(false, 'collapse'), fromTheStart] };
