import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseLog } from '../../src/engine/logs';
import { textMetrics } from '../../src/engine/logs/text-metrics';
import { prefix, readPrefix, scanNumber, scanned } from '../../src/engine/logs/text-scan';
import { analyze, matchTemplate, type Template } from '../../src/engine/logs/text-template';
import type { Run, Series } from '../../src/engine/types';
import { ROOT, TEXT_LOG_FIXTURES } from './fixtures';

/** Fixture bytes decoded as the CLI decodes them (invalid UTF-8 becomes U+FFFD). */
function read(path: string): string {
  return new TextDecoder('utf-8').decode(readFileSync(join(ROOT, 'test', 'fixtures', path)));
}

function parseText(path: string): Run[] {
  const result = parseLog(readFileSync(join(ROOT, 'test', 'fixtures', path)), path);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  assert.equal(result.format, 'text-metrics');
  return result.runs;
}

function series(run: Run, name: string): Series {
  const s = run.series.find((x) => x.name === name);
  assert.ok(s, `series ${name} in ${run.series.map((x) => x.name).join(', ')}`);
  return s;
}

function names(run: Run): string[] {
  return run.series.map((s) => `${s.name}:${s.split}:${s.length}`);
}

/** First and last point of a series: [epoch, value, line]. */
function ends(s: Series): [number, number, number][] {
  const at = (i: number): [number, number, number] => [Number(s.epoch[i].toFixed(4)), s.value[i], s.line[i]];
  return [at(0), at(s.length - 1)];
}

