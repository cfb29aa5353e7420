import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parseLog } from '../../src/engine/logs';
import type { LogFormat } from '../../src/engine/logs';
import type { Run, Series } from '../../src/engine/types';

/** Parses a whole log through sniffing, asserting the format. */
export function parseAs(text: string, source: string, format: string) {
  const result = parseLog(text, source);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  assert.equal(result.format, format);
  return result;
}

/** The series `name` of a run; fails the test, listing the names there are, when it is missing. */
export function seriesOf(run: Run, name: string): Series {
  const series = run.series.find((s) => s.name === name);
  assert.ok(series, `series ${name} in ${run.series.map((s) => s.name).join(', ')}`);
  return series;
}

export function valuesOf(run: Run, name: string): number[] {
  return Array.from(seriesOf(run, name).value);
}

/** A comparable rendering of runs: typed arrays as plain arrays, NaN spelled out. */
export function render(runs: readonly Run[], notes: readonly string[] = []): string {
  return JSON.stringify({ runs, notes }, (_key, value: unknown) =>
    ArrayBuffer.isView(value) ? Array.from(value as Float64Array, (v) => (Number.isNaN(v) ? 'NaN' : v)) : value);
}

/** Feeds `text` to a fresh parser in one piece, then finishes. */
export function parseWhole(format: LogFormat, text: string): string {
  const parser = format.create('x');
  parser.feed(text);
  parser.finish();
  return render(parser.runs(), parser.notes());
}

/**
 * Property: any chunking of `text`, with `runs()` asked for at random points in between (as a live
 * reader does), ends with exactly the whole-file result.
 */
export function assertChunkingInvariant(format: LogFormat, text: string, numRuns = 150): void {
  const expected = parseWhole(format, text);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: text.length }), fc.boolean()), { maxLength: 25 }), (cuts) => {
      const parser = format.create('x');
      let at = 0;
      for (const [cut, look] of [...cuts].sort((a, b) => a[0] - b[0])) {
        parser.feed(text.slice(at, cut));
        at = cut;
        if (look) parser.runs();
      }
      parser.feed(text.slice(at));
      parser.finish();
      assert.equal(render(parser.runs(), parser.notes()), expected);
    }),
    { numRuns },
  );
}
