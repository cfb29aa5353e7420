import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MarkerData, RunData, SeriesData } from '../../src/protocol/messages';
import {
  SPLIT_COLORS,
  SPLIT_DASH,
  baseMetric,
  buildRunView,
  chooseRun,
  familyOf,
  formatValue,
  formatX,
  markerPlace,
  labelRows,
  nearestOfEachSeries,
  yRange,
  smooth,
  clampSmoothing,
  logRange,
  DEFAULT_SMOOTHING,
  DEFAULT_VIEW_OPTIONS,
  MAX_SMOOTHING,
  RUN_COLORS,
  buildOverlayView,
  overlayRuns,
  runFolder,
  chartTable,
  toCsv,
  axisOf,
  formatElapsed,
  formatAxisValue,
  timeTicks,
  markerTooltip,
  codePlace,
  highlightedKeys,
  markerLook,
  type DatasetSpec,
} from '../../webview/view-model';

function series(name: string, y: (number | null)[], x?: number[]): SeriesData {
  const split = name.startsWith('val_') ? 'val' : name.startsWith('test_') ? 'test' : 'train';
  return {
    name,
    metric: name.replace(/^(val|test)_/, ''),
    split,
    x: x ?? y.map((_, i) => i + 1),
    y,
    line: y.map((_, i) => i + 1),
  };
}

function runData(list: SeriesData[], markers: MarkerData[] = [], key = 'run-a'): RunData {
  return { key, label: `${key}.log`, xLabel: 'epoch', axes: ['epoch'], series: list, markers };
}

function marker(id: string, metric: string, x: number, xEnd = x, line: number | null = 12): MarkerData {
  return { id, severity: 'warning', metric, message: `${id} at ${x}`, x, xEnd, line };
}

const flat = (n: number, v = 1): number[] => Array.from({ length: n }, () => v);

test('metrics group into families: loss, accuracy, lr, grad_norm, then one chart per other metric', () => {
  const view = buildRunView(
    runData([
      series('hr@10', [0.1, 0.2]),
      series('val_accuracy', [0.5, 0.6]),
      series('lr', [0.1, 0.01]),
      series('loss', [2, 1]),
      series('grad_norm', [5, 4]),
      series('val_loss', [2.1, 1.2]),
      series('accuracy', [0.4, 0.7]),
      series('val_hr@10', [0.1, 0.15]),
      series('kd_loss', [0.3, 0.2]),
      series('top5_acc', [0.8, 0.9]),
      series('ndcg', [0.3, 0.4]),
    ]),
  );
  assert.deepEqual(
    view.charts.map((c) => [c.key, c.datasets.map((d) => d.label)]),
    [
      ['loss', ['loss', 'val_loss', 'kd_loss']],
      ['accuracy', ['val_accuracy', 'accuracy', 'top5_acc']],
      ['lr', ['lr']],
      ['grad_norm', ['grad_norm']],
      ['metric:hr@10', ['hr@10', 'val_hr@10']],
      ['metric:ndcg', ['ndcg']],
    ],
  );
  assert.equal(view.charts[0].title, 'Loss');
  assert.equal(view.charts[4].title, 'hr@10');
  assert.ok(view.charts.every((c) => c.xLabel === 'epoch'));
});

test('family names are matched on words, not on any substring', () => {
  assert.equal(familyOf('val_acc').family, 'accuracy');
  assert.equal(familyOf('sparse_categorical_accuracy').family, 'accuracy');
  assert.equal(familyOf('acc@1').family, 'accuracy');
  assert.equal(familyOf('accumulated_tokens').family, 'other');
  assert.equal(familyOf('lr-Adam').family, 'lr');
  assert.equal(familyOf('learning_rate').family, 'lr');
  assert.equal(familyOf('clr_weight').family, 'other');
  assert.equal(familyOf('gradient_norm').family, 'grad_norm');
  assert.equal(familyOf('val_ce_loss').key, 'loss');
  assert.equal(baseMetric('val_hr@10'), 'hr@10');
  assert.equal(baseMetric('val_'), 'val_');
});