describe('text metrics: real logs from the corpus', () => {
  it('cifar10_hparam_search_multirun.log: four concatenated runs, the config dict on every line ignored', () => {
    const runs = parseText('corpus/cifar10_hparam_search_multirun.log');
    assert.equal(runs.length, 4);
    assert.deepEqual(runs.map((r) => r.segment), [0, 1, 2, 3]);
    assert.deepEqual(runs.map(names), [
      ['loss:train:30', 'test_accuracy:test:30'],
      ['loss:train:30', 'test_accuracy:test:30'],
      ['loss:train:30', 'test_accuracy:test:30'],
      ['loss:train:7', 'test_accuracy:test:7'],
    ]);
    assert.deepEqual(ends(series(runs[0], 'loss')), [[1, 1.506, 2], [30, 0.3673, 31]]);
    assert.deepEqual(ends(series(runs[3], 'loss')), [[1, 39.3937, 92], [7, 38.8265, 98]]);
    assert.deepEqual(ends(series(runs[3], 'test_accuracy')), [[1, 50.34, 92], [7, 70.59, 98]]);
    assert.equal(runs[3].totalEpochs, 30);
    assert.deepEqual(runs[0].notes, ['`test_accuracy` is printed in percent (0–100)']);
    // 2025-06-02 14:24:20,402, read as UTC.
    assert.equal(series(runs[0], 'loss').wallTime[0], Date.UTC(2025, 5, 2, 14, 24, 20) / 1000 + 0.402);
  });

  it('cifar10_pytorch_logging_healthy_training.log: config lines before training give no series', () => {
    const runs = parseText('corpus/cifar10_pytorch_logging_healthy_training.log');
    assert.equal(runs.length, 1);
    assert.deepEqual(names(runs[0]), ['loss:train:35', 'test_accuracy:test:35']);
    assert.deepEqual(ends(series(runs[0], 'loss')), [[1, 1.6279, 23], [35, 0.572, 57]]);
    assert.deepEqual(ends(series(runs[0], 'test_accuracy')), [[1, 59.86, 23], [35, 85.2, 57]]);
    assert.equal(runs[0].totalEpochs, 35);
    assert.equal(series(runs[0], 'loss').wallTime[34], Date.UTC(2025, 5, 4, 19, 22, 35) / 1000 + 0.001);
  });

  it('fer_emotion_pytorch_logging_training.log: three restarted runs, accuracy in percent', () => {
    const runs = parseText('corpus/fer_emotion_pytorch_logging_training.log');
    assert.equal(runs.length, 3);
    assert.deepEqual(runs.map(names), [
      ['loss:train:10', 'accuracy:train:10', 'val_loss:val:10', 'val_accuracy:val:10'],
      ['loss:train:8', 'accuracy:train:8', 'val_loss:val:8', 'val_accuracy:val:8'],
      ['loss:train:11', 'accuracy:train:11', 'val_loss:val:11', 'val_accuracy:val:11'],
    ]);
    assert.deepEqual(ends(series(runs[0], 'val_accuracy')), [[1, 17.37, 11], [10, 52.88, 98]]);
    assert.deepEqual(ends(series(runs[1], 'loss')), [[1, 1.9471, 114], [8, 1.5027, 182]]);
    assert.deepEqual(ends(series(runs[2], 'val_loss')), [[1, 1.8798, 198], [11, 1.2103, 295]]);
    assert.deepEqual(runs[2].notes, ['`accuracy`, `val_accuracy` are printed in percent (0–100)']);
  });

  it('mmdet2 text log in markdown: iterations as fractional epochs, Epoch(val) lines as val, ETA/time/memory dropped', () => {
    const runs = parseText('corpus/mmdet2_maskrcnn_sockets_loss_falls_map_near_zero_mm.md');
    assert.equal(runs.length, 1);
    const run = runs[0];
    const train = ['lr', 'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'accuracy', 'loss_bbox', 'loss_mask', 'loss'];
    const val = ['bbox_map', 'bbox_map_50', 'bbox_map_75', 'bbox_map_s', 'bbox_map_m', 'bbox_map_l', 'segm_map', 'segm_map_50', 'segm_map_75', 'segm_map_s', 'segm_map_m', 'segm_map_l'];
    assert.deepEqual(names(run), [...train.map((n) => `${n}:train:216`), ...val.map((n) => `val_${n}:val:12`)]);
    // `Epoch [1][50/930]` is 50/930 of the way through the first epoch.
    assert.deepEqual(ends(series(run, 'loss')), [[0.0538, 1.1088, 466], [11.9677, 0.2904, 1367]]);
    assert.equal(series(run, 'loss').epoch[0], 50 / 930);
    assert.deepEqual(ends(series(run, 'lr')), [[0.0538, 0.001978, 466], [11.9677, 0.0002, 1367]]);
    assert.deepEqual(ends(series(run, 'val_bbox_map')), [[1, 0.011, 536], [12, 0.029, 1419]]);
    assert.deepEqual(ends(series(run, 'val_segm_map_s')), [[1, 0.05, 536], [12, 0.237, 1419]]);
  });

  it('pytorch/examples word_language_model table: batches as fractional epochs, ms/batch dropped, valid and test', () => {
    const runs = parseText('corpus/pytorch_wordlm_lstm_healthy.md');
    assert.equal(runs.length, 1);
    const run = runs[0];
    assert.deepEqual(names(run), ['lr:train:168', 'loss:train:168', 'ppl:train:168', 'val_loss:val:12', 'val_ppl:val:12', 'test_loss:test:1', 'test_ppl:test:1']);
    assert.equal(series(run, 'loss').epoch[0], 200 / 2983);
    assert.deepEqual(ends(series(run, 'loss')), [[0.067, 7.64, 2], [11.9387, 4.19, 202]]);
    assert.deepEqual(ends(series(run, 'val_ppl')), [[1, 252.86, 17], [12, 123.27, 204]]);
    assert.deepEqual(ends(series(run, 'test_loss')), [[12, 4.74, 207], [12, 4.74, 207]]);
    assert.deepEqual([series(run, 'lr').value[0], series(run, 'lr').value[167]], [20, 5]);
  });

  it('tqdm bars with a postfix plus epoch summaries: two segments, the summary replaces the bar at the same epoch', () => {
    const runs = parseText('corpus/tqdm_deeplense_linear_probe_LP.md');
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map(names), [
      ['loss:train:5', 'accuracy:train:5', 'val_loss:val:5', 'val_accuracy:val:5'],
      ['loss:train:27', 'accuracy:train:25', 'val_loss:val:25', 'val_accuracy:val:25'],
    ]);
    assert.deepEqual(Array.from(series(runs[0], 'loss').epoch), [1, 2, 3, 30, 32]);
    // Epoch 1's bar says `loss=1.14`; the summary line below it says 1.1430 and wins.
    assert.deepEqual(Array.from(series(runs[0], 'loss').value), [1.143, 1.1265, 1.1208, 1.0793, 1.076]);
    // Epoch 7 has a bar but no summary: its postfix is the point.
    const loss = series(runs[1], 'loss');
    assert.deepEqual(Array.from(loss.epoch), [1, 2, 3, 4, 5, 6, 7, 10, 11, 14, 15, 16, 20, 21, 33, 34, 38, 39, 40, 41, 42, 43, 44, 45, 46, 49, 50]);
    assert.equal(loss.value[6], 1.08);
    assert.deepEqual(ends(series(runs[1], 'val_accuracy')), [[1, 46.27, 49], [50, 47.56, 134]]);
    assert.equal(runs[1].totalEpochs, 50);
  });

  it('a log with per-fold summaries only gives no run: no training curve, never a fake one', () => {
    const result = parseLog(readFileSync(join(ROOT, 'test', 'fixtures', 'corpus', 'epilepsy_nohup_summary_only_no_series_Original_CNN.log')), 'Original_CNN.log');
    assert.equal(result.ok, false);
    assert.ok(!result.ok && /no training metrics/.test(result.reason));
    const parser = textMetrics.create('x');
    parser.feed(read('corpus/epilepsy_nohup_summary_only_no_series_Original_CNN.log'));
    parser.finish();
    assert.deepEqual(parser.runs(), []);
  });

  it('leaves structured logs to their own formats', () => {
    for (const [file, format] of [
      ['corpus/detectron2_medwaste_metrics.json', 'jsonl'],
      ['corpus/keras_csvlogger_lstm_attention_nmt_lrdecay_training_log.csv', 'csv'],
      ['corpus/lightning_lstm_mnist_v17_healthy_metrics.csv', 'csv'],
      ['logs/keras_verbose2_crlf_restart.log', 'keras-progress'],
    ]) {
      const result = parseLog(readFileSync(join(ROOT, 'test', 'fixtures', file)), file);
      assert.equal(result.ok && result.format, format, file);
    }
  });
});

