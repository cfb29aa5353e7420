/** `not-learning`: the training loss never goes down (a frozen model, an LR of zero, shuffled labels). */
import type { CaseFamily, CaseGenerator } from '../case';
import { between, chance, intBetween, logBetween, makeRun, noisy, pick, type RunOptions } from '../synth';

const ALLOW = ['chance-level', 'stuck-metric', 'plateau', 'loss-metric-mismatch', 'oscillation', 'val-better-than-train'];

function flat(stepLevel: boolean): CaseGenerator {
  return (random, index) => {
    const n = stepLevel ? intBetween(random, 100, 1000) : intBetween(random, 6, 100);
    const classes = pick(random, [2, 3, 10, 100]);
    const level = chance(random, 0.7) ? Math.log(classes) : logBetween(random, 0.05, 50);
    // Flat, or drifting up a little (a sign error, labels shuffled against inputs).
    const drift = chance(random, 0.3) ? between(random, 0, 0.15) : 0;
    const clean = Array.from({ length: n }, (_, i) => level * (1 + (drift * i) / n));
    const mult = stepLevel ? between(random, 0.02, 0.1) : between(random, 0.002, 0.03);
    const series: Record<string, number[]> = { loss: noisy(random, clean, { mult, ar: between(random, 0, 0.3) }) };
    if (chance(random, 0.6)) {
      series.accuracy = noisy(random, clean.map(() => 1 / classes), { add: stepLevel ? 0.03 : 0.01, min: 0, max: 1 });
      if (!stepLevel) series.val_accuracy = noisy(random, clean.map(() => 1 / classes), { add: 0.01, min: 0, max: 1 });
    }
    if (!stepLevel && chance(random, 0.7)) series.val_loss = noisy(random, clean.map((v) => v * 1.01), { mult: 0.01, ar: 0.3 });
    const o: RunOptions = stepLevel ? { axis: 'step', stride: 10 } : {};
    return { name: `${stepLevel ? 'step' : 'epoch'}-level #${index} (${n} points at ${level.toFixed(2)}${drift ? `, +${Math.round(drift * 100)}%` : ''})`, run: makeRun(series, o), expect: [{ id: 'not-learning' }], allow: ALLOW };
  };
}

export const family: CaseFamily = { id: 'not-learning', generators: [flat(false), flat(true)] };
