import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { compress, mannKendall, runningMedian, senSlope } from '../../src/engine/curves/stats';

describe('trend statistics', () => {
  it('compress keeps short series as they are, with their raw indices, skipping non-finite points', () => {
    const c = compress([3, NaN, 1, Infinity, 2]);
    assert.deepEqual([...c.v], [3, 1, 2]);
    assert.deepEqual([...c.from], [0, 2, 4]);
    assert.deepEqual([...c.to], [0, 2, 4]);
    assert.equal(c.block, 1);
  });

  it('compress turns long series into block medians, robust to a spike', () => {
    const values = Array.from({ length: 10 }, (_, i) => (i === 1 ? 1000 : i));
    const c = compress(values, 4);
    assert.equal(c.block, 3);
    assert.deepEqual([...c.v], [2, 4, 7, 9]);
    assert.deepEqual([...c.from], [0, 3, 6, 9]);
    assert.deepEqual([...c.to], [2, 5, 8, 9]);
  });

  it('runningMedian removes single spikes and keeps steps', () => {
    assert.deepEqual([...runningMedian([1, 1, 9, 1, 1, 5, 5, 5], 3)], [1, 1, 1, 1, 1, 5, 5, 5]);
  });

  it('mannKendall scores monotone series at the extremes and a flat one at 0', () => {
    const up = Array.from({ length: 20 }, (_, i) => i);
    assert.equal(mannKendall(up).toFixed(3), '6.132');
    assert.equal(mannKendall(up.map((x) => -x)).toFixed(3), '-6.132');
    assert.equal(mannKendall(up.map(() => 1)), 0);
    assert.equal(mannKendall(up, 5, 8).toFixed(3), '1.044');
  });

  it('senSlope ignores outliers', () => {
    const line = Array.from({ length: 21 }, (_, i) => 2 * i + 1);
    line[3] = 500;
    line[17] = -500;
    assert.equal(senSlope(line), 2);
  });
});