test('splits keep one colour and one dash everywhere: train solid, val dashed', () => {
  const view = buildRunView(
    runData([series('loss', [1, 2]), series('val_loss', [1, 2]), series('test_loss', [1, 2]), series('accuracy', [1, 2]), series('val_accuracy', [1, 2])]),
  );
  const style = (d: DatasetSpec) => [d.split, d.color, d.dash];
  for (const chart of view.charts) {
    for (const d of chart.datasets) assert.deepEqual(style(d), [d.split, SPLIT_COLORS[d.split], SPLIT_DASH[d.split]]);
  }
  assert.deepEqual(SPLIT_DASH.train, []);
  assert.ok(SPLIT_DASH.val.length > 0);
  assert.notEqual(SPLIT_COLORS.train, SPLIT_COLORS.val);
  assert.match(SPLIT_COLORS.train, /^--vscode-charts-/);
});

test('a second metric on a chart gets its own colour, keeping its split’s dash', () => {
  const [chart] = buildRunView(runData([series('loss', [1]), series('val_loss', [1]), series('kd_loss', [1]), series('val_kd_loss', [1])])).charts;
  const [loss, valLoss, kd, valKd] = chart.datasets;
  assert.equal(loss.color, SPLIT_COLORS.train);
  assert.equal(valLoss.color, SPLIT_COLORS.val);
  assert.equal(kd.color, valKd.color);
  assert.ok(![SPLIT_COLORS.train, SPLIT_COLORS.val].includes(kd.color));
  assert.deepEqual([kd.dash, valKd.dash], [SPLIT_DASH.train, SPLIT_DASH.val]);
});

test('points are {x, y} with NaN where the log had no finite value', () => {
  const [chart] = buildRunView(runData([series('loss', [1, null, 3], [10, 20, 30])])).charts;
  assert.deepEqual(chart.datasets[0].points, [
    { x: 10, y: 1 },
    { x: 20, y: NaN },
    { x: 30, y: 3 },
  ]);
  assert.equal(chart.datasets[0].nonFinite, 1);
  assert.deepEqual(chart.datasets[0].lines, [1, 2, 3]);
});

test('the y-range ignores a spike in a long series', () => {
  const y = Array.from({ length: 500 }, (_, i) => 1 + 0.1 * Math.sin(i / 10));
  y[250] = 1e6;
  y[251] = null as unknown as number;
  const [chart] = buildRunView(runData([series('loss', y)])).charts;
  assert.ok(chart.y);
  assert.ok(chart.y.max < 2, `max ${chart.y.max}`);
  assert.ok(chart.y.min > 0.5 && chart.y.min < 0.9, `min ${chart.y.min}`);
});

test('the y-range keeps a real collapse in view', () => {
  // seed 000: accuracy climbs to 0.99, falls to 0.51 at epoch 27, recovers to 0.73 by epoch 50.
  const acc = Array.from({ length: 50 }, (_, i) => {
    const e = i + 1;
    if (e <= 25) return 0.3 + (0.69 * e) / 25;
    if (e === 26) return 0.97;
    if (e === 27) return 0.51;
    return 0.51 + ((0.73 - 0.51) * (e - 27)) / 23;
  });
  const [chart] = buildRunView(runData([series('accuracy', acc)])).charts;
  assert.ok(chart.y && chart.y.min < 0.3 && chart.y.max > 0.99, JSON.stringify(chart.y));
});

test('a short series keeps everything, spike included', () => {
  const [chart] = buildRunView(runData([series('loss', [1, 1.1, 0.9, 1000, 1])])).charts;
  assert.ok(chart.y && chart.y.max >= 1000 && chart.y.min <= 0.9, JSON.stringify(chart.y));
});

test('the y-range always shows the latest value, and pads a flat series', () => {
  const y = [...flat(200, 1), 40];
  const [diverging] = buildRunView(runData([series('loss', y)])).charts;
  assert.ok(diverging.y && diverging.y.max >= 40);
  const flatRange = yRange(buildRunView(runData([series('loss', flat(50, 0.5))])).charts[0].datasets);
  assert.ok(flatRange && flatRange.min < 0.5 && flatRange.max > 0.5);
  assert.equal(yRange(buildRunView(runData([series('loss', [null, null])])).charts[0].datasets), null);
  const full = yRange(buildRunView(runData([series('loss', [...flat(100), 1e6, 1])])).charts[0].datasets, { ...DEFAULT_VIEW_OPTIONS, yRange: 'full' });
  assert.ok(full && full.max >= 1e6);
});