describe('text metrics: shapes the corpus lacks', () => {
  it('tqdm bars with a postfix and no description: one epoch per bar, `\\r` updates keep the final state', () => {
    const [run, ...rest] = parseText('logs-text/tqdm_postfix_no_desc.log');
    assert.equal(rest.length, 0);
    assert.deepEqual(names(run), ['loss:train:4', 'accuracy:train:4']);
    assert.deepEqual(Array.from(series(run, 'loss').epoch), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(series(run, 'loss').value), [0.693, 0.512, 0.401, 0.388]);
    assert.deepEqual(Array.from(series(run, 'accuracy').value), [0.51, 0.74, 0.82, 0.84]);
    // Each bar line holds two `\r` updates: the final state is the third editor line of each.
    assert.deepEqual(Array.from(series(run, 'loss').line), [4, 7, 10, 13]);
  });

  it('Hugging Face Trainer dict prints: fractional epochs, eval_ as val, runtime and the closing summary dropped', () => {
    const [run] = parseText('logs-text/hf_trainer_prints.log');
    assert.deepEqual(names(run), ['loss:train:8', 'grad_norm:train:8', 'lr:train:8', 'val_loss:val:2', 'val_accuracy:val:2']);
    assert.deepEqual(Array.from(series(run, 'loss').epoch), [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    assert.deepEqual(Array.from(series(run, 'loss').value), [0.6931, 0.6512, 0.5822, 0.5103, 0.4711, 0.4402, 0.429, 0.4105]);
    assert.deepEqual(Array.from(series(run, 'lr').value.slice(0, 2)), [4.9e-5, 4.7e-5]);
    // The tqdm bar before a dict gives the global step.
    assert.deepEqual(Array.from(series(run, 'loss').step.slice(0, 4)), [50, 100, 150, 200]);
    assert.deepEqual(ends(series(run, 'val_accuracy')), [[1, 0.7412, 10], [2, 0.7788, 15]]);
  });

  it('Lightning bars: epochs as printed (0-based), v_num dropped, val metrics from the postfix', () => {
    const [run] = parseText('logs-text/lightning_progress_bar.log');
    assert.deepEqual(names(run), ['loss:train:3', 'val_loss:val:3', 'val_accuracy:val:3']);
    assert.deepEqual(Array.from(series(run, 'loss').epoch), [0, 1, 2]);
    assert.deepEqual(Array.from(series(run, 'val_accuracy').value), [0.51, 0.702, 0.761]);
  });

  it('rank prefixes, ANSI colours and CRLF: steps within epochs, wall time, scientific notation, nan and inf', () => {
    const [run, ...rest] = parseText('logs-text/rank_ansi_crlf.log');
    assert.equal(rest.length, 0);
    assert.deepEqual(names(run), ['loss:train:9', 'lr:train:9']);
    const loss = series(run, 'loss');
    assert.deepEqual(Array.from(loss.epoch, (e) => Number(e.toFixed(4))), [0.3333, 0.6667, 1, 1.3333, 1.6667, 2, 2.3333, 2.6667, 3]);
    assert.deepEqual(Array.from(loss.value), [2.3012, 1.8811, 1.5127, 1.2944, 1.1708, NaN, Infinity, -Infinity, NaN]);
    assert.deepEqual(Array.from(series(run, 'lr').value), [0.001, 0.001, 0.001, 0.0005, 0.0005, 0.0005, 0.00025, 0.00025, 0.00025]);
    assert.deepEqual([loss.line[0], loss.line[8]], [2, 10]);
    assert.equal(loss.wallTime[1], Date.UTC(2024, 2, 1, 10, 1, 0) / 1000);
    assert.equal(run.totalEpochs, 3);
  });

  it('`name=value` records under `Epoch N` headers and `validation:` lines; a config line is not a curve', () => {
    const [run] = parseText('logs-text/kv_pairs_validation_line.log');
    assert.deepEqual(names(run), ['loss:train:4', 'accuracy:train:4', 'val_loss:val:4', 'val_accuracy:val:4']);
    assert.deepEqual(Array.from(series(run, 'val_loss').value), [0.854, 0.69, 0.642, 0.631]);
    assert.deepEqual(Array.from(series(run, 'val_accuracy').epoch), [1, 2, 3, 4]);
    assert.deepEqual(run.notes, ['`accuracy`, `val_accuracy` are printed in percent (0–100)']);
  });

  it('`epoch N | name value` tables: a duration is not a metric', () => {
    const [run] = parseText('logs-text/pipe_table.log');
    assert.deepEqual(names(run), ['loss:train:4', 'accuracy:train:4']);
    assert.deepEqual(Array.from(series(run, 'accuracy').value), [0.71, 0.83, 0.9, 0.93]);
  });

  it('pytorch/examples MNIST: sample counters as fractions of the epoch, `Test set:` as test, counts as ratios', () => {
    const [run] = parseText('logs-text/pytorch_mnist_example.log');
    assert.deepEqual(names(run), ['loss:train:9', 'test_loss:test:3', 'test_accuracy:test:3']);
    assert.deepEqual(Array.from(series(run, 'loss').epoch.slice(0, 3), (e) => Number(e.toFixed(4))), [0, 0.4267, 0.8533]);
    assert.deepEqual(Array.from(series(run, 'test_accuracy').value), [0.9686, 0.9801, 0.9846]);
    assert.deepEqual(Array.from(series(run, 'test_loss').epoch), [1, 2, 3]);
  });

  it('refuses prose and too-short logs', () => {
    assert.equal(parseLog('Early stopping triggered at epoch 54\naccuracy: 0.97\nf1: 0.91\n', 'a.log').ok, false);
    assert.equal(parseLog('Epoch 1/3, loss: 0.5\nEpoch 2/3, loss: 0.4\n', 'b.log').ok, false);
    assert.equal(parseLog('Epoch 1/3, loss: 0.5\nEpoch 2/3, loss: 0.4\nEpoch 3/3, loss: 0.3\n', 'c.log').ok, true);
  });
});

function metricsOf(line: string): string[] {
  readPrefix(line, 0, line.length);
  const t = analyze(line, prefix.start, line.length);
  return t.names.filter((n): n is string => n !== undefined);
}

describe('text metrics: what is and is not a metric', () => {
  const table: [string, string[]][] = [
    ['Epoch [3/10], Step [100/600], Loss: 0.2345', ['loss']],
    ['epoch 3 | loss 0.21 | acc 0.93', ['loss', 'accuracy']],
    ['train_loss=0.3 val_loss=0.4', ['loss', 'val_loss']],
    ['Epoch 2: 100%|██████████| 98/98 [00:12<00:00,  7.90it/s, v_num=0, train_loss=0.693, acc=0.51]', ['loss', 'accuracy']],
    ['2021-12-21 21:51:30,877 - mmdet - INFO - Epoch [1][50/930]\tlr: 1.978e-03, eta: 0:56:09, time: 0.303, data_time: 0.051, memory: 3050, loss: 1.1088', ['lr', 'loss']],
    ['| epoch   1 |   200/ 2983 batches | lr 20.00 | ms/batch 11.61 | loss  9.09 | ppl  8829.77', ['lr', 'loss', 'ppl']],
    ["{'eval_loss': 0.41, 'eval_runtime': 12.3, 'eval_samples_per_second': 81.2, 'epoch': 1.0}", ['val_loss']],
    ["{'train_runtime': 301.5, 'train_loss': 0.5231, 'epoch': 2.0}", []],
    ["Config: {'batch_size': 64, 'lr': 0.01}, Epoch 1/30, Train Loss: 1.5, Test Acc: 57.66%", ['loss', 'test_accuracy']],
    ['Namespace(lr=0.1, batch_size=20, dropout=0.2)', []],
    ['Saving model at Epoch 7 with Validation Accuracy: 46.43%', []],
    ['Early stopping triggered at epoch 54', []],
    ['| end of epoch   1 | time: 36.93s | valid loss  5.53 | valid ppl   252.86', ['val_loss', 'val_ppl']],
    ['bbox_mAP_copypaste: 0.011 0.017 0.013, segm_mAP: 0.0110', ['segm_map']],
    ['[rank0]: step 1500 | loss nan | grad_norm inf', ['loss', 'grad_norm']],
    ['Test set: Average loss: 0.0479, Accuracy: 9846/10000 (98%)', ['test_loss', 'test_accuracy']],
    // A colon after the counter closes it: the first metric after it is a metric too.
    ['Epoch 1: loss=0.5512, val_loss=0.6021', ['loss', 'val_loss']],
    ['epoch 12: loss 0.5590', ['loss']],
    ['Epoch 3/10: train_loss 0.41 val_acc 0.88', ['loss', 'val_accuracy']],
    ['Step 1500: loss=0.2, lr=3e-4', ['loss', 'lr']],
    ['Epoch 7: saving model to ckpt/epoch_7.pt', []],
  ];
  for (const [line, expected] of table) {
    it(line, () => assert.deepEqual(metricsOf(line), expected));
  }

  it('reads numbers exactly as Number() does', () => {
    const formatted = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }).map((x) => String(x)),
      fc.tuple(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 12 })).map(([x, d]) => x.toFixed(d)),
      fc.tuple(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 12 })).map(([x, d]) => x.toExponential(d)),
    );
    const template = analyze('loss: 0.5,', 0, 10);
    const values = new Float64Array(4);
    fc.assert(
      fc.property(formatted, (token) => {
        const text = `loss: ${token},`;
        const end = scanNumber(text, 6, text.length);
        assert.equal(end, 6 + token.length, token);
        assert.ok(Object.is(scanned[0], Number(token)), `${token}: ${scanned[0]}`);
        // The template matcher reads plain decimals inline: the same value.
        assert.ok(matchTemplate(template, text, 0, text.length, values), token);
        assert.ok(Object.is(values[0], Number(token)), `${token}: ${values[0]}`);
      }),
      { numRuns: 3000 },
    );
    for (const [token, value] of [['nan', NaN], ['NaN', NaN], ['inf', Infinity], ['-inf', -Infinity], ['Infinity', Infinity], ['1.0e-03', 0.001]] as const) {
      assert.ok(Object.is((scanNumber(` ${token} `, 1, token.length + 2), scanned[0]), value), token);
    }
    assert.equal(scanNumber('rank0', 4, 5), -1);
  });
});

