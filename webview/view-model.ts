/**
 * What the curve panel draws, decided without a DOM or chart.js: which charts, which datasets in
 * each, their styles (as CSS variable names, resolved at draw time), y-limits that ignore spikes,
 * and the finding markers. main.ts only turns these specs into charts.
 *
 * Later view options (smoothing, log scale, hidden series) belong in {@link ViewOptions} and are
 * applied here, so they stay unit-testable.
 */
import { markerKey, type CodeLink, type HighlightTarget, type MarkerData, type RunData, type SeriesData, type XAxis } from '../src/protocol/messages';

/** A VS Code theme colour, by CSS custom property name. */
export type ColorVar = `--vscode-${string}`;

export const COLORS = {
  blue: '--vscode-charts-blue',
  orange: '--vscode-charts-orange',
  green: '--vscode-charts-green',
  purple: '--vscode-charts-purple',
  yellow: '--vscode-charts-yellow',
  red: '--vscode-charts-red',
  foreground: '--vscode-charts-foreground',
  lines: '--vscode-charts-lines',
} as const satisfies Record<string, ColorVar>;

type Split = SeriesData['split'];
type Severity = MarkerData['severity'];

/** One colour per split, so train/val/test read the same on every chart. */
export const SPLIT_COLORS: Readonly<Record<Split, ColorVar>> = {
  train: COLORS.blue,
  val: COLORS.orange,
  test: COLORS.green,
};

/** Line dash per split (canvas `setLineDash` segments): train solid, val dashed, test dotted. */
export const SPLIT_DASH: Readonly<Record<Split, readonly number[]>> = {
  train: [],
  val: [6, 4],
  test: [2, 3],
};

/** Extra metrics sharing a chart with the main one (`kd_loss` beside `loss`) cycle through these. */
const SECONDARY_COLORS: readonly ColorVar[] = [COLORS.purple, COLORS.yellow, COLORS.red, COLORS.foreground];

export const SEVERITY_COLORS: Readonly<Record<Severity, ColorVar>> = {
  error: COLORS.red,
  warning: COLORS.yellow,
  info: COLORS.purple,
  hint: COLORS.foreground,
};

export type Family = 'loss' | 'accuracy' | 'lr' | 'grad_norm' | 'other';

const FAMILY_ORDER: readonly Family[] = ['loss', 'accuracy', 'lr', 'grad_norm', 'other'];
const FAMILY_TITLES: Readonly<Record<Exclude<Family, 'other'>, string>> = {
  loss: 'Loss',
  accuracy: 'Accuracy',
  lr: 'Learning rate',
  grad_norm: 'Gradient norm',
};

export interface ViewOptions {
  /** `robust` keeps the 5th–95th percentile band (widened, never cutting a short series); `full` keeps every finite value. */
  readonly yRange: 'robust' | 'full';
  /** TensorBoard's EMA weight, 0 (off) to {@link MAX_SMOOTHING}. */
  readonly smoothing: number;
  /** Logarithmic y axis: values ≤ 0 are left out of the line (drawn as gaps) and counted. */
  readonly logScale: boolean;
  /** The x axis the user asked for; a run that does not offer it is drawn by its default axis. */
  readonly xAxis?: XAxis;
}

export const DEFAULT_SMOOTHING = 0.6;
export const MAX_SMOOTHING = 0.999;

/** The data as logged (no smoothing, linear axis). The panel starts at {@link DEFAULT_SMOOTHING}. */
export const DEFAULT_VIEW_OPTIONS: ViewOptions = { yRange: 'robust', smoothing: 0, logScale: false };

/** A smoothing weight clamped into 0..{@link MAX_SMOOTHING}; anything unreadable is the default. */
export function clampSmoothing(value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) return DEFAULT_SMOOTHING;
  return Math.min(MAX_SMOOTHING, Math.max(0, value));
}

