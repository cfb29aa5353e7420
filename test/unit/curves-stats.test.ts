import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mad, median, stepNoise } from '../../src/engine/curves/stats';

function sortedMedian(values: number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

describe('robust statistics', () => {
  it('median equals the sort-based median for any input, non-finite values ignored', () => {
    const value = fc.oneof(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constantFrom(NaN, Infinity, -Infinity), fc.integer({ min: -3, max: 3 }));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), (values) => {
        const expected = sortedMedian(values);
        const got = median(values);
        if (Number.isNaN(expected)) assert.ok(Number.isNaN(got));
        // `===`, not Object.is: quickselect and sort may return different zeros (0 and -0) for equal values.
        else assert.ok(got === expected, `median ${got} !== ${expected}`);
      }),
      { numRuns: 500 },
    );
  });

  it('mad and stepNoise measure jitter, not trend', () => {
    assert.equal(mad([1, 1, 1, 1]), 0);
    assert.equal(median([3, 1, 2]), 2);
    const trend = Array.from({ length: 100 }, (_, i) => i * 0.1);
    assert.ok(stepNoise(trend) < 1e-12);
    // Steps of ±0.01 around a trend: every difference deviates 0.01 from the median step.
    const jitter = Array.from({ length: 101 }, (_, i) => i * 0.1 + [0, 0.01, 0, -0.01][i % 4]);
    assert.ok(Math.abs(stepNoise(jitter) - (1.4826 * 0.01) / Math.SQRT2) < 1e-9);
  });
});
