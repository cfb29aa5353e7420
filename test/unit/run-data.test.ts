import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import type { CurveFinding, Run, Series } from '../../src/engine/types';
import { MAX_POINTS_PER_SERIES, SentRuns, highlightTargets, runsUpdate, selectIndices, toRunData } from '../../src/extension/run-data';
import { applyAppend, type RunData } from '../../src/protocol/messages';

interface SeriesInit {
  name: string;
  values: ArrayLike<number>;
  epoch?: ArrayLike<number>;
  step?: ArrayLike<number>;
  wallTime?: ArrayLike<number>;
  line?: ArrayLike<number>;
}

/** A Series from plain arrays; epochs/steps default to NaN (the log did not say), lines to 1-based indices. */
function series({ name, values, epoch, step, wallTime, line }: SeriesInit): Series {
  const n = values.length;
  const split = name.startsWith('val_') ? 'val' : name.startsWith('test_') ? 'test' : 'train';
  const fill = (src: ArrayLike<number> | undefined): Float64Array => (src ? Float64Array.from(src) : new Float64Array(n).fill(NaN));
  return {
    name,
    metric: name.replace(/^(val|test)_/, ''),
    split,
    epoch: fill(epoch),
    step: fill(step),
    wallTime: fill(wallTime),
    value: Float64Array.from(values),
    line: line ? Uint32Array.from(line) : Uint32Array.from({ length: n }, (_, i) => i + 1),
    length: n,
  };
}

function run(...list: Series[]): Run {
  return { source: '/logs/seed-000/train.log', format: 'keras-progress', series: list, segment: 0, notes: [] };
}

const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);

function finding(init: Partial<CurveFinding> & Pick<CurveFinding, 'id' | 'metric'>): CurveFinding {
  return {
    kind: 'curve',
    severity: 'warning',
    message: `${init.id} happened`,
    epoch: null,
    step: null,
    line: null,
    evidence: [],
    related: [],
    ...init,
  };
}

test('x is the epoch when the run has epochs, else the step; non-finite values become null', () => {
  const withEpochs = toRunData(run(series({ name: 'loss', values: [1, NaN, Infinity, 0.5], epoch: [1, 2, 3, 4], step: [10, 20, 30, 40] })), [], 'k');
  assert.equal(withEpochs.xLabel, 'epoch');
  assert.deepEqual(withEpochs.series[0].x, [1, 2, 3, 4]);
  assert.deepEqual(withEpochs.series[0].y, [1, null, null, 0.5]);
  assert.deepEqual(withEpochs.series[0].line, [1, 2, 3, 4]);
  assert.equal(withEpochs.key, 'k');
  assert.equal(withEpochs.label, 'train.log');

  const withSteps = toRunData(run(series({ name: 'loss', values: [3, 2, 1], step: [100, 200, 300] })), [], 'k');
  assert.equal(withSteps.xLabel, 'step');
  assert.deepEqual(withSteps.series[0].x, [100, 200, 300]);
  // JSON round trip: what postMessage carries must still be numbers and nulls.
  assert.deepEqual(JSON.parse(JSON.stringify(withSteps)), withSteps);
});

test('per-step points sharing an epoch are spread over that epoch, ending on it', () => {
  const data = toRunData(
    run(
      series({ name: 'loss', values: [4, 3, 2, 1], epoch: [1, 1, 2, 2] }),
      series({ name: 'val_loss', values: [3.5, 1.5], epoch: [1, 2] }),
    ),
    [],
    'k',
  );
  assert.deepEqual(data.series[0].x, [0.5, 1, 1.5, 2]);
  assert.deepEqual(data.series[1].x, [1, 2]);
});

test('an unfinished last epoch is spread like the one before, so its points keep their places as it grows', () => {
  const epochs = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3];
  const xs = (n: number) => toRunData(run(series({ name: 'loss', values: range(n), epoch: epochs.slice(0, n) })), [], 'k').series[0].x;
  assert.deepEqual(xs(10), [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5]);
  assert.deepEqual(xs(9), [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25]);
  // A longer last epoch is spread over its own points.
  const longer = toRunData(run(series({ name: 'loss', values: range(7), epoch: [1, 1, 2, 2, 2, 2, 2] })), [], 'k').series[0].x;
  assert.deepEqual(longer, [0.5, 1, 1.2, 1.4, 1.6, 1.8, 2]);
  // The first epoch has nothing to go by: spread over what it has.
  assert.deepEqual(xs(3), [1 / 3, 2 / 3, 1]);
});

