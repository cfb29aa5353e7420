/**
 * A line template compiled to a function of its own: `matchTerminatedLine` for one template, with the
 * template's literal bytes, space rules and number kinds written into the code as constants, the literal
 * compared byte by byte without a loop, and no look-ups of the template per segment. The parser compiles a
 * template once it has matched enough lines to be worth it (a 150 MB step-level log is two million lines
 * of one or two shapes); the generic matcher stays the reference, and the tests hold the two equal.
 *
 * The generated source holds only numbers taken from the template (byte values, indices, flags): no text
 * of the log ever becomes code.
 */

import { asciiString, scanNumberBytes, scanned, SPACE } from './text-scan';
import { matchTerminatedLine, NO_MATCH, PLAIN_NUMBER, POW10, SPACE_AFTER, SPACE_BEFORE, TEXT_ONLY, UNSURE, type ByteMatcher, type Template } from './text-template';

/** Lines a template matches on the generic path before it is compiled. */
export const COMPILE_AFTER_MATCHES = 256;

/** What builds a function from source: `new Function`. A runtime that forbids it gets the generic matcher. */
export type FunctionBuilder = (...parameterNamesAndBody: string[]) => (...args: unknown[]) => unknown;
const buildFunction: FunctionBuilder = (...args) => new Function(...args) as (...a: unknown[]) => unknown;

/** Numbers a line shape may hold to be compiled: the code grows with them, and wide rows are rare. */
export const MAX_COMPILED_NUMBERS = 64;

export function compileByteMatcher(t: Template, build: FunctionBuilder = buildFunction): ByteMatcher {
  try {
    if (t.flags.length - 1 > MAX_COMPILED_NUMBERS) throw new RangeError('too many numbers to compile');
    return compile(t, build);
  } catch {
    // Too wide a shape, or code generation from strings disallowed (`--disallow-code-generation-from-strings`).
    return (b, start, end, values) => matchTerminatedLine(t, b, start, end, values);
  }
}

function compile(t: Template, build: FunctionBuilder): ByteMatcher {
  const flags = t.flags;
  if ((flags[0] & TEXT_ONLY) !== 0) return () => UNSURE;
  const n = flags.length - 1;
  const code: string[] = ['let p = start, c = 0, d = 0, m = 0, digits = 0, fraction = 0, first = 0, exponent = 0, q = 0, x = 0, from = 0, scale = 0, negative = false;'];
  let k = 0;
  for (let i = 0; i <= n; i++) {
    const f = flags[i];
    code.push('c = b[p];');
    code.push(spaces((f & SPACE_BEFORE) !== 0, 'c = b[++p];'));
    const literal = Array.from(t.utf8.subarray(k, t.utf8End[i]));
    k = t.utf8End[i];
    if (literal.length > 0) {
      const compare = literal.map((byte, j) => `b[p + ${j}] !== ${byte}`).join(' || ');
      code.push(`if (p + ${literal.length} > end || ${compare}) return ${NO_MATCH};`, `p += ${literal.length};`, 'c = b[p];');
      code.push(spaces((f & SPACE_AFTER) !== 0, 'c = b[++p];'));
    }
    if (i === n) {
      code.push(`if (c === 10) return p;`, `return c === 13 && b[p + 1] === 10 ? p + 1 : ${NO_MATCH};`);
      break;
    }
    code.push(number(i, (f & PLAIN_NUMBER) !== 0));
  }
  const factory = build('scanNumberBytes', 'scanned', 'POW10', 'asciiString', `return function matchCompiled(b, start, end, values) {\n${code.join('\n')}\n};`);
  return factory(scanNumberBytes, scanned, POW10, asciiString) as ByteMatcher;
}

/** Spaces before or after a literal: required (at least one, any number) or forbidden. */
function spaces(required: boolean, advance: string): string {
  return required
    ? `if (c !== ${SPACE}) return ${NO_MATCH}; do ${advance} while (c === ${SPACE});`
    : `if (c === ${SPACE}) return ${NO_MATCH};`;
}

/** Number `i` into `values[i]`: a plain decimal read inline, anything else by the full scanner (as the generic matcher). */
function number(i: number, plain: boolean): string {
  const scan = (at: string) => `p = scanNumberBytes(b, ${at}, end); if (p < 0) return ${NO_MATCH}; values[${i}] = scanned[0];`;
  if (!plain) return scan('p');
  return `n${i}: {
  d = c - 48;
  if (d < 0 || d > 9) { ${scan('p')} break n${i}; }
  m = 0; digits = 0; fraction = 0; first = p;
  while (d >= 0 && d <= 9) { m = m * 10 + d; digits++; d = b[++p] - 48; }
  if (d === -2) {
    d = b[++p] - 48;
    while (d >= 0 && d <= 9) { m = m * 10 + d; digits++; fraction++; d = b[++p] - 48; }
    if (fraction === 0) { ${scan('first')} break n${i}; }
  }
  exponent = 0;
  if (((d + 48) | 32) === 101) {
    q = p + 1; c = b[q];
    negative = c === 45;
    if (negative || c === 43) c = b[++q];
    x = 0; from = q;
    while (c >= 48 && c <= 57) { x = x * 10 + (c - 48); c = b[++q]; }
    if (q > from) { exponent = negative ? -x : x; p = q; }
  }
  scale = exponent - fraction;
  values[${i}] = digits <= 15 && scale >= -22 && scale <= 22 ? (scale >= 0 ? m * POW10[scale] : m / POW10[-scale]) : Number(asciiString(b, first, p));
}`;
}
