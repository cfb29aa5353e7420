/**
 * Shapes an engine `Run` and its curve findings into the panel's `RunData`: x positions, JSON-safe
 * values, a bounded number of points per series, and markers placed on the x axis.
 * Pure: no `vscode`, no I/O, so it is unit-tested and shared by anything that feeds the panel.
 */
import type { CurveFinding, Run, Series } from '../engine/types';
import {
  markerKey,
  type CodeLink,
  type CodeRef,
  type HighlightTarget,
  type MarkerData,
  type RunAppend,
  type RunData,
  type SeriesAppend,
  type SeriesData,
  type XAxis,
} from '../protocol/messages';

/** Above this many points a series is downsampled before it is posted to the webview. */
export const MAX_POINTS_PER_SERIES = 5000;

export interface RunDataOptions {
  /** Points per series before downsampling starts (default {@link MAX_POINTS_PER_SERIES}). */
  readonly maxPoints?: number;
  /** Header text; defaults to the source's file name plus the segment when the run restarted. */
  readonly label?: string;
}

/**
 * Converts a run for the panel. x is the epoch when any series of the run has one, else the step;
 * the other axes the run offers (steps, elapsed wall time) travel alongside; non-finite values become `null`; long series keep the first, last, minimum and maximum of each
 * bucket and every non-finite point; markers are placed from each finding's evidence.
 */
export function toRunData(run: Run, findings: readonly CurveFinding[], key: string, options: RunDataOptions = {}): RunData {
  const maxPoints = Math.max(8, options.maxPoints ?? MAX_POINTS_PER_SERIES);
  const present = run.series.filter((s) => s.length > 0);
  const xLabel = present.some((s) => hasFinite(s.epoch, s.length)) ? 'epoch' : 'step';
  const axes = runAxes(present, xLabel);
  const start = axes.includes('wall') ? firstWallTime(present) : NaN;
  const positions = new Map<Series, Partial<Record<XAxis, Float64Array>>>();
  const series: SeriesData[] = [];
  for (const s of present) {
    const byAxis: Partial<Record<XAxis, Float64Array>> = {};
    for (const axis of axes) byAxis[axis] = axis === 'wall' ? elapsed(s, start) : xPositions(s, axis);
    positions.set(s, byAxis);
    series.push(seriesData(s, byAxis, axes, maxPoints));
  }
  const markers: MarkerData[] = [];
  for (const finding of findings) {
    const marker = markerFor(finding, run, positions, axes);
    if (marker) markers.push(marker);
  }
  return { key, label: options.label ?? runLabel(run), xLabel, axes, series, markers };
}

/**
 * The axes a run can be drawn by, the default first: steps too when every series has one, and wall
 * time when every series has a clock reading (a series drawn at made-up positions would mislead).
 */
function runAxes(present: readonly Series[], xLabel: 'epoch' | 'step'): XAxis[] {
  const axes: XAxis[] = [xLabel];
  if (present.length === 0) return axes;
  if (xLabel === 'epoch' && present.every((s) => hasFinite(s.step, s.length))) axes.push('step');
  if (present.every((s) => hasFinite(s.wallTime, s.length))) axes.push('wall');
  return axes;
}

/** The earliest clock reading of the run, in seconds since the Unix epoch. */
function firstWallTime(present: readonly Series[]): number {
  let first = Infinity;
  for (const s of present) for (let i = 0; i < s.length; i++) if (s.wallTime[i] < first) first = s.wallTime[i];
  return first;
}

/** Seconds since `start` for every point; a point without a clock reading takes its predecessor's (at the start, the first known one). */
function elapsed(series: Series, start: number): Float64Array {
  const x = fillForward(series.wallTime, series.length);
  for (let i = 0; i < x.length; i++) x[i] -= start;
  return x;
}

/** `train.log`, or `train.log · run 2` for the second segment of a restarted log. */
export function runLabel(run: Run): string {
  const name = run.source.split(/[\\/]/).filter((part) => part.length > 0).pop() ?? run.source;
  return run.segment > 0 ? `${name} · run ${run.segment + 1}` : name;
}

function hasFinite(values: Float64Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (Number.isFinite(values[i])) return true;
  return false;
}

/**
 * x for every point of a series. A point without the coordinate takes its predecessor's (or, at the
 * start, the first known one); a series without any uses its 1-based index. On an epoch axis,
 * consecutive points that share an epoch (per-step lines) are spread evenly over (epoch - 1, epoch],
 * so they end where that epoch's summary (validation, say) is drawn instead of stacking vertically;
 * the last epoch, possibly unfinished, takes the spacing of the one before when it has fewer points.
 */
export function xPositions(series: Series, axis: 'epoch' | 'step'): Float64Array {
  const x = fillForward(axis === 'epoch' ? series.epoch : series.step, series.length);
  if (axis === 'epoch') spreadRepeats(x);
  return x;
}