test('a point without the coordinate takes its neighbour’s; a series without any uses its index', () => {
  const data = toRunData(
    run(series({ name: 'loss', values: [1, 2, 3], step: [NaN, 5, NaN] }), series({ name: 'lr', values: [0.1, 0.1] })),
    [],
    'k',
  );
  assert.deepEqual(data.series[0].x, [5, 5, 5]);
  assert.deepEqual(data.series[1].x, [1, 2]);
});

test('downsampling keeps the extremes of every bucket and the ends, within the limit', () => {
  const n = 100_000;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.sin(i / 500) + 0.001 * (i % 7);
  values[12_345] = 50; // spike
  values[67_890] = -50; // dip
  const data = toRunData(run(series({ name: 'loss', values, step: range(n) })), [], 'k');
  const s = data.series[0];
  assert.ok(s.x.length <= MAX_POINTS_PER_SERIES, `${s.x.length} points`);
  assert.ok(s.x.length >= MAX_POINTS_PER_SERIES / 4, `${s.x.length} points: at least one per bucket`);
  assert.ok(s.y.includes(50) && s.y.includes(-50));
  assert.equal(s.x[0], 1);
  assert.equal(s.x[s.x.length - 1], n);
  assert.equal(s.line[s.x.indexOf(12_346)], 12_346, 'the spike keeps its own step and line');
  for (let i = 1; i < s.x.length; i++) assert.ok(s.x[i] > s.x[i - 1], 'x stays sorted');
});

test('downsampling never drops a non-finite point and keeps the gap’s edges', () => {
  const n = 50_000;
  const values = new Float64Array(n).map((_, i) => 1 / (1 + i));
  const bad = [0, 777, 778, 20_001, 31_337, n - 1];
  for (const i of bad) values[i] = i % 2 === 0 ? NaN : Infinity;
  const keep = selectIndices(values, 1000);
  assert.ok(keep);
  for (const i of bad) assert.ok(keep.includes(i), `non-finite point ${i} kept`);
  for (const i of [776, 779, 20_000, 20_002, 31_336, 31_338]) assert.ok(keep.includes(i), `gap edge ${i} kept`);

  const data = toRunData(run(series({ name: 'loss', values, step: range(n, 0) })), [], 'k', { maxPoints: 1000 });
  const nulls = data.series[0].x.filter((_, j) => data.series[0].y[j] === null);
  assert.deepEqual(nulls, bad);
});

test('a series that is nearly all non-finite stays bounded but keeps every gap', () => {
  const n = 200_000;
  const values = new Float64Array(n).fill(NaN);
  for (let i = 0; i < 1000; i++) values[i] = 2 - i / 1000; // diverged at 1000, NaN ever after
  values[150_000] = 7; // one finite value inside the NaN run
  const keep = selectIndices(values, 5000);
  assert.ok(keep && keep.length <= 5000, `${keep?.length}`);
  for (const i of [999, 1000, 149_999, 150_000, 150_001, n - 1]) assert.ok(keep.includes(i), `${i} kept`);
});

test('short series are sent whole', () => {
  assert.equal(selectIndices(new Float64Array(10), 5000), undefined);
});

test('markers come from the evidence, else from the finding’s epoch, step or line', () => {
  const acc = series({ name: 'accuracy', values: range(50).map((e) => (e < 27 ? 0.5 + e / 52 : 0.51)), epoch: range(50), line: range(50, 10).map((l) => l * 2) });
  const valAcc = series({ name: 'val_accuracy', values: range(50).map(() => 0.6), epoch: range(50) });
  const findings = [
    finding({ id: 'collapse', metric: 'accuracy', epoch: 27, line: 72, evidence: [{ series: 'accuracy', startIndex: 24, endIndex: 26 }] }),
    finding({ id: 'plateau', metric: 'val_accuracy', epoch: 40, evidence: [] }),
    finding({ id: 'stuck-metric', metric: 'accuracy', step: null, epoch: null, line: 40 }),
    finding({ id: 'nowhere', metric: 'accuracy' }),
    finding({ id: 'stale-evidence', metric: 'accuracy', epoch: 3, evidence: [{ series: 'gone', startIndex: 1, endIndex: 2 }] }),
  ];
  const data = toRunData(run(acc, valAcc), findings, 'k');
  const byId = new Map(data.markers.map((m) => [m.id, m]));
  assert.deepEqual(
    { x: byId.get('collapse')?.x, xEnd: byId.get('collapse')?.xEnd, line: byId.get('collapse')?.line, severity: byId.get('collapse')?.severity },
    { x: 25, xEnd: 27, line: 72, severity: 'warning' },
  );
  assert.deepEqual([byId.get('plateau')?.x, byId.get('plateau')?.xEnd], [40, 40]);
  assert.equal(byId.get('stuck-metric')?.x, 11, 'line 40 is the 11th accuracy point');
  assert.equal(byId.has('nowhere'), false, 'a finding with no place on the axis gets no marker');
  assert.equal(byId.get('stale-evidence')?.x, 3);
});

