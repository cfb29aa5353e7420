/**
 * `chance-level`: a classifier that never leaves chance (accuracy at 1/C, cross-entropy at ln C) for C from 2
 * to 100, in fractions or percent, with or without validation curves; hard negatives: a near-chance start that
 * takes off (corpus fer_emotion: loss ln 7, 20% accuracy, then learning), a binary collapse back to 0.5 after
 * learning (that is `collapse`), a weak but learned model (corpus deeplense: 3 classes, 45%, loss 0.95 ln 3),
 * and a 10-class model that learned up to 25% (1/4, but not chance for 10 classes).
 */
import type { CaseFamily, CaseGenerator } from '../case';
import { between, chance, decayCurve, healthyRun, intBetween, makeRun, noisy, percent, pick } from '../synth';

const ALLOW = ['plateau', 'not-learning', 'stuck-metric', 'generalization-gap', 'oscillation'];

const neverLearns: CaseGenerator = (random, index) => {
  const classes = pick(random, [2, 3, 4, 5, 7, 10, 10, 100]);
  const n = intBetween(random, 6, 80);
  const lnC = Math.log(classes);
  // Percent accuracies of 1% read as fractions of 1.0: percent only where 1/C is unmistakable.
  const p = classes <= 10 && chance(random, 0.3);
  const scale = p ? 100 : 1;
  const acc = (sd: number) => noisy(random, Array.from({ length: n }, () => 1 / classes), { add: sd, ar: 0.3, min: 0 }).map((v) => v * scale);
  const loss = (drift: number) => noisy(random, decayCurve(n, { start: lnC * between(random, 1, 1.04), floor: lnC * (1 - drift), tau: n * 0.3 }), { mult: 0.004 });
  const withVal = chance(random, 0.7);
  const series: Record<string, number[]> = { loss: loss(between(random, 0, 0.02)), accuracy: acc(Math.min(0.01, 0.1 / classes)) };
  if (withVal) {
    if (chance(random, 0.7)) series.val_loss = loss(between(random, 0, 0.02));
    series.val_accuracy = acc(Math.min(0.012, 0.1 / classes));
  }
  return { name: `never learns #${index} (${classes} classes, ${n} epochs${p ? ', percent' : ''})`, run: makeRun(series), expect: [{ id: 'chance-level' }], allow: ALLOW };
};

/** Corpus fer_emotion: starts at chance for 7 classes, then learns. */
const takesOff: CaseGenerator = (random, index) => {
  const n = intBetween(random, 8, 50);
  const lnC = Math.log(7);
  const off = intBetween(random, 2, 4);
  const loss = Array.from({ length: n }, (_, i) => (i < off ? lnC : lnC - (lnC - 1.0) * (1 - Math.exp(-(i - off) / (n * 0.2)))));
  const acc = loss.map((l) => 0.15 + (lnC - l) * 0.45);
  const series = {
    loss: noisy(random, loss, { mult: 0.005 }),
    accuracy: noisy(random, percent(acc), { add: 1 }),
    val_loss: noisy(random, loss.map((l) => l * 0.95), { mult: 0.02 }),
    val_accuracy: noisy(random, percent(acc.map((a) => a + 0.03)), { add: 2 }),
  };
  return { name: `takes off #${index} (${n} epochs, from ${off + 1})`, run: makeRun(series), expect: [{ id: 'val-better-than-train' }], allow: ['plateau'] };
};

/** A binary model that learned and then collapsed back to 0.5: `collapse`, not chance-level. */
const collapsed: CaseGenerator = (random, index) => {
  const n = intBetween(random, 30, 60);
  const at = Math.round(n * between(random, 0.4, 0.7));
  const acc = Array.from({ length: n }, (_, i) => (i < at ? 0.5 + 0.45 * (1 - Math.exp(-i / 4)) : 0.5));
  const loss = acc.map((a) => (a === 0.5 ? Math.log(2) : 0.7 - (a - 0.5) * 1.4));
  const series = { loss: noisy(random, loss, { mult: 0.01 }), accuracy: noisy(random, acc, { add: 0.005, max: 1 }) };
  return { name: `collapsed to 0.5 #${index} (at ${at + 1})`, run: makeRun(series), expect: [{ id: 'collapse' }], allow: ['plateau', 'not-learning', 'divergence', 'stuck-metric'] };
};

/** Corpus deeplense: 3 classes, accuracy ~45% and loss ~0.95 ln 3: weak, but above chance. */
const weak: CaseGenerator = (random, index) => {
  const n = intBetween(random, 10, 50);
  const loss = decayCurve(n, { start: 1.14, floor: 1.03, tau: n * 0.3 });
  const acc = loss.map((l) => 0.34 + (1.14 - l) * 1.0);
  const series = {
    loss: noisy(random, loss, { mult: 0.002 }),
    accuracy: noisy(random, percent(acc), { add: 0.3 }),
    val_loss: noisy(random, loss.map((l) => l - 0.015), { mult: 0.003 }),
    val_accuracy: noisy(random, percent(acc.map((a) => a + 0.02)), { add: 0.6 }),
  };
  return { name: `weak but learned #${index} (${n} epochs)`, run: makeRun(series), expect: [{ id: 'val-better-than-train' }], allow: ['plateau'] };
};

/** A 10-class model that learned from 10% up to about 25%. */
const quarter: CaseGenerator = (random, index) => {
  const h = healthyRun(random, { n: [15, 60] });
  const n = h.n;
  const loss = decayCurve(n, { start: Math.log(10), floor: 1.9, tau: n * 0.25 });
  const acc = loss.map((l) => 0.1 + (Math.log(10) - l) * 0.4);
  const series = { loss: noisy(random, loss, { mult: 0.005 }), accuracy: noisy(random, acc, { add: 0.004 }) };
  return { name: `learned to 25% #${index} (${n} epochs)`, run: makeRun(series), expect: [], allow: ['plateau'] };
};

export const family: CaseFamily = {
  id: 'chance-level',
  generators: [neverLearns, takesOff, collapsed, weak, quarter],
};