test('markers land on the chart of their metric, with a box when they span a window', () => {
  const view = buildRunView(
    runData(
      [series('loss', [1, 2]), series('val_loss', [1, 2]), series('accuracy', [1, 2]), series('val_accuracy', [1, 2]), series('hr@10', [1, 2])],
      [
        marker('collapse', 'accuracy', 25, 27),
        marker('overfitting', 'val_loss', 30),
        marker('plateau', 'val_hr@10', 12),
        marker('stalled', 'tokens_per_sec', 40),
      ],
    ),
  );
  const on = (key: string) => view.charts.find((c) => c.key === key)?.markers.map((m) => [m.id, m.x, m.xEnd, m.box]);
  assert.deepEqual(on('accuracy'), [['collapse', 25, 27, true]]);
  assert.deepEqual(on('loss'), [['overfitting', 30, 30, false]]);
  assert.deepEqual(on('metric:hr@10'), [['plateau', 12, 12, false]]);
  assert.deepEqual(
    view.markers.map((m) => m.id),
    ['collapse', 'overfitting', 'plateau', 'stalled'],
    'every marker is listed, even without a chart',
  );
  const collapse = view.charts.find((c) => c.key === 'accuracy')?.markers[0];
  assert.equal(collapse?.color, '--vscode-charts-yellow');
  assert.equal(collapse && markerPlace(collapse, 'epoch'), 'epoch 25–27');
  assert.equal(markerPlace(view.markers[1], 'epoch'), 'epoch 30');
});

test('charts with markers leave room at the top for their labels', () => {
  const plain = buildRunView(runData([series('loss', [1, 2])])).charts[0].y;
  const marked = buildRunView(runData([series('loss', [1, 2])], [marker('divergence', 'loss', 2)])).charts[0].y;
  assert.ok(plain && marked && marked.min === plain.min && marked.max > plain.max);
});

test('long gap-free charts may be decimated; charts with gaps never are', () => {
  const long = Array.from({ length: 3000 }, (_, i) => 1 / (i + 1));
  const withGap = [...long];
  withGap[10] = null as unknown as number;
  const view = buildRunView(runData([series('loss', long), series('accuracy', withGap), series('lr', [0.1, 0.1])]));
  assert.deepEqual(
    view.charts.map((c) => [c.key, c.decimate]),
    [
      ['loss', true],
      ['accuracy', false],
      ['lr', false],
    ],
  );
  assert.equal(view.charts[0].datasets[0].pointRadius, 0);
  assert.ok(view.charts[2].datasets[0].pointRadius > 0);
});

test('run choice: the host’s new selection, else the user’s, else the first run', () => {
  const runs = [runData([], [], 'a'), runData([], [], 'b'), runData([], [], 'c')];
  assert.equal(chooseRun(runs, null, { selectedKey: null, hostSelected: null })?.key, 'a');
  assert.equal(chooseRun(runs, 'b', { selectedKey: null, hostSelected: null })?.key, 'b');
  assert.equal(chooseRun(runs, 'b', { selectedKey: 'c', hostSelected: 'b' })?.key, 'c', 'the user’s choice survives updates');
  assert.equal(chooseRun(runs, 'a', { selectedKey: 'c', hostSelected: 'b' })?.key, 'a', 'the host moved the selection');
  assert.equal(chooseRun(runs, 'b', { selectedKey: 'gone', hostSelected: 'b' })?.key, 'b');
  assert.equal(chooseRun([], 'b', { selectedKey: null, hostSelected: null }), undefined);
});

test('values are formatted short', () => {
  assert.equal(formatValue(0.123456), '0.1235');
  assert.equal(formatValue(27), '27');
  assert.equal(formatValue(0.00001234), '1.23e-5');
  assert.equal(formatValue(0.0009), '9e-4');
  assert.equal(formatValue(NaN), 'NaN');
  assert.equal(formatX(200_001), '200001');
  assert.equal(formatX(26.5), '26.5');
  assert.equal(formatX(1 / 3), '0.33');
});

test('an empty run has no charts', () => {
  const view = buildRunView(runData([series('loss', [])]));
  assert.deepEqual(view.charts, []);
});

// ---------------------------------------------------------------------------------------------
// Smoothing and log scale

/** TensorBoard's smoothing, written out step by step for the expected values. */
function tensorboard(values: number[], w: number): number[] {
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}

test('smooth: debiased EMA, first value kept, exact values for weight 0.5', () => {
  assert.deepEqual(smooth([1, 3, 3], 0.5), [1, 7 / 3, 19 / 7]);
  // Debiasing: a constant curve stays constant from the first point.
  assert.deepEqual(smooth([4, 4, 4, 4], 0.9).map((v) => Number(v.toFixed(12))), [4, 4, 4, 4]);
  assert.deepEqual(smooth([5, 1, 2], 0), [5, 1, 2]);
  assert.deepEqual(smooth([], 0.6), []);
});

