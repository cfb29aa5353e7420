import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LOG_FORMATS, parseLog, sniff } from '../../src/engine/logs';
import { canonicalMetric } from '../../src/engine/logs/names';
import { crc32c, float16ToNumber, maskedCrc32c, tfEvents } from '../../src/engine/logs/tfevents';
import type { Run, Series } from '../../src/engine/types';
import { LogFile } from '../../src/node/log-file';
import { concatBytes, ROOT } from './fixtures';
import { DT_DOUBLE, DT_FLOAT, DT_HALF, DT_STRING, eventBytes, eventFile, halfBits, record, scalarEvents, type EventSpec } from './tfevents-writer';

const CORPUS = join(ROOT, 'test', 'fixtures', 'corpus');
const EVENTS_NAME = 'yolo11seg_gallstone_events.out.tfevents.1731030770.luaay.15908.0';

function parse(bytes: Uint8Array, chunks: readonly number[] = [], final = true): { runs: Run[]; notes: string[] } {
  const parser = tfEvents.create('events.out.tfevents.1.test');
  let at = 0;
  for (const cut of [...chunks, bytes.length]) {
    parser.feed(bytes.subarray(at, cut));
    at = cut;
  }
  if (final) parser.finish();
  return { runs: parser.runs(), notes: parser.notes() };
}

function only(runs: Run[]): Run {
  assert.equal(runs.length, 1);
  return runs[0];
}

function series(run: Run, name: string): Series {
  const s = run.series.find((x) => x.name === name);
  assert.ok(s, `no series ${name} in ${run.series.map((x) => x.name).join(', ')}`);
  return s;
}

const values = (run: Run, name: string) => Array.from(series(run, name).value);
const steps = (run: Run, name: string) => Array.from(series(run, name).step);


/** Five events of `loss`/`accuracy`, 1.0, 0.5, ... and 0.5, 0.625, ... (all exact in float32). */
const FIVE: EventSpec[] = scalarEvents({ loss: [1, 0.5, 0.25, 0.125, 0.0625], 'val/accuracy': [0.5, 0.625, 0.75, 0.875, 1] });
const fiveFile = eventFile(FIVE);
/** Byte offset of each record: the file-version record, then one per event. */
const recordStarts = (() => {
  const starts = [0];
  let at = 0;
  for (const e of [{ wallTime: 1_700_000_000, fileVersion: 'brain.Event:2' } as EventSpec, ...FIVE]) {
    at += record(eventBytes(e)).length;
    starts.push(at);
  }
  return starts;
})();

describe('CRC-32C', () => {
  it('gives the Castagnoli check value and the TFRecord mask', () => {
    const check = new TextEncoder().encode('123456789');
    assert.equal(crc32c(check), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    // mask(c) = rotate-right-15(c) + 0xa282ead8, mod 2^32.
    assert.equal(maskedCrc32c(check), (((0xe3069283 >>> 15) | (0xe3069283 << 17)) + 0xa282ead8) >>> 0);
    assert.equal(maskedCrc32c(check), 0xc78ab0e5);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43); // RFC 3720 B.4 test vector
  });

  it('decodes float16 bits', () => {
    assert.equal(float16ToNumber(0x3c00), 1);
    assert.equal(float16ToNumber(0xc000), -2);
    assert.equal(float16ToNumber(0x3555), 0.333251953125);
    assert.equal(float16ToNumber(0x7bff), 65504);
    assert.equal(float16ToNumber(0x0001), 2 ** -24);
    assert.equal(float16ToNumber(0x7c00), Infinity);
    assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
    assert.equal(halfBits(0.333251953125), 0x3555);
  });
});

