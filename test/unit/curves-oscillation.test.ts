import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { oscillation } from '../../src/engine/curves/oscillation';
import { decaying, detectWith, epochRun, jitter, stepRun } from './curve-runs';
import { phasedRun } from './pathology-runs';

const HEALTHY_485 = [
  50.385, 54.1243, 56.0808, 59.1836, 60.513, 63.0343, 63.6628, 63.1841, 64.1591, 66.8269, 66.286, 68.5365, 67.9156, 67.4378, 68.1991,
  68.5601, 68.837, 70.0965, 70.8178, 69.8284, 70.6498, 71.1744, 69.8225, 70.9429, 70.8874, 70.6077, 71.0941, 73.4473, 71.6132,
];
const QUANTISED_288 = [
  0.34, 0.38, 0.42, 0.44, 0.46, 0.48, 0.5, 0.48, 0.52, 0.52, 0.56, 0.56, 0.58, 0.56, 0.58, 0.6, 0.62, 0.62, 0.62, 0.62, 0.64, 0.62, 0.64, 0.62, 0.62,
];

/** -1 at the first of 4 evaluations of an epoch, +1 at the last (seed 001: training best right after the boundary). */
const saw = (i: number) => ((i % 4) / 3) * 2 - 1;
const n = 120;
const seed001 = {
  loss: decaying(n, 6.0, 3.2, 30, 0.004, 3).map((v, i) => v * (1 + 0.06 * saw(i))),
  val_loss: decaying(n, 5.8, 3.6, 30, 0.003, 4).map((v, i) => v * (1 - 0.03 * saw(i))),
};

