import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { kerasProgress } from '../../src/engine/logs/keras';
import { LineSplitter, parseMetricValue, visibleLine } from '../../src/engine/logs/lines';
import { canonicalMetric } from '../../src/engine/logs/names';
import { looksBinary, parseLog } from '../../src/engine/logs';
import type { Run } from '../../src/engine/types';
import { fixture } from './fixtures';

function values(run: Run, name: string): number[] {
  const series = run.series.find((s) => s.name === name);
  assert.ok(series, `series ${name} in ${run.series.map((s) => s.name).join(', ')}`);
  return Array.from(series.value);
}

function parseOk(text: string) {
  const result = parseLog(text, 'train.log');
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result;
}

describe('keras progress log', () => {
  it('reads one point per epoch from the verbose-1 bytes model.fit writes to a file', () => {
    const { runs, format } = parseOk(fixture('logs/seed000_gru_collapse_keras_verbose1.log'));
    assert.equal(format, 'keras-progress');
    assert.equal(runs.length, 1);
    const [run] = runs;
    assert.equal(run.totalEpochs, 50);
    assert.deepEqual(run.series.map((s) => s.name), ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    const accuracy = run.series.find((s) => s.name === 'accuracy')!;
    assert.equal(accuracy.length, 50);
    assert.deepEqual(Array.from(accuracy.epoch.slice(0, 3)), [1, 2, 3]);
    // Epoch 27's final state is on editor line 352: each `\r` progress update is a line of its own in an editor.
    assert.equal(accuracy.line[26], 352);
    assert.equal(accuracy.value[26], 0.5094);
    assert.equal(accuracy.split, 'train');
    assert.equal(run.series.find((s) => s.name === 'val_accuracy')!.split, 'val');
  });

  it('reads Keras 3 bars with ANSI colours', () => {
    const { runs } = parseOk(fixture('logs/keras3_verbose1_healthy.log'));
    assert.equal(runs.length, 1);
    assert.deepEqual(values(runs[0], 'accuracy'), [0.8612, 0.9641, 0.9763, 0.9822, 0.9861]);
    assert.deepEqual(values(runs[0], 'val_loss'), [0.1374, 0.095, 0.0807, 0.0712, 0.069]);
  });

  it('reads verbose 2 with CRLF, canonicalises names, keeps nan, and splits a restarted fit into segments', () => {
    const { runs } = parseOk(fixture('logs/keras_verbose2_crlf_restart.log'));
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((r) => r.segment), [0, 1]);
    assert.deepEqual(values(runs[0], 'accuracy'), [0.9143, 0.9577, 0.9676]);
    assert.deepEqual(values(runs[0], 'lr'), [0.001, 0.001, 0.0005]);
    assert.ok(Number.isNaN(values(runs[0], 'val_loss')[1]));
    assert.deepEqual(values(runs[1], 'val_accuracy'), [0.955, 0.965]);
    // `4s/epoch` and `2ms/step` are not metrics.
    assert.ok(runs[0].series.every((s) => !/epoch|step/.test(s.name)));
  });

  it('ignores intermediate progress updates and ETA', () => {
    const text = 'Epoch 1/2\n 10/98 [==>...] - ETA: 2:31 - loss: 0.9 - accuracy: 0.1\n98/98 [=====] - 12s 118ms/step - loss: 0.5 - accuracy: 0.7\n';
    const { runs } = parseOk(text);
    assert.deepEqual(runs[0].series.map((s) => s.name), ['loss', 'accuracy']);
    assert.deepEqual(values(runs[0], 'loss'), [0.5]);
  });

  it('refuses text that is not a training log, and binary junk', () => {
    const prose = parseLog('hello\nthis is a README\n', 'notes.log');
    assert.equal(prose.ok, false);
    const junk = parseLog('\x00\x01\x02garbage\x00'.repeat(100), 'junk.log');
    assert.equal(junk.ok, false);
    assert.ok(!junk.ok && /binary/.test(junk.reason));
    assert.equal(looksBinary('Epoch 1/3\n'), false);
  });

  it('gives exactly the whole-file result for any chunking of the input', () => {
    const text = fixture('logs/seed000_gru_collapse_keras_verbose1.log').slice(0, 20000) + fixture('logs/keras_verbose2_crlf_restart.log');
    const whole = kerasProgress.create('x');
    whole.feed(text);
    whole.finish();
    const expected = JSON.stringify(whole.runs(), replacer);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 30 }), (cuts) => {
        const parser = kerasProgress.create('x');
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let at = 0;
        for (const cut of points) {
          parser.feed(text.slice(at, cut));
          at = cut;
        }
        parser.feed(text.slice(at));
        parser.finish();
        assert.equal(JSON.stringify(parser.runs(), replacer), expected);
      }),
      { numRuns: 200 },
    );
  });
});