/**
 * TensorBoard's debiased exponential moving average: `last = last * w + (1 - w) * v`, divided by
 * `1 - w^n` where n counts the finite values so far. Non-finite values pass through unchanged and
 * leave the average alone. Weight 0 returns the values as they are.
 */
export function smooth(values: readonly number[], weight: number): number[] {
  const w = Math.min(MAX_SMOOTHING, Math.max(0, weight));
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    count++;
    const debias = w === 1 ? 1 : 1 - Math.pow(w, count);
    return last / debias;
  });
}

/** Below this many finite values in a chart, the y-range shows them all. */
export const FEW_POINTS = 20;
/** Datasets up to this length draw their points; longer ones draw only the line. */
export const SHOW_POINTS_UP_TO = 100;
/** Charts whose longest dataset exceeds this are decimated (LTTB) at draw time. */
export const DECIMATE_ABOVE = 1000;

export interface Point {
  readonly x: number;
  /** NaN where the log had a non-finite value: drawn as a gap. */
  readonly y: number;
  /** On a smoothed curve, the logged value at this x (for the tooltip). */
  readonly raw?: number;
}

export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface DatasetSpec {
  /** Unique within the chart. */
  readonly key: string;
  readonly label: string;
  readonly metric: string;
  readonly split: Split;
  readonly color: ColorVar;
  readonly dash: readonly number[];
  readonly width: number;
  readonly pointRadius: number;
  /** What is drawn: smoothed when smoothing is on. */
  readonly points: Point[];
  /** The logged values, drawn faintly behind a smoothed curve; null when smoothing is off. */
  readonly raw: Point[] | null;
  /** The values as logged, whatever the view options (for the table and CSV export). */
  readonly logged: readonly Point[];
  /** Source line of each point, parallel to `points`. */
  readonly lines: readonly number[];
  readonly nonFinite: number;
  /** Values ≤ 0 left out because the y axis is logarithmic. */
  readonly nonPositive: number;
}

export interface MarkerSpec {
  /** `id#index`, the index in the run's markers ({@link markerKey}): what `highlight` messages name. */
  readonly key: string;
  readonly id: string;
  readonly severity: Severity;
  readonly metric: string;
  readonly message: string;
  readonly x: number;
  readonly xEnd: number;
  /** Shade x..xEnd as well as drawing the line at x. */
  readonly box: boolean;
  readonly line: number | null;
  /** Linked script places (possible causes); a click reveals the first beside the log line. */
  readonly code: readonly CodeLink[];
  readonly color: ColorVar;
}

export interface ChartSpec {
  /** Stable across snapshots: `loss`, `accuracy`, `lr`, `grad_norm`, or `metric:NAME`. */
  readonly key: string;
  readonly family: Family;
  readonly title: string;
  readonly xLabel: XAxis;
  readonly datasets: DatasetSpec[];
  /** y-limits, or null when the chart has no finite value (let the chart pick). */
  readonly y: Range | null;
  readonly markers: MarkerSpec[];
  /** Whether LTTB decimation may be used: long data, and no gaps for it to erase. */
  readonly decimate: boolean;
  /** Logarithmic y axis (asked for, and the chart has a value > 0 to draw). */
  readonly logScale: boolean;
}

export interface RunView {
  readonly key: string;
  readonly label: string;
  /** The axis drawn. */
  readonly xLabel: XAxis;
  /** The axes the run offers, its default first (the toolbar's choices). */
  readonly axes: readonly XAxis[];
  readonly charts: ChartSpec[];
  /** Every marker of the run, including those whose metric has no chart. */
  readonly markers: MarkerSpec[];
}

/** `val_loss` → `loss`; names without a split prefix are returned as they are. */
export function baseMetric(name: string): string {
  const stripped = name.replace(/^(train|training|val|valid|validation|eval|test)[_/.-]/i, '');
  return stripped.length > 0 ? stripped : name;
}

