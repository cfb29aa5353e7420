import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_LINE_LENGTH } from '../../src/engine/logs/lines';
import { readsUtf8, textMetrics } from '../../src/engine/logs/text-metrics';
import { prefix, readPrefix, readPrefixBytes } from '../../src/engine/logs/text-scan';
import { analyze, matchTemplate, matchTerminatedLine, NO_MATCH, UNSURE } from '../../src/engine/logs/text-template';
import { matchLineBytes } from './match-line-bytes';
import { compileByteMatcher, COMPILE_AFTER_MATCHES, MAX_COMPILED_NUMBERS } from '../../src/engine/logs/template-compiler';
import { csvTable } from '../../src/engine/logs/csv';
import type { Run } from '../../src/engine/types';
import { concatBytes, ROOT, TEXT_LOG_FIXTURES } from './fixtures';

// The text-metrics parser reads raw UTF-8 bytes (what `LogFile` hands it) by matching line shapes on the
// bytes; these tests hold it to exactly what feeding the decoded text gives.

const FIXTURES = [...TEXT_LOG_FIXTURES, 'logs-text/pipe_table.log'];

const bytesOf = (path: string) => new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', path)));
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/**
 * Lines that the byte path must hand to the text path or read exactly as the text path does: signed and
 * word numbers, CRLF, a BOM at the start and one mid-stream, non-ASCII literals, invalid UTF-8, prefixes,
 * ANSI colours, a lone ESC, `\r` progress updates, backspaces, too many digits for the inline reader.
 */
const TRICKY = concatBytes([
  new Uint8Array([0xef, 0xbb, 0xbf]),
  latin1(
    [
      'Epoch [1/3], Step [10/60], Loss: 0.5000, Acc: 0.5000, lr: 1.0e-03',
      'Epoch [1/3], Step [20/60], Loss: 0.4000, Acc: 0.5500, lr: 1.0e-03',
      'Epoch [1/3], Step [30/60], Loss: -0.25, Acc: 0.5600, lr: 1.0e-03',
      'Epoch [1/3], Step [40/60], Loss: nan, Acc: 0.5700, lr: 1.0e-03',
      'Epoch [1/3], Step [50/60], Loss: 0.3500, Acc: 0.5800, lr: +1.0e-03\r',
      'Epoch [1/3], Step [60/60], Loss: 0.3400, Acc: .59, lr: 1.0e-03\r',
      'Epoch [2/3], Step [10/60], Loss: 12345678901234567, Acc: 3., lr: 1.0e-03',
      'Epoch [2/3], Step [20/60], Loss:   0.3300 , Acc: 0.6000, lr: 1.0e-03',
      'Epoch [2/3], Step [30/60], Loss: 0.3200, Acc: 0.6100, lr: 1.0e-03 ',
      'Epoch [2/3], Step [40/60]\rEpoch [2/3], Step [40/60], Loss: 0.3100, Acc: 0.6200, lr: 1.0e-03',
      'Epoch [2/3], Step [50/60], Loss: 0.3000\x08\x08\x08\x082999, Acc: 0.6300, lr: 1.0e-03',
      '\x1b[32mEpoch [2/3], Step [60/60], Loss: 0.2900, Acc: 0.6400, lr: 1.0e-03\x1b[0m',
      '\x1b Epoch [3/3], Step [10/60], Loss: 0.2800, Acc: 0.6500',
      '\x1b Epoch [3/3], Step [20/60], Loss: 0.2700, Acc: 0.6600',
      '[rank0]: 2025-06-04 17:39:02,341 epoch 1 | loss 0.21 | acc 0.93',
      '[rank0]: 2025-06-04 17:39:03,341 epoch 2 | loss 0.20 | acc 0.94',
      '[rank0]: [2025-06-04 17:39:04] epoch 3 | loss 0.19 | acc 0.95',
      '06/04/2025 17:39:05 epoch 4 | loss 0.18 | acc 0.96',
      '',
      '   ',
    ].join('\n') + '\n',
  ),
  new TextEncoder().encode('[rankö0]: epoch 5 | loss 0.17 | acc 0.97\n✓ epoch 6 | loss 0.16 | acc 0.98\n✓ epoch 7 | loss 0.15 | acc 0.99\n'),
  new Uint8Array([0xef, 0xbb, 0xbf]),
  latin1('epoch 8 | loss 0.14 | acc 0.99\nepoch 9 | loss 0.13\xff | acc 0.99\nepoch 10 | loss 0.12 | acc \xe2\x82\n'),
  new TextEncoder().encode('epoch 11 | loss 0.11 | acc 0.99 — ok\nepoch 12 | loss 0.10 | acc 0.99 — ok\nepoch 13 | loss 0.09 | acc 0.99 — ok'),
]);

function replacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as Float64Array, (v) => (Number.isFinite(v) ? v : String(v)));
  return value;
}

/** The runs from feeding the decoded text in one piece: the reference. */
function fromText(bytes: Uint8Array): string {
  const parser = textMetrics.create('x');
  parser.feed(new TextDecoder('utf-8').decode(bytes));
  parser.finish();
  return JSON.stringify(parser.runs(), replacer);
}

/** The runs from feeding the bytes cut at `cuts`, as `LogFile` does (a flush with '' at the end). */
function fromBytes(bytes: Uint8Array, cuts: number[], peek = false): string {
  const parser = textMetrics.create('x');
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    parser.feed(bytes.subarray(at, cut));
    if (peek && cut % 3 === 0) parser.runs();
    at = cut;
  }
  parser.feed(bytes.subarray(at));
  parser.feed('');
  parser.finish();
  return JSON.stringify(parser.runs(), replacer);
}

describe('text metrics read from UTF-8 bytes', () => {
  it('gives exactly the decoded-text result on every text fixture, in one chunk and in lines', () => {
    for (const path of FIXTURES) {
      const bytes = bytesOf(path);
      const expected = fromText(bytes);
      assert.equal(fromBytes(bytes, []), expected, path);
      const newlines = [...bytes.keys()].filter((i) => bytes[i] === 0x0a).map((i) => i + 1);
      assert.equal(fromBytes(bytes, newlines), expected, path);
    }
  });

  it('reads the tricky lines as the text path reads them', () => {
    const expected = fromText(TRICKY);
    const runs = JSON.parse(expected) as { series: { name: string; length: number; value: unknown[]; line: number[] }[] }[];
    assert.deepEqual(
      runs.map((r) => r.series.map((s) => `${s.name}:${s.length}`)),
      [['loss:12', 'accuracy:12', 'lr:12'], ['loss:12', 'accuracy:9']],
    );
    const loss = runs[0].series[0];
    assert.deepEqual(loss.value.slice(0, 7), [0.5, 0.4, -0.25, 'NaN', 0.35, 0.34, 12345678901234568]);
    assert.deepEqual(loss.line, [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 15]);
    assert.deepEqual(runs[1].series[0].line, [16, 17, 18, 19, 22, 23, 24, 25, 27, 28, 29, 30]);
    assert.equal(fromBytes(TRICKY, []), expected);
  });

  it('gives exactly the decoded-text result for any cutting of the bytes, even inside a UTF-8 sequence', () => {
    const bytes = concatBytes([TRICKY, ...FIXTURES.slice(0, 6).map(bytesOf)]);
    const expected = fromText(bytes);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (cuts) => {
        assert.equal(fromBytes(bytes, cuts, true), expected);
      }),
      { numRuns: 120 },
    );
    const tricky = fromText(TRICKY);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: TRICKY.length }), { maxLength: 60 }), (cuts) => {
        assert.equal(fromBytes(TRICKY, cuts), tricky);
      }),
      { numRuns: 300 },
    );
  });

  it('skips a line over the length limit with the same note, whether it lies inside a chunk or across chunks', () => {
    const metric = (e: number) => `epoch ${e} | loss 0.${9 - e} | acc 0.${e}\n`;
    const long = `epoch 9 | loss 0.5 | ${'x'.repeat(MAX_LINE_LENGTH)}\n`;
    const bytes = latin1(metric(1) + metric(2) + long + metric(3) + metric(4));
    const expected = fromText(bytes);
    const runs = JSON.parse(expected) as { notes: string[]; series: { name: string; line: number[] }[] }[];
    assert.deepEqual(runs[0].notes, ['skipped 1 line longer than 1 MB']);
    assert.deepEqual(runs[0].series[0].line, [1, 2, 4, 5]);
    assert.equal(fromBytes(bytes, []), expected);
    assert.equal(fromBytes(bytes, [100, 200_000, 900_000]), expected);
  });

  it('is the parser LogFile hands bytes to; other text formats still get text', () => {
    assert.equal(readsUtf8(textMetrics.create('x')), true);
    assert.equal(readsUtf8(csvTable.create('x.csv')), false);
  });
});