const FIXTURES = TEXT_LOG_FIXTURES;

function replacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as Float64Array, (v) => (Number.isFinite(v) ? v : String(v)));
  return value;
}

describe('text metrics: incremental reading', () => {
  it('gives exactly the whole-file result for any chunking of the input', () => {
    const text = ['corpus/tqdm_deeplense_linear_probe_LP.md', 'logs-text/rank_ansi_crlf.log', 'logs-text/tqdm_postfix_no_desc.log', 'corpus/fer_emotion_pytorch_logging_training.log']
      .map(read)
      .join('');
    const whole = textMetrics.create('x');
    whole.feed(text);
    whole.finish();
    const expected = JSON.stringify(whole.runs(), replacer);
    assert.ok(whole.runs().length >= 3);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 30 }), (cuts) => {
        const parser = textMetrics.create('x');
        let at = 0;
        for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
          parser.feed(text.slice(at, cut));
          // Reading the runs mid-stream must not disturb what follows.
          if (cut % 3 === 0) parser.runs();
          at = cut;
        }
        parser.feed(text.slice(at));
        parser.finish();
        assert.equal(JSON.stringify(parser.runs(), replacer), expected);
      }),
      { numRuns: 150 },
    );
  });

  it('a line matched by a cached template is read exactly as a fresh analysis reads it', () => {
    const lines = FIXTURES.flatMap((f) => read(f).split(/\r?\n|\r/));
    const templates = new Map<string, Template>();
    const at = (line: string) => {
      readPrefix(line, 0, line.length);
      return prefix.start;
    };
    for (const line of lines) {
      const t = analyze(line, at(line), line.length);
      if (t.useful) templates.set(JSON.stringify([t.literals, t.spaceBefore, t.spaceAfter]), t);
    }
    const values = new Float64Array(256);
    let matched = 0;
    for (const line of lines) {
      const start = at(line);
      for (const t of templates.values()) {
        if (!matchTemplate(t, line, start, line.length, values)) continue;
        matched++;
        const fresh = analyze(line, start, line.length);
        const view = (x: Template) => [Array.from(x.roles), x.names, x.percent, x.epochKind, x.progress, x.inheritsEpoch];
        assert.deepEqual(view(t), view(fresh), line);
      }
    }
    assert.ok(matched > 600, `${matched} matches`);
  });
});
