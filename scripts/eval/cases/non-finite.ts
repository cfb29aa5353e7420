/** `non-finite`: NaN or inf in a metric, and the Hugging Face `loss: 0.0` artefact. Onset: the first bad point. */
import type { CaseFamily, CaseGenerator } from '../case';
import { between, chance, every, healthyRun, intBetween, makeRun, noisy, noisySeries, pick, poisonFrom, rampFrom, xAt, type RunOptions } from '../synth';

const ALLOW = ['divergence', 'collapse', 'plateau', 'overfitting', 'chance-level', 'stuck-metric', 'loss-metric-mismatch', 'oscillation'];

/** The loss blows up (sometimes after a short climb) and every metric is NaN from then on. */
const blowUp: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [10, 100] });
  const at = intBetween(random, 2, h.n - 1);
  const climb = chance(random, 0.5) ? Math.min(at - 1, intBetween(random, 1, 4)) : 0;
  const loss = climb > 0 ? rampFrom(h.loss, at - climb - 1, h.loss[at - climb - 1] * between(random, 0.5, 3), 2) : h.loss;
  const series = noisySeries(random, h, { loss });
  const value = pick(random, [NaN, NaN, Infinity]);
  for (const key of Object.keys(series)) if (key !== 'lr') series[key] = poisonFrom(series[key], at, value) as number[];
  return { name: `blow-up #${index} (at ${at + 1}${climb ? `, climbing ${climb}` : ''})`, run: makeRun(series), expect: [{ id: 'non-finite', onset: xAt(at), tolerance: 0 }], allow: ALLOW };
};

/** Only the validation loss is NaN (an empty or broken evaluation set), training carries on. */
const validationOnly: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [10, 80] });
  const at = intBetween(random, 0, h.n - 1);
  const series = noisySeries(random, h);
  series.val_loss = poisonFrom(series.val_loss, at) as number[];
  return { name: `validation NaN #${index} (from ${at + 1})`, run: makeRun(series), expect: [{ id: 'non-finite', onset: xAt(at), tolerance: 0 }], allow: ALLOW };
};

/** One inf in the training loss (fp16 overflow) that the run survives. */
const singleInf: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [20, 300], stepLevel: true });
  const at = intBetween(random, 1, h.n - 2);
  const series = noisySeries(random, h, {}, { validation: false });
  series.loss[at] = Infinity;
  const o: RunOptions = { axis: 'step', stride: 10 };
  return { name: `single inf #${index} (point ${at})`, run: makeRun(series, o), expect: [{ id: 'non-finite', onset: xAt(at, o), tolerance: 0 }], allow: ALLOW };
};

/** Hugging Face with `logging_nan_inf_filter`: from the blow-up on, `loss` reads 0.0 while `grad_norm` and `eval_loss` are NaN. */
const zeroedLoss: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [60, 600], stepLevel: true });
  const at = intBetween(random, 5, h.n - 3);
  const evalEvery = intBetween(random, 5, 40);
  const series = noisySeries(random, h, {}, { names: 'hf', lr: true, accuracy: false });
  series.loss = series.loss.map((v, i) => (i >= at ? 0 : v));
  series.grad_norm = poisonFrom(noisy(random, h.loss.map((l) => 0.5 + 3 * l), { mult: 0.3, min: 0 }), at) as number[];
  series.eval_loss = every(poisonFrom(series.eval_loss, at), evalEvery) as number[];
  const stride = pick(random, [10, 25, 50]);
  const o: RunOptions = { axis: 'step', stride };
  return { name: `HF zeroed loss #${index} (from step ${xAt(at, o)})`, run: makeRun(series, o), expect: [{ id: 'non-finite', onset: xAt(at, o), tolerance: 0 }], allow: ALLOW };
};

export const family: CaseFamily = { id: 'non-finite', generators: [blowUp, validationOnly, singleInf, zeroedLoss] };
