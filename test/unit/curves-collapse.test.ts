import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzeLogText } from '../../src/engine/analyze-log';
import { detectCurves } from '../../src/engine/curves';
import { RunBuilder } from '../../src/engine/logs/series-builder';
import type { Run } from '../../src/engine/types';
import { fixture } from './fixtures';

/** A run with one point per epoch (1-based) for each named series; line n+1 for epoch n. */
function run(series: Record<string, number[]>): Run {
  const builder = new RunBuilder('synthetic.log', 'test', 0);
  for (const [name, values] of Object.entries(series)) {
    values.forEach((value, i) => builder.add(name, i + 1, NaN, value, i + 2));
  }
  return builder.snapshot([]);
}

/** The collapse findings alone: the other detectors have their own tests. */
const collapses = (r: Run) => detectCurves(r).filter((f) => f.id === 'collapse');

const rising = (n: number, from = 0.5, to = 0.99, tau = 5) =>
  Array.from({ length: n }, (_, i) => from + (to - from) * (1 - Math.exp(-i / tau)));

describe('collapse', () => {
  it('finds seed 000 as one episode: train accuracy 0.99 → 0.51 at epoch 27 (editor line 352), validation with it', () => {
    const analysis = analyzeLogText(fixture('logs/seed000_gru_collapse_keras_verbose1.log'), 'train.log');
    assert.ok(analysis.ok);
    const findings = analysis.runs[0].findings.filter((f) => f.id === 'collapse');
    assert.deepEqual(findings.map((f) => [f.id, f.metric, f.epoch, f.line]), [['collapse', 'accuracy', 27, 352]]);
    const [train] = findings;
    assert.equal(train.severity, 'warning');
    assert.match(train.message, /^train `accuracy` collapsed from 0\.99 \(epoch 24\) to 0\.51 at epoch 27/);
    assert.match(train.message, /by epoch 50 it had recovered only to 0\.73/);
    assert.match(train.message, /validation `accuracy` collapsed from 0\.83 \(epoch 25\) to 0\.5 at the same time/);
    assert.deepEqual(train.evidence, [
      { series: 'accuracy', startIndex: 23, endIndex: 26 },
      { series: 'val_accuracy', startIndex: 24, endIndex: 26 },
    ]);
  });

  it('stays quiet on a healthy run', () => {
    const analysis = analyzeLogText(fixture('logs/keras3_verbose1_healthy.log'), 'train.log');
    assert.ok(analysis.ok);
    assert.deepEqual(analysis.runs[0].findings, []);
  });

  it('stays quiet on noisy healthy learning curves, whatever the noise', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -0.03, max: 0.03, noNaN: true }), { minLength: 60, maxLength: 60 }), (noise) => {
        const accuracy = rising(60).map((v, i) => Math.min(1, v + noise[i]));
        assert.deepEqual(detectCurves(run({ accuracy })), []);
      }),
      { numRuns: 300 },
    );
  });

  it('ignores a single bad evaluation that recovers at once, and a last point that may be one', () => {
    const glitch = rising(40);
    glitch[25] = 0.5;
    assert.deepEqual(collapses(run({ accuracy: glitch })), []);
    assert.deepEqual(collapses(run({ accuracy: [...rising(30), 0.5] })), []);
  });

  it('ignores a dip that does not fall back near the start, and a slow decline', () => {
    const dip = rising(40);
    dip[30] = 0.86;
    assert.deepEqual(collapses(run({ accuracy: dip })), []);
    const decline = [...rising(20), ...Array.from({ length: 20 }, (_, i) => 0.99 - (0.45 * i) / 19)];
    assert.deepEqual(collapses(run({ accuracy: decline })), []);
  });

  it('reports a full recovery, one finding per episode', () => {
    const values = rising(40);
    values[20] = 0.52;
    values[21] = 0.55;
    values[22] = 0.8;
    const findings = collapses(run({ accuracy: values }));
    assert.equal(findings.length, 1);
    assert.equal(findings[0].epoch, 21);
    assert.match(findings[0].message, /it recovered to 0\.99 by epoch/);
  });

  it('reads percentages, skips non-finite points, and says when the run ends in the collapse', () => {
    const values = rising(30, 50, 97).concat([NaN, 51, 50.5]);
    const [finding, ...rest] = collapses(run({ val_acc: values }));
    assert.equal(rest.length, 0);
    assert.equal(finding.metric, 'val_accuracy');
    assert.equal(finding.epoch, 32);
    assert.deepEqual(finding.evidence, [{ series: 'val_accuracy', startIndex: 29, endIndex: 32 }]);
    assert.match(finding.message, /^validation `accuracy` collapsed from 96\.9 \(epoch 30\) to 50\.5 at epoch 32.*the run ends there/);
  });

  it('leaves loss-like metrics alone (divergence covers them) and needs a few points', () => {
    const loss = rising(30, 0.7, 0.01).concat([0.69, 0.69]);
    assert.deepEqual(collapses(run({ loss })), []);
    assert.deepEqual(collapses(run({ accuracy: [0.5, 0.99, 0.5] })), []);
  });

  it('reports up to three episodes; a metric that falls back to its start again and again is reset by the logging', () => {
    const episode = () => rising(20).concat([0.5, 0.5, 0.51]);
    const three = [...episode(), ...episode(), ...episode(), ...rising(20)];
    assert.deepEqual(collapses(run({ accuracy: three })).map((f) => f.epoch), [21, 44, 67]);
    // A running accuracy restarted every epoch, 2,000 times: no finding, and no scan to the end per episode.
    const resets = Array.from({ length: 2000 }, episode).flat();
    assert.deepEqual(collapses(run({ accuracy: resets })), []);
  });

  it('says how far each of several episodes recovered, from its own bottom on', () => {
    const first = rising(20).concat([0.5, 0.5]).concat(rising(20));
    const second = [0.5, 0.5, 0.52, 0.55, 0.6];
    const found = collapses(run({ accuracy: [...first, ...second] }));
    assert.equal(found.length, 2);
    assert.match(found[0].message, /it recovered to 0\.98 by epoch 42\./);
    assert.match(found[1].message, /by epoch 47 it had recovered only to 0\.6/);
  });
});
