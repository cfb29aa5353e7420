import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseLog } from '../../src/engine/logs';
import { LogFile } from '../../src/node/log-file';

// `LogFile` reads the next chunk while it parses the one before, into the other of two buffers: a log of
// several chunks must read exactly as the whole text parsed at once.

/** A step-level text log of about `bytes` bytes: CRLF lines, non-ASCII lines, a tqdm-style `\r` update, a restart. */
function bigLog(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let epoch = 1; size < bytes; epoch++) {
    for (let step = 10; step <= 600; step += 10) {
      const loss = (1 / (1 + epoch + step / 600)).toFixed(4);
      const line =
        step % 70 === 0
          ? `Epoch [${epoch}/100000], Step [${step}/600], Loss: ${loss}, Acc: 0.${step}, lr: 1.0e-03 ✓\r\n`
          : `Epoch [${epoch}/100000], Step [${step}/600], Loss: ${loss}, Acc: 0.${step}, lr: 1.0e-03\n`;
      lines.push(line);
      size += Buffer.byteLength(line);
    }
    lines.push(`Résumé d'époque ${epoch} — validation: loss 0.${epoch % 10}5, acc 0.9${epoch % 10}\n`);
    if (epoch === 400) lines.push('progress 10%\rprogress 90%\n', 'Epoch [1/100000], Step [10/600], Loss: 0.9, Acc: 0.1, lr: 1.0e-03\n');
  }
  return `${lines.join('')}Epoch [9/100000], Step [10/600], Loss: 0.5, Acc: 0.5, lr: 1.0e-03`;
}

describe('LogFile over several chunks', () => {
  it('gives the whole-text result for a 3.5 MB log read in 1 MB chunks', async () => {
    const text = bigLog(3.5 * 1024 * 1024);
    const path = join(mkdtempSync(join(tmpdir(), 'traindx-chunks-')), 'train.log');
    writeFileSync(path, text);
    const state = await new LogFile(path).update(true);
    const whole = parseLog(text, path);
    assert.equal(whole.ok, true);
    assert.equal(state.kind, 'parsed');
    if (!whole.ok || state.kind !== 'parsed') return;
    assert.equal(state.format, 'text-metrics');
    assert.equal(state.runs.length, 2);
    assert.equal(state.runs[0].series.find((s) => s.name === 'loss')?.length, 400 * 60);
    assert.deepEqual(state.runs, whole.runs);
    assert.deepEqual(state.notes, whole.notes);
  });
});
