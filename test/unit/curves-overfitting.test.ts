import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { overfitting } from '../../src/engine/curves/overfitting';
import { csvRun } from './csv-run';
import { decaying, detectWith, epochRun, jitter, rising } from './curve-runs';
import { fixture } from './fixtures';

const base = decaying(40, 2.3, 0.3, 4);
const vn = jitter(40, 0.01, 3);
/** Validation loss bottoms out at epoch 13 (0.4) and climbs 0.008 an epoch; training loss keeps falling. */
const valLoss = base.map((v, i) => (i < 12 ? v : base[12] + 0.008 * (i - 12)) * (1 + vn[i]));
const trainLoss = decaying(40, 2.3, 0.02, 8, 0.01);
const valAcc = rising(40, 0.1, 0.88, 4, 0.003).map((v, i) => (i < 12 ? v : 0.87 - 0.001 * (i - 12)));

describe('overfitting', () => {
  it('reports the best epoch, the rise since, and what early stopping would have kept', () => {
    const run = epochRun({ loss: trainLoss, val_loss: valLoss, accuracy: rising(40, 0.1, 0.99, 6), val_accuracy: valAcc });
    const findings = detectWith(overfitting, run);
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.line], ['warning', 'val_loss', 13, 14]);
    assert.equal(
      f.message,
      'validation `loss` rose from its best 0.4 at epoch 13 to 0.6 (+50%) by epoch 40, 27 epochs later, while ' +
        'training `loss` kept falling (0.52 → 0.049): the model is overfitting. Early stopping on `val_loss` would ' +
        'have kept epoch 13 (`val_loss` 0.4, `val_accuracy` 0.87); more data, augmentation, dropout or weight decay ' +
        'push the best later and lower.',
    );
    assert.deepEqual(f.evidence, [{ series: 'val_loss', startIndex: 12, endIndex: 39 }]);
  });

  it('finds it on a held-out curve evaluated less often than training is logged', () => {
    const sparse = valLoss.map((v, i) => (i % 2 === 1 ? v : undefined));
    const [f] = detectWith(overfitting, epochRun({ loss: trainLoss, val_loss: sparse }));
    assert.ok(f.epoch === 12 || f.epoch === 14, `best epoch ${f.epoch}`);
  });

  const quiet: [string, Record<string, number[]>][] = [
    ['a healthy run', { loss: trainLoss, val_loss: decaying(40, 2.3, 0.3, 6, 0.01) }],
    ['a validation loss drifting up 3% at the end of a long run', { loss: trainLoss, val_loss: base.map((v, i) => (i < 25 ? v : base[25] * (1 + 0.002 * (i - 25)))) }],
    ['training and validation losses rising together (divergence)', { loss: trainLoss.map((v, i) => (i < 12 ? v : trainLoss[12] * (1 + 0.05 * (i - 12)))), val_loss: valLoss }],
    ['a rise of two points at the very end', { loss: trainLoss, val_loss: [...base.slice(0, 38), base[37] * 1.3, base[37] * 1.4] }],
  ];
  for (const [name, series] of quiet) {
    it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(overfitting, epochRun(series)), []));
  }

  it('stays quiet on the real NMT run with a persistent gap and a flat late validation loss (corpus)', () => {
    const run = csvRun(fixture('curves/keras_csvlogger_lstm_attention_nmt_lrdecay_training_log.csv'), 'training_log.csv');
    assert.deepEqual(detectWith(overfitting, run), []);
  });

  it('stays quiet on the real 150-epoch YOLOv8 run whose validation losses drift up a few percent (corpus)', () => {
    const run = csvRun(fixture('curves/yolov8_helmet_150ep_healthy_results.csv'), 'results.csv');
    assert.deepEqual(detectWith(overfitting, run), []);
  });
});
