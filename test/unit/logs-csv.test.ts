import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseLog } from '../../src/engine/logs';
import { csvTable } from '../../src/engine/logs/csv';
import { kerasProgress } from '../../src/engine/logs/keras';
import { fixture } from './fixtures';
import { assertChunkingInvariant, parseAs, seriesOf, valuesOf } from './logs-structured-helpers';

const keras = fixture('corpus/keras_csvlogger_lstm_attention_nmt_lrdecay_training_log.csv');
const lightning = fixture('corpus/lightning_lstm_mnist_v17_healthy_metrics.csv');
const helmet = fixture('corpus/yolov8_helmet_150ep_healthy_results.csv');
const gallstone = fixture('corpus/yolo11seg_gallstone_results.csv');
const padded = fixture('corpus/ultralytics_padded_results.csv');
const imdb = fixture('corpus/imdb_bilstm_adamw_healthy_loss.csv');

const ULTRALYTICS_DETECT = [
  'box_loss', 'cls_loss', 'dfl_loss', 'val_precision(b)', 'val_recall(b)', 'val_map50(b)', 'val_map50-95(b)',
  'val_box_loss', 'val_cls_loss', 'val_dfl_loss', 'lr/pg0', 'lr/pg1', 'lr/pg2',
];

/** Edge cases in one small table: BOM, quoted header cells, `NA`, a short row, a blank line, a repeated header. */
const EDGES = '\uFEFFepoch,"loss",val_loss,"note, quoted"\r\n0,0.9,1.0,"a ""b"""\r\n1,0.8,NA,x\r\n2,0.7\r\n\r\n3,0.6,0.8,"multi\nline"\r\nepoch,loss,val_loss,"note, quoted"\r\n0,0.5,0.6,y\r\n';

