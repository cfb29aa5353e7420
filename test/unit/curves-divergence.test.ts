import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { divergence } from '../../src/engine/curves/divergence';
import { decaying, detectWith, epochRun, jitter, rising, stepRun } from './curve-runs';

/** Healthy for 15 epochs, then multiplied by e^(0.8 (i − 14)), at most 30×. */
const runaway = decaying(30, 2.3, 0.2, 4, 0.01).map((v, i) => (i < 15 ? v : v * Math.min(30, Math.exp(0.8 * (i - 14)))));

describe('divergence', () => {
  it('reports a runaway training loss once, at the start of the climb, naming the validation loss that followed', () => {
    const findings = detectWith(divergence, epochRun({ loss: runaway, val_loss: runaway.map((v) => v * 1.1) }));
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.line], ['warning', 'loss', 15, 16]);
    assert.equal(
      f.message,
      'training `loss` started climbing at epoch 15: from its best 0.28 (epoch 14) to 6.58 by epoch 20 (23.4× its ' +
        'best, and above its starting 1.82), and had not come back by the end of the log. Validation `loss` climbed ' +
        'with it. A loss that runs away like this usually means a learning rate too high for this stage of training ' +
        '(the end of a warm-up, a schedule restart) or exploding gradients: lower the learning rate or clip the gradient norm.',
    );
    assert.deepEqual(f.evidence, [
      { series: 'loss', startIndex: 14, endIndex: 29 },
      { series: 'val_loss', startIndex: 14, endIndex: 29 },
    ]);
  });

  it('says when the climb ends in NaN', () => {
    const [f] = detectWith(divergence, epochRun({ loss: [...runaway.slice(0, 19), NaN, NaN] }));
    assert.equal(f.epoch, 15);
    assert.match(f.message, /to 5\.47 by epoch 19 \(19\.5× its best, and above its starting 1\.82\), and then became NaN\./);
  });

  it('finds a slow climb in a noisy step-level log', () => {
    const noise = jitter(600, 0.1, 5);
    const loss = decaying(600, 2.3, 0.4, 60).map((v, i) => (i < 300 ? v : v * Math.exp(0.01 * (i - 299))) * (1 + noise[i]));
    const [f, ...rest] = detectWith(divergence, stepRun({ loss }));
    assert.equal(rest.length, 0);
    assert.ok(Math.abs((f.step ?? 0) - 3000) <= 300, `onset ${f.step}`);
  });

  it('judges a validation loss only when the log has no training loss', () => {
    const [f] = detectWith(divergence, epochRun({ val_loss: runaway }));
    assert.equal(f.metric, 'val_loss');
    assert.match(f.message, /^validation `loss` started climbing at epoch 15/);
  });

  const quiet: [string, Record<string, number[]>][] = [
    ['a healthy run', { loss: decaying(40, 2.3, 0.2, 8, 0.02), val_loss: decaying(40, 2.4, 0.3, 8, 0.02) }],
    ['a warm-up bump (+40% for three epochs)', { loss: decaying(40, 2.3, 0.2, 8, 0.01).map((v, i) => (i >= 1 && i <= 3 ? v * 1.4 : v)) }],
    ['one bad batch ×10', { loss: decaying(40, 2.3, 0.2, 8, 0.01).map((v, i) => (i === 30 ? v * 10 : v)) }],
    ['a warm restart that kicks the loss up 1.6× and falls again', { loss: decaying(40, 2.3, 0.1, 5).map((v, i) => (i >= 20 ? v * (1 + 0.6 * Math.exp(-(i - 20) / 3)) : v)) }],
    ['a converged loss wobbling between 0.002 and 0.004', { loss: [...decaying(30, 2.3, 0.002, 3), ...jitter(20, 0.001).map((e) => 0.003 + e)] }],
    ['a GAN generator loss rising as the discriminator learns', { g_loss: rising(40, 0.7, 3, 10), d_loss: decaying(40, 1.4, 0.3, 10) }],
    ['a validation loss rising alone while training improves (overfitting)', { loss: decaying(40, 2.3, 0.05, 8), val_loss: decaying(40, 2.3, 0.3, 5).map((v, i) => v + 0.05 * Math.max(0, i - 15)) }],
    ['a loss climbing back as accuracy collapses (collapse reports the episode)', {
      loss: [...decaying(25, 0.69, 0.02, 5), 0.69, 0.69, 0.68, 0.66, 0.64],
      accuracy: [...rising(25, 0.5, 0.99, 5), 0.51, 0.5, 0.52, 0.55, 0.6],
    }],
  ];
  for (const [name, series] of quiet) {
    it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(divergence, epochRun(series)), []));
  }
});