test('smooth: non-finite values pass through and do not poison the average', () => {
  const out = smooth([1, NaN, 3, Infinity, 3], 0.5);
  assert.equal(out[0], 1);
  assert.ok(Number.isNaN(out[1]));
  assert.equal(out[2], 7 / 3); // as if the NaN were not there
  assert.equal(out[3], Infinity);
  assert.equal(out[4], 19 / 7);
});

test('smooth: matches the TensorBoard formula at the default and the maximum weight', () => {
  const values = [2.3, 1.9, 1.7, 1.65, 1.2, 1.4, 0.9, 0.95, 0.7, 0.8];
  for (const w of [DEFAULT_SMOOTHING, MAX_SMOOTHING]) assert.deepEqual(smooth(values, w), tensorboard(values, w));
  // Weights beyond the slider's range are clamped, never 1 (which would divide by zero).
  assert.deepEqual(smooth(values, 1), tensorboard(values, MAX_SMOOTHING));
  assert.deepEqual(smooth(values, -1), values);
});

test('clampSmoothing keeps the slider range and defaults what it cannot read', () => {
  assert.equal(clampSmoothing(0.3), 0.3);
  assert.equal(clampSmoothing(2), MAX_SMOOTHING);
  assert.equal(clampSmoothing(-0.5), 0);
  assert.equal(clampSmoothing('0.3'), DEFAULT_SMOOTHING);
  assert.equal(clampSmoothing(NaN), DEFAULT_SMOOTHING);
});

test('smoothing draws the smoothed curve and keeps the logged one as raw; off means no raw', () => {
  const run = runData([series('loss', [1, 3, null, 3])]);
  const on = buildRunView(run, { ...DEFAULT_VIEW_OPTIONS, smoothing: 0.5 }).charts[0].datasets[0];
  assert.deepEqual(on.points.map((p) => p.y), [1, 7 / 3, NaN, 19 / 7]);
  assert.deepEqual(on.points.map((p) => p.raw), [1, 3, NaN, 3]);
  assert.deepEqual(on.raw?.map((p) => p.y), [1, 3, NaN, 3]);
  const off = buildRunView(run, { ...DEFAULT_VIEW_OPTIONS, smoothing: 0 }).charts[0].datasets[0];
  assert.equal(off.raw, null);
  assert.deepEqual(off.points.map((p) => p.y), [1, 3, NaN, 3]);
});

test('the y-range covers the raw curve behind a smoothed one', () => {
  const run = runData([series('loss', [1, 9, 1, 1])]);
  const view = buildRunView(run, { yRange: 'full', smoothing: 0.9, logScale: false });
  assert.deepEqual(view.charts[0].y, { min: 1 - 0.4, max: 9 + 0.4 });
});

test('log scale: values ≤ 0 become gaps and are counted; the range spans the positive values', () => {
  const run = runData([series('loss', [0, 10, -1, 1, 100])]);
  const chart = buildRunView(run, { yRange: 'robust', smoothing: 0, logScale: true }).charts[0];
  assert.equal(chart.logScale, true);
  const d = chart.datasets[0];
  assert.deepEqual(d.points.map((p) => p.y), [NaN, 10, NaN, 1, 100]);
  assert.equal(d.nonPositive, 2);
  const pad = Math.pow(100, 0.05);
  assert.deepEqual(chart.y, { min: 1 / pad, max: 100 * pad });
  assert.deepEqual(logRange(chart.datasets), chart.y);
});

test('log scale: a chart without a positive value stays linear', () => {
  const run = runData([series('loss', [0, -1, -2])]);
  const chart = buildRunView(run, { yRange: 'full', smoothing: 0, logScale: true }).charts[0];
  assert.equal(chart.logScale, false);
  assert.equal(chart.datasets[0].nonPositive, 0);
  assert.deepEqual(chart.datasets[0].points.map((p) => p.y), [0, -1, -2]);
});

test('log scale with smoothing: the gaps pass through the average', () => {
  const run = runData([series('loss', [1, 0, 3])]);
  const d = buildRunView(run, { yRange: 'full', smoothing: 0.5, logScale: true }).charts[0].datasets[0];
  assert.deepEqual(d.points.map((p) => p.y), [1, NaN, 7 / 3]);
});

// ---------------------------------------------------------------------------------------------
// Several runs

