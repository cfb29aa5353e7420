import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LogFile, type LogState } from '../../src/node/log-file';
import { fixture } from './fixtures';
import { render } from './logs-structured-helpers';

/** The runs and notes as comparable text, without the path they were read from. */
function contents(state: Extract<LogState, { kind: 'parsed' }>): string {
  return render(state.runs.map((r) => ({ ...r, source: '' })), state.notes);
}

function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'traindx-structured-')), name);
}

function parsed(state: LogState): Extract<LogState, { kind: 'parsed' }> {
  assert.equal(state.kind, 'parsed', state.kind === 'parsed' ? '' : state.reason);
  return state as Extract<LogState, { kind: 'parsed' }>;
}

function count(state: LogState, name: string): number {
  return parsed(state).runs.reduce((n, r) => n + (r.series.find((s) => s.name === name)?.length ?? 0), 0);
}

/** Appends `text` to a live file in pieces cut at `cuts` (byte offsets), updating after each; returns the last state. */
async function grow(path: string, text: string, cuts: readonly number[], live: LogFile): Promise<LogState> {
  const bytes = Buffer.from(text);
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    appendFileSync(path, bytes.subarray(at, cut));
    at = cut;
    await live.update();
  }
  return live.current;
}

async function whole(path: string, text: string): Promise<LogState> {
  writeFileSync(path, text);
  return new LogFile(path).update(true);
}

describe('LogFile with structured formats', () => {
  it('follows a growing CRLF results.csv cut inside rows and inside a CRLF, ending with the whole-file result', async () => {
    const text = fixture('corpus/yolo11seg_gallstone_results.csv');
    const expected = parsed(await whole(tempFile('results.csv'), text));
    const path = tempFile('results.csv');
    writeFileSync(path, '');
    const live = new LogFile(path);
    const crlf = text.indexOf('\r\n', 500);
    const state = parsed(await grow(path, text, [7, 300, crlf + 1, 1200, text.length - 5], live));
    assert.equal(state.format, 'csv');
    assert.equal(contents(state), contents(expected));
    assert.equal(count(state, 'val_map50-95(m)'), 10);
  });

  it('keeps a half-written CSV row waiting until its newline', async () => {
    const text = fixture('corpus/imdb_bilstm_adamw_healthy_loss.csv');
    const path = tempFile('loss.csv');
    writeFileSync(path, text.slice(0, -10));
    const live = new LogFile(path);
    assert.equal(count(await live.update(), 'loss'), 4);
    appendFileSync(path, text.slice(-10));
    assert.equal(count(await live.update(), 'loss'), 5);
  });

  it('follows a growing detectron2 metrics.json under another name, sniffed by content', async () => {
    const text = fixture('corpus/detectron2_medwaste_metrics.json');
    const expected = parsed(await whole(tempFile('run.log'), text));
    const path = tempFile('run.log');
    writeFileSync(path, '');
    const live = new LogFile(path);
    const state = parsed(await grow(path, text, [100, 5000, 5001, 60000, 70000, text.length - 1], live));
    assert.equal(state.format, 'jsonl');
    assert.equal(contents(state), contents(expected));
    assert.equal(count(state, 'total_loss'), 200);
  });

  it('reads a trainer_state.json caught half-written, then completed, then replaced by a longer one', async () => {
    const text = fixture('corpus/hf_lora_distilbert_imdb_healthy_trainer_state.json');
    const path = tempFile('trainer_state.json');
    const cut = text.indexOf('"eval_loss"');
    writeFileSync(path, text.slice(0, cut));
    const live = new LogFile(path);
    const half = parsed(await live.update());
    assert.equal(half.format, 'hf-trainer-state');
    assert.deepEqual(half.runs, []);
    assert.deepEqual(half.notes, ['incomplete JSON, will retry on the next change']);

    appendFileSync(path, text.slice(cut));
    const done = parsed(await live.update());
    assert.deepEqual(done.notes, []);
    assert.equal(count(done, 'loss'), 18);
    assert.equal(count(done, 'val_loss'), 3);

    // The Trainer saves again: a new, longer document replaces the file (a new inode, as an atomic save makes).
    const longer = text.replace('"log_history": [\n', '"log_history": [\n    {\n      "epoch": 0.08,\n      "loss": 0.7,\n      "step": 10\n    },\n');
    writeFileSync(`${path}.tmp`, longer);
    renameSync(`${path}.tmp`, path);
    const again = parsed(await live.update());
    assert.equal(count(again, 'loss'), 19);
    assert.equal(again.runs[0].series.find((s) => s.name === 'loss')!.line[0], 12);
  });
});