describe('tfevents: the real corpus file', () => {
  const bytes = readFileSync(join(CORPUS, EVENTS_NAME));
  const csv = readFileSync(join(CORPUS, 'yolo11seg_gallstone_results.csv'), 'utf8');

  it('is sniffed by its bytes alone and by its name, before the binary-junk check', () => {
    assert.equal(tfEvents.sniff('', 'data.bin', bytes.subarray(0, 64 * 1024)), true);
    assert.equal(tfEvents.sniff('', 'logs/events.out.tfevents.1.host', new Uint8Array(0)), true);
    assert.equal(tfEvents.sniff('Epoch 1/3\n', 'train.log', new TextEncoder().encode('Epoch 1/3\n12/12 - loss: 0.5\n')), false);
    const sniffed = sniff(bytes, 'renamed.bin');
    assert.equal(sniffed.ok && sniffed.format.id, 'tfevents');
    assert.ok(LOG_FORMATS.includes(tfEvents));
  });

  it('reads 10 steps x 19 scalar tags, with wall times and record numbers, and no notes', () => {
    const parsed = parseLog(bytes, EVENTS_NAME);
    assert.ok(parsed.ok);
    assert.equal(parsed.format, 'tfevents');
    assert.deepEqual(parsed.notes, []);
    const run = only(parsed.runs);
    assert.deepEqual(run.series.map((s) => s.name), [
      'box_loss', 'seg_loss', 'cls_loss', 'dfl_loss', 'lr/pg0', 'lr/pg1', 'lr/pg2',
      // ultralytics' `metrics/*` are measured on the validation set (names.ts).
      'val_precision(b)', 'val_recall(b)', 'val_map50(b)', 'val_map50-95(b)',
      'val_precision(m)', 'val_recall(m)', 'val_map50(m)', 'val_map50-95(m)',
      'val_box_loss', 'val_seg_loss', 'val_cls_loss', 'val_dfl_loss',
    ]);
    assert.equal(series(run, 'val_box_loss').split, 'val');
    assert.equal(series(run, 'val_box_loss').metric, 'box_loss');
    assert.deepEqual(steps(run, 'box_loss'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(Array.from(series(run, 'box_loss').epoch).every(Number.isNaN));
    // Doubles in the file, read exactly; records 1-3 are the file version, the graph and run metadata.
    assert.equal(series(run, 'box_loss').wallTime[0], 1731031359.6698735);
    assert.deepEqual(Array.from(series(run, 'box_loss').line.slice(0, 3)), [4, 23, 42]);
    // ultralytics validates the best model once more after training: the `metrics/*` tags repeat step 10.
    assert.deepEqual(steps(run, 'val_map50-95(b)'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10]);
    assert.equal(values(run, 'val_map50-95(b)')[10], Math.fround(0.703158));
    assert.equal(series(run, 'val_map50-95(b)').line[10], 197);
  });

  it('gives the same numbers as the run\'s results.csv (to float32 precision)', () => {
    const run = only((parseLog(bytes, EVENTS_NAME) as { runs: Run[] }).runs);
    const [header, ...rows] = csv.trim().split('\n').map((l) => l.split(','));
    let compared = 0;
    header.forEach((column, c) => {
      if (column === 'epoch' || column === 'time') return;
      const name = canonicalMetric(column).name;
      const fromEvents = values(run, name).slice(0, 10);
      const fromCsv = rows.map((r) => Number(r[c]));
      if (column.startsWith('lr/')) {
        // results.csv rounds the learning rate to 6 significant digits; the event file has it whole.
        fromCsv.forEach((v, i) => assert.ok(Math.abs(fromEvents[i] - v) <= 1e-5 * v, `${column}[${i}]: ${fromEvents[i]} vs ${v}`));
      } else {
        assert.deepEqual(fromEvents, fromCsv.map((v) => Math.fround(v)), column);
      }
      compared += fromCsv.length;
    });
    assert.equal(compared, 190);
    // The registered CSV parser reads the twin file to the same series and numbers, its epochs being the steps.
    const parsedCsv = parseLog(csv, 'yolo11seg_gallstone_results.csv');
    assert.ok(parsedCsv.ok);
    const csvRun = only(parsedCsv.runs);
    assert.deepEqual(csvRun.series.map((s) => s.name).sort(), run.series.map((s) => s.name).sort());
    for (const other of csvRun.series) {
      const mine = series(run, other.name);
      assert.deepEqual(Array.from(mine.step.slice(0, 10)), Array.from(other.epoch), other.name);
      other.value.forEach((v, i) => {
        const tolerance = other.metric.startsWith('lr/') ? 1e-5 * v : 0;
        assert.ok(Math.abs(mine.value[i] - Math.fround(v)) <= tolerance, `${other.name}[${i}]: ${mine.value[i]} vs ${v}`);
      });
    }
  });
});

describe('tfevents: scalar encodings', () => {
  const events: EventSpec[] = [
    { wallTime: 1_700_000_001.25, step: 1, values: [{ tag: 'simple', simple: 0.75 }] },
    { wallTime: 1_700_000_002, step: 2, values: [{ tag: 'packed', tensor: { dtype: DT_FLOAT, floatVal: [0.1] }, plugin: 'scalars' }] },
    { wallTime: 1_700_000_003, step: 3, values: [{ tag: 'unpacked', tensor: { dtype: DT_FLOAT, floatVal: [2.5], unpacked: true } }] },
    { wallTime: 1_700_000_004, step: 4, values: [{ tag: 'double', tensor: { dtype: DT_DOUBLE, doubleVal: [0.1] } }] },
    { wallTime: 1_700_000_005, step: 5, values: [{ tag: 'half', tensor: { dtype: DT_HALF, halfVal: [0.333251953125] } }] },
    { wallTime: 1_700_000_006, step: 6, values: [{ tag: 'content32', tensor: { dtype: DT_FLOAT, content: new Uint8Array(new Float32Array([0.1]).buffer) } }] },
    { wallTime: 1_700_000_007, step: 7, values: [{ tag: 'content64', tensor: { dtype: DT_DOUBLE, content: new Uint8Array(new Float64Array([0.1]).buffer) } }] },
    { wallTime: 1_700_000_008, step: 8, values: [{ tag: 'content16', tensor: { dtype: DT_HALF, content: [0x00, 0xc0] } }] }, // -2
    // A [1, 1] tensor is one element too.
    { wallTime: 1_700_000_009, step: 9, values: [{ tag: 'shape11', tensor: { dtype: DT_FLOAT, shape: [1, 1], floatVal: [4] } }] },
    // Not scalars: a 2-element tensor, a string, an image, a histogram, a histogram-plugin tensor.
    {
      wallTime: 1_700_000_010,
      step: 10,
      values: [
        { tag: 'vector', tensor: { dtype: DT_FLOAT, shape: [2], floatVal: [1, 2] } },
        { tag: 'text', tensor: { dtype: DT_STRING, stringVal: 'hello' }, plugin: 'text' },
        { tag: 'image', image: true },
        { tag: 'weights', histo: true },
        { tag: 'hist2', tensor: { dtype: DT_DOUBLE, shape: [1, 3], doubleVal: [0, 1, 5] }, plugin: 'histograms' },
        { tag: 'custom', tensor: { dtype: DT_FLOAT, floatVal: [9] }, plugin: 'my_plugin' },
      ],
    },
    // TF2 writes a tag's metadata only with its first value: later values inherit it.
    { wallTime: 1_700_000_011, step: 11, values: [{ tag: 'packed', tensor: { dtype: DT_FLOAT, floatVal: [0.5] } }, { tag: 'custom', tensor: { dtype: DT_FLOAT, floatVal: [9] } }] },
    { wallTime: 1_700_000_012, step: -1n, values: [{ tag: 'negative_step', simple: 1 }] },
    { wallTime: 1_700_000_013, step: 2n ** 40n, values: [{ tag: 'big_step', simple: 1 }] },
    // Keras' TensorBoard callback: `epoch_loss` at step = 0-based epoch.
    { wallTime: 1_700_000_014, step: 0, values: [{ tag: 'epoch_loss', tensor: { dtype: DT_FLOAT, floatVal: [0.69] }, plugin: 'scalars' }] },
  ];
  const run = only(parse(eventFile(events)).runs);

  it('reads simple_value, float_val (packed and not), double_val, half_val and tensor_content', () => {
    assert.deepEqual(
      run.series.map((s) => [s.name, Array.from(s.value)]),
      [
        ['simple', [0.75]],
        ['packed', [Math.fround(0.1), 0.5]],
        ['unpacked', [2.5]],
        ['double', [0.1]],
        ['half', [0.333251953125]],
        ['content32', [Math.fround(0.1)]],
        ['content64', [0.1]],
        ['content16', [-2]],
        ['shape11', [4]],
        ['negative_step', [1]],
        ['big_step', [1]],
        ['loss', [Math.fround(0.69)]],
      ],
    );
  });

  it('takes step, wall time and the 1-based record number of each point', () => {
    assert.deepEqual(steps(run, 'packed'), [2, 11]);
    assert.deepEqual(Array.from(series(run, 'packed').line), [3, 12]);
    assert.equal(series(run, 'simple').wallTime[0], 1_700_000_001.25);
    assert.deepEqual(steps(run, 'negative_step'), [-1]);
    assert.deepEqual(steps(run, 'big_step'), [2 ** 40]);
    assert.deepEqual(Array.from(series(run, 'loss').epoch), [1]);
    assert.deepEqual(steps(run, 'loss'), [0]);
  });
});

describe('tfevents: damaged files', () => {
  it('stops at a record with a bad data CRC, keeps what came before, and says where', () => {
    const bytes = new Uint8Array(fiveFile);
    bytes[recordStarts[3] + 14] ^= 0x01; // a data byte of the third event (record 4)
    const { runs, notes } = parse(bytes);
    assert.deepEqual(values(only(runs), 'loss'), [1, 0.5]);
    assert.deepEqual(notes, [`stopped at a corrupt record (bad data checksum) at byte ${recordStarts[3]}; 3 records read`]);
  });

  it('stops at a record whose length checksum is wrong', () => {
    const bytes = new Uint8Array(fiveFile);
    bytes[recordStarts[2] + 9] ^= 0xff;
    const { runs, notes } = parse(bytes);
    assert.deepEqual(values(only(runs), 'loss'), [1]);
    assert.deepEqual(notes, [`stopped at a corrupt record header at byte ${recordStarts[2]}; 2 records read`]);
  });

  it('keeps a cut-short last record waiting while live, and notes it once the input is final', () => {
    const cut = fiveFile.subarray(0, recordStarts[5] + 20);
    const live = parse(cut, [], false);
    assert.deepEqual(values(only(live.runs), 'loss'), [1, 0.5, 0.25, 0.125]);
    assert.deepEqual(live.notes, []);
    const final = parse(cut);
    assert.deepEqual(values(only(final.runs), 'loss'), [1, 0.5, 0.25, 0.125]);
    assert.deepEqual(final.notes, [`the last record is cut short at byte ${recordStarts[5]} (20 bytes of it present); 5 records read`]);
  });

  it('never throws on junk, and counts records that frame well but hold no valid event', () => {
    const junk = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256);
    const parsed = parse(junk);
    assert.deepEqual(parsed.runs, []);
    assert.deepEqual(parsed.notes, ['stopped at a corrupt record header at byte 0; 0 records read']);
    const bad = record(Uint8Array.from([0x0a, 0x05, 0x01])); // a length-delimited field running past the end
    const mixed = parse(concatBytes([fiveFile.subarray(0, recordStarts[2]), bad, fiveFile.subarray(recordStarts[2])]));
    assert.deepEqual(values(only(mixed.runs), 'loss'), [1, 0.5, 0.25, 0.125, 0.0625]);
    assert.deepEqual(mixed.notes, ['skipped 1 record that did not hold a valid event']);
  });
});

describe('tfevents: incremental reading', () => {
  it('gives the same runs and notes for any chunking (fast-check)', () => {
    const damaged = new Uint8Array(fiveFile.subarray(0, recordStarts[5] + 7));
    const graph = eventFile([{ wallTime: 1, step: 0, graphBytes: 3000 }, ...FIVE]);
    for (const bytes of [fiveFile, damaged, graph]) {
      const whole = parse(bytes);
      fc.assert(
        fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
          const chunked = parse(bytes, [...cuts].sort((a, b) => a - b));
          assert.deepEqual(chunked, whole);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('gives the same run for the corpus file fed in small uneven chunks', () => {
    const bytes = readFileSync(join(CORPUS, EVENTS_NAME));
    const whole = parse(bytes);
    const cuts: number[] = [];
    for (let at = 1, i = 0; at < bytes.length; at += 1 + ((i++ * 7919) % 4096)) cuts.push(at);
    assert.deepEqual(parse(bytes, cuts), whole);
  });

  it('copies what it keeps: a caller may reuse its buffer (LogFile does)', () => {
    const parser = tfEvents.create('events.out.tfevents.1.test');
    // A first chunk that ends 10 bytes into record 2, then chunks shorter than a header and chunks
    // ending mid-record: each way of keeping bytes is exercised.
    const buffer = new Uint8Array(128);
    for (let at = 0, i = 0; at < fiveFile.length; i++) {
      const n = Math.min(i === 0 ? recordStarts[1] + 10 : [5, 64, 7, 30][i % 4], fiveFile.length - at);
      buffer.set(fiveFile.subarray(at, at + n));
      parser.feed(buffer.subarray(0, n));
      buffer.fill(0xee);
      at += n;
    }
    parser.finish();
    assert.deepEqual(parser.runs(), parse(fiveFile).runs);
  });

  it('reads a growing event file through LogFile from its last offset', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'traindx-tfevents-')), 'events.out.tfevents.1700000000.host.1.0');
    writeFileSync(path, fiveFile.subarray(0, recordStarts[3] + 5));
    const live = new LogFile(path);
    const first = await live.update();
    assert.equal(first.kind, 'parsed');
    assert.deepEqual(first.kind === 'parsed' && values(only(first.runs), 'loss'), [1, 0.5]);
    appendFileSync(path, fiveFile.subarray(recordStarts[3] + 5));
    const second = await live.update(true);
    assert.deepEqual(second.kind === 'parsed' && values(only(second.runs), 'loss'), [1, 0.5, 0.25, 0.125, 0.0625]);
    assert.deepEqual(second.kind === 'parsed' && second.notes, []);
  });
});
