import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { plateau } from '../../src/engine/curves/plateau';
import { trainingEnd } from '../../src/engine/curves/select';
import { csvRun } from './csv-run';
import { decaying, detectWith, epochRun, jitter, rising, stepRun } from './curve-runs';
import { fixture } from './fixtures';

const flatAfter = (n: number, at: number, level: number, noise: number) => {
  const e = jitter(n, noise, 9);
  return rising(n, 0.1, level, at / 4, noise).map((v, i) => (i < at ? v : level + e[i]));
};

describe('plateau', () => {
  it('reports a validation accuracy flat for 80% of the run, at info', () => {
    const run = epochRun({ loss: decaying(50, 2.3, 0.2, 15, 0.01), val_accuracy: flatAfter(50, 10, 0.84, 0.004) });
    const findings = detectWith(plateau, run);
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.line], ['info', 'val_accuracy', 11, 12]);
    assert.equal(
      f.message,
      'validation `accuracy` has not improved on 0.84 (epoch 11) for 39 epochs, 80% of the run, while training ' +
        '`loss` kept falling (1.37 → 0.29). Training longer is not helping: stop early at the best checkpoint, or ' +
        'lower the learning rate when it plateaus (ReduceLROnPlateau) to get more out of it.',
    );
    assert.deepEqual(f.evidence, [{ series: 'val_accuracy', startIndex: 10, endIndex: 49 }]);
  });

  it('falls back to the validation loss when there is no held-out score', () => {
    const valLoss = decaying(60, 2.3, 0.9, 3, 0.01);
    const [f] = detectWith(plateau, epochRun({ loss: decaying(60, 2.3, 0.1, 20), val_loss: valLoss }));
    assert.equal(f.metric, 'val_loss');
    // A later point a hair better (within the noise) is named rather than hidden.
    assert.match(f.message, /^validation `loss` has not improved on 0\.9\d? \(epoch 1\d\) for 4\d epochs by more than its noise \(its best since: 0\.89, epoch 48\), 7\d% of the run/);
  });

  const quiet: [string, Record<string, number[]>][] = [
    ['a metric still improving slowly to the end', { val_accuracy: rising(60, 0.1, 0.9, 25, 0.004) }],
    ['a late flattening (the last 30% of the run)', { val_accuracy: flatAfter(60, 42, 0.84, 0.004) }],
    ['a saturated score (99%)', { val_accuracy: flatAfter(60, 10, 0.99, 0.002) }],
    ['a run with too few evaluations after the best', { val_accuracy: flatAfter(12, 3, 0.8, 0.004) }],
    ['a metric that never improved (not-learning, not plateau)', { val_accuracy: jitter(60, 0.01).map((e) => 0.1 + e) }],
    ['training metrics only', { loss: decaying(60, 2.3, 0.9, 3, 0.01), accuracy: flatAfter(60, 10, 0.84, 0.004) }],
  ];
  for (const [name, series] of quiet) {
    it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(plateau, epochRun(series)), []));
  }

  // From the eval's generators (4 decimals): a validation accuracy creeping up to about 0.62 by epoch 45 of
  // 69 under a cosine schedule that reaches 0 there, then frozen (stuck-metric/annealed to zero #101).
  const annealedAccuracy = [
    0.5146, 0.476, 0.4862, 0.4963, 0.4788, 0.5019, 0.5214, 0.5174, 0.5461, 0.5283, 0.5376, 0.55, 0.532, 0.5531, 0.5642, 0.5599, 0.5814,
    0.5495, 0.5635, 0.5944, 0.5754, 0.58, 0.571, 0.5885, 0.5927, 0.575, 0.6061, 0.6023, 0.6058, 0.6091, 0.5972, 0.6044, 0.596, 0.5709,
    0.6017, 0.5987, 0.61, 0.6005, 0.6035, 0.6093, 0.6163, 0.6173, 0.6018, 0.6247, 0.6178, ...Array<number>(24).fill(0.6052),
  ];
  const annealedLr = annealedAccuracy.map((_, i) => (i >= 45 ? 0 : 0.005 * (1 + Math.cos((Math.PI * i) / 68))));

  it('judges only the epochs that trained: metrics frozen by a learning rate annealed to zero are not a plateau', () => {
    // Without the learning rate the frozen tail reads as 24 more epochs without improvement.
    const [f] = detectWith(plateau, epochRun({ val_accuracy: annealedAccuracy }));
    assert.equal(f?.id, 'plateau');
    assert.deepEqual(detectWith(plateau, epochRun({ val_accuracy: annealedAccuracy, lr: annealedLr })), []);
  });

  it('trainingEnd is the first point of the final stretch at a learning rate of about zero', () => {
    assert.equal(trainingEnd(epochRun({ val_accuracy: annealedAccuracy, lr: annealedLr })), 46);
    assert.equal(trainingEnd(epochRun({ val_accuracy: annealedAccuracy })), Infinity);
    // A cosine that only touches zero at its last point ends there; a constant rate never ends.
    assert.equal(trainingEnd(epochRun({ lr: [0.01, 0.008, 0.005, 0.002, 0] })), 5);
    assert.equal(trainingEnd(epochRun({ lr: [0.01, 0.01, 0.01] })), Infinity);
  });

  // A fine-tune (healthy/fine-tune #75 of the eval, seed 2): the accuracy hovers 0.92-0.93 from step 3420,
  // while the validation loss keeps falling steadily (0.233 to 0.221).
  const fineTune = {
    val_loss: [0.2483, 0.2484, 0.2471, 0.2368, 0.2306, 0.2334, 0.2291, 0.2305, 0.2316, 0.2277, 0.2237, 0.2244, 0.2227, 0.2207, 0.2216, 0.2221, 0.2206, 0.2229],
    val_accuracy: [0.8925, 0.9031, 0.9042, 0.9153, 0.9129, 0.9251, 0.919, 0.9221, 0.9202, 0.9236, 0.9221, 0.9179, 0.9268, 0.9288, 0.9332, 0.9264, 0.931, 0.925],
  };

  it('stays quiet on a flat-looking score while the held-out loss beside it still improves steadily', () => {
    const [f] = detectWith(plateau, stepRun({ val_accuracy: fineTune.val_accuracy }, 570));
    assert.equal(f?.id, 'plateau');
    assert.deepEqual(detectWith(plateau, stepRun(fineTune, 570)), []);
  });

  it('starts the plateau where the curve reaches the level it holds, not where it is still a noise unit or two short', () => {
    // Rises to 0.80 at epoch 41 (a parabola: 0.009 short at epoch 34, 0.002 at epoch 38) and holds there, noise ±0.01.
    const e = jitter(120, 0.01, 5);
    const values = Array.from({ length: 120 }, (_, i) => (i < 40 ? 0.8 - 0.3 * (1 - i / 40) ** 2 : 0.8) + e[i]);
    const [f, ...rest] = detectWith(plateau, epochRun({ val_accuracy: values }));
    assert.equal(rest.length, 0);
    // Measured against the smoothed maximum minus 3 noise units, this was epoch 34.
    assert.equal(f.epoch, 38);
    assert.match(f.message, /^validation `accuracy` has not improved on 0\.81 \(epoch 38\) for 82 epochs, 69% of the run\./);
  });

  it('does not let a later collapse pull the plateau onset back onto the rise', () => {
    // Rises to 0.84 (time constant 3 epochs), holds until epoch 26, then falls to 0.5 for the rest of the run:
    // the median of everything after a point on the rise is low, but the curve is not there yet.
    const e = jitter(60, 0.006, 3);
    const values = Array.from({ length: 60 }, (_, i) => (i < 26 ? 0.84 - 0.34 * Math.exp(-i / 3) : 0.5) + e[i]);
    const [f, ...rest] = detectWith(plateau, epochRun({ val_accuracy: values }));
    assert.equal(rest.length, 0);
    assert.equal(f.epoch, 15);
    assert.match(f.message, /^validation `accuracy` has not improved on 0\.84 \(epoch 15\) for 45 epochs, 76% of the run\./);
  });

  for (const [file, what] of [
    ['yolov8_helmet_150ep_healthy_results.csv', 'a healthy 150-epoch run that flattens late'],
    ['keras_csvlogger_lstm_attention_nmt_lrdecay_training_log.csv', 'a validation accuracy still creeping up under LR halvings'],
    ['cifar10_35ep_healthy.csv', 'a run converging from epoch 27 of 35'],
  ]) {
    it(`stays quiet on ${what} (corpus ${file})`, () => {
      assert.deepEqual(detectWith(plateau, csvRun(fixture(`curves/${file}`), file)), []);
    });
  }
});