describe('oscillation', () => {
  it('finds seed 001: a sawtooth locked to the epoch in a log written 4 times an epoch, training and validation as one episode', () => {
    const findings = detectWith(oscillation, phasedRun(seed001, 4));
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.step, f.line], ['info', 'loss', 3.25, 13, 14]);
    assert.equal(
      f.message,
      'training `loss` rises and falls every epoch (4 evaluations an epoch) from epoch 3.25 to epoch 30 (swing 0.43, 12% of its level; ' +
        'best at the 1st of the 4 evaluations of each epoch); validation `loss` rises and falls every epoch (4 evaluations an epoch) ' +
        'from epoch 3.25 to epoch 30 (swing 0.23, 6% of its level; best at the 4th of the 4 evaluations of each epoch). A pattern ' +
        "locked to epoch boundaries comes from the data order: each pass brings back examples the model has partly memorised, and Adam's " +
        'slow second-moment average (β₂) adds to it; it is not overfitting by itself. It grows with the learning rate: if it is large, ' +
        'lower the rate or decay it; a learning-rate scheduler shows which.',
    );
    assert.deepEqual(f.evidence, [
      { series: 'loss', startIndex: 12, endIndex: 119 },
      { series: 'val_loss', startIndex: 12, endIndex: 119 },
    ]);
  });

  it('says the learning rate drives a sawtooth that shrinks when the rate drops, as a warning', () => {
    const lr = Array.from({ length: n }, (_, i) => (i < 60 ? 0.01 : 0.001));
    const loss = decaying(n, 6.0, 3.2, 30, 0.004, 3).map((v, i) => v * (1 + (i < 60 ? 0.08 : 0.01) * saw(i)));
    const [f, ...rest] = detectWith(oscillation, phasedRun({ loss, lr }, 4));
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'warning');
    assert.equal(
      f.message,
      'training `loss` rises and falls every epoch (4 evaluations an epoch) from epoch 3.25 to epoch 30 (swing 0.27, 8% of its level; ' +
        'best at the 1st of the 4 evaluations of each epoch). The learning rate drives it: when the learning rate dropped from 0.01 to ' +
        '0.001 (epoch 15.25) the typical swing went from 4.6% of the loss to 0.6% of the loss. Lower the learning rate or decay it sooner.',
    );
  });

  it('calls a period-2 zig-zag of the validation loss a learning rate too high', () => {
    const valLoss = decaying(40, 1.2, 0.4, 8, 0.01, 6).map((v, i) => v * (1 + (i % 2 ? -0.12 : 0.12)));
    const [f, ...rest] = detectWith(oscillation, epochRun({ loss: decaying(40, 1.2, 0.3, 8, 0.01), val_loss: valLoss }));
    assert.equal(rest.length, 0);
    assert.deepEqual([f.severity, f.metric, f.epoch], ['warning', 'val_loss', 5]);
    assert.equal(
      f.message,
      'validation `loss` oscillates with a period of 2 evaluations (a zig-zag) from epoch 5 to epoch 40 (swing 0.11, 24% of its level). ' +
        'A zig-zag from one evaluation to the next is the classic sign of a learning rate too high for the valley the model is in: ' +
        'lower it, decay it, or clip gradients.',
    );
  });

  const cyclicLr = Array.from({ length: 60 }, (_, i) => 0.01 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * (i % 10)) / 10))));
  const quiet: [string, () => ReturnType<typeof epochRun>][] = [
    ['a noisy step-level loss logged 50 times an epoch', () => phasedRun({ loss: decaying(800, 2.3, 0.3, 200, 0.1, 7) }, 50)],
    ['a loss following a cyclic learning rate (warm restarts) by design', () => epochRun({ loss: decaying(60, 2.3, 0.3, 10, 0.01).map((v, i) => v * (1 + 8 * cyclicLr[i])), lr: cyclicLr })],
    ['a 5-epoch run', () => epochRun({ loss: decaying(5, 2.3, 0.3, 2, 0.02), val_loss: decaying(5, 2.3, 0.5, 2, 0.05) })],
    ['an LR step drop that lowers the loss in one step', () => epochRun({ loss: decaying(60, 2.3, 0.5, 10, 0.01).map((v, i) => (i >= 30 ? v * 0.6 : v)), lr: Array.from({ length: 60 }, (_, i) => (i < 30 ? 0.1 : 0.01)) })],
    ['a noisy validation accuracy in percent', () => epochRun({ val_accuracy: jitter(50, 1.5, 4).map((e, i) => 60 + 25 * (1 - Math.exp(-i / 8)) + e) })],
    ['one bad evaluation', () => epochRun({ val_loss: decaying(40, 2.3, 0.4, 8, 0.01).map((v, i) => (i === 25 ? v * 3 : v)) })],
    // Healthy runs from the eval's generators (4 decimals) where noise alone folded into a period: the swing
    // was 3 times the residuals' spread, but those residuals are shrunk by the moving average and the fitted
    // profile; against the points' own noise it is not.
    ['a noisy rising validation accuracy in percent, 29 epochs (val-better-than-train/healthy #485)', () => epochRun({ val_accuracy: HEALTHY_485 })],
    ['a validation accuracy on a 0.02 grid, rising half a step an epoch (stuck-metric/quantised validation #288)', () => epochRun({ val_accuracy: QUANTISED_288 })],
  ];
  for (const [name, make] of quiet) it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(oscillation, make()), []));

  it('judges the jitter of a held-out loss the same on a short series and on a 100,000-point one (sampled)', () => {
    const noisyLoss = (n: number, amp: number) => {
      const noise = jitter(n, amp, 7);
      return { val_loss: Array.from({ length: n }, (_, i) => (1 + 2 * Math.exp(-i / (n / 5))) * (1 + noise[i])) };
    };
    for (const n of [2_000, 100_000]) {
      const [wild] = detectWith(oscillation, stepRun(noisyLoss(n, 0.5)));
      assert.ok(wild, `no finding on ${n} points swinging ±50%`);
      assert.match(wild.message, /^validation `loss` swings far more than its trend from step/);
      assert.deepEqual(detectWith(oscillation, stepRun(noisyLoss(n, 0.1))), [], `${n} points swinging ±10%`);
    }
  });
});
