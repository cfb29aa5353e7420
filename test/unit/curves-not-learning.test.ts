import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { notLearning } from '../../src/engine/curves/not-learning';
import { csvRun } from './csv-run';
import { decaying, detectWith, epochRun, jitter, rising, stepRun } from './curve-runs';
import { fixture } from './fixtures';

const flat = (n: number, level: number, noise: number, seed = 4) => jitter(n, noise, seed).map((e) => level * (1 + e));

describe('not-learning', () => {
  it('reports a training loss stuck at ln 10 with accuracy at chance', () => {
    const run = epochRun({ loss: flat(40, 2.303, 0.004), accuracy: jitter(40, 0.01, 5).map((e) => 0.1 + e) });
    const findings = detectWith(notLearning, run);
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.line], ['warning', 'loss', 40, 41]);
    assert.equal(
      f.message,
      'training `loss` has not decreased since the start: 2.3 at first and 2.3 at the end, 39 epochs later ' +
        "(point-to-point noise ±0.0054); `accuracy` stays near 0.1. The model is not learning: check that the optimizer " +
        "holds the model's parameters and steps, that the learning rate is not zero or tiny, that gradients reach the " +
        'weights (nothing detached or frozen), and that labels match their inputs.',
    );
    assert.deepEqual(f.evidence, [{ series: 'loss', startIndex: 0, endIndex: 39 }]);
  });

  it('reports a noisy step-level loss that drifts up a little', () => {
    const loss = flat(500, 0.69, 0.05, 7).map((v, i) => v * (1 + 0.05 * (i / 500)));
    const [f] = detectWith(notLearning, stepRun({ loss }));
    assert.equal(f.step, 5000);
  });

  const quiet: [string, Record<string, number[]>, boolean][] = [
    ['a healthy run', { loss: decaying(30, 2.3, 0.3, 6, 0.01) }, false],
    ['a loss that fell and then ran away (divergence)', { loss: [...decaying(20, 2.3, 0.3, 3), ...Array.from({ length: 20 }, (_, i) => 0.3 * Math.exp(0.15 * i))] }, false],
    ['a loss barely moving while accuracy climbs (a mis-scaled loss)', { loss: flat(20, 39, 0.0005), val_accuracy: rising(20, 0.5, 0.71, 6) }, false],
    ['a constant loss (stuck-metric reports it)', { loss: Array.from({ length: 20 }, () => 0.6931) }, false],
    ['too few points', { loss: [2.3, 2.31, 2.29, 2.3, 2.3] }, false],
    ['a noisy fine-tune whose loss falls 15% under 15% step noise', { loss: decaying(300, 0.5, 0.42, 120, 0.15, 3) }, true],
  ];
  for (const [name, series, steps] of quiet) {
    it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(notLearning, steps ? stepRun(series) : epochRun(series)), []));
  }

  for (const [file, what] of [
    ['cifar10_run4_misscaled_loss.csv', 'a loss near 39 that barely moves while test accuracy climbs 50% → 71%'],
    ['imdb_bilstm_adamw_healthy_loss.csv', 'a healthy 5-epoch run'],
  ]) {
    it(`stays quiet on ${what} (corpus ${file})`, () => {
      assert.deepEqual(detectWith(notLearning, csvRun(fixture(`curves/${file}`), file)), []);
    });
  }
});