/** `source` with each non-finite value replaced by its predecessor (the first finite one at the start); 1-based indices when none is finite. */
function fillForward(source: Float64Array, n: number): Float64Array {
  const x = new Float64Array(n);
  let first = NaN;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(source[i])) {
      first = source[i];
      break;
    }
  }
  if (Number.isNaN(first)) {
    for (let i = 0; i < n; i++) x[i] = i + 1;
    return x;
  }
  let previous = first;
  for (let i = 0; i < n; i++) {
    const v = source[i];
    if (Number.isFinite(v)) previous = v;
    x[i] = previous;
  }
  return x;
}

function spreadRepeats(x: Float64Array): void {
  const n = x.length;
  let start = 0;
  let previousCount = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && x[end] === x[start]) end++;
    const count = end - start;
    // The last epoch may still be running: spread like the one before it, so its points keep their
    // places as it grows (a live panel then gets them as appends) and it reaches its epoch when complete.
    const slots = end === n && previousCount > 1 ? Math.max(count, previousCount) : count;
    if (slots > 1) {
      const epoch = x[start];
      for (let k = 0; k < count; k++) x[start + k] = epoch - 1 + (k + 1) / slots;
    }
    previousCount = count;
    start = end;
  }
}

function seriesData(s: Series, positions: Partial<Record<XAxis, Float64Array>>, axes: readonly XAxis[], maxPoints: number): SeriesData {
  const n = s.length;
  const keep = selectIndices(s.value.subarray(0, n), maxPoints);
  const count = keep ? keep.length : n;
  const ys = new Array<number | null>(count);
  const lines = new Array<number>(count);
  const columns = axes.map((axis) => ({ from: positions[axis]!, to: new Array<number>(count) }));
  for (let j = 0; j < count; j++) {
    const i = keep ? keep[j] : j;
    const v = s.value[i];
    ys[j] = Number.isFinite(v) ? v : null;
    lines[j] = s.line[i];
    for (const column of columns) column.to[j] = column.from[i];
  }
  const out = { name: s.name, metric: s.metric, split: s.split, x: columns[0].to, y: ys, line: lines };
  if (axes.length === 1) return out;
  const byAxis: Partial<Record<XAxis, number[]>> = {};
  axes.forEach((axis, k) => {
    if (k > 0) byAxis[axis] = columns[k].to;
  });
  return { ...out, byAxis };
}

/**
 * Indices to keep when `values` is longer than `maxPoints`, ascending; `undefined` when all fit.
 * Every non-finite point survives, with its finite neighbours so the gap keeps its exact extent
 * (when a series holds more non-finite points than `maxPoints`, a long run of them keeps only its
 * ends: the gap is drawn the same). The remaining budget is split into buckets of consecutive
 * points, each keeping its first, last, minimum and maximum, so spikes and dips always show.
 */
export function selectIndices(values: Float64Array, maxPoints: number): Int32Array | undefined {
  const n = values.length;
  if (n <= maxPoints) return undefined;
  const keep = new Uint8Array(n);
  let nonFinite = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i])) nonFinite++;
  let kept = 0;
  const mark = (i: number): void => {
    if (keep[i] === 0) {
      keep[i] = 1;
      kept++;
    }
  };
  if (nonFinite > 0) {
    const everyOne = nonFinite <= maxPoints;
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(values[i])) continue;
      const runStart = i === 0 || Number.isFinite(values[i - 1]);
      const runEnd = i === n - 1 || Number.isFinite(values[i + 1]);
      if (everyOne || runStart || runEnd) mark(i);
      if (runStart && i > 0) mark(i - 1);
      if (runEnd && i < n - 1) mark(i + 1);
    }
  }
  mark(0);
  mark(n - 1);
  const buckets = Math.max(1, Math.floor((maxPoints - kept) / 4));
  const size = Math.ceil(n / buckets);
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    mark(start);
    mark(end - 1);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (lo < 0 || v < values[lo]) lo = i;
      if (hi < 0 || v > values[hi]) hi = i;
    }
    if (lo >= 0) mark(lo);
    if (hi >= 0) mark(hi);
  }
  const out = new Int32Array(kept);
  let j = 0;
  for (let i = 0; i < n; i++) if (keep[i] === 1) out[j++] = i;
  return out;
}

function markerFor(
  finding: CurveFinding,
  run: Run,
  positions: ReadonlyMap<Series, Partial<Record<XAxis, Float64Array>>>,
  axes: readonly XAxis[],
): MarkerData | undefined {
  const base = {
    id: finding.id,
    severity: finding.severity,
    metric: finding.metric,
    message: finding.message,
    line: finding.line,
  };
  const places = axes.map((axis) => placeOn(finding, run, positions, axis));
  const main = places[0];
  if (!main) return undefined;
  const code = codeLinks(finding);
  const withCode = code.length > 0 ? { ...base, code } : base;
  const byAxis: Partial<Record<XAxis, { x: number; xEnd: number }>> = {};
  let other = false;
  places.forEach((place, k) => {
    if (k > 0 && place) {
      byAxis[axes[k]] = place;
      other = true;
    }
  });
  return other ? { ...withCode, ...main, byAxis } : { ...withCode, ...main };
}