describe('matching a line shape on bytes', () => {
  const line = 'Epoch [3/10], Step [100/600], Loss: 0.2345, Acc: 0.9100, lr: 1.0e-03';
  const t = analyze(line, 0, line.length);

  it('reads the same numbers as the text matcher', () => {
    const a = new Float64Array(16);
    const b = new Float64Array(16);
    const other = 'Epoch [4/10], Step [200/600], Loss:  12.5, Acc: 0.0000, lr: 2e-05';
    assert.equal(matchTemplate(t, other, 0, other.length, a), true);
    assert.equal(matchLineBytes(t, latin1(other), 0, other.length, b), other.length);
    assert.equal(matchLineBytes(t, latin1(`${other}\r\n${line}`), 0, other.length + 2 + line.length, b), other.length + 1);
    assert.equal(matchLineBytes(t, latin1(`${other}\n${line}`), 0, other.length + 1 + line.length, b), other.length);
    assert.deepEqual(Array.from(b.subarray(0, 7)), [4, 10, 200, 600, 12.5, 0, 2e-5]);
    assert.deepEqual(b, a);
  });

  it('says no match on another shape, and reads signs, words, `.5`, `3.` and long numbers as the text matcher does', () => {
    const v = new Float64Array(16);
    const at = (s: string) => matchLineBytes(t, latin1(s), 0, s.length, v);
    assert.equal(at('Epoch [3/10], Step [100/600], Loss: 0.2345, Acc: 0.9100'), NO_MATCH);
    assert.equal(at('Epoch [3/10], Step [100/600], Loss: 0.2345, Acc: 0.9100, lr: x'), NO_MATCH);
    assert.equal(at('Epoch [3/10], Step [100/600], Loss: 0.2345, Acc: 0.9100, lr: 1\r2'), NO_MATCH);
    assert.equal(at('Epoch [3/10], Step [100/600], Loss: 0.2345, Acc: 0.9100, lr: 1\r'), NO_MATCH);
    assert.equal(at('Epoch [3/10], Step [100/600], Loss: 0.2345, Acc: 0.9100, lr: 1e'), NO_MATCH);
    const text = new Float64Array(16);
    for (const s of [
      'Epoch [3/10], Step [100/600], Loss: -0.2345, Acc: +0.9100, lr: -1.0e-03',
      'Epoch [3/10], Step [100/600], Loss: NaN, Acc: inf, lr: -Infinity',
      'Epoch [3/10], Step [100/600], Loss: .5, Acc: 3., lr: 1.5E+2',
      'Epoch [3/10], Step [100/600], Loss: 1234567890.1234567, Acc: 1e400, lr: 1.0e-30',
    ]) {
      assert.equal(matchTemplate(t, s, 0, s.length, text), true, s);
      assert.equal(at(s), s.length, s);
      assert.deepEqual(v, text, s);
    }
    assert.deepEqual(Array.from(v.subarray(4, 7)), [1234567890.1234567, Infinity, 1e-30]);
  });

  it('leaves a template whose literals hold an ESC to the text path', () => {
    const s = '\x1b epoch 3 | loss 0.5';
    const esc = analyze(s, 0, s.length);
    assert.equal(matchTemplate(esc, s, 0, s.length, new Float64Array(8)), true);
    assert.equal(matchLineBytes(esc, latin1(s), 0, s.length, new Float64Array(8)), UNSURE);
  });

  it('reads a line prefix as the text reader does, in byte offsets', () => {
    for (const s of ['[rank3]: 2025-06-04 17:39:02,341 - x', '[default0]:[2025-06-04T17:39:02.5] x', '06/04/2025 17:39:02 x', '[rank0]x', 'epoch 1']) {
      readPrefix(s, 0, s.length);
      const text = { ...prefix };
      assert.equal(readPrefixBytes(latin1(s), 0, s.length), true, s);
      assert.deepEqual({ ...prefix }, text, s);
    }
    assert.equal(prefix.wallTime, NaN);
    const utf8 = new TextEncoder().encode('[ränk0]: epoch 1');
    assert.equal(readPrefixBytes(utf8, 0, utf8.length), false);
  });
});

