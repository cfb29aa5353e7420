import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LogFile, LogReadError, type LogState } from '../../src/node/log-file';
import { fixture } from './fixtures';

const text = fixture('logs/seed000_gru_collapse_keras_verbose1.log');

function points(state: LogState, name = 'accuracy'): number[] {
  assert.equal(state.kind, 'parsed', state.kind === 'parsed' ? '' : state.reason);
  if (state.kind !== 'parsed') return [];
  return state.runs.flatMap((r) => Array.from(r.series.find((s) => s.name === name)?.value ?? []));
}

function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'traindx-log-')), name);
}

describe('LogFile', () => {
  it('reads a growing log from its last offset and ends with exactly the whole-file result', async () => {
    const path = tempFile('train.log');
    const whole = await (async () => {
      writeFileSync(path, text);
      return points(await new LogFile(path).update(true));
    })();
    assert.equal(whole.length, 50);

    writeFileSync(path, '');
    const live = new LogFile(path);
    assert.equal((await live.update()).kind, 'pending');
    // Cuts inside lines, inside `\r` updates, and (once) inside a multi-byte character.
    const bytes = Buffer.from(text + '# done ✓\n');
    let at = 0;
    for (const cut of [10, 77, 4000, 4001, 30000, 65600, 98000, bytes.length - 3]) {
      appendFileSync(path, bytes.subarray(at, cut));
      at = cut;
      await live.update();
    }
    appendFileSync(path, bytes.subarray(at));
    assert.deepEqual(points(await live.update()), whole);
  });

  it('keeps a partial last line waiting until its newline arrives', async () => {
    const path = tempFile('train.log');
    const [head, tail] = [text.slice(0, text.lastIndexOf('\n98/98') + 1), text.slice(text.lastIndexOf('\n98/98') + 1)];
    writeFileSync(path, head + tail.slice(0, -1)); // the last epoch's line, without its newline
    const live = new LogFile(path);
    assert.equal(points(await live.update()).length, 49);
    appendFileSync(path, '\n');
    assert.equal(points(await live.update()).length, 50);
  });

  it('starts over when the file is truncated or replaced (log rotation)', async () => {
    const path = tempFile('train.log');
    writeFileSync(path, text);
    const live = new LogFile(path);
    assert.equal(points(await live.update()).length, 50);
    writeFileSync(path, text.slice(0, text.indexOf('Epoch 4/50'))); // truncated in place
    assert.equal(points(await live.update()).length, 3);
    renameSync(path, `${path}.1`);
    writeFileSync(path, text.slice(0, text.indexOf('Epoch 6/50'))); // rotated: a new inode, larger than before
    assert.equal(points(await live.update()).length, 5);
  });

  it('says why a file is not a log, and throws a user-facing error for a missing one', async () => {
    const junk = tempFile('junk.log');
    writeFileSync(junk, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)));
    const state = await new LogFile(junk).update(true);
    assert.equal(state.kind, 'unrecognised');
    assert.match(state.kind === 'unrecognised' ? state.reason : '', /junk\.log looks like binary data/);
    await assert.rejects(new LogFile(join(tmpdir(), 'no-such-traindx.log')).update(), (e: unknown) => e instanceof LogReadError && /no such file/.test(e.message));
  });

  it('reads invalid UTF-8 without failing (the bytes become U+FFFD)', async () => {
    const path = tempFile('gbk.log');
    writeFileSync(path, Buffer.concat([Buffer.from([0xb5, 0xda, 0xd2, 0xbb, 0x0a]), Buffer.from(text)]));
    assert.equal(points(await new LogFile(path).update(true)).length, 50);
  });
});

describe('LogFile on a document rewritten in place (trainer_state.json)', () => {
  it('reads each rewrite from the start, and shows the last good result while one is half-written', async () => {
    const full = fixture('corpus/hf_lora_distilbert_imdb_healthy_trainer_state.json');
    const state = JSON.parse(full);
    const shorter = JSON.stringify({ ...state, log_history: state.log_history.slice(0, 10) }, null, 2);
    const path = tempFile('trainer_state.json');
    writeFileSync(path, shorter);
    const live = new LogFile(path);
    const first = await live.update();
    const count = (s: LogState) => (s.kind === 'parsed' ? s.runs.reduce((n, r) => n + r.series.reduce((m, x) => m + x.length, 0), 0) : -1);
    const before = count(first);
    assert.ok(before > 0);
    // Hugging Face saves with open(path, 'w'): same inode, new content, usually longer.
    writeFileSync(path, full.slice(0, Math.floor(full.length / 2)));
    const half = await live.update();
    assert.equal(count(half), before, 'the half-written rewrite keeps the last good result');
    writeFileSync(path, full);
    const after = await live.update();
    assert.ok(count(after) > before, `${count(after)} > ${before}`);
    assert.deepEqual(after.kind === 'parsed' ? after.notes : null, []);
  });
});
