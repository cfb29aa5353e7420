// The curve panel's host side on a big run: what opening the panel on a run with 1,000,000 points per
// series costs before anything reaches the webview (RunData build with downsampling, then the JSON that
// postMessage carries), and what a live update costs once it is open (delta against what was sent).
// Called by scripts/bench.ts; rows are [what, size, time, note] like the rest of the bench.
import type { Run, Series } from '../src/engine/types';
import { runsUpdate, toRunData } from '../src/extension/run-data';
import { fmt, time } from './bench-util';

const POINTS = 1_000_000;

/** A per-step series of `n` points: steps, epochs of `perEpoch` steps, a clock, noise, a NaN stretch. */
function bigSeries(name: string, n: number, shape: (i: number) => number, perEpoch = 10_000): Series {
  const epoch = new Float64Array(n);
  const step = new Float64Array(n);
  const wallTime = new Float64Array(n);
  const value = new Float64Array(n);
  const line = new Uint32Array(n);
  let seed = name.length;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < n; i++) {
    epoch[i] = Math.floor(i / perEpoch) + 1;
    step[i] = i + 1;
    wallTime[i] = 1_700_000_000 + i * 0.05;
    value[i] = i >= 700_000 && i < 700_050 ? NaN : shape(i) + (rand() - 0.5) * 0.02;
    line[i] = i + 1;
  }
  const split = name.startsWith('val_') ? 'val' : 'train';
  return { name, metric: name.replace(/^val_/, ''), split, epoch, step, wallTime, value, line, length: n };
}

/** The first `n` points of a series: the log read so far. */
function head(s: Series, n: number): Series {
  return { ...s, epoch: s.epoch.subarray(0, n), step: s.step.subarray(0, n), wallTime: s.wallTime.subarray(0, n), value: s.value.subarray(0, n), line: s.line.subarray(0, n), length: n };
}

/** Appends the panel rows to `rows`. */
export function benchPanel(rows: string[][]): void {
  const series = [
    bigSeries('loss', POINTS, (i) => 2 * Math.exp(-i / 200_000) + 0.1),
    bigSeries('val_loss', POINTS, (i) => 2 * Math.exp(-i / 200_000) + 0.2),
    bigSeries('accuracy', POINTS, (i) => 0.9 - 0.4 * Math.exp(-i / 150_000)),
    bigSeries('lr', POINTS, (i) => (i < 500_000 ? 1e-3 : 1e-4)),
  ];
  const run: Run = { source: '/bench/train.log', format: 'bench', series, segment: 0, notes: [] };
  const build = time(() => toRunData(run, [], 'file:///bench/train.log#0'), 5);
  const data = build.value;
  const json = time(() => JSON.stringify({ type: 'snapshot', runs: [data], selected: null }), 5);
  const sent = data.series.reduce((n, s) => n + s.x.length, 0);
  const pass = time(() => {
    let sum = 0;
    for (const s of series) for (let i = 0; i < s.length; i++) sum += s.value[i];
    return sum;
  }, 5);
  rows.push(
    ['Panel: open a 1M-point run (RunData)', `${series.length} series × ${POINTS.toLocaleString('en')} points, 3 axes`, fmt(build.ms), `${sent.toLocaleString('en')} points sent (≤ 5,000/series)`],
    ['  + snapshot JSON for postMessage', `${(json.value.length / 1e6).toFixed(1)} MB`, fmt(json.ms), `host total ${fmt(build.ms + json.ms)}`],
    ['  baseline: one summing pass', '', fmt(pass.ms), `RunData / pass = ${(build.ms / pass.ms).toFixed(1)}×`],
  );

  // Live: a run under the cap (4,000 points per series, epochs of 500 steps) gaining 10 points, as the panel sees it.
  const live = ['loss', 'val_loss', 'accuracy', 'lr'].map((name) => bigSeries(name, 4010, (i) => 1 / Math.sqrt(i + 1), 500));
  const small = (n: number): Run => ({ ...run, series: live.map((s) => head(s, n)) });
  const before = [toRunData(small(4000), [], 'file:///bench/train.log#0')];
  const after = [toRunData(small(4010), [], 'file:///bench/train.log#0')];
  const update = time(() => runsUpdate(before, after), 20);
  const delta = update.value.kind === 'append' ? JSON.stringify({ type: 'append', runs: update.value.runs, selected: null }).length : 0;
  const full = JSON.stringify({ type: 'snapshot', runs: after, selected: null }).length;
  rows.push([
    '  live update: delta vs what was sent',
    `4 × 4,000 → 4,010 points`,
    fmt(update.ms),
    `${update.value.kind}: ${(delta / 1000).toFixed(1)} kB instead of a ${(full / 1000).toFixed(0)} kB snapshot`,
  ]);
}