/** The chart a metric is drawn on: its family, the chart key and title. */
export function familyOf(metric: string): { family: Family; key: string; title: string } {
  const name = baseMetric(metric);
  const family = classify(name);
  if (family === 'other') return { family, key: `metric:${name}`, title: name };
  return { family, key: family, title: FAMILY_TITLES[family] };
}

function classify(name: string): Family {
  const lower = name.toLowerCase();
  if (lower.includes('loss')) return 'loss';
  if (/grad(ient)?[_-]?norm/.test(lower)) return 'grad_norm';
  if (/(^|[^a-z])acc(uracy)?([^a-z]|$)/.test(lower)) return 'accuracy';
  if (/^(lr|learning[_-]?rate)([^a-z].*)?$/.test(lower)) return 'lr';
  return 'other';
}

interface Group<T> {
  readonly family: Family;
  readonly title: string;
  readonly items: T[];
}

/** Series grouped by chart key, in the order the charts first appear. */
function groupByChart<T>(items: readonly T[], series: (item: T) => SeriesData): Map<string, Group<T>> {
  const groups = new Map<string, Group<T>>();
  for (const item of items) {
    const s = series(item);
    if (s.x.length === 0) continue;
    const { family, key, title } = familyOf(s.metric);
    let group = groups.get(key);
    if (!group) {
      group = { family, title, items: [] };
      groups.set(key, group);
    }
    group.items.push(item);
  }
  return groups;
}

/** Stable sort: families in a fixed order, other metrics in the order the log introduced them. */
function sortCharts(charts: ChartSpec[]): ChartSpec[] {
  return charts.sort((a, b) => FAMILY_ORDER.indexOf(a.family) - FAMILY_ORDER.indexOf(b.family));
}

/** The axis a run is drawn by: the one asked for when the run offers it, else the run's default. */
export function axisOf(run: RunData, wanted: XAxis | undefined): XAxis {
  return wanted !== undefined && run.axes.includes(wanted) ? wanted : run.xLabel;
}

/** The run's series with their x on `axis` (which the run offers). */
function seriesOnAxis(run: RunData, axis: XAxis): SeriesData[] {
  return axis === run.xLabel ? run.series : run.series.map((s) => ({ ...s, x: s.byAxis?.[axis] ?? s.x }));
}

/** The run's markers placed on `axis`, keyed by their index in the run ({@link markerKey}); those without a place there are left out. */
function markersOnAxis(run: RunData, axis: XAxis): MarkerSpec[] {
  return run.markers.flatMap((m, i) => {
    const place = axis === run.xLabel ? m : m.byAxis?.[axis];
    return place ? [markerSpec({ ...m, x: place.x, xEnd: place.xEnd }, i)] : [];
  });
}

/** Builds the charts for one run. */
export function buildRunView(data: RunData, options: ViewOptions = DEFAULT_VIEW_OPTIONS): RunView {
  const axis = axisOf(data, options.xAxis);
  const groups = groupByChart(seriesOnAxis(data, axis), (s) => s);
  const markers = markersOnAxis(data, axis);
  const charts: ChartSpec[] = [];
  for (const [key, group] of groups) {
    const chartMarkers = markers.filter((m) => familyOf(m.metric).key === key);
    charts.push(chartSpec(key, group.family, group.title, axis, datasetsFor(group.family, group.items), chartMarkers, options));
  }
  return { key: data.key, label: data.label, xLabel: axis, axes: data.axes, charts: sortCharts(charts), markers };
}

/** One colour per run when several runs share a chart; the split still sets the dash. */
export const RUN_COLORS: readonly ColorVar[] = [
  COLORS.blue,
  COLORS.orange,
  COLORS.green,
  COLORS.purple,
  COLORS.yellow,
  COLORS.red,
  COLORS.foreground,
];