test('runFolder strips the segment and the file name', () => {
  assert.equal(runFolder('file:///ws/logs/a.log#0'), 'file:///ws/logs/');
  assert.equal(runFolder('file:///ws/logs/a.log#12'), 'file:///ws/logs/');
  assert.equal(runFolder('file:///ws/a.log'), 'file:///ws/');
  assert.equal(runFolder('run-a'), '');
});

test('overlayRuns: the selected run first, then the others of its folder with the same x axis', () => {
  const a = runData([series('loss', [1])], [], 'file:///ws/logs/a.log#0');
  const a1 = runData([series('loss', [1])], [], 'file:///ws/logs/a.log#1');
  const b = runData([series('loss', [1])], [], 'file:///ws/logs/b.log#0');
  const c = runData([series('loss', [1])], [], 'file:///ws/other/c.log#0');
  const steps: RunData = { ...runData([series('loss', [1])], [], 'file:///ws/logs/d.log#0'), xLabel: 'step', axes: ['step'] };
  assert.deepEqual(overlayRuns([a, a1, b, c, steps], b).map((r) => r.key), [b.key, a.key, a1.key]);
  assert.deepEqual(overlayRuns([a, c], c).map((r) => r.key), [c.key]);
});

test('buildOverlayView: one chart per family, a colour per run, labels name the run, markers of the first run', () => {
  const a = runData([series('loss', [2, 1]), series('val_loss', [2.1, 1.5]), series('lr', [0.1, 0.1])], [marker('overfitting', 'val_loss', 2)], 'logs/a.log#0');
  const b = runData([series('loss', [3, 2]), series('accuracy', [0.5, 0.6])], [marker('collapse', 'loss', 1)], 'logs/b.log#0');
  const view = buildOverlayView([a, b], { ...DEFAULT_VIEW_OPTIONS, smoothing: 0 });
  assert.equal(view.key, a.key);
  assert.equal(view.label, 'logs/a.log#0.log + 1 more run');
  assert.deepEqual(
    view.charts.map((c) => [c.key, c.datasets.map((d) => [d.label, d.color, d.dash.length > 0])]),
    [
      ['loss', [['logs/a.log#0.log: loss', RUN_COLORS[0], false], ['logs/a.log#0.log: val_loss', RUN_COLORS[0], true], ['logs/b.log#0.log: loss', RUN_COLORS[1], false]]],
      ['accuracy', [['logs/b.log#0.log: accuracy', RUN_COLORS[1], false]]],
      ['lr', [['logs/a.log#0.log: lr', RUN_COLORS[0], false]]],
    ],
  );
  assert.deepEqual(view.markers.map((m) => m.id), ['overfitting']);
  assert.deepEqual(view.charts[0].markers.map((m) => m.id), ['overfitting']);
  assert.equal(new Set(view.charts[0].datasets.map((d) => d.key)).size, 3);
  // y covers both runs' losses.
  assert.deepEqual(buildOverlayView([a, b], { yRange: 'full', smoothing: 0, logScale: false }).charts[0].y, { min: 1 - 0.1, max: 3 + 0.1 + 2.2 * 0.1 });
});

test('buildOverlayView of one run draws what buildRunView draws, in run colours', () => {
  const a = runData([series('loss', [2, 1]), series('val_loss', [2.1, 1.5])]);
  const overlay = buildOverlayView([a]);
  const single = buildRunView(a);
  assert.equal(overlay.label, single.label);
  assert.deepEqual(overlay.charts[0].datasets.map((d) => d.points), single.charts[0].datasets.map((d) => d.points));
  assert.deepEqual(overlay.charts[0].datasets.map((d) => d.color), [RUN_COLORS[0], RUN_COLORS[0]]);
});

// ---------------------------------------------------------------------------------------------
// Table and CSV

test('chartTable: one row per x over all series, logged values whatever the view options', () => {
  const run = runData([series('loss', [2, -1, null], [1, 2, 3]), series('val_loss', [2.5, 1.5], [1, 3])]);
  const chart = buildRunView(run, { yRange: 'robust', smoothing: 0.9, logScale: true }).charts[0];
  const table = chartTable(chart);
  assert.deepEqual(table.columns, ['epoch', 'loss', 'val_loss']);
  assert.deepEqual(table.rows, [
    [1, 2, 2.5],
    [2, -1, undefined],
    [3, NaN, 1.5],
  ]);
});

test('chartTable: unsorted x comes out sorted; a repeated x keeps the last value', () => {
  const run = runData([series('loss', [5, 4, 3, 2], [3, 1, 2, 1])]);
  assert.deepEqual(chartTable(buildRunView(run).charts[0]).rows, [
    [1, 2],
    [2, 3],
    [3, 5],
  ]);
});