test('markers on a step axis use the evidence series’ steps', () => {
  const loss = series({ name: 'loss', values: range(100).map((i) => 1 / i), step: range(100).map((i) => i * 10) });
  const data = toRunData(run(loss), [finding({ id: 'divergence', metric: 'loss', step: 500, evidence: [{ series: 'loss', startIndex: 49, endIndex: 59 }] })], 'k');
  assert.deepEqual([data.markers[0].x, data.markers[0].xEnd], [500, 600]);
});

test('the label names the file and the segment of a restarted log', () => {
  const segment: Run = { ...run(series({ name: 'loss', values: [1] })), source: 'C:\\runs\\a\\out.txt', segment: 1 };
  assert.equal(toRunData(segment, [], 'k').label, 'out.txt · run 2');
});

test('a 1M-point series converts quickly', () => {
  const n = 1_000_000;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.exp(-i / 2e5) + 0.05 * Math.sin(i);
  values[500_000] = NaN;
  const big = series({ name: 'loss', values, step: range(n) });
  const started = performance.now();
  const data = toRunData(run(big), [finding({ id: 'non-finite', metric: 'loss', evidence: [{ series: 'loss', startIndex: 500_000, endIndex: 500_000 }] })], 'k');
  const ms = performance.now() - started;
  console.log(`toRunData: 1,000,000 points → ${data.series[0].x.length} in ${ms.toFixed(1)} ms`);
  assert.ok(data.series[0].x.length <= MAX_POINTS_PER_SERIES + 3);
  assert.ok(data.series[0].y.includes(null));
  assert.equal(data.markers[0].x, 500_001);
});

test('a run offers steps beside epochs when every series has one, and wall time when every series has a clock', () => {
  const t0 = 1_700_000_000;
  const loss = series({ name: 'loss', values: [3, 2, 1], epoch: [1, 2, 3], step: [100, 200, 300], wallTime: [t0 + 5, NaN, t0 + 3605] });
  const valLoss = series({ name: 'val_loss', values: [3.5, 2.5, 1.5], epoch: [1, 2, 3], step: [100, 200, 300], wallTime: [t0, t0 + 60, t0 + 7200.5] });
  const data = toRunData(run(loss, valLoss), [], 'k');
  assert.deepEqual(data.axes, ['epoch', 'step', 'wall']);
  assert.deepEqual(data.series[0].x, [1, 2, 3]);
  // Seconds since the run's first clock reading (val_loss's); a missing reading takes the previous one.
  assert.deepEqual(data.series[0].byAxis, { step: [100, 200, 300], wall: [5, 5, 3605] });
  assert.deepEqual(data.series[1].byAxis, { step: [100, 200, 300], wall: [0, 60, 7200.5] });

  const noClock = toRunData(run(loss, series({ name: 'val_loss', values: [1, 2, 3], epoch: [1, 2, 3], step: [1, 2, 3] })), [], 'k');
  assert.deepEqual(noClock.axes, ['epoch', 'step'], 'one series without a clock: no wall-time axis');
  const noSteps = toRunData(run(loss, series({ name: 'val_loss', values: [1, 2, 3], epoch: [1, 2, 3], wallTime: [t0, t0 + 1, t0 + 2] })), [], 'k');
  assert.deepEqual(noSteps.axes, ['epoch', 'wall'], 'one series without steps: no step axis');
  assert.equal(noSteps.series[0].byAxis?.step, undefined);
  const plain = toRunData(run(series({ name: 'loss', values: [3, 2, 1], step: [1, 2, 3] })), [], 'k');
  assert.deepEqual(plain.axes, ['step']);
  assert.equal('byAxis' in plain.series[0], false, 'a run with one axis sends no extra arrays');
});