/** The folder of a run key (`file:///ws/logs/a.log#0` → `file:///ws/logs/`); keys without a `/` have none. */
export function runFolder(key: string): string {
  const path = key.replace(/#[^/#]*$/, '');
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash + 1);
}

/**
 * The runs drawn together with `selected`: those in its folder that offer the axis `selected` is drawn
 * by (`wanted` when it offers it, else its default), `selected` first.
 */
export function overlayRuns(runs: readonly RunData[], selected: RunData, wanted?: XAxis): RunData[] {
  const folder = runFolder(selected.key);
  const axis = axisOf(selected, wanted);
  return [selected, ...runs.filter((r) => r !== selected && r.key !== selected.key && r.axes.includes(axis) && runFolder(r.key) === folder)];
}

/**
 * The same metrics of several runs on one chart per family: a colour per run, the split's dash,
 * labels naming the run. Markers are those of `selected` (the first run), which the view is keyed by.
 */
export function buildOverlayView(given: readonly RunData[], options: ViewOptions = DEFAULT_VIEW_OPTIONS): RunView {
  const axis = axisOf(given[0], options.xAxis);
  const runs = given.filter((r) => r.axes.includes(axis));
  const selected = runs[0];
  const entries = runs.flatMap((run, r) => seriesOnAxis(run, axis).map((series) => ({ run, r, series })));
  const groups = groupByChart(entries, (e) => e.series);
  const markers = markersOnAxis(selected, axis);
  const charts: ChartSpec[] = [];
  for (const [key, group] of groups) {
    const seen = new Map<string, number>();
    const datasets = group.items.map(({ run, r, series }): DatasetSpec => {
      const base = datasetsFor(group.family, [series])[0];
      const id = `${run.key}|${series.name}`;
      const count = seen.get(id) ?? 0;
      seen.set(id, count + 1);
      return {
        ...base,
        key: count === 0 ? id : `${id}#${count + 1}`,
        label: `${run.label}: ${series.name}`,
        color: RUN_COLORS[r % RUN_COLORS.length],
      };
    });
    const chartMarkers = markers.filter((m) => familyOf(m.metric).key === key);
    charts.push(chartSpec(key, group.family, group.title, axis, datasets, chartMarkers, options));
  }
  const label = runs.length === 1 ? selected.label : `${selected.label} + ${runs.length - 1} more run${runs.length === 2 ? '' : 's'}`;
  return { key: selected.key, label, xLabel: axis, axes: given[0].axes, charts: sortCharts(charts), markers };
}

function chartSpec(
  key: string,
  family: Family,
  title: string,
  xLabel: XAxis,
  logged: DatasetSpec[],
  markers: MarkerSpec[],
  options: ViewOptions,
): ChartSpec {
  const logScale = options.logScale && logged.some((d) => d.points.some((p) => p.y > 0));
  // A learning-rate schedule is exact, not noisy: smoothing would only blur its steps.
  const smoothing = family === 'lr' ? 0 : options.smoothing;
  const datasets = logged.map((d) => applyOptions(d, logScale, smoothing));
  const longest = datasets.reduce((n, d) => Math.max(n, d.points.length), 0);
  const range = logScale ? logRange(datasets) : yRange(datasets.map((d) => (d.raw ? { ...d, points: d.raw } : d)), options);
  return {
    key,
    family,
    title,
    xLabel,
    datasets,
    y: withHeadroom(range, markers.length > 0, logScale),
    markers,
    decimate: longest > DECIMATE_ABOVE && datasets.every((d) => d.nonFinite === 0 && d.nonPositive === 0),
    logScale,
  };
}