/** The script places a finding was linked to (`link.ts` adds them as related locations in the `.py` file). */
function codeLinks(finding: CurveFinding): CodeLink[] {
  return finding.related
    .filter((r) => /\.py$/i.test(r.location.file) && r.location.line >= 1)
    .map((r) => ({ file: r.location.file, line: r.location.line, column: Math.max(1, r.location.column ?? 1), message: r.message }));
}

/** Where a finding sits on one axis: its evidence window, else a single x from its coordinates or line. */
function placeOn(
  finding: CurveFinding,
  run: Run,
  positions: ReadonlyMap<Series, Partial<Record<XAxis, Float64Array>>>,
  axis: XAxis,
): { x: number; xEnd: number } | undefined {
  for (const evidence of finding.evidence) {
    const series = run.series.find((s) => s.name === evidence.series);
    const x = series && positions.get(series)?.[axis];
    if (!series || !x || series.length === 0) continue;
    const start = clampIndex(evidence.startIndex, series.length);
    const end = clampIndex(evidence.endIndex, series.length);
    if (start === undefined) continue;
    const xStart = x[start];
    const xEnd = end === undefined ? xStart : Math.max(xStart, x[end]);
    return { x: xStart, xEnd };
  }
  const x = fallbackX(finding, run, positions, axis);
  return x === undefined ? undefined : { x, xEnd: x };
}

function clampIndex(index: number, length: number): number | undefined {
  if (!Number.isFinite(index)) return undefined;
  return Math.min(length - 1, Math.max(0, Math.trunc(index)));
}

/**
 * Without usable evidence: the finding's own coordinate when it is the axis' unit; else the x of the
 * first point that carries the finding's other coordinate, or its log line.
 */
function fallbackX(
  finding: CurveFinding,
  run: Run,
  positions: ReadonlyMap<Series, Partial<Record<XAxis, Float64Array>>>,
  axis: XAxis,
): number | undefined {
  const own = axis === 'epoch' ? finding.epoch : axis === 'step' ? finding.step : null;
  if (own !== null && Number.isFinite(own)) return own;
  const ordered = [...run.series].sort((a, b) => rank(b, finding.metric) - rank(a, finding.metric));
  const probes: ((s: Series, i: number) => boolean)[] = [];
  // The finding's coordinates that are not this axis' unit, looked up in the points.
  if (axis !== 'step' && finding.step !== null && Number.isFinite(finding.step)) probes.push((s, i) => s.step[i] === finding.step);
  if (axis !== 'epoch' && finding.epoch !== null && Number.isFinite(finding.epoch)) probes.push((s, i) => s.epoch[i] === finding.epoch);
  if (finding.line !== null) probes.push((s, i) => s.line[i] === finding.line);
  for (const probe of probes) {
    for (const s of ordered) {
      const x = positions.get(s)?.[axis];
      if (!x) continue;
      for (let i = 0; i < s.length; i++) if (probe(s, i)) return x[i];
    }
  }
  return undefined;
}

function rank(series: Series, metric: string): number {
  if (series.name === metric) return 2;
  return series.metric === metric ? 1 : 0;
}

/**
 * What the panel last sent, to check the webview's requests against: it may only ask to reveal runs it
 * was given, and script places that came with that run's markers.
 */
export class SentRuns {
  private readonly code = new Map<string, Set<string>>();

  constructor(runs: readonly RunData[]) {
    for (const run of runs) this.code.set(run.key, new Set(run.markers.flatMap((m) => (m.code ?? []).map(codeKey))));
  }

  has(key: string): boolean {
    return this.code.has(key);
  }

  /** True when run `key` was sent, and `code` (if any) is one of its markers' script places. */
  allowsReveal(key: string, code: CodeRef | null): boolean {
    const places = this.code.get(key);
    return places !== undefined && (code === null || places.has(codeKey(code)));
  }
}

function codeKey(code: CodeRef): string {
  return `${code.file}\n${code.line}\n${code.column}`;
}

/** A TrainDx diagnostic under the editor's cursor: its finding id and where it starts (1-based). */
export interface DiagnosticPlace {
  readonly id: string;
  readonly line: number;
  readonly column: number;
}

/**
 * The markers that show the diagnostics at the cursor of a document. In a log (`uri` is a run key's
 * log): the markers of its runs with the same finding id on the same line. In a script (`path`): the
 * markers linked to a code place that starts where the diagnostic does.
 */
