/**
 * `oscillation`: an epoch-locked sawtooth in a log written several times an epoch (seed 001: 4 evaluations an
 * epoch, training best at the first, validation worst there), a period-2 zig-zag of the validation loss (a
 * learning rate too high), a periodic wiggle of another period; and hard negatives: noisy step-level runs with
 * fractional epochs, a cyclic learning rate that moves the loss by design, LR drops, warm-up, short runs.
 */
import type { CaseFamily, CaseGenerator } from '../case';
import { between, chance, healthyRun, intBetween, learningRate, makeRun, noisy, noisySeries, pick, type RunOptions } from '../synth';

const ALLOW = ['plateau', 'generalization-gap', 'overfitting', 'val-better-than-train', 'not-learning'];

/** Multiplies a curve by (1 + amp × profile(position in cycle)); the profile is -1 at the cycle's start and climbs to +1. */
function sawtooth(values: readonly number[], period: number, amp: readonly number[] | number, sign = 1): number[] {
  return values.map((v, i) => {
    const p = (i % period) / Math.max(1, period - 1);
    const a = typeof amp === 'number' ? amp : amp[i];
    return v * (1 + sign * a * (2 * p - 1));
  });
}

/** Seed 001: evaluated `perEpoch` times an epoch; training loss lowest at each epoch's first evaluation, validation highest there. */
const epochSawtooth: CaseGenerator = (random, index) => {
  const perEpoch = pick(random, [4, 4, 5, 8, 10, 20]);
  const epochs = intBetween(random, 10, 50);
  const n = perEpoch * epochs;
  const h = healthyRun(random, { n });
  const amp = between(random, 0.04, 0.15);
  const loss = sawtooth(h.loss, perEpoch, amp);
  const valLoss = sawtooth(h.valLoss, perEpoch, amp * between(random, 0.3, 0.8), -1);
  const accuracy = sawtooth(h.accuracy, perEpoch, amp * 0.3, -1);
  const series = {
    loss: noisy(random, loss, { mult: between(random, 0.005, 0.02) }),
    val_loss: noisy(random, valLoss, { mult: between(random, 0.003, 0.01), ar: 0.3 }),
    'hr@10': noisy(random, accuracy, { add: 0.003, max: 1 }),
  };
  const o: RunOptions = { axis: 'step', stride: 1, stepsPerEpoch: perEpoch };
  return {
    name: `epoch sawtooth #${index} (${perEpoch} evaluations an epoch, ${epochs} epochs, ±${Math.round(amp * 100)}%)`,
    run: makeRun(series, o),
    expect: [{ id: 'oscillation' }],
    allow: ALLOW,
  };
};

/** A step-level sawtooth that shrinks after an LR drop: the learning rate drives it. */
const lrDrivenSawtooth: CaseGenerator = (random, index) => {
  const perEpoch = pick(random, [10, 20, 50]);
  const epochs = intBetween(random, 12, 40);
  const n = perEpoch * epochs;
  const dropAt = perEpoch * Math.round(epochs * between(random, 0.4, 0.7));
  const lr = learningRate(n, { base: 0.01, schedule: { kind: 'plateau-halving', at: [dropAt, dropAt, dropAt] } });
  const h = healthyRun(random, { n });
  const amp = between(random, 0.06, 0.15);
  const amps = h.loss.map((_, i) => (i < dropAt ? amp : amp * 0.15));
  const series = {
    loss: noisy(random, sawtooth(h.loss, perEpoch, amps), { mult: between(random, 0.005, 0.015) }),
    lr,
  };
  return {
    name: `LR-driven sawtooth #${index} (${perEpoch}/epoch, drop at ${dropAt})`,
    run: makeRun(series, { axis: 'step', stride: 10, stepsPerEpoch: perEpoch * 10 }),
    expect: [{ id: 'oscillation' }],
    allow: ALLOW,
  };
};

/** A validation loss that zig-zags from one epoch to the next: a learning rate too high. */
const zigzag: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [20, 100] });
  const amp = between(random, 0.06, 0.2);
  const valLoss = h.valLoss.map((v, i) => v * (1 + amp * (i % 2 === 0 ? 1 : -1)));
  const series = noisySeries(random, h, { valLoss }, { accuracy: chance(random, 0.5) });
  return { name: `zig-zag #${index} (${h.n} epochs, ±${Math.round(amp * 100)}%)`, run: makeRun(series), expect: [{ id: 'oscillation' }], allow: ALLOW };
};

/** A periodic wiggle of 3–8 epochs on both losses (something periodic in the pipeline). */
const otherPeriod: CaseGenerator = (random, index) => {
  const period = intBetween(random, 3, 8);
  const h = healthyRun(random, { n: [period * 10, period * 20] });
  const amp = between(random, 0.06, 0.15);
  const wiggle = (v: readonly number[]) => v.map((x, i) => x * (1 + amp * Math.sin((2 * Math.PI * i) / period)));
  const series = noisySeries(random, h, { loss: wiggle(h.loss), valLoss: wiggle(h.valLoss) }, { accuracy: false, lr: false });
  return { name: `period ${period} #${index} (${h.n} epochs)`, run: makeRun(series), expect: [{ id: 'oscillation' }], allow: ALLOW };
};

/** Hard negative: a noisy step-level run with fractional epochs (Hugging Face style), sometimes an LR step drop. */
const noisySteps: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [300, 2000], stepLevel: true });
  const series = noisySeries(random, h, {}, { names: 'hf', validation: false, lr: true });
  const perEpoch = pick(random, [4, 10, 25, 100]);
  return { name: `noisy steps #${index} (${h.n} points, ${perEpoch}/epoch)`, run: makeRun(series, { axis: 'step', stride: 10, stepsPerEpoch: perEpoch * 10 }), expect: [] };
};

/** Hard negative: a cyclic learning rate (warm restarts) whose loss bumps are by design. */
const cyclicLr: CaseGenerator = (random, index) => {
  const cycle = intBetween(random, 5, 15);
  const n = cycle * intBetween(random, 4, 8);
  const h = healthyRun(random, { n });
  const lr = h.loss.map((_, i) => 0.01 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * (i % cycle)) / cycle))));
  const bump = (v: readonly number[]) => v.map((x, i) => x * (1 + 0.08 * (lr[i] / 0.01)));
  const series = { ...noisySeries(random, h, { loss: bump(h.loss), valLoss: bump(h.valLoss) }, { lr: false }), lr };
  return { name: `cyclic LR #${index} (cycle ${cycle})`, run: makeRun(series), expect: [] };
};

/** Hard negative: an epoch-level run with warm-up and LR drops, evaluated once an epoch; or a short run. */
const plainEpochs: CaseGenerator = (random, index) => {
  const short = chance(random, 0.3);
  const h = healthyRun(random, { n: short ? [5, 8] : [20, 150] });
  const series = noisySeries(random, h, {}, { lr: true, percent: chance(random, 0.3) });
  return { name: `plain epochs #${index} (${h.n} epochs)`, run: makeRun(series), expect: [] };
};

export const family: CaseFamily = {
  id: 'oscillation',
  generators: [epochSawtooth, lrDrivenSawtooth, zigzag, otherPeriod, noisySteps, cyclicLr, plainEpochs],
};
