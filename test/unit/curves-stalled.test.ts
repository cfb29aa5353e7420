import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { detectStalled } from '../../src/engine/curves/stalled';
import { RunBuilder } from '../../src/engine/logs/series-builder';
import type { Run } from '../../src/engine/types';

function run(epochs: number, totalEpochs?: number): Run {
  const builder = new RunBuilder('train.log', 'test', 0);
  for (let e = 1; e <= epochs; e++) builder.add('loss', e, NaN, 1 / e, e * 2);
  builder.totalEpochs = totalEpochs;
  return builder.snapshot([]);
}

const MIN = 60_000;
const everyTwoMinutes = Array.from({ length: 6 }, (_, i) => i * 2 * MIN);

describe('stalled', () => {
  it('reports a watched run that went silent for 10× its rhythm', () => {
    const finding = detectStalled(run(31, 100), everyTwoMinutes, 10 * MIN + 25 * MIN);
    assert.ok(finding);
    assert.equal(finding.id, 'stalled');
    assert.equal(finding.severity, 'info');
    assert.equal(finding.epoch, 31);
    assert.equal(finding.line, 62);
    assert.equal(
      finding.message,
      'no new metrics for 25 min, while the run usually logs every 2.0 min (last: epoch 31 of 100); the process may have hung, crashed or been stopped.',
    );
  });

  it('stays quiet within the rhythm, under 5 minutes, when finished, or without enough observed updates', () => {
    assert.equal(detectStalled(run(31, 100), everyTwoMinutes, 10 * MIN + 15 * MIN), undefined);
    const fast = Array.from({ length: 6 }, (_, i) => i * 5_000);
    assert.equal(detectStalled(run(31), fast, 25_000 + 4 * MIN), undefined);
    assert.ok(detectStalled(run(31), fast, 25_000 + 6 * MIN));
    assert.equal(detectStalled(run(100, 100), everyTwoMinutes, 10 * MIN + 60 * MIN), undefined);
    assert.equal(detectStalled(run(5), everyTwoMinutes.slice(0, 4), 10 * MIN + 60 * MIN), undefined);
    // A log read whole at once: every arrival at the same instant gives no rhythm.
    assert.equal(detectStalled(run(50), [0, 0, 0, 0, 0, 0], 60 * MIN), undefined);
  });
});