/** Log scale turns values ≤ 0 into gaps; smoothing replaces the drawn points and keeps the logged ones as `raw`. */
function applyOptions(d: DatasetSpec, logScale: boolean, smoothing: number): DatasetSpec {
  let points = d.points;
  let nonPositive = 0;
  if (logScale) {
    points = points.map((p) => {
      if (p.y <= 0) {
        nonPositive++;
        return { x: p.x, y: NaN };
      }
      return p;
    });
  }
  if (smoothing <= 0) return { ...d, points, raw: null, nonPositive };
  // smooth(), inlined: one pass and no intermediate arrays (a million points redraw as the slider moves).
  const w = Math.min(MAX_SMOOTHING, smoothing);
  const smoothed = new Array<Point>(points.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    let y = p.y;
    if (Number.isFinite(y)) {
      last = last * w + (1 - w) * y;
      count++;
      y = last / (1 - Math.pow(w, count));
    }
    smoothed[i] = { x: p.x, y, raw: p.y };
  }
  return { ...d, points: smoothed, raw: points, nonPositive };
}

/** y-limits on a log axis: every value > 0, padded by 5% of the decades shown. */
export function logRange(datasets: readonly DatasetSpec[]): Range | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of datasets) {
    for (const p of d.raw ?? d.points) {
      if (Number.isFinite(p.y) && p.y > 0) {
        lo = Math.min(lo, p.y);
        hi = Math.max(hi, p.y);
      }
    }
  }
  if (lo === Infinity) return null;
  const factor = hi > lo ? Math.pow(hi / lo, 0.05) : 1.1;
  return { min: lo / factor, max: hi * factor };
}

function datasetsFor(family: Family, series: readonly SeriesData[]): DatasetSpec[] {
  // The chart's main metric takes the split colours; any other metric gets a colour of its own.
  const metrics = [...new Set(series.map((s) => s.metric))];
  const main = metrics.find((m) => m === family) ?? metrics[0];
  const secondary = metrics.filter((m) => m !== main);
  const seen = new Map<string, number>();
  return series.map((s) => {
    const count = seen.get(s.name) ?? 0;
    seen.set(s.name, count + 1);
    const color =
      s.metric === main
        ? SPLIT_COLORS[s.split]
        : SECONDARY_COLORS[secondary.indexOf(s.metric) % SECONDARY_COLORS.length];
    const points = toPoints(s);
    return {
      key: count === 0 ? s.name : `${s.name}#${count + 1}`,
      label: s.name,
      metric: s.metric,
      split: s.split,
      color,
      dash: SPLIT_DASH[s.split],
      width: 1.5,
      pointRadius: points.length <= SHOW_POINTS_UP_TO ? 2 : 0,
      points,
      raw: null,
      logged: points,
      lines: s.line,
      nonFinite: s.y.reduce<number>((n, v) => (v === null || !Number.isFinite(v) ? n + 1 : n), 0),
      nonPositive: 0,
    };
  });
}

function toPoints(series: SeriesData): Point[] {
  const n = Math.min(series.x.length, series.y.length);
  const points = new Array<Point>(n);
  for (let i = 0; i < n; i++) {
    const y = series.y[i];
    points[i] = { x: series.x[i], y: y === null ? NaN : y };
  }
  return points;
}

function markerSpec(marker: MarkerData, index: number): MarkerSpec {
  const xEnd = Number.isFinite(marker.xEnd) ? Math.max(marker.x, marker.xEnd) : marker.x;
  return {
    key: markerKey(marker, index),
    id: marker.id,
    severity: marker.severity,
    metric: marker.metric,
    message: marker.message,
    x: marker.x,
    xEnd,
    box: xEnd > marker.x,
    line: marker.line,
    code: marker.code ?? [],
    color: SEVERITY_COLORS[marker.severity] ?? COLORS.foreground,
  };
}

/**
 * y-limits for a chart. Robust mode takes the 5th–95th percentile band, widens it by its own width
 * on each side (so a collapse or a slow start stays in view), never beyond the data, and always
 * includes each dataset's latest value (a run diverging right now must show it). A lone spike
 * far outside the band is clipped. Charts with few values show them all. Padded by 5%.
 */