test('toCsv: quotes, defuses formulas in names, empty for missing, NaN and inf for non-finite', () => {
  const csv = toCsv({
    columns: ['epoch', 'a,b', '=cmd()', 'say "hi"', '-x'],
    rows: [
      [1, 0.5, undefined, NaN, Infinity],
      [2, -0.25, 1e-9, 3, -Infinity],
    ],
    total: 2,
  });
  assert.equal(csv, 'epoch,"a,b",\'=cmd(),"say ""hi""",\'-x\n1,0.5,,NaN,inf\n2,-0.25,1e-9,3,-inf\n');
});

test('toCsv of an overlay names each run in the header', () => {
  const a = runData([series('loss', [2, 1])], [], 'logs/a.log#0');
  const b = runData([series('loss', [3])], [], 'logs/b.log#0');
  const chart = buildOverlayView([a, b]).charts[0];
  assert.equal(toCsv(chartTable(chart)), 'epoch,logs/a.log#0.log: loss,logs/b.log#0.log: loss\n1,2,3\n2,1,\n');
});

test('chartTable with a row limit keeps the first rows by x and counts them all', () => {
  const run = runData([series('loss', [5, 4, 3, 2], [4, 3, 2, 1]), series('val_loss', [9], [5])]);
  const table = chartTable(buildRunView(run).charts[0], 2);
  assert.equal(table.total, 5);
  assert.deepEqual(table.rows, [
    [1, 2, undefined],
    [2, 3, undefined],
  ]);
});

test('the smoothed points match smooth() exactly, with the logged value kept on each', () => {
  const values = [2.3, NaN, 1.7, 1.65, 1.2, 1.4, Infinity, 0.95, 0.7, 0.8];
  const d = buildRunView(runData([series('loss', values)]), { ...DEFAULT_VIEW_OPTIONS, smoothing: 0.77 }).charts[0].datasets[0];
  assert.deepEqual(d.points.map((p) => p.y), smooth(values, 0.77));
  assert.deepEqual(d.points.map((p) => p.raw), values);
});

test('the learning-rate schedule is never smoothed: its steps are exact', () => {
  const run = runData([series('lr', [0.1, 0.1, 0.01, 0.01, 0.001]), series('loss', [1, 0.8, 0.9, 0.5, 0.6])]);
  const view = buildRunView(run, { ...DEFAULT_VIEW_OPTIONS, smoothing: 0.9 });
  const lr = view.charts.find((c) => c.family === 'lr')!.datasets[0];
  assert.deepEqual(lr.points.map((p) => p.y), [0.1, 0.1, 0.01, 0.01, 0.001]);
  assert.equal(lr.raw, null);
  const loss = view.charts.find((c) => c.family === 'loss')!.datasets[0];
  assert.notEqual(loss.raw, null);
});

/** A run with epochs, steps and wall time: loss and val_loss, a collapse marker placed on every axis. */
function timedRun(key = 'file:///ws/logs/a.log#0'): RunData {
  const loss: SeriesData = { ...series('loss', [3, 2, 1]), byAxis: { step: [100, 200, 300], wall: [0, 65, 3725] } };
  const valLoss: SeriesData = { ...series('val_loss', [3.5, 2.5]), byAxis: { step: [100, 300], wall: [30, 3800] } };
  const placed: MarkerData = { ...marker('collapse', 'loss', 2, 3), byAxis: { step: { x: 200, xEnd: 300 }, wall: { x: 65, xEnd: 3725 } } };
  const stepOnly: MarkerData = { ...marker('plateau', 'loss', 3), byAxis: { step: { x: 300, xEnd: 300 } } };
  return { ...runData([loss, valLoss], [placed, stepOnly], key), axes: ['epoch', 'step', 'wall'] };
}

