import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { plateau } from '../../src/engine/curves/plateau';
import { csvRun } from './csv-run';
import { decaying, detectWith, epochRun, jitter, rising } from './curve-runs';
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
    assert.match(f.message, /^validation `loss` has not improved on 0\.9\d? \(epoch 1\d\) for 4\d epochs, 7\d% of the run/);
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
