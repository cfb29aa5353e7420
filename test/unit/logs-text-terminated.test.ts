import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { analyze, matchTerminatedLine, NO_MATCH } from '../../src/engine/logs/text-template';
import { matchLineBytes } from './match-line-bytes';

// The parser matches the complete lines of a chunk with `matchTerminatedLine`, which relies on the line's
// `\n` to stop every scan; `matchLineBytes` serves lines that run to `end`. Both read what the other reads.

const encode = (s: string) => new TextEncoder().encode(s);

describe('matching a line that ends in its newline', () => {
  const shape = 'Epoch [3/10], Step [100/600], Loss: 0.2345, Acc: 0.9100, lr: 1.0e-03';
  const t = analyze(shape, 0, shape.length);
  const lines = [
    'Epoch [4/10], Step [200/600], Loss:  12.5, Acc: 0.0000, lr: 2e-05',
    'Epoch [4/10], Step [200/600], Loss: 12.5, Acc: 3., lr: 2e-05',
    'Epoch [4/10], Step [200/600], Loss: 12.5, Acc: 3., lr: 2e-05   ',
    'Epoch [4/10], Step [200/600], Loss: 12.5, Acc: 0.5, lr: 7',
    'Epoch [4/10], Step [200/600], Loss: 12.5, Acc: 0.5, lr: 1e',
    'Epoch [4/10], Step [200/600], Loss: 12.5, Acc: 0.5, lr: 1.',
    'Epoch [4/10], Step [200/600], Loss: 12.5, Acc: 0.5',
    'Epoch [4/10], Step [200/600], Loss: 12.5, Acc: 0.5, lr:',
    'Epoch [4/10], Step [200/600], Loss: 12.5, Acc: 0.5, lr: 1\r',
  ];

  it('returns the index of the `\\n` (of a CRLF too) with the values `matchLineBytes` reads, whatever follows', () => {
    const expected = [
      [4, 10, 200, 600, 12.5, 0, 2e-5],
      [4, 10, 200, 600, 12.5, 3, 2e-5],
      undefined,
      [4, 10, 200, 600, 12.5, 0.5, 7],
      undefined,
      [4, 10, 200, 600, 12.5, 0.5, 1],
      undefined,
      undefined,
      [4, 10, 200, 600, 12.5, 0.5, 1],
    ];
    for (const [k, line] of lines.entries()) {
      const alone = encode(line);
      const a = new Float64Array(8);
      const b = new Float64Array(8);
      const whole = matchLineBytes(t, alone, 0, alone.length, a);
      // In a chunk: the line, its `\n`, then more lines up to `end`.
      const chunk = encode(`${line}\n${shape}\n`);
      const terminated = matchTerminatedLine(t, chunk, 0, chunk.length, b);
      if (expected[k] === undefined) {
        assert.equal(whole, NO_MATCH, line);
        assert.equal(terminated, NO_MATCH, line);
        continue;
      }
      assert.equal(terminated, alone.length, line);
      assert.deepEqual(Array.from(b.subarray(0, 7)), expected[k], line);
      // A line that ends in `\r` without its `\n` is no line yet: `matchLineBytes` leaves it.
      if (line.endsWith('\r')) assert.equal(whole, NO_MATCH, line);
      else {
        assert.equal(whole, alone.length, line);
        assert.deepEqual(a, b, line);
      }
    }
  });
});