test('downsampled series keep every axis parallel to the points kept', () => {
  const n = 20_000;
  const t0 = 1_600_000_000;
  const values = range(n).map((i) => (i === 12_345 ? 50 : 1 / i));
  const loss = series({ name: 'loss', values, epoch: range(n).map((i) => Math.ceil(i / 1000)), step: range(n), wallTime: range(n).map((i) => t0 + i * 2) });
  const data = toRunData(run(loss), [], 'k', { maxPoints: 400 });
  const s = data.series[0];
  assert.ok(s.x.length <= 400, `${s.x.length} points`);
  const steps = s.byAxis?.step ?? [];
  const wall = s.byAxis?.wall ?? [];
  assert.equal(steps.length, s.x.length);
  assert.equal(wall.length, s.x.length);
  for (let j = 0; j < s.x.length; j++) {
    const i = steps[j] - 1; // step i + 1 is point i
    assert.equal(s.y[j], values[i]);
    assert.equal(wall[j], (i + 1) * 2 - 2);
    assert.equal(s.line[j], i + 1);
  }
  assert.ok(steps.includes(12_345), 'the spike survives');
});

test('markers carry their place on every other axis', () => {
  const t0 = 1_700_000_000;
  const acc = series({ name: 'accuracy', values: [0.5, 0.6, 0.7, 0.3, 0.3], epoch: [1, 2, 3, 4, 5], step: [10, 20, 30, 40, 50], wallTime: [t0, t0 + 10, t0 + 20, t0 + 30, t0 + 40] });
  const findings = [
    finding({ id: 'collapse', metric: 'accuracy', epoch: 4, line: 4, evidence: [{ series: 'accuracy', startIndex: 2, endIndex: 3 }] }),
    finding({ id: 'plateau', metric: 'accuracy', epoch: 5, evidence: [] }),
    finding({ id: 'by-line', metric: 'accuracy', line: 2 }),
  ];
  const data = toRunData(run(acc), findings, 'k');
  assert.deepEqual(
    data.markers.map((m) => [m.id, m.x, m.xEnd, m.byAxis]),
    [
      ['collapse', 3, 4, { step: { x: 30, xEnd: 40 }, wall: { x: 20, xEnd: 30 } }],
      // Epoch 5 found among the points: step 50, 40 s in.
      ['plateau', 5, 5, { step: { x: 50, xEnd: 50 }, wall: { x: 40, xEnd: 40 } }],
      ['by-line', 2, 2, { step: { x: 20, xEnd: 20 }, wall: { x: 10, xEnd: 10 } }],
    ],
  );
});

test('markers carry the script lines their finding was linked to, not its other related places', () => {
  const acc = series({ name: 'accuracy', values: [0.5, 0.9, 0.4], epoch: [1, 2, 3] });
  const collapse = finding({
    id: 'collapse',
    metric: 'accuracy',
    epoch: 3,
    line: 3,
    related: [
      { location: { file: '/ws/gru-run/train.py', line: 31, column: 13, endLine: 31, endColumn: 40 }, message: 'possible cause (rnn-no-grad-clip): no clipping.' },
      { location: { file: '/ws/runs/other.log', line: 16 }, message: 'stuck in other.log too' },
      { location: { file: '/ws/model.PY', line: 4 }, message: 'no column' },
    ],
  });
  const data = toRunData(run(acc), [collapse, finding({ id: 'plateau', metric: 'accuracy', epoch: 2 })], 'k');
  assert.deepEqual(data.markers[0].code, [
    { file: '/ws/gru-run/train.py', line: 31, column: 13, message: 'possible cause (rnn-no-grad-clip): no clipping.' },
    { file: '/ws/model.PY', line: 4, column: 1, message: 'no column' },
  ]);
  assert.equal('code' in data.markers[1], false, 'no link, no code field');
});