describe('series of one line shape sharing their x columns', () => {
  const parse = (text: string) => {
    const parser = textMetrics.create('x');
    parser.feed(new TextEncoder().encode(text));
    parser.finish();
    return parser;
  };
  const view = (run: Run) =>
    run.series.map((s) => [s.name, Array.from(s.epoch), Array.from(s.step), Array.from(s.value), Array.from(s.line)]);

  it('share them while in step, and a series written by another shape goes on with its own', () => {
    const text = [
      'Epoch [1/2], Step [1/2], Loss: 0.9, Acc: 0.1',
      'Epoch [1/2], Step [2/2], Loss: 0.8, Acc: 0.2',
      'Epoch 1 summary | loss 0.7',
      'Epoch [2/2], Step [1/2], Loss: 0.6, Acc: 0.3',
      'Epoch [2/2], Step [2/2], Loss: 0.5, Acc: 0.4',
      '',
    ].join('\n');
    const [run] = parse(text).runs();
    assert.deepEqual(view(run), [
      ['loss', [0.5, 1, 1.5, 2], [NaN, NaN, NaN, NaN], [0.9, 0.7, 0.6, 0.5], [1, 3, 4, 5]],
      ['accuracy', [0.5, 1, 1.5, 2], [NaN, NaN, NaN, NaN], [0.1, 0.2, 0.3, 0.4], [1, 2, 4, 5]],
    ]);
    // `accuracy` kept the shared columns, `loss` has its own.
    assert.equal(run.series[0].epoch.buffer === run.series[1].epoch.buffer, false);
    const [shared] = parse(text.split('\n').filter((l) => !l.includes('summary')).join('\n')).runs();
    assert.equal(shared.series[0].epoch.buffer, shared.series[1].epoch.buffer);
  });

  it('hold no step and no wall time until a line has one, and keep the NaN rows before it', () => {
    const parser = textMetrics.create('x');
    const feed = (line: string) => parser.feed(new TextEncoder().encode(`${line}\n`));
    feed('epoch 1 | loss 0.9 | acc 0.1');
    feed('epoch 2 | loss 0.8 | acc 0.2');
    const before = parser.runs();
    const frozen = JSON.stringify(before, replacer);
    feed('2025-06-04 17:39:02,500 epoch 3 | loss 0.7 | acc 0.3');
    feed('epoch 4 | loss 0.6 | acc 0.4');
    parser.finish();
    assert.equal(JSON.stringify(before, replacer), frozen);
    const [run] = parser.runs();
    const t = Date.UTC(2025, 5, 4, 17, 39, 2) / 1000 + 0.5;
    assert.deepEqual(run.series.map((s) => [s.name, Array.from(s.wallTime), Array.from(s.step), Array.from(s.value)]), [
      ['loss', [NaN, NaN, t, NaN], [NaN, NaN, NaN, NaN], [0.9, 0.8, 0.7, 0.6]],
      ['accuracy', [NaN, NaN, t, NaN], [NaN, NaN, NaN, NaN], [0.1, 0.2, 0.3, 0.4]],
    ]);
    const [steps] = parse('step 10 | loss 0.9\nstep 20 | loss 0.8\nstep 30 | loss 0.7\n').runs();
    assert.deepEqual(Array.from(steps.series[0].step), [10, 20, 30]);
    assert.deepEqual(Array.from(steps.series[0].epoch), [NaN, NaN, NaN]);
  });

  it('leave the runs already handed out unchanged when a point is replaced or a series leaves the group', () => {
    const parser = textMetrics.create('x');
    const feed = (line: string) => parser.feed(new TextEncoder().encode(`${line}\n`));
    for (let step = 1; step <= 4; step++) feed(`Epoch [1/2], Step [${step}/4], Loss: 0.${9 - step}, Acc: 0.${step}`);
    const before = parser.runs();
    const frozen = JSON.stringify(before, replacer);
    feed('Epoch [1/2], Step [4/4], Loss: 0.11, Acc: 0.99');
    feed('Epoch 1 | loss 0.1');
    feed('Epoch [2/2], Step [1/4], Loss: 0.05, Acc: 0.6');
    parser.finish();
    assert.equal(JSON.stringify(before, replacer), frozen);
    const [run] = parser.runs();
    assert.deepEqual(view(run), [
      ['loss', [0.25, 0.5, 0.75, 1, 1.25], [NaN, NaN, NaN, NaN, NaN], [0.8, 0.7, 0.6, 0.1, 0.05], [1, 2, 3, 6, 7]],
      ['accuracy', [0.25, 0.5, 0.75, 1, 1.25], [NaN, NaN, NaN, NaN, NaN], [0.1, 0.2, 0.3, 0.99, 0.6], [1, 2, 3, 5, 7]],
    ]);
  });
});