export function yRange(datasets: readonly DatasetSpec[], options: ViewOptions = DEFAULT_VIEW_OPTIONS): Range | null {
  let count = 0;
  for (const d of datasets) for (const p of d.points) if (Number.isFinite(p.y)) count++;
  if (count === 0) return null;
  const values = new Float64Array(count);
  let j = 0;
  for (const d of datasets) for (const p of d.points) if (Number.isFinite(p.y)) values[j++] = p.y;
  values.sort();
  const min = values[0];
  const max = values[count - 1];
  let lo = min;
  let hi = max;
  if (options.yRange === 'robust' && count >= FEW_POINTS) {
    const p5 = quantile(values, 0.05);
    const p95 = quantile(values, 0.95);
    const width = p95 - p5;
    lo = Math.max(min, p5 - width);
    hi = Math.min(max, p95 + width);
    for (const d of datasets) {
      const last = lastFinite(d.points);
      if (last !== undefined) {
        lo = Math.min(lo, last);
        hi = Math.max(hi, last);
      }
    }
  }
  return pad(lo, hi);
}

/** Room above the data for the marker labels drawn along the top edge. */
function withHeadroom(range: Range | null, markers: boolean, log = false): Range | null {
  if (!range || !markers) return range;
  if (log) return { min: range.min, max: range.max * Math.pow(range.max / range.min, 0.1) };
  return { min: range.min, max: range.max + (range.max - range.min) * 0.1 };
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const below = Math.floor(pos);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (pos - below);
}

function lastFinite(points: readonly Point[]): number | undefined {
  for (let i = points.length - 1; i >= 0; i--) if (Number.isFinite(points[i].y)) return points[i].y;
  return undefined;
}

function pad(lo: number, hi: number): Range {
  const span = hi - lo;
  const margin = span > 0 ? span * 0.05 : Math.abs(lo) * 0.05 || 1;
  return { min: lo - margin, max: hi + margin };
}

export interface SelectionState {
  /** The run the user chose (or last saw), persisted with `setState`. */
  readonly selectedKey: string | null;
  /** The host's `selected` in the last snapshot, to notice when the host moves the selection. */
  readonly hostSelected: string | null;
}

/**
 * Which run to show: the host's choice when it changed since the last snapshot, else the run the
 * user was looking at if it still exists, else the host's choice, else the first run.
 */
export function chooseRun(runs: readonly RunData[], hostSelected: string | null, state: SelectionState): RunData | undefined {
  const byKey = (key: string | null): RunData | undefined => (key === null ? undefined : runs.find((r) => r.key === key));
  if (hostSelected !== state.hostSelected) {
    const host = byKey(hostSelected);
    if (host) return host;
  }
  return byKey(state.selectedKey) ?? byKey(hostSelected) ?? runs[0];
}

export interface DataTable {
  /** The x label, then one column per dataset. */
  readonly columns: string[];
  /** Sorted by x; `undefined` where a series has no value at that x, NaN where it logged a non-finite one. */
  readonly rows: (number | undefined)[][];
  /** Rows in the whole table; more than `rows.length` when a row limit cut it. */
  readonly total: number;
}

/**
 * A chart's logged data as a table: one row per distinct x over all its datasets (ascending), one
 * column per dataset. A series that logged the same x twice (a resumed run) shows its last value.
 */
export function chartTable(chart: ChartSpec, maxRows = Infinity): DataTable {
  const xs = new Map<number, number>();
  for (const d of chart.datasets) for (const p of d.logged) if (!xs.has(p.x)) xs.set(p.x, 0);
  const sorted = Float64Array.from(xs.keys()).sort();
  const kept = Math.min(sorted.length, maxRows);
  const rows = new Array<(number | undefined)[]>(kept);
  for (let i = 0; i < sorted.length; i++) {
    xs.set(sorted[i], i);
    if (i < kept) {
      const row = new Array<number | undefined>(chart.datasets.length + 1).fill(undefined);
      row[0] = sorted[i];
      rows[i] = row;
    }
  }
  chart.datasets.forEach((d, column) => {
    for (const p of d.logged) {
      const i = xs.get(p.x) ?? kept;
      if (i < kept) rows[i][column + 1] = p.y;
    }
  });
  return { columns: [axisColumn(chart.xLabel), ...chart.datasets.map((d) => d.label)], rows, total: sorted.length };
}