describe('CSV tables', () => {
  it('reads a Keras CSVLogger file, reporting its 0-based epochs as the console numbers them', () => {
    const { runs, notes } = parseAs(keras, 'training_log.csv', 'csv');
    assert.deepEqual(notes, []);
    assert.equal(runs.length, 1);
    const [run] = runs;
    assert.deepEqual(run.series.map((s) => [s.name, s.split, s.length]), [
      ['accuracy', 'train', 63], ['lr', 'train', 63], ['loss', 'train', 63], ['val_accuracy', 'val', 63], ['val_loss', 'val', 63],
    ]);
    const valLoss = seriesOf(run, 'val_loss');
    // CSV epoch 0 on line 2 is Keras' `Epoch 1/63`.
    assert.deepEqual([valLoss.epoch[0], valLoss.line[0], valLoss.value[0]], [1, 2, 1.4219976663589478]);
    assert.deepEqual([valLoss.epoch[62], valLoss.line[62], valLoss.value[62]], [63, 64, 0.8031464219093323]);
    assert.ok(Number.isNaN(valLoss.step[0]));
    assert.equal(valuesOf(run, 'lr')[62], 7.812499825377017e-05);
  });

  it('gives the same epochs and values as the Keras console output of the same run', () => {
    const rows = keras.trim().split('\n').slice(1, 4).map((line) => line.split(',').map(Number));
    const console = rows.map(([, accuracy, lr, loss, valAccuracy, valLoss], i) =>
      `Epoch ${i + 1}/63\n98/98 - 12s - loss: ${loss} - accuracy: ${accuracy} - val_loss: ${valLoss} - val_accuracy: ${valAccuracy} - learning_rate: ${lr}\n`).join('');
    const text = kerasProgress.create('console.log');
    text.feed(console);
    text.finish();
    const table = csvTable.create('training_log.csv');
    table.feed(keras.split('\n').slice(0, 4).join('\n') + '\n');
    table.finish();
    for (const name of ['loss', 'val_loss', 'accuracy', 'lr']) {
      const fromText = seriesOf(text.runs()[0], name);
      const fromTable = seriesOf(table.runs()[0], name);
      assert.deepEqual(Array.from(fromTable.epoch), Array.from(fromText.epoch), name);
      assert.deepEqual(Array.from(fromTable.value), Array.from(fromText.value), name);
    }
  });

  it('reads Lightning metrics.csv: sparse train and val rows, empty cells absent, epochs as Lightning numbers them', () => {
    const { runs } = parseAs(lightning, 'metrics.csv', 'csv');
    assert.equal(runs.length, 1);
    const [run] = runs;
    assert.deepEqual(run.series.map((s) => [s.name, s.split, s.length]), [
      ['val_loss', 'val', 30], ['loss', 'train', 30], ['final f1 score', 'train', 1], ['test_loss', 'test', 1],
    ]);
    const loss = seriesOf(run, 'loss');
    assert.deepEqual([loss.epoch[0], loss.step[0], loss.line[0], loss.value[0]], [0, 749, 3, 0.49983036518096924]);
    assert.deepEqual([loss.epoch[29], loss.step[29], loss.value[29]], [29, 22499, 0.021127626299858093]);
    const val = seriesOf(run, 'val_loss');
    assert.deepEqual([val.epoch[1], val.step[1], val.line[1]], [1, 1499, 4]);
    assert.ok(run.series.every((s) => Array.from(s.value).every(Number.isFinite)), 'no NaN from empty cells');
    const test = seriesOf(run, 'test_loss');
    assert.deepEqual([test.epoch[0], test.step[0], test.line[0], test.value[0]], [30, 22500, 62, 0.023635979741811752]);
  });

  it('reads ultralytics results.csv: `time` is not a metric, `metrics/` are validation metrics', () => {
    const { runs } = parseAs(helmet, 'results.csv', 'csv');
    assert.equal(runs.length, 1);
    const [run] = runs;
    assert.deepEqual(run.series.map((s) => s.name), ULTRALYTICS_DETECT);
    assert.ok(run.series.every((s) => s.length === 150));
    assert.equal(seriesOf(run, 'val_map50-95(b)').split, 'val');
    const map = seriesOf(run, 'val_map50-95(b)');
    assert.deepEqual([map.epoch[0], map.epoch[149], map.value[149], map.line[149]], [1, 150, 0.54333, 151]);
    assert.equal(valuesOf(run, 'box_loss')[0], 1.59513);
  });

  it('reads the CRLF results.csv of a segmentation run', () => {
    const { runs } = parseAs(gallstone, 'results.csv', 'csv');
    const [run] = runs;
    assert.equal(run.series.length, 19);
    assert.deepEqual(run.series.slice(0, 2).map((s) => s.name), ['box_loss', 'seg_loss']);
    const maskMap = seriesOf(run, 'val_map50-95(m)');
    assert.deepEqual(Array.from(maskMap.line), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(Array.from(maskMap.epoch), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(maskMap.value[9], 0.6148);
    assert.deepEqual(valuesOf(run, 'lr/pg0').slice(0, 2), [0.000546249, 0.000992826]);
  });

  it('reads headers and cells padded with spaces as older ultralytics writes them', () => {
    const { runs } = parseAs(padded, 'results.csv', 'csv');
    const plain = parseAs(helmet, 'results.csv', 'csv').runs[0];
    assert.deepEqual(runs[0].series.map((s) => s.name), ULTRALYTICS_DETECT);
    for (const name of ULTRALYTICS_DETECT) {
      assert.deepEqual(valuesOf(runs[0], name), valuesOf(plain, name).slice(0, 5), name);
      assert.deepEqual(Array.from(seriesOf(runs[0], name).epoch), [1, 2, 3, 4, 5]);
    }
  });

  it('keeps a custom per-epoch CSV 1-based, and an `epoch_time_s` column is a series, never the x-axis', () => {
    const { runs } = parseAs(imdb, 'loss.csv', 'csv');
    const [run] = runs;
    assert.deepEqual(run.series.map((s) => [s.name, s.split]), [
      ['loss', 'train'], ['val_accuracy', 'val'], ['val_f1', 'val'], ['epoch_time_s', 'train'],
    ]);
    assert.deepEqual(Array.from(seriesOf(run, 'val_accuracy').epoch), [1, 2, 3, 4, 5]);
    assert.deepEqual(valuesOf(run, 'val_accuracy'), [0.6672, 0.8384, 0.8524, 0.8544, 0.8624]);
    assert.equal(valuesOf(run, 'epoch_time_s')[0], 3.099045991897583);
  });

  it('handles a BOM, quotes, CRLF, `NA`, short rows, blank lines, multi-line cells and a repeated header', () => {
    const { runs, notes } = parseAs(EDGES, 'log.csv', 'csv');
    assert.deepEqual(notes, ['skipped 1 row with the wrong number of cells']);
    assert.equal(runs.length, 2);
    assert.deepEqual(runs[0].series.map((s) => s.name), ['loss', 'val_loss']);
    assert.deepEqual(valuesOf(runs[0], 'loss'), [0.9, 0.8, 0.6]);
    assert.deepEqual(Array.from(seriesOf(runs[0], 'loss').epoch), [1, 2, 4]);
    assert.deepEqual(Array.from(seriesOf(runs[0], 'loss').line), [2, 3, 6]);
    assert.deepEqual(valuesOf(runs[0], 'val_loss'), [1.0, 0.8]);
    // The header repeated on line 8 starts a second run, on line 9.
    assert.deepEqual([runs[1].segment, valuesOf(runs[1], 'loss'), Array.from(seriesOf(runs[1], 'loss').line)], [1, [0.5], [9]]);
  });

  it('reads tab-separated files, keeps nan, and starts a new segment when the epoch goes back', () => {
    const { runs } = parseAs('epoch\tloss\tacc\n1\t0.5\t0.6\n2\tnan\t0.7\n1\t0.4\t0.8\n', 'log.tsv', 'csv');
    assert.equal(runs.length, 2);
    assert.deepEqual(runs[0].series.map((s) => s.name), ['loss', 'accuracy']);
    assert.ok(Number.isNaN(valuesOf(runs[0], 'loss')[1]));
    assert.deepEqual(valuesOf(runs[1], 'accuracy'), [0.8]);
  });

  it('takes a Unix `timestamp` column (seconds or milliseconds) for the wall time, not for a metric', () => {
    const [run] = parseAs('step,timestamp,loss\n10,1731030770.5,0.9\n20,1731030790500,0.8\n30,12.5,0.7\n', 'log.csv', 'csv').runs;
    assert.deepEqual(run.series.map((s) => s.name), ['loss']);
    const wallTime = Array.from(seriesOf(run, 'loss').wallTime);
    assert.deepEqual(wallTime.slice(0, 2), [1731030770.5, 1731030790.5]);
    assert.ok(Number.isNaN(wallTime[2]));
  });

  it('takes Lightning `x_epoch` for the metric when `x_step` is logged too, and keeps the first of two columns for one name', () => {
    const text = 'epoch,step,train_loss_step,train_loss_epoch,acc,accuracy\n0,49,0.9,,,\n0,99,0.7,0.8,0.5,0.6\n';
    const [run] = parseAs(text, 'metrics.csv', 'csv').runs;
    assert.deepEqual(run.series.map((s) => s.name), ['loss_step', 'loss', 'accuracy']);
    assert.deepEqual(valuesOf(run, 'loss'), [0.8]);
    assert.deepEqual(valuesOf(run, 'accuracy'), [0.5]);
  });

  it('reads cells as logs write numbers: padded, signed, scientific, non-finite; anything else is absent', () => {
    const [run] = parseAs('epoch,loss,acc\n1,0x10,1e-3\n2,-inf,.5\n3,-0.25, 7 \n4,nan,1 2\n', 'log.csv', 'csv').runs;
    assert.deepEqual(Array.from(seriesOf(run, 'loss').epoch), [2, 3, 4]);
    assert.deepEqual(valuesOf(run, 'loss').slice(0, 2), [-Infinity, -0.25]);
    assert.ok(Number.isNaN(valuesOf(run, 'loss')[2]));
    assert.deepEqual(valuesOf(run, 'accuracy'), [0.001, 0.5, 7]);
  });

  it('skips a row with a stray quote and reads the rows after it', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i + 2},${i / 10}`).join('\n');
    const { runs, notes } = parseAs(`epoch,loss\n1,"0.5\n${rows}\n`, 'log.csv', 'csv');
    assert.deepEqual(notes, ['skipped 1 row with an unclosed quote']);
    const loss = seriesOf(runs[0], 'loss');
    assert.equal(loss.length, 30);
    assert.deepEqual([loss.epoch[0], loss.line[0], loss.epoch[29], loss.line[29]], [2, 3, 31, 32]);
  });

  it('waits for the newline of a half-written last row', () => {
    const parser = csvTable.create('log.csv');
    parser.feed('epoch,loss\n0,0.9\n1,0.8');
    assert.deepEqual(valuesOf(parser.runs()[0], 'loss'), [0.9]);
    parser.feed('5\n');
    assert.deepEqual(valuesOf(parser.runs()[0], 'loss'), [0.9, 0.85]);
    parser.feed('2,0.7');
    parser.finish();
    assert.deepEqual(valuesOf(parser.runs()[0], 'loss'), [0.9, 0.85, 0.7]);
  });

  it('is not taken for a data table, nor for a table with no metric column', () => {
    for (const [text, name] of [
      ['id,name,price\n1,apple,0.5\n2,pear,0.7\n', 'prices.csv'],
      ['step,value\n1,0.5\n', 'data.csv'],
      ['epoch,loss\nfirst,0.5\n', 'odd.csv'],
      ['Epoch 1, loss 0.5\n', 'train.log'],
      ['epoch,loss', 'no-newline.csv'],
    ]) {
      assert.equal(csvTable.sniff(text, name, new Uint8Array()), false, name);
    }
    assert.equal(parseLog('id,name,price\n1,apple,0.5\n', 'prices.csv').ok, false);
    assert.equal(csvTable.sniff('epoch,loss\n', 'x.csv', new Uint8Array()), true);
  });

  it('gives exactly the whole-file result for any chunking of the input', () => {
    assertChunkingInvariant(csvTable, EDGES + EDGES.slice(1));
    assertChunkingInvariant(csvTable, `epoch,loss\n1,"0.5\n${Array.from({ length: 25 }, (_, i) => `${i + 2},0.${i}`).join('\n')}\n26,"x\n`);
    assertChunkingInvariant(csvTable, lightning, 60);
    assertChunkingInvariant(csvTable, gallstone, 60);
    assertChunkingInvariant(csvTable, padded + keras.slice(0, 1500), 60);
  });
});