describe('line shapes compiled to functions of their own', () => {
  /** Every line of the text fixtures and of the tricky lines, as bytes ending in `\n`. */
  const lines: Uint8Array[] = [];
  for (const bytes of [...FIXTURES.map(bytesOf), TRICKY]) {
    let at = 0;
    for (let nl = bytes.indexOf(0x0a); nl !== -1; at = nl + 1, nl = bytes.indexOf(0x0a, at)) lines.push(bytes.slice(at, nl + 1));
  }
  const decoder = new TextDecoder();
  const templates = lines
    .map((l) => decoder.decode(l.subarray(0, l.length - 1)))
    .map((s) => analyze(s, 0, s.length))
    .filter((t) => t.useful);

  function same(t: ReturnType<typeof analyze>, line: Uint8Array): void {
    const compiled = compileByteMatcher(t);
    const a = new Float64Array(64).fill(-7);
    const b = new Float64Array(64).fill(-7);
    const expected = matchTerminatedLine(t, line, 0, line.length, a);
    assert.equal(compiled(line, 0, line.length, b), expected, decoder.decode(line));
    if (expected >= 0) assert.deepEqual(b, a, decoder.decode(line));
  }

  it('answers every fixture line as the generic matcher does, for every fixture line shape', () => {
    assert.ok(templates.length > 100, `only ${templates.length} line shapes`);
    for (const t of templates) for (const line of lines) same(t, line);
  });

  it('answers edited lines as the generic matcher does: digits, signs, spaces, words, CR, cut short', () => {
    const piece = fc.constantFrom('0', '7', '.', '-', '+', 'e', 'E', ' ', '  ', '\r', 'nan', 'inf', 'x', ',', ':', '|', '/', ']', 'é');
    const edit = fc.record({ at: fc.nat(), remove: fc.nat({ max: 4 }), insert: fc.array(piece, { maxLength: 3 }).map((p) => p.join('')) });
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.array(edit, { maxLength: 4 }), (ti, li, edits) => {
        const t = templates[ti % templates.length];
        let text = decoder.decode(lines[li % lines.length]).replace(/\n$/, '');
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
        }
        same(t, new TextEncoder().encode(`${text}\n`));
        // And the shape's own line, edited: most edits keep it close to a match.
        const own = t.literals.map((l, i) => (i < t.literals.length - 1 ? `${l} ${i}.5 ` : l)).join('');
        same(t, new TextEncoder().encode(`${own}\n`));
      }),
      { numRuns: 2000 },
    );
  });

  it('falls back to the generic matcher where code cannot be generated', () => {
    const refuse = () => {
      throw new EvalError('Code generation from strings disallowed for this context');
    };
    for (const t of templates.slice(0, 40)) {
      const matcher = compileByteMatcher(t, refuse);
      for (const line of lines.slice(0, 200)) {
        const a = new Float64Array(64);
        const b = new Float64Array(64);
        assert.equal(matcher(line, 0, line.length, b), matchTerminatedLine(t, line, 0, line.length, a));
        assert.deepEqual(b, a);
      }
    }
  });

  it('leaves a shape with more numbers than it compiles to the generic matcher', () => {
    const wide = Array.from({ length: MAX_COMPILED_NUMBERS + 10 }, (_, i) => `m${i}=${i}.5`).join(' ');
    const t = analyze(wide, 0, wide.length);
    assert.ok(t.flags.length - 1 > MAX_COMPILED_NUMBERS);
    let built = 0;
    const matcher = compileByteMatcher(t, (...args) => {
      built++;
      return new Function(...args) as (...a: unknown[]) => unknown;
    });
    assert.equal(built, 0);
    same(t, latin1(`${wide}\n`));
    const a = new Float64Array(256);
    const b = new Float64Array(256);
    const line = latin1(`${wide}\n`);
    assert.equal(matcher(line, 0, line.length, b), matchTerminatedLine(t, line, 0, line.length, a));
    assert.deepEqual(b, a);
  });

  it('takes over in the parser after enough lines of one shape, with the result of the text path', () => {
    const body: string[] = [];
    for (let i = 1; i <= 3 * COMPILE_AFTER_MATCHES; i++) {
      const odd = ['-0.25', 'nan', '.5', '3.', '1.5E+2', '12345678901234567', 'inf', '+1e-3'][i % 8];
      body.push(`Epoch [${1 + Math.floor(i / 100)}/9], Step [${i % 100}/100], Loss: ${i % 5 === 0 ? odd : (1 / i).toFixed(4)}, Acc: 0.${i % 10}, lr: 1.0e-03${i % 7 === 0 ? '\r' : ''}`);
      if (i % 50 === 0) body.push(`epoch ${i / 50} | val loss ${(2 / i).toFixed(3)} | val acc 0.${i % 9}`);
    }
    const bytes = latin1(`${body.join('\n')}\n`);
    const expected = fromText(bytes);
    assert.equal(fromBytes(bytes, []), expected);
    assert.equal(fromBytes(bytes, [1000, 5000, 20_000]), expected);
  });
});