export function highlightTargets(runs: readonly RunData[], document: { readonly uri: string; readonly path: string }, places: readonly DiagnosticPlace[]): HighlightTarget[] {
  const out: HighlightTarget[] = [];
  if (places.length === 0) return out;
  for (const run of runs) {
    const inLog = logOfKey(run.key) === document.uri;
    run.markers.forEach((marker, index) => {
      const shown = places.some(
        (p) =>
          (inLog && marker.id === p.id && marker.line === p.line) ||
          (marker.code ?? []).some((c) => c.file === document.path && c.line === p.line && c.column === p.column),
      );
      if (shown) out.push({ run: run.key, marker: markerKey(marker, index) });
    });
  }
  return out;
}

/** The log part of a run key (`file:///ws/a.log#0` → `file:///ws/a.log`). */
function logOfKey(key: string): string {
  const hash = key.lastIndexOf('#');
  return hash < 0 ? key : key.slice(0, hash);
}

/** What to send the webview after the runs changed. */
export type RunsUpdate =
  /** Nothing changed; `runs` is the empty append (for when only the selection moved). */
  | { readonly kind: 'same'; readonly runs: RunAppend[] }
  | { readonly kind: 'append'; readonly runs: RunAppend[] }
  | { readonly kind: 'snapshot' };

/**
 * An append replaces at most this many of a series' points (or this share of them, when larger).
 * Beyond, the points were re-chosen (downsampling past {@link MAX_POINTS_PER_SERIES}): send a snapshot.
 */
const MAX_REPLACED_POINTS = 16;
const MAX_REPLACED_SHARE = 0.5;

/**
 * How to bring a webview that holds `before` to `after`. An append when the runs are the same, in the
 * same order, on the same axes, with the same series, and each series only gained points or changed a
 * short tail (per-step points re-spread over a growing epoch); a snapshot otherwise: runs added,
 * removed or restarted, a new series, or a series re-downsampled. While a series is under the host's
 * cap its points are sent whole, so a growing run travels as appends; once it passes the cap every
 * update picks new points and goes as a snapshot (of at most the cap per series).
 * `same` when nothing at all changed (markers and labels included).
 */
export function runsUpdate(before: readonly RunData[], after: readonly RunData[]): RunsUpdate {
  if (before.length !== after.length) return { kind: 'snapshot' };
  const runs: RunAppend[] = [];
  let changed = false;
  for (let r = 0; r < after.length; r++) {
    const a = before[r];
    const b = after[r];
    if (a.key !== b.key || a.xLabel !== b.xLabel || a.axes.join() !== b.axes.join() || a.series.length !== b.series.length) return { kind: 'snapshot' };
    const series: SeriesAppend[] = [];
    for (let i = 0; i < b.series.length; i++) {
      const s = a.series[i];
      const t = b.series[i];
      if (s.name !== t.name || s.metric !== t.metric || s.split !== t.split) return { kind: 'snapshot' };
      const from = firstDifference(s, t, b.axes);
      if (from === s.x.length && from === t.x.length) continue;
      if (s.x.length - from > Math.max(MAX_REPLACED_POINTS, s.x.length * MAX_REPLACED_SHARE)) return { kind: 'snapshot' };
      series.push(seriesTail(t, i, from, b.axes));
    }
    if (series.length > 0 || a.label !== b.label || JSON.stringify(a.markers) !== JSON.stringify(b.markers)) changed = true;
    runs.push({ key: b.key, label: b.label, series, markers: b.markers });
  }
  return { kind: changed ? 'append' : 'same', runs };
}

/** The first index where two versions of a series differ in any coordinate, value or line (the shorter length when one extends the other). */
function firstDifference(s: SeriesData, t: SeriesData, axes: readonly XAxis[]): number {
  const n = Math.min(s.x.length, t.x.length);
  const columns: [readonly unknown[], readonly unknown[]][] = [
    [s.x, t.x],
    [s.y, t.y],
    [s.line, t.line],
  ];
  for (const axis of axes.slice(1)) columns.push([s.byAxis?.[axis] ?? [], t.byAxis?.[axis] ?? []]);
  let first = n;
  for (const [p, q] of columns) {
    for (let i = 0; i < first; i++) {
      if (p[i] !== q[i]) {
        first = i;
        break;
      }
    }
  }
  return first;
}

function seriesTail(t: SeriesData, index: number, from: number, axes: readonly XAxis[]): SeriesAppend {
  const out = { index, name: t.name, from, x: t.x.slice(from), y: t.y.slice(from), line: t.line.slice(from) };
  if (axes.length === 1) return out;
  const byAxis: Partial<Record<XAxis, number[]>> = {};
  for (const axis of axes.slice(1)) byAxis[axis] = (t.byAxis?.[axis] ?? []).slice(from);
  return { ...out, byAxis };
}