/** One CSV field: quoted when needed; text that a spreadsheet would run as a formula is defused with `'`. */
function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvNumber(value: number | undefined): string {
  if (value === undefined) return '';
  return Number.isFinite(value) || Number.isNaN(value) ? String(value) : value > 0 ? 'inf' : '-inf';
}

/** A table as CSV (RFC 4180, `\n` line ends): missing values empty, non-finite ones `NaN`, `inf`, `-inf`. */
export function toCsv(table: DataTable): string {
  const lines = [table.columns.map(csvField).join(',')];
  for (const row of table.rows) lines.push(row.map(csvNumber).join(','));
  return `${lines.join('\n')}\n`;
}

/** Short number for y ticks and tooltips: 4 significant digits, an exponent for tiny or huge values. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return Number(value.toPrecision(3)).toExponential();
  return String(Number(value.toPrecision(4)));
}

/** An x position as users read it: whole epochs and steps in full, fractions of an epoch to 2 places. */
export function formatX(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2)));
}

/** Where a marker sits, for lists and tooltips: `epoch 27`, `epoch 24–27` for a window, `at 1:02:03` on the wall-time axis. */
export function markerPlace(marker: MarkerSpec, xLabel: XAxis): string {
  const prefix = xLabel === 'wall' ? 'at' : xLabel;
  const at = (x: number) => formatAxisValue(x, xLabel);
  return marker.box ? `${prefix} ${at(marker.x)}–${at(marker.xEnd)}` : `${prefix} ${at(marker.x)}`;
}

/** A marker's hover text: its message, the log line, and the script lines linked to it. */
export function markerTooltip(marker: MarkerSpec): string {
  const parts = [marker.line === null ? marker.message : `${marker.message} (log line ${marker.line})`];
  for (const code of marker.code) parts.push(`${codePlace(code)}: ${code.message}`);
  return parts.join('\n');
}

/** A script place as a short label: `train.py:31`. */
export function codePlace(code: CodeLink): string {
  const name = code.file.split(/[\\/]/).filter((part) => part.length > 0).pop() ?? code.file;
  return `${name}:${code.line}`;
}

/** The axis as the toolbar and axis titles name it. */
export const AXIS_TITLES: Readonly<Record<XAxis, string>> = { epoch: 'epoch', step: 'step', wall: 'elapsed time' };

/** The x column's header in tables and CSV: wall time is exported in seconds. */
export function axisColumn(axis: XAxis): string {
  return axis === 'wall' ? 'elapsed_seconds' : axis;
}

/** An x value as users read it on `axis`: {@link formatX} for epochs and steps, {@link formatElapsed} for wall time. */
export function formatAxisValue(value: number, axis: XAxis): string {
  return axis === 'wall' ? formatElapsed(value) : formatX(value);
}

/** Seconds as elapsed time `h:mm:ss` (`0:00:07`, `27:46:40`); a fraction of a second adds one decimal (`0:00:00.5`). */
export function formatElapsed(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const sign = seconds < 0 ? '-' : '';
  const tenths = Math.round(Math.abs(seconds) * 10);
  const whole = Math.floor(tenths / 10);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = whole % 60;
  const fraction = tenths % 10 === 0 ? '' : `.${tenths % 10}`;
  return `${sign}${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}${fraction}`;
}

