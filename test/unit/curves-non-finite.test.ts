import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { analyzeLogText } from '../../src/engine/analyze-log';
import { nonFinite } from '../../src/engine/curves/non-finite';
import { decaying, detectWith, epochRun, rising, stepRun } from './curve-runs';

const loss = decaying(20, 2.3, 0.3, 5, 0.01);

describe('non-finite', () => {
  it('reports the first NaN of a blow-up once, naming the other series that followed, as an error', () => {
    const run = epochRun({
      loss: [...loss.slice(0, 11), NaN, NaN, NaN],
      val_loss: [...loss.slice(0, 11).map((v) => v * 1.1), 0.5, NaN, NaN],
      accuracy: rising(14, 0.1, 0.9, 4, 0.01),
    });
    const findings = detectWith(nonFinite, run);
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.step, f.line], ['error', 'loss', 12, null, 13]);
    assert.equal(
      f.message,
      '`loss` became NaN at epoch 12 (after 0.57 at epoch 11); `val_loss` from epoch 13 too; it never recovered. ' +
        'Once a NaN reaches the weights every later update is garbage: look for a learning rate too high, a log or ' +
        'division of zero, or fp16 overflow, and restart from a checkpoint before it.',
    );
    assert.deepEqual(f.evidence, [
      { series: 'loss', startIndex: 11, endIndex: 13 },
      { series: 'val_loss', startIndex: 12, endIndex: 13 },
    ]);
  });

  it('points at the evaluation when only a held-out metric is non-finite, and says the run came back', () => {
    const [f] = detectWith(nonFinite, epochRun({ loss, val_loss: [...loss.slice(0, 5), Infinity, ...loss.slice(6)] }));
    assert.deepEqual([f.severity, f.metric, f.epoch], ['error', 'val_loss', 6]);
    assert.equal(
      f.message,
      '`val_loss` became inf at epoch 6 (after 1.21 at epoch 5); it came back to finite values later, but 1 point ' +
        'was non-finite. Training metrics stayed finite, so look at the evaluation: an empty validation set or ' +
        'batch (a mean over nothing), a log of zero in the metric, or fp16 overflow in the evaluation pass.',
    );
  });

  it('sees through the Hugging Face artefact: `loss` reads 0.0 while `grad_norm` is NaN', () => {
    const hfLoss = decaying(40, 0.7, 0.2, 10, 0.05).map((v, i) => (i >= 25 ? 0 : v));
    const grad = decaying(40, 3, 1, 10, 0.1).map((v, i) => (i >= 25 ? NaN : v));
    const [f, ...rest] = detectWith(nonFinite, stepRun({ loss: hfLoss, grad_norm: grad }, 50));
    assert.equal(rest.length, 0);
    assert.deepEqual([f.severity, f.metric, f.epoch, f.step, f.line], ['error', 'loss', null, 1300, 27]);
    assert.equal(
      f.message,
      '`loss` reads 0 at step 1300 (it was 0.25 at step 1250) while `grad_norm` is NaN or inf (first at step 1300): ' +
        'the loss is really NaN — the Hugging Face Trainer leaves NaN losses out of the logged average ' +
        "(`logging_nan_inf_filter`), so a zero here means every step's loss was non-finite.",
    );
    assert.deepEqual(f.evidence, [
      { series: 'loss', startIndex: 25, endIndex: 39 },
      { series: 'grad_norm', startIndex: 25, endIndex: 25 },
    ]);
  });

  it('keeps rare gradient-norm overflows with a finite loss (mixed precision) at info', () => {
    const grad = decaying(100, 3, 1, 10, 0.1);
    grad[3] = Infinity;
    grad[7] = NaN;
    const [f] = detectWith(nonFinite, stepRun({ loss: decaying(100, 0.7, 0.2, 20, 0.05), grad_norm: grad }));
    assert.deepEqual([f.severity, f.metric, f.step], ['info', 'grad_norm', 40]);
    assert.equal(
      f.message,
      '`grad_norm` became inf at step 40 (after 2.65 at step 30), at 2 points in all, while the loss stayed finite: ' +
        'with mixed precision this is the loss scaler skipping steps whose gradients overflowed, harmless while it stays rare.',
    );
  });

  it('reads `nan` in Keras output as the first bad epoch', () => {
    const text = [
      'Epoch 1/4', '98/98 - 3s - loss: 0.6931 - accuracy: 0.5012',
      'Epoch 2/4', '98/98 - 3s - loss: 0.5120 - accuracy: 0.7430',
      'Epoch 3/4', '98/98 - 3s - loss: nan - accuracy: 0.5000',
      'Epoch 4/4', '98/98 - 3s - loss: nan - accuracy: 0.5000',
    ].join('\n');
    const analysis = analyzeLogText(text, 'train.log');
    assert.ok(analysis.ok);
    const f = analysis.runs[0].findings.filter((x) => x.id === 'non-finite');
    assert.deepEqual(f.map((x) => [x.metric, x.epoch, x.line]), [['loss', 3, 6]]);
  });

  const quiet: [string, Record<string, number[]>, boolean][] = [
    ['a healthy run', { loss, val_loss: loss.map((v) => v * 1.1) }, false],
    ['a training loss that reaches exactly 0 with nothing non-finite', { loss: [...decaying(20, 0.7, 0.01, 4), 0, 0] }, false],
    ['a step-level run whose loss reads 0 only where every other metric is finite', { loss: [0.5, 0.4, 0, 0.3], grad_norm: [1, 1, 1, 1] }, true],
  ];
  for (const [name, series, steps] of quiet) {
    it(`stays quiet on ${name}`, () => {
      assert.deepEqual(detectWith(nonFinite, steps ? stepRun(series) : epochRun(series)), []);
    });
  }
});