test('SentRuns: the webview may reveal only runs it was sent, and only their markers’ script places', () => {
  const acc = series({ name: 'accuracy', values: [0.5, 0.9, 0.4], epoch: [1, 2, 3] });
  const linked = finding({ id: 'collapse', metric: 'accuracy', epoch: 3, related: [{ location: { file: '/ws/train.py', line: 31, column: 13 }, message: 'cause' }] });
  const sent = new SentRuns([toRunData(run(acc), [linked], 'a#0'), toRunData(run(acc), [], 'b#0')]);
  assert.equal(sent.has('a#0'), true);
  assert.equal(sent.has('c#0'), false);
  assert.equal(sent.allowsReveal('a#0', null), true);
  assert.equal(sent.allowsReveal('a#0', { file: '/ws/train.py', line: 31, column: 13 }), true);
  assert.equal(sent.allowsReveal('a#0', { file: '/ws/train.py', line: 32, column: 13 }), false, 'another line');
  assert.equal(sent.allowsReveal('a#0', { file: '/etc/passwd', line: 31, column: 13 }), false, 'another file');
  assert.equal(sent.allowsReveal('b#0', { file: '/ws/train.py', line: 31, column: 13 }), false, 'a place of another run');
  assert.equal(sent.allowsReveal('c#0', null), false, 'a run never sent');
  assert.equal(new SentRuns([]).allowsReveal('a#0', null), false);
});

test('highlightTargets: the cursor on a log diagnostic names its markers; on a script diagnostic, the markers linked to it', () => {
  const acc = series({ name: 'accuracy', values: [0.5, 0.9, 0.4, 0.4], epoch: [1, 2, 3, 4] });
  const cause = { location: { file: '/ws/gru/train.py', line: 31, column: 13 }, message: 'possible cause' };
  const findings = [
    finding({ id: 'plateau', metric: 'accuracy', epoch: 4, line: 40 }),
    finding({ id: 'nowhere', metric: 'accuracy' }), // no place: no marker, so the indices below skip it
    finding({ id: 'collapse', metric: 'accuracy', epoch: 3, line: 30, related: [cause] }),
  ];
  const runs = [
    toRunData(run(acc), findings, 'file:///ws/gru/train.log#0'),
    toRunData(run(acc), findings, 'file:///ws/gru/train.log#1'),
    toRunData(run(acc), findings, 'file:///ws/other/train.log#0'),
  ];
  const log = { uri: 'file:///ws/gru/train.log', path: '/ws/gru/train.log' };
  assert.deepEqual(highlightTargets(runs, log, [{ id: 'collapse', line: 30, column: 1 }]), [
    { run: 'file:///ws/gru/train.log#0', marker: 'collapse#1' },
    { run: 'file:///ws/gru/train.log#1', marker: 'collapse#1' },
  ]);
  assert.deepEqual(highlightTargets(runs, log, [{ id: 'plateau', line: 30, column: 1 }]), [], 'another finding on that line');
  assert.deepEqual(highlightTargets(runs, log, []), []);
  const script = { uri: 'file:///ws/gru/train.py', path: '/ws/gru/train.py' };
  assert.deepEqual(
    highlightTargets(runs, script, [{ id: 'rnn-no-grad-clip', line: 31, column: 13 }]).map((t) => `${t.run} ${t.marker}`),
    ['file:///ws/gru/train.log#0 collapse#1', 'file:///ws/gru/train.log#1 collapse#1', 'file:///ws/other/train.log#0 collapse#1'],
  );
  assert.deepEqual(highlightTargets(runs, script, [{ id: 'rnn-no-grad-clip', line: 31, column: 14 }]), [], 'another column');
  assert.deepEqual(highlightTargets(runs, { uri: 'file:///ws/x.py', path: '/ws/x.py' }, [{ id: 'x', line: 31, column: 13 }]), []);
});

/** The first `n` points of a series (a log read up to that point). */
function head(s: Series, n: number): Series {
  return {
    ...s,
    epoch: s.epoch.slice(0, n),
    step: s.step.slice(0, n),
    wallTime: s.wallTime.slice(0, n),
    value: s.value.slice(0, n),
    line: s.line.slice(0, n),
    length: n,
  };
}

/** A per-step run of `n` points, 10 steps an epoch, with a clock, and a validation point per epoch. */
function growingRun(n: number): Run {
  const t0 = 1_700_000_000;
  const loss = series({
    name: 'loss',
    values: range(n).map((i) => 2 / Math.sqrt(i) + (i % 7) * 0.01),
    epoch: range(n).map((i) => Math.ceil(i / 10)),
    step: range(n),
    wallTime: range(n).map((i) => t0 + i * 0.5),
    line: range(n).map((i) => i * 2),
  });
  const epochs = Math.floor(n / 10);
  const val = series({
    name: 'val_loss',
    values: range(epochs).map((e) => 2 / Math.sqrt(e * 10) + 0.1),
    epoch: range(epochs),
    step: range(epochs).map((e) => e * 10),
    wallTime: range(epochs).map((e) => t0 + e * 5 + 0.1),
    line: range(epochs).map((e) => e * 20 + 1),
  });
  return run(...(epochs > 0 ? [head(loss, n), val] : [head(loss, n)]));
}