function replacer(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) ? Array.from(value as Float64Array, (v) => (Number.isNaN(v) ? 'NaN' : v)) : value;
}

describe('terminal lines', () => {
  it('keeps the last state of a \\r progress line and drops backspaces', () => {
    assert.equal(visibleLine('\r 1/9 [..] - loss: 1\b\b\b\b\r9/9 [==] - loss: 0.5'), '9/9 [==] - loss: 0.5');
    assert.equal(visibleLine('done\r'), 'done');
    assert.equal(visibleLine('state\r\r'), 'state');
  });

  it('counts lines across chunks and skips over-long lines with a count', () => {
    const seen: [string, number][] = [];
    const splitter = new LineSplitter((line, n) => seen.push([line, n]));
    splitter.feed('a\nb');
    splitter.feed('c\n' + 'x\r'.repeat(1 << 19));
    splitter.feed('y\r');
    splitter.feed('\nlast');
    splitter.finish();
    assert.deepEqual(seen, [['a', 1], ['bc', 2], ['last', 4 + (1 << 19)]]);
    assert.equal(splitter.skippedLongLines, 1);
  });

  it('numbers each visible line as an editor does (\\n, \\r\\n and a lone \\r end a line), in any chunking', () => {
    const alphabet = fc.constantFrom('a', 'b', '\r', '\n', '\x08');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }).map((cs) => cs.join('')), fc.array(fc.nat(60), { maxLength: 5 }), (text, cuts) => {
        const editorLines = text.split(/\r\n|\r|\n/);
        const seen: [string, number][] = [];
        const splitter = new LineSplitter((line, n) => seen.push([line, n]));
        let at = 0;
        for (const cut of [...cuts].sort((x, y) => x - y)) {
          splitter.feed(text.slice(at, Math.max(at, cut)));
          at = Math.max(at, cut);
        }
        splitter.feed(text.slice(at));
        splitter.finish();
        for (const [line, n] of seen) {
          // The visible text is the editor line it points at, without backspaces.
          assert.equal(line, editorLines[n - 1].replace(/\x08/g, ''), JSON.stringify({ text, n }));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('parses the numbers logs print', () => {
    assert.equal(parseMetricValue('1.0000e-03'), 0.001);
    assert.ok(Number.isNaN(parseMetricValue('NaN')!));
    assert.equal(parseMetricValue('-inf'), -Infinity);
    assert.equal(parseMetricValue('inf'), Infinity);
    assert.equal(parseMetricValue('2:31'), undefined);
    assert.equal(parseMetricValue('118ms/step'), undefined);
  });

  it('canonicalises metric names and splits', () => {
    assert.deepEqual(canonicalMetric('val_acc'), { name: 'val_accuracy', metric: 'accuracy', split: 'val' });
    assert.deepEqual(canonicalMetric('Accuracy'), { name: 'accuracy', metric: 'accuracy', split: 'train' });
    assert.deepEqual(canonicalMetric('learning_rate'), { name: 'lr', metric: 'lr', split: 'train' });
    assert.deepEqual(canonicalMetric('train_acc'), { name: 'accuracy', metric: 'accuracy', split: 'train' });
    assert.deepEqual(canonicalMetric('test_loss'), { name: 'test_loss', metric: 'loss', split: 'test' });
    assert.deepEqual(canonicalMetric('val_HR@10'), { name: 'val_hr@10', metric: 'hr@10', split: 'val' });
  });
});
