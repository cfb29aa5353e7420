import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { stuckAcrossRuns, stuckMetric } from '../../src/engine/curves/stuck-metric';
import type { Run } from '../../src/engine/types';
import { decaying, detectWith, epochRun, jitter, rising } from './curve-runs';

/** Seed 004: training accuracy to 0.99 while validation accuracy freezes at 0.76 from epoch 31 of 50. */
const seed004 = {
  loss: decaying(50, 0.69, 0.01, 8, 0.01),
  accuracy: rising(50, 0.5, 0.99, 6, 0.003),
  val_loss: decaying(50, 0.69, 0.9, 30, 0.01),
  val_accuracy: rising(50, 0.5, 0.74, 6, 0.004, 3).map((v, i) => (i < 30 ? v : 0.76)),
  lr: Array(50).fill(5e-6),
  epoch_time: Array(50).fill(12),
};

const named = (run: Run, source: string): Run => ({ ...run, source });

describe('stuck-metric', () => {
  it('finds seed 004: validation accuracy at exactly 0.76 for 20 epochs while training goes on (a constant lr and epoch time are not judged)', () => {
    const findings = detectWith(stuckMetric, epochRun(seed004));
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.line], ['warning', 'val_accuracy', 31, 32]);
    assert.equal(
      f.message,
      'validation `accuracy` stayed at exactly 0.76 for 20 evaluations (epoch 31 to epoch 50) while training `loss` went from 0.026 to ' +
        '0.012. A metric that does not move while training goes on usually means the model predicts one class everywhere (accuracy then ' +
        "equals that class's share) or the evaluation scores stale or constant outputs.",
    );
    assert.deepEqual(f.evidence, [{ series: 'val_accuracy', startIndex: 30, endIndex: 49 }]);
  });

  it('counts 0.7600 and 0.7601 as the same value, and says "stayed at" rather than "exactly"', () => {
    const val = seed004.val_accuracy.map((v, i) => (i >= 30 && i % 3 === 0 ? 0.7601 : v));
    const [f] = detectWith(stuckMetric, epochRun({ ...seed004, val_accuracy: val }));
    assert.match(f.message, /^validation `accuracy` stayed at 0\.76 for 20 evaluations \(epoch 31 to epoch 50\)/);
  });

  const quiet: [string, Record<string, number[]>][] = [
    ['a learning rate annealed to 0 that freezes every metric', {
      lr: Array.from({ length: 40 }, (_, i) => (i < 28 ? 0.01 * (1 - i / 28) : 0)),
      val_accuracy: rising(40, 0.5, 0.9, 6, 0.004).map((v, i, a) => (i < 28 ? v : a[27])),
    }],
    ['a training accuracy at 1.0 and a loss printed as 0.0011 (memorised)', {
      accuracy: rising(40, 0.5, 0.99, 5, 0.003).map((v, i) => (i < 15 ? v : 1)),
      loss: decaying(40, 0.69, 0.1, 5, 0.01).map((v, i) => (i < 15 ? v : 0.0011)),
    }],
    ['a 50-example validation set moving in steps of 0.02 on a plateau', {
      val_accuracy: rising(60, 0.5, 0.8, 6, 0.02, 7).map((v) => Math.round(v * 50) / 50),
    }],
    ['a stretch of 6 equal values', { val_accuracy: rising(40, 0.5, 0.8, 6, 0.004).map((v, i) => (i >= 20 && i < 26 ? 0.78 : v)) }],
    ['a constant learning rate and epoch timings', { lr: Array(40).fill(1e-3), epoch_time: Array(40).fill(30), loss: decaying(40, 2.3, 0.2, 8, 0.01) }],
    ['a healthy noisy run', { loss: decaying(40, 2.3, 0.2, 8, 0.01), val_accuracy: jitter(40, 0.005).map((e, i) => 0.5 + 0.4 * (1 - Math.exp(-i / 8)) + e) }],
  ];
  for (const [name, series] of quiet) it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(stuckMetric, epochRun(series)), []));
});

describe('stuckAcrossRuns', () => {
  const runs = ['a', 'b', 'c', 'd'].map((name, k) =>
    named(epochRun({ val_accuracy: rising(30, 0.5, 0.76, 3 + k, 0.004, k + 1).map((v, i) => (i === 29 ? 0.76 : v)) }), `runs/${name}/train.log`),
  );

  it('reports a validation accuracy that ends at 0.76 in four different runs, once, with the other runs as related locations', () => {
    const findings = stuckAcrossRuns(runs);
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.id, f.severity, f.metric, f.epoch, f.line], ['stuck-metric', 'warning', 'val_accuracy', 30, 31]);
    assert.equal(
      f.message,
      'validation `accuracy` ends at exactly 0.76 in 4 of 4 runs (`a/train.log`, `b/train.log`, `c/train.log`, `d/train.log`) although ' +
        'their curves differ. Different models landing on the same value points at the data or the evaluation, not the model: often ' +
        'the share of the majority class (a model that predicts one class), a fixed subset being scored, or a split that differs from ' +
        'the training data.',
    );
    assert.deepEqual(
      f.related.map((r) => [r.location.file, r.location.line, r.message]),
      [
        ['runs/b/train.log', 31, '`val_accuracy` ends at 0.76 here too'],
        ['runs/c/train.log', 31, '`val_accuracy` ends at 0.76 here too'],
        ['runs/d/train.log', 31, '`val_accuracy` ends at 0.76 here too'],
      ],
    );
  });

  it('needs at least three runs, and at least half of those that log the metric', () => {
    assert.deepEqual(stuckAcrossRuns(runs.slice(0, 2)), []);
    const others = ['e', 'f', 'g', 'h'].map((name, k) => named(epochRun({ val_accuracy: rising(30, 0.5, 0.7 + 0.03 * k, 4, 0.004, k + 9) }), `${name}.log`));
    assert.deepEqual(stuckAcrossRuns([...runs.slice(0, 3), ...others]), []);
  });

  it('ignores copies of one log, and runs that all reach a perfect score', () => {
    assert.deepEqual(stuckAcrossRuns([runs[0], named(runs[0], 'copy1.log'), named(runs[0], 'copy2.log')]), []);
    const perfect = ['p', 'q', 'r'].map((name, k) => named(epochRun({ accuracy: rising(20, 0.5, 1, 2 + k).map((v, i) => (i === 19 ? 1 : v)) }), `${name}.log`));
    assert.deepEqual(stuckAcrossRuns(perfect), []);
  });
});
