import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { valBetterThanTrain } from '../../src/engine/curves/val-better-than-train';
import { decaying, detectWith, epochRun, rising } from './curve-runs';
import { csvFixture } from './pathology-runs';

const CAUSES =
  ' The usual causes are dropout, augmentation or weight penalties that act only in training (Keras adds L2 penalties to the ' +
  'training loss), or a validation set that is easier than the training data or overlaps it (leakage).';

describe('val-better-than-train', () => {
  it('finds corpus fer_emotion: validation better on loss and accuracy (percent), more than the half-epoch lag explains', () => {
    const findings = detectWith(valBetterThanTrain, csvFixture('pathologies', 'fer_emotion_run1_val_better.csv'));
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.line], ['info', 'val_loss', 1, 2]);
    assert.equal(
      f.message,
      'validation `loss` was below training at 10 of 10 evaluations from epoch 1 (median gap 0.12, 8% of the training loss; epoch 10: ' +
        '1.24 vs 1.42); validation `accuracy` was above training at 8 of 9 evaluations from epoch 2 (median gap 5.07 points; epoch 10: ' +
        '52.9 vs 47.8). Comparing each validation point with the training value half an epoch later (training metrics are averaged ' +
        'over the epoch, validation is measured at its end) still leaves a median gap of 0.076, so that lag explains only part of it.' +
        CAUSES,
    );
    assert.deepEqual(f.evidence, [
      { series: 'val_loss', startIndex: 0, endIndex: 9 },
      { series: 'val_accuracy', startIndex: 1, endIndex: 9 },
    ]);
  });

  it('finds corpus deeplense (frozen encoder): validation accuracy 2 points above training for 25 epochs', () => {
    const [f, ...rest] = detectWith(valBetterThanTrain, csvFixture('pathologies', 'deeplense_linear_probe_seg2.csv'));
    assert.equal(rest.length, 0);
    assert.equal(f.metric, 'val_accuracy');
    assert.match(f.message, /^validation `accuracy` was above training at 25 of 25 evaluations from epoch 1 \(median gap 1\.83 points; epoch 50: 47\.6 vs 45\.6\)/);
  });

  it('warns when the gap is huge (what leakage looks like)', () => {
    const val = decaying(60, 1.0, 0.3, 12, 0.01, 8);
    const [f] = detectWith(valBetterThanTrain, epochRun({ loss: val.map((v) => v * 2.4), val_loss: val }));
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /median gap 0\.5, 58% of the training loss; epoch 60: 0\.31 vs 0\.74\)/);
    assert.match(f.message, /a gap this large is also what leakage looks like: check that no validation examples \(or near-duplicates\) are in the training set\.$/);
  });

  const lag = decaying(12, 2.0, 0.2, 2.5);
  const next = (i: number) => lag[i + 1] ?? lag[i] * 0.8;
  const quiet: [string, () => ReturnType<typeof epochRun>][] = [
    ['a gap the half-epoch shift explains (epoch-averaged training loss, end-of-epoch validation)', () => epochRun({ loss: lag.map((v, i) => (v + next(i)) / 2), val_loss: lag.map((_, i) => next(i)) })],
    ['validation better only in the first epochs (corpus keras nmt)', () => csvFixture('curves', 'keras_csvlogger_lstm_attention_nmt_lrdecay_training_log.csv')],
    ['YOLO loss components, lower on validation by design (mosaic augmentation)', () => csvFixture('curves', 'yolov8_helmet_150ep_healthy_results.csv')],
    ['a healthy run, validation a little worse', () => epochRun({ loss: decaying(40, 2.3, 0.2, 8, 0.01), val_loss: decaying(40, 2.3, 0.3, 8, 0.01, 3), accuracy: rising(40, 0.1, 0.95, 8, 0.003), val_accuracy: rising(40, 0.1, 0.9, 8, 0.005) })],
    ['a gap of half a point', () => epochRun({ accuracy: rising(40, 50, 80, 8, 0.1), val_accuracy: rising(40, 50.5, 80.5, 8, 0.1, 5) })],
  ];
  for (const [name, make] of quiet) it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(valBetterThanTrain, make()), []));
});
