import { matchTerminatedLine, NO_MATCH, type Template } from '../../src/engine/logs/text-template';

/**
 * `matchTerminatedLine` for any line of `b`: the one that starts at `start` and ends at the next `\n` (a CRLF ends
 * it too) or at `end`. Returns where the line ends (the index of its `\n`, or `end`) or what the matcher says.
 * The parser matches complete lines only; the tests use this to hold the byte matcher to the text matcher on
 * lines as they come, a last one without its `\n` included. A `\r` before the added `\n` is no CRLF.
 */
export function matchLineBytes(t: Template, b: Uint8Array, start: number, end: number, values: Float64Array): number {
  const nl = b.indexOf(0x0a, start);
  if (nl >= 0 && nl < end) return matchTerminatedLine(t, b, start, end, values);
  const line = new Uint8Array(end - start + 1);
  line.set(b.subarray(start, end));
  line[end - start] = 0x0a;
  const r = matchTerminatedLine(t, line, 0, line.length, values);
  if (r < 0) return r;
  return line[r - 1] === 0x0d ? NO_MATCH : end;
}
