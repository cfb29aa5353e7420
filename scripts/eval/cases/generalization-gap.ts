/** `generalization-gap`: training accuracy near perfect, held-out accuracy far below and staying there (seed 004: 99% vs 76%). */
import type { CaseFamily, CaseGenerator } from '../case';
import { between, chance, decayCurve, intBetween, makeRun, noisy, pick } from '../synth';

const ALLOW = ['overfitting', 'plateau', 'loss-metric-mismatch', 'stuck-metric', 'oscillation'];

const gap: CaseGenerator = (random, index) => {
  const n = intBetween(random, 15, 300);
  const chanceAcc = pick(random, [0.5, 0.5, 0.2, 0.1]);
  const top = between(random, 0.96, 1);
  const width = between(random, 0.15, 0.35);
  const valTop = Math.max(chanceAcc + 0.05, top - width);
  const tau = n * between(random, 0.05, 0.2);
  const rise = (to: number, t: number) => decayCurve(n, { start: -chanceAcc, floor: -to, tau: t }).map((v) => -v);
  const acc = rise(top, tau);
  const valAcc = rise(valTop, tau * between(random, 0.4, 1));
  const loss = decayCurve(n, { start: Math.log(1 / chanceAcc), floor: between(random, 0.001, 0.05), tau });
  const valLoss = loss.map((l, i) => Math.max(l, Math.log(1 / chanceAcc) * (0.8 - 0.3 * (1 - Math.exp(-i / tau)))));
  const scale = chance(random, 0.3) ? 100 : 1;
  const held = pick(random, ['val', 'test'] as const);
  const series = {
    loss: noisy(random, loss, { mult: 0.02 }),
    accuracy: noisy(random, acc, { add: 0.004, max: 1 }).map((v) => v * scale),
    [`${held}_loss`]: noisy(random, valLoss, { mult: 0.02, ar: 0.3 }),
    [`${held}_accuracy`]: noisy(random, valAcc, { add: 0.008, ar: 0.3, max: 1 }).map((v) => v * scale),
  };
  return { name: `gap #${index} (${(top * 100).toFixed(0)}% vs ${(valTop * 100).toFixed(0)}%, ${n} epochs)`, run: makeRun(series), expect: [{ id: 'generalization-gap' }], allow: ALLOW };
};

export const family: CaseFamily = { id: 'generalization-gap', generators: [gap] };
