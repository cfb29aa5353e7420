import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { jsonLines } from '../../src/engine/logs/jsonl';
import { isNotMetric, parsePythonJson } from '../../src/engine/logs/records';
import { fixture } from './fixtures';
import { assertChunkingInvariant, parseAs, seriesOf, valuesOf } from './logs-structured-helpers';

const detectron2 = fixture('corpus/detectron2_medwaste_metrics.json');

/** Nested keys, Python's NaN, a wall-clock timestamp, a malformed line, a blank line, a step going back. */
const EDGES = [
  '{"step": 10, "timestamp": 1731030770.5, "train": {"loss": 0.9, "acc": 0.4}, "eval": {"loss": 1.1}, "tags": ["a"], "note": "x"}',
  '{"step": 20, "timestamp": 1731030790.5, "train": {"loss": NaN, "acc": 0.5}, "grad_norm": Infinity}',
  '{"step": 30, "train": {"loss": 0.7',
  '',
  '[1, 2]',
  '{"step": 5, "train": {"loss": 0.95}, "learning_rate": 1e-4}',
].join('\n') + '\n';

describe('JSON Lines', () => {
  it('reads detectron2 metrics.json: iteration is the step, timing keys are not metrics', () => {
    const { runs, notes } = parseAs(detectron2, 'metrics.json', 'jsonl');
    assert.deepEqual(notes, []);
    assert.equal(runs.length, 1);
    const [run] = runs;
    assert.deepEqual(run.series.map((s) => s.name), [
      'fast_rcnn/cls_accuracy', 'fast_rcnn/false_negative', 'fast_rcnn/fg_cls_accuracy', 'loss_box_reg', 'loss_cls',
      'loss_rpn_cls', 'loss_rpn_loc', 'lr', 'roi_head/num_bg_samples', 'roi_head/num_fg_samples', 'rpn/num_neg_anchors',
      'rpn/num_pos_anchors', 'total_loss',
    ]);
    assert.ok(run.series.every((s) => s.length === 200 && s.split === 'train'));
    const total = seriesOf(run, 'total_loss');
    assert.deepEqual([total.step[0], total.line[0], total.value[0]], [19, 1, 2.725107299629599]);
    assert.deepEqual([total.step[199], total.line[199], total.value[199]], [3999, 200, 1.0374564621597528]);
    assert.ok(Number.isNaN(total.epoch[0]));
    assert.equal(valuesOf(run, 'lr')[0], 1.9310000000000002e-6);
  });

  it('is sniffed by its content whatever the file is called', () => {
    assert.equal(parseAs(detectron2, 'renamed.log', 'jsonl').runs[0].series.length, 13);
    assert.equal(jsonLines.sniff('{"name": "a", "size": 3}\n', 'x.jsonl', new Uint8Array()), false);
    assert.equal(jsonLines.sniff('{"step": 1, "time": 0.2}\n', 'x.jsonl', new Uint8Array()), false);
    assert.equal(jsonLines.sniff('{\n  "log_history": []\n}\n', 'x.json', new Uint8Array()), false);
  });

  it('flattens nested keys, reads NaN and Infinity, wall time, and counts malformed lines', () => {
    const { runs, notes } = parseAs(EDGES, 'metrics.jsonl', 'jsonl');
    assert.deepEqual(notes, ['skipped 2 malformed JSON lines']);
    assert.equal(runs.length, 2);
    const [first, second] = runs;
    assert.deepEqual(first.series.map((s) => [s.name, s.split]), [['loss', 'train'], ['accuracy', 'train'], ['val_loss', 'val'], ['grad_norm', 'train']]);
    const loss = seriesOf(first, 'loss');
    assert.equal(loss.value[0], 0.9);
    assert.ok(Number.isNaN(loss.value[1]));
    assert.deepEqual(Array.from(loss.step), [10, 20]);
    assert.deepEqual(Array.from(loss.wallTime), [1731030770.5, 1731030790.5]);
    assert.deepEqual(valuesOf(first, 'grad_norm'), [Infinity]);
    // Step 5 after step 20: a second run appended to the file, on line 6.
    assert.deepEqual([second.segment, valuesOf(second, 'loss'), Array.from(seriesOf(second, 'loss').line), valuesOf(second, 'lr')], [1, [0.95], [6], [1e-4]]);
  });

  it('waits for the newline of a half-written last line', () => {
    const parser = jsonLines.create('metrics.json');
    parser.feed('{"iteration": 1, "loss": 0.5}\n{"iteration": 2, "lo');
    assert.deepEqual(valuesOf(parser.runs()[0], 'loss'), [0.5]);
    assert.deepEqual(parser.notes(), []);
    parser.feed('ss": 0.4}\n');
    assert.deepEqual(valuesOf(parser.runs()[0], 'loss'), [0.5, 0.4]);
  });

  it('reads JSON as Python writes it, and only that', () => {
    assert.deepEqual(parsePythonJson('{"a": NaN, "b": -Infinity, "c": "NaN"}'), { a: NaN, b: -Infinity, c: 'NaN' });
    assert.equal(parsePythonJson('{"a": nan}'), undefined);
    assert.equal(parsePythonJson('{"a": 1'), undefined);
    assert.equal(isNotMetric('eval_samples_per_second'), true);
    assert.equal(isNotMetric('perf/data_time'), true);
    assert.equal(isNotMetric('epoch_time_s'), false);
    assert.equal(isNotMetric('loss'), false);
  });

  it('gives exactly the whole-file result for any chunking of the input', () => {
    assertChunkingInvariant(jsonLines, EDGES + EDGES);
    assertChunkingInvariant(jsonLines, detectron2.slice(0, 12000), 60);
  });
});