/** Tick spacings for elapsed time, in seconds: round seconds, minutes, hours, then days. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/**
 * Tick positions for an elapsed-time axis from `min` to `max` seconds: multiples of the smallest round
 * time step that gives at most `maxTicks` ticks (below a second, decimal steps; beyond a day, whole days).
 */
export function timeTicks(min: number, max: number, maxTicks = 8): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  const span = max - min;
  const wanted = span / Math.max(1, maxTicks - 1);
  let step = TIME_STEPS.find((s) => s >= wanted);
  if (step === undefined) step = Math.ceil(wanted / 86400) * 86400;
  else if (wanted < 1 && span > 0) {
    const decade = Math.pow(10, Math.floor(Math.log10(wanted)));
    step = [1, 2, 5, 10].map((f) => f * decade).find((s) => s >= wanted) ?? 1;
  }
  const out: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + 1e-9 * step; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** The keys of the markers of `view` that `targets` name (targets for other runs are ignored). */
export function highlightedKeys(targets: readonly HighlightTarget[], view: Pick<RunView, 'key' | 'markers'> | undefined): Set<string> {
  if (!view) return new Set();
  const keys = new Set(view.markers.map((m) => m.key));
  return new Set(targets.filter((t) => t.run === view.key && keys.has(t.marker)).map((t) => t.marker));
}

/** How a marker is drawn: an emphasised one is solid and thicker, its window darker, its label saying where it starts. */
export interface MarkerLook {
  readonly lineWidth: number;
  readonly dash: readonly number[];
  /** Opacity of the shaded window. */
  readonly boxAlpha: number;
  readonly label: string;
  readonly bold: boolean;
}

export function markerLook(marker: MarkerSpec, xLabel: XAxis, highlighted: boolean): MarkerLook {
  if (!highlighted) return { lineWidth: 1.5, dash: [4, 3], boxAlpha: 0.14, label: marker.id, bold: false };
  return { lineWidth: 3, dash: [], boxAlpha: 0.3, label: `${marker.id} · ${markerPlace(marker, xLabel)}`, bold: true };
}

/**
 * For a hover at pixel `x`: the nearest point of each series whose points span that position (within `slack`
 * pixels of its first and last point), so the tooltip lists every series' value at that x even when the
 * series are logged on different grids (training per step, validation per epoch). `series[i]` holds one
 * series' point positions in pixels, ascending. Returns [series index, point index] pairs.
 */
export function nearestOfEachSeries(series: readonly (readonly number[])[], x: number, slack = 8): [number, number][] {
  const out: [number, number][] = [];
  series.forEach((xs, s) => {
    const n = xs.length;
    if (n === 0 || !(x >= xs[0] - slack && x <= xs[n - 1] + slack)) return;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    const best = lo > 0 && x - xs[lo - 1] <= xs[lo] - x ? lo - 1 : lo;
    out.push([s, best]);
  });
  return out;
}

/**
 * Rows for marker labels drawn centred on their lines along the top of a chart, so that labels of markers close
 * together (a plateau starting a few epochs before a collapse) stack instead of covering each other: each label
 * takes the first row where it clears the labels already there. `pxPerUnit` turns x into pixels; a label is
 * about `charPx` per character plus its padding. Returns each marker's row (0 = the top), in the given order.
 */
export function labelRows(labels: readonly { x: number; text: string }[], pxPerUnit: number, charPx = 6.5, gapPx = 4): number[] {
  const order = labels.map((_, i) => i).sort((a, b) => labels[a].x - labels[b].x);
  const rightEdges: number[] = [];
  const rows = new Array<number>(labels.length).fill(0);
  for (const i of order) {
    const half = (labels[i].text.length * charPx + 8) / 2;
    const centre = labels[i].x * pxPerUnit;
    let row = rightEdges.findIndex((right) => right + gapPx <= centre - half);
    if (row === -1) row = rightEdges.push(-Infinity) - 1;
    rightEdges[row] = centre + half;
    rows[i] = row;
  }
  return rows;
}
