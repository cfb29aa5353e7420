import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { generalizationGap } from '../../src/engine/curves/generalization-gap';
import { csvRun } from './csv-run';
import { decaying, detectWith, epochRun, rising } from './curve-runs';
import { fixture } from './fixtures';

describe('generalization-gap', () => {
  it('reports seed 004: training accuracy 99%, validation stuck at 76%', () => {
    const run = epochRun({
      loss: decaying(100, 0.69, 0.02, 10),
      accuracy: rising(100, 0.5, 0.99, 10, 0.003),
      val_loss: decaying(100, 0.69, 0.55, 8),
      val_accuracy: rising(100, 0.5, 0.76, 8, 0.006),
    });
    const findings = detectWith(generalizationGap, run);
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.line], ['warning', 'val_accuracy', 68, 69]);
    assert.equal(
      f.message,
      'over the last 32 epochs (epoch 68 to epoch 100) training `accuracy` was 0.99 and validation only 0.76: a gap ' +
        'of 23 points that is not closing, with 23.6× as many errors on held-out data. The model fits its training ' +
        'set far better than it generalizes: regularize (augmentation, dropout, weight decay, a smaller model), get ' +
        'more data, or check that both splits come from the same distribution.',
    );
    assert.deepEqual(f.evidence, [
      { series: 'val_accuracy', startIndex: 67, endIndex: 99 },
      { series: 'accuracy', startIndex: 67, endIndex: 99 },
    ]);
  });

  it('reads percentages and a test split', () => {
    const run = epochRun({ accuracy: rising(60, 50, 100, 8, 0.3), test_accuracy: rising(60, 50, 78, 8, 0.6) });
    const [f] = detectWith(generalizationGap, run);
    assert.equal(f.metric, 'test_accuracy');
    assert.match(f.message, /training `accuracy` was 100 and test only 78\.2: a gap of 21\.8 points that is not closing, with many times as many errors/);
  });

  const quiet: [string, Record<string, number[]>][] = [
    ['a healthy 6-point gap', { accuracy: rising(60, 0.5, 0.98, 8, 0.003), val_accuracy: rising(60, 0.5, 0.92, 8, 0.005) }],
    ['a weak model whose errors are similar on both splits (80% vs 68%)', { accuracy: rising(60, 0.5, 0.8, 8, 0.003), val_accuracy: rising(60, 0.5, 0.68, 8, 0.005) }],
    ['a gap that is closing', { accuracy: rising(60, 0.5, 0.99, 5, 0.002), val_accuracy: rising(60, 0.5, 0.95, 30, 0.002) }],
    ['a run too short to judge', { accuracy: [0.5, 0.9, 0.99, 0.99, 0.99], val_accuracy: [0.5, 0.7, 0.72, 0.73, 0.74] }],
  ];
  for (const [name, series] of quiet) {
    it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(generalizationGap, epochRun(series)), []));
  }

  it('stays quiet on the real NMT run (93.7% vs 90%) (corpus)', () => {
    const run = csvRun(fixture('curves/keras_csvlogger_lstm_attention_nmt_lrdecay_training_log.csv'), 'training_log.csv');
    assert.deepEqual(detectWith(generalizationGap, run), []);
  });
});