test('x axis: a run drawn by wall time takes every position from that axis; markers without a place there are left out', () => {
  const view = buildRunView(timedRun(), { ...DEFAULT_VIEW_OPTIONS, xAxis: 'wall' });
  assert.equal(view.xLabel, 'wall');
  assert.deepEqual(view.axes, ['epoch', 'step', 'wall']);
  assert.deepEqual(view.charts.map((c) => [c.xLabel, c.datasets.map((d) => d.points.map((p) => p.x))]), [['wall', [[0, 65, 3725], [30, 3800]]]]);
  assert.deepEqual(view.markers.map((m) => [m.id, m.x, m.xEnd, m.box]), [['collapse', 65, 3725, true]]);
  assert.equal(markerPlace(view.markers[0], view.xLabel), 'at 0:01:05–1:02:05');

  const bySteps = buildRunView(timedRun(), { ...DEFAULT_VIEW_OPTIONS, xAxis: 'step' });
  assert.deepEqual(bySteps.markers.map((m) => [m.id, m.x, m.xEnd]), [['collapse', 200, 300], ['plateau', 300, 300]]);
  assert.deepEqual(bySteps.charts[0].datasets[1].points.map((p) => [p.x, p.y]), [[100, 3.5], [300, 2.5]]);
  assert.equal(chartTable(bySteps.charts[0]).columns[0], 'step');
  assert.equal(chartTable(view.charts[0]).columns[0], 'elapsed_seconds', 'CSV exports wall time in seconds');
});

test('x axis: an axis the run does not offer falls back to its default', () => {
  const plain = runData([series('loss', [3, 2, 1])]);
  assert.equal(axisOf(plain, 'wall'), 'epoch');
  assert.equal(axisOf(plain, undefined), 'epoch');
  assert.equal(axisOf(timedRun(), 'step'), 'step');
  const view = buildRunView(plain, { ...DEFAULT_VIEW_OPTIONS, xAxis: 'wall' });
  assert.equal(view.xLabel, 'epoch');
  assert.deepEqual(view.charts[0].datasets[0].points.map((p) => p.x), [1, 2, 3]);
});

test('x axis: the overlay keeps the runs of the folder that offer the axis shown, each on that axis', () => {
  const a = timedRun('file:///ws/logs/a.log#0');
  const b = timedRun('file:///ws/logs/b.log#0');
  const noClock: RunData = { ...runData([series('loss', [1, 2])], [], 'file:///ws/logs/c.log#0'), axes: ['epoch'] };
  assert.deepEqual(overlayRuns([a, b, noClock], a, 'wall').map((r) => r.key), [a.key, b.key]);
  assert.deepEqual(overlayRuns([a, b, noClock], a, 'epoch').map((r) => r.key), [a.key, b.key, noClock.key]);
  // From a run without a clock, asking for wall time draws by epoch, with every run that has epochs.
  assert.deepEqual(overlayRuns([a, b, noClock], noClock, 'wall').map((r) => r.key), [noClock.key, a.key, b.key]);
  const view = buildOverlayView([a, b], { ...DEFAULT_VIEW_OPTIONS, xAxis: 'wall' });
  assert.equal(view.xLabel, 'wall');
  assert.deepEqual(view.charts[0].datasets.map((d) => d.points.map((p) => p.x)), [[0, 65, 3725], [30, 3800], [0, 65, 3725], [30, 3800]]);
});

test('elapsed time reads h:mm:ss, with a decimal only for a fraction of a second', () => {
  assert.deepEqual(
    [0, 7, 65, 3599, 3600, 3725, 100_000, 0.5, 59.96, -5, NaN].map(formatElapsed),
    ['0:00:00', '0:00:07', '0:01:05', '0:59:59', '1:00:00', '1:02:05', '27:46:40', '0:00:00.5', '0:01:00', '-0:00:05', 'NaN'],
  );
  assert.equal(formatAxisValue(3725, 'wall'), '1:02:05');
  assert.equal(formatAxisValue(3725, 'step'), '3725');
  assert.equal(formatAxisValue(2.5, 'epoch'), '2.5');
});

