/**
 * Shapes an engine `Run` and its curve findings into the panel's `RunData`: x positions, JSON-safe
 * values, a bounded number of points per series, and markers placed on the x axis.
 * Pure: no `vscode`, no I/O, so it is unit-tested and shared by anything that feeds the panel.
 */
import type { CurveFinding, Run, Series } from '../engine/types';
import type { MarkerData, RunData, SeriesData } from '../protocol/messages';

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
 * non-finite values become `null`; long series keep the first, last, minimum and maximum of each
 * bucket and every non-finite point; markers are placed from each finding's evidence.
 */
export function toRunData(run: Run, findings: readonly CurveFinding[], key: string, options: RunDataOptions = {}): RunData {
  const maxPoints = Math.max(8, options.maxPoints ?? MAX_POINTS_PER_SERIES);
  const xLabel = run.series.some((s) => hasFinite(s.epoch, s.length)) ? 'epoch' : 'step';
  const xs = new Map<Series, Float64Array>();
  const series: SeriesData[] = [];
  for (const s of run.series) {
    if (s.length === 0) continue;
    const x = xPositions(s, xLabel);
    xs.set(s, x);
    series.push(seriesData(s, x, maxPoints));
  }
  const markers: MarkerData[] = [];
  for (const finding of findings) {
    const marker = markerFor(finding, run, xs, xLabel);
    if (marker) markers.push(marker);
  }
  return { key, label: options.label ?? runLabel(run), xLabel, series, markers };
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
 * so they end where that epoch's summary (validation, say) is drawn instead of stacking vertically.
 */
export function xPositions(series: Series, axis: 'epoch' | 'step'): Float64Array {
  const n = series.length;
  const source = axis === 'epoch' ? series.epoch : series.step;
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
  if (axis === 'epoch') spreadRepeats(x);
  return x;
}

function spreadRepeats(x: Float64Array): void {
  const n = x.length;
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && x[end] === x[start]) end++;
    const count = end - start;
    if (count > 1) {
      const epoch = x[start];
      for (let k = 0; k < count; k++) x[start + k] = epoch - 1 + (k + 1) / count;
    }
    start = end;
  }
}

function seriesData(s: Series, x: Float64Array, maxPoints: number): SeriesData {
  const n = s.length;
  const keep = selectIndices(s.value.subarray(0, n), maxPoints);
  const count = keep ? keep.length : n;
  const xs = new Array<number>(count);
  const ys = new Array<number | null>(count);
  const lines = new Array<number>(count);
  for (let j = 0; j < count; j++) {
    const i = keep ? keep[j] : j;
    const v = s.value[i];
    xs[j] = x[i];
    ys[j] = Number.isFinite(v) ? v : null;
    lines[j] = s.line[i];
  }
  return { name: s.name, metric: s.metric, split: s.split, x: xs, y: ys, line: lines };
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
  xs: ReadonlyMap<Series, Float64Array>,
  axis: 'epoch' | 'step',
): MarkerData | undefined {
  const base = {
    id: finding.id,
    severity: finding.severity,
    metric: finding.metric,
    message: finding.message,
    line: finding.line,
  };
  for (const evidence of finding.evidence) {
    const series = run.series.find((s) => s.name === evidence.series);
    const x = series && xs.get(series);
    if (!series || !x || series.length === 0) continue;
    const start = clampIndex(evidence.startIndex, series.length);
    const end = clampIndex(evidence.endIndex, series.length);
    if (start === undefined) continue;
    const xStart = x[start];
    const xEnd = end === undefined ? xStart : Math.max(xStart, x[end]);
    return { ...base, x: xStart, xEnd };
  }
  const x = fallbackX(finding, run, xs, axis);
  return x === undefined ? undefined : { ...base, x, xEnd: x };
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
  xs: ReadonlyMap<Series, Float64Array>,
  axis: 'epoch' | 'step',
): number | undefined {
  const own = axis === 'epoch' ? finding.epoch : finding.step;
  if (own !== null && Number.isFinite(own)) return own;
  const ordered = [...run.series].sort((a, b) => rank(b, finding.metric) - rank(a, finding.metric));
  const probes: ((s: Series, i: number) => boolean)[] = [];
  const other = axis === 'epoch' ? finding.step : finding.epoch;
  if (other !== null && Number.isFinite(other)) {
    probes.push((s, i) => (axis === 'epoch' ? s.step[i] : s.epoch[i]) === other);
  }
  if (finding.line !== null) probes.push((s, i) => s.line[i] === finding.line);
  for (const probe of probes) {
    for (const s of ordered) {
      const x = xs.get(s);
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
