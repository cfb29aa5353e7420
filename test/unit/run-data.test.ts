import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CurveFinding, Run, Series } from '../../src/engine/types';
import { MAX_POINTS_PER_SERIES, selectIndices, toRunData } from '../../src/extension/run-data';

interface SeriesInit {
  name: string;
  values: ArrayLike<number>;
  epoch?: ArrayLike<number>;
  step?: ArrayLike<number>;
  line?: ArrayLike<number>;
}

/** A Series from plain arrays; epochs/steps default to NaN (the log did not say), lines to 1-based indices. */
function series({ name, values, epoch, step, line }: SeriesInit): Series {
  const n = values.length;
  const split = name.startsWith('val_') ? 'val' : name.startsWith('test_') ? 'test' : 'train';
  const fill = (src: ArrayLike<number> | undefined): Float64Array => (src ? Float64Array.from(src) : new Float64Array(n).fill(NaN));
  return {
    name,
    metric: name.replace(/^(val|test)_/, ''),
    split,
    epoch: fill(epoch),
    step: fill(step),
    wallTime: fill(undefined),
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