test('elapsed-time ticks fall on round seconds, minutes and hours', () => {
  assert.deepEqual(timeTicks(0, 3725), [0, 600, 1200, 1800, 2400, 3000, 3600]);
  assert.deepEqual(timeTicks(0, 40), [0, 10, 20, 30, 40]);
  assert.deepEqual(timeTicks(95, 400), [120, 180, 240, 300, 360]);
  assert.deepEqual(timeTicks(0, 10 * 86400, 6), [0, 172800, 345600, 518400, 691200, 864000]);
  assert.deepEqual(timeTicks(0, 0.3), [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
  assert.deepEqual(timeTicks(5, 5), [5]);
  assert.deepEqual(timeTicks(5, 1), []);
  assert.deepEqual(timeTicks(NaN, 1), []);
});

test('markers keep their linked script places; the tooltip lists them', () => {
  const linked: MarkerData = { ...marker('collapse', 'loss', 3), code: [{ file: '/ws/gru-run/train.py', line: 31, column: 13, message: 'possible cause (rnn-no-grad-clip): no clipping.' }] };
  const view = buildRunView(runData([series('loss', [3, 2, 1])], [linked, marker('plateau', 'loss', 2, 2, null)]));
  assert.deepEqual(view.markers[0].code, linked.code);
  assert.deepEqual(view.markers[1].code, []);
  assert.equal(markerTooltip(view.markers[0]), 'collapse at 3 (log line 12)\ntrain.py:31: possible cause (rnn-no-grad-clip): no clipping.');
  assert.equal(markerTooltip(view.markers[1]), 'plateau at 2');
  assert.equal(codePlace({ file: 'C:\\ws\\train.py', line: 4, column: 1, message: '' }), 'train.py:4');
});

test('marker keys are their index in the run, also when another axis leaves earlier markers out', () => {
  const data = timedRun();
  const reordered: RunData = { ...data, markers: [data.markers[1], data.markers[0]] }; // plateau (no wall place), collapse
  assert.deepEqual(buildRunView(reordered).markers.map((m) => m.key), ['plateau#0', 'collapse#1']);
  assert.deepEqual(buildRunView(reordered, { ...DEFAULT_VIEW_OPTIONS, xAxis: 'wall' }).markers.map((m) => m.key), ['collapse#1']);
  const overlay = buildOverlayView([reordered, timedRun('file:///ws/logs/b.log#0')], { ...DEFAULT_VIEW_OPTIONS, xAxis: 'wall' });
  assert.deepEqual(overlay.markers.map((m) => m.key), ['collapse#1']);
});

test('highlight: only the shown run’s existing markers are emphasised, solid, thicker and labelled with their place', () => {
  const view = buildRunView(timedRun());
  const keys = highlightedKeys(
    [
      { run: view.key, marker: 'collapse#0' },
      { run: view.key, marker: 'gone#9' },
      { run: 'file:///ws/logs/b.log#0', marker: 'plateau#1' },
    ],
    view,
  );
  assert.deepEqual([...keys], ['collapse#0']);
  assert.deepEqual([...highlightedKeys([{ run: view.key, marker: 'collapse#0' }], undefined)], []);
  const collapse = view.markers[0];
  assert.deepEqual(markerLook(collapse, view.xLabel, false), { lineWidth: 1.5, dash: [4, 3], boxAlpha: 0.14, label: 'collapse', bold: false });
  assert.deepEqual(markerLook(collapse, view.xLabel, true), { lineWidth: 3, dash: [], boxAlpha: 0.3, label: 'collapse · epoch 2–3', bold: true });
});

test('a hover lists the nearest point of every series that spans the x, whatever grid each was logged on', () => {
  const steps = Array.from({ length: 100 }, (_, i) => 10 + i * 4); // training, per step: 10 … 406 px
  const epochs = [50, 150, 250, 350]; // validation, per epoch
  const short = [10, 20, 30]; // a series that stopped early
  assert.deepEqual(nearestOfEachSeries([steps, epochs, short], 141), [[0, 33], [1, 1]]);
  // Halfway between two points the earlier wins; within the slack past the ends a series still counts.
  assert.deepEqual(nearestOfEachSeries([epochs], 100), [[0, 0]]);
  assert.deepEqual(nearestOfEachSeries([steps, epochs, short], 35), [[0, 6], [2, 2]]);
  assert.deepEqual(nearestOfEachSeries([steps, epochs, short], 39), [[0, 7]]);
  assert.deepEqual(nearestOfEachSeries([[], epochs], 355), [[1, 3]]);
  assert.deepEqual(nearestOfEachSeries([[], epochs], 360), []);
});

test('marker labels close together stack in rows; labels with room stay on the top row', () => {
  // 5 px per epoch (a narrow panel): the plateau label at epoch 10 (53 px wide) and the collapse label at epoch 24
  // (151 px wide, centred at 120 px) would overlap.
  const plateau = { x: 10, text: 'plateau' };
  const collapse = { x: 24, text: 'collapse · epoch 24–27' };
  assert.deepEqual(labelRows([plateau, collapse], 5), [0, 1]);
  // 8 px per epoch: 112 px apart, room for both on the top row.
  assert.deepEqual(labelRows([plateau, collapse], 8), [0, 0]);
  // A third label clear of the first takes the top row again; the input order does not matter.
  assert.deepEqual(labelRows([{ x: 60, text: 'divergence' }, collapse, plateau], 5), [0, 1, 0]);
  assert.deepEqual(labelRows([], 8), []);
});