test('runsUpdate: a growing run travels as appends of its new points while under the cap, then as snapshots', () => {
  const key = 'file:///ws/run.log#0';
  const maxPoints = 400;
  let held: RunData[] = [toRunData(growingRun(15), [], key, { maxPoints })];
  const kinds: string[] = [];
  let sentPoints = 0;
  for (const n of [17, 20, 20, 31, 64, 150, 399, 400, 401, 405, 500, 800]) {
    const next = [toRunData(growingRun(n), [], key, { maxPoints })];
    const update = runsUpdate(held, next);
    kinds.push(update.kind);
    if (update.kind === 'snapshot') held = next;
    else {
      sentPoints += update.runs.reduce((m, r) => m + r.series.reduce((k, s) => k + s.x.length, 0), 0);
      const merged = applyAppend(held, update);
      assert.deepEqual(merged, next, `merging the append for ${n} points gives the host's runs`);
      held = merged!;
    }
  }
  // Passing the cap re-picks the points: a snapshot. 401 → 405 happens to keep the same buckets but for the tail.
  assert.deepEqual(kinds, ['append', 'append', 'same', 'append', 'append', 'append', 'append', 'append', 'snapshot', 'append', 'snapshot', 'snapshot']);
  // Each append carries the new points plus the current epoch's re-spread steps (≤ 10), not the whole run.
  assert.ok(sentPoints < 400 + 9 * 10 + 40, `${sentPoints} points sent in appends`);
});

test('runsUpdate: only the new points and the re-spread tail are sent; markers go whole', () => {
  const key = 'file:///ws/run.log#0';
  const before = [toRunData(growingRun(25), [], key)];
  const plateau = finding({ id: 'plateau', metric: 'loss', epoch: 3, evidence: [{ series: 'loss', startIndex: 20, endIndex: 27 }] });
  const after = [toRunData(growingRun(28), [plateau], key)];
  const update = runsUpdate(before, after);
  assert.equal(update.kind, 'append');
  const [change] = update.runs;
  // Epoch 3 is spread like epoch 2 while it runs: steps 21-25 keep their places and 26-28 are new.
  assert.deepEqual(change.series.map((s) => [s.index, s.name, s.from, s.x, s.byAxis?.step]), [[0, 'loss', 25, [2.6, 2.7, 2.8], [26, 27, 28]]]);
  assert.deepEqual(change.markers, after[0].markers);
  assert.equal(change.markers.length, 1);
  assert.deepEqual(applyAppend(before, update), after);
  // Only the markers changed: an append without series.
  const same = [toRunData(growingRun(28), [], key)];
  const markersOnly = runsUpdate(same, after);
  assert.equal(markersOnly.kind, 'append');
  assert.deepEqual(markersOnly.runs.map((r) => r.series.length), [0]);
  assert.equal(runsUpdate(after, after).kind, 'same');
  // The first epoch has no spacing to go by: its points move as it grows, and go again from where they moved.
  const early = runsUpdate([toRunData(growingRun(5), [], key)], [toRunData(growingRun(8), [], key)]);
  assert.equal(early.kind, 'append');
  assert.deepEqual(early.runs[0].series.map((s) => [s.from, s.x.length]), [[0, 8]]);
});

test('runsUpdate: a new, removed, reordered or restarted run, a new series or a new axis needs a snapshot', () => {
  const a = toRunData(growingRun(30), [], 'file:///ws/a.log#0');
  const b = toRunData(growingRun(30), [], 'file:///ws/b.log#0');
  const restarted = toRunData(growingRun(5), [], 'file:///ws/a.log#1');
  assert.equal(runsUpdate([a], [a, b]).kind, 'snapshot');
  assert.equal(runsUpdate([a, b], [a]).kind, 'snapshot');
  assert.equal(runsUpdate([a, b], [b, a]).kind, 'snapshot');
  assert.equal(runsUpdate([a], [restarted]).kind, 'snapshot');
  const first = toRunData(growingRun(9), [], 'file:///ws/a.log#0'); // no validation series yet
  assert.equal(runsUpdate([first], [a]).kind, 'snapshot', 'val_loss appeared');
  const noClock = toRunData(run(series({ name: 'loss', values: [1, 2], epoch: [1, 2] })), [], 'k');
  const clock = toRunData(run(series({ name: 'loss', values: [1, 2, 3], epoch: [1, 2, 3], wallTime: [5, 6, 7] })), [], 'k');
  assert.equal(runsUpdate([noClock], [clock]).kind, 'snapshot', 'wall time appeared');
  // A log truncated in place to fewer points of the same series: the tail goes, a short append.
  const cut = runsUpdate([a], [toRunData(growingRun(28), [], 'file:///ws/a.log#0')]);
  assert.equal(cut.kind, 'append');
  assert.deepEqual(applyAppend([a], cut), [toRunData(growingRun(28), [], 'file:///ws/a.log#0')]);
});

test('applyAppend refuses what does not fit the runs it has: the webview then asks for a snapshot', () => {
  const before = [toRunData(growingRun(25), [], 'file:///ws/a.log#0')];
  const update = runsUpdate(before, [toRunData(growingRun(28), [], 'file:///ws/a.log#0')]);
  assert.equal(update.kind, 'append');
  const change = update.runs[0];
  const s = change.series[0];
  const bad: [string, typeof update.runs][] = [
    ['another run', [{ ...change, key: 'file:///ws/b.log#0' }]],
    ['a run too many', [change, change]],
    ['no run', []],
    ['a gap', [{ ...change, series: [{ ...s, from: 26 }] }]],
    ['another series name', [{ ...change, series: [{ ...s, name: 'acc' }] }]],
    ['a series index out of range', [{ ...change, series: [{ ...s, index: 5 }] }]],
    ['an axis missing', [{ ...change, series: [{ ...s, byAxis: { step: s.byAxis!.step! } }] }]],
    ['an axis the run lacks', [{ ...change, series: [{ ...s, byAxis: { ...s.byAxis, epoch: s.x } }] }]],
    ['a marker on an axis the run lacks', [{ ...change, markers: [{ id: 'x', severity: 'info', metric: 'loss', message: 'm', x: 1, xEnd: 1, line: 1, byAxis: { epoch: { x: 1, xEnd: 1 } } }] }]],
  ];
  for (const [what, runs] of bad) assert.equal(applyAppend(before, { runs }), undefined, what);
  assert.deepEqual(before, [toRunData(growingRun(25), [], 'file:///ws/a.log#0')], 'the runs held are not changed');
});

test('property: an append brings the webview exactly to the host’s runs, whatever the log gained', () => {
  const key = 'file:///ws/run.log#0';
  // A log as a list of steps: a value (NaN sometimes), whether a new epoch starts, seconds since the last point.
  const point = fc.record({ value: fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.constant(NaN)), newEpoch: fc.boolean(), dt: fc.integer({ min: 0, max: 5 }) });
  fc.assert(
    fc.property(fc.array(point, { minLength: 1, maxLength: 120 }), fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 8, max: 60 }), (points, cuts, maxPoints) => {
      let epoch = 1;
      let t = 1_700_000_000;
      const epochs = points.map((p, i) => (i > 0 && p.newEpoch ? ++epoch : epoch));
      const times = points.map((p) => (t += p.dt));
      const at = (n: number) =>
        toRunData(
          run(series({ name: 'loss', values: points.slice(0, n).map((p) => p.value), epoch: epochs.slice(0, n), step: range(n), wallTime: times.slice(0, n) })),
          n > 10 ? [finding({ id: 'plateau', metric: 'loss', epoch: epochs[5], line: 6, evidence: [{ series: 'loss', startIndex: 5, endIndex: n - 1 }] })] : [],
          key,
          { maxPoints },
        );
      let held = [at(Math.min(points.length, cuts[0]))];
      for (const cut of [...cuts.slice(1).map((c) => Math.min(points.length, c)).sort((a, b) => a - b), points.length]) {
        const next = [at(cut)];
        const update = runsUpdate(held, next);
        if (update.kind === 'snapshot') held = next;
        else {
          const merged = applyAppend(held, update);
          assert.deepEqual(merged, next);
          held = merged!;
        }
      }
      assert.deepEqual(held, [at(points.length)]);
    }),
  );
});
