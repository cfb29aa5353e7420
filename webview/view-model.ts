/**
 * What the curve panel draws, decided without a DOM or chart.js: which charts, which datasets in
 * each, their styles (as CSS variable names, resolved at draw time), y-limits that ignore spikes,
 * and the finding markers. main.ts only turns these specs into charts.
 *
 * Later view options (smoothing, log scale, hidden series) belong in {@link ViewOptions} and are
 * applied here, so they stay unit-testable.
 */
import type { MarkerData, RunData, SeriesData } from '../src/protocol/messages';

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
}

export const DEFAULT_VIEW_OPTIONS: ViewOptions = { yRange: 'robust' };

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
  readonly points: Point[];
  /** Source line of each point, parallel to `points`. */
  readonly lines: readonly number[];
  readonly nonFinite: number;
}

export interface MarkerSpec {
  /** Unique within the run view. */
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
  readonly color: ColorVar;
}

export interface ChartSpec {
  /** Stable across snapshots: `loss`, `accuracy`, `lr`, `grad_norm`, or `metric:NAME`. */
  readonly key: string;
  readonly family: Family;
  readonly title: string;
  readonly xLabel: 'epoch' | 'step';
  readonly datasets: DatasetSpec[];
  /** y-limits, or null when the chart has no finite value (let the chart pick). */
  readonly y: Range | null;
  readonly markers: MarkerSpec[];
  /** Whether LTTB decimation may be used: long data, and no gaps for it to erase. */
  readonly decimate: boolean;
}

export interface RunView {
  readonly key: string;
  readonly label: string;
  readonly xLabel: 'epoch' | 'step';
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

/** Builds the charts for one run. */
export function buildRunView(run: RunData, options: ViewOptions = DEFAULT_VIEW_OPTIONS): RunView {
  const groups = new Map<string, { family: Family; title: string; series: SeriesData[] }>();
  for (const series of run.series) {
    if (series.x.length === 0) continue;
    const { family, key, title } = familyOf(series.metric);
    let group = groups.get(key);
    if (!group) {
      group = { family, title, series: [] };
      groups.set(key, group);
    }
    group.series.push(series);
  }
  const markers = run.markers.map((m, i) => markerSpec(m, i));
  const charts: ChartSpec[] = [];
  for (const [key, group] of groups) {
    const datasets = datasetsFor(group.family, group.series);
    const chartMarkers = markers.filter((m) => familyOf(m.metric).key === key);
    const longest = datasets.reduce((n, d) => Math.max(n, d.points.length), 0);
    charts.push({
      key,
      family: group.family,
      title: group.title,
      xLabel: run.xLabel,
      datasets,
      y: withHeadroom(yRange(datasets, options), chartMarkers.length > 0),
      markers: chartMarkers,
      decimate: longest > DECIMATE_ABOVE && datasets.every((d) => d.nonFinite === 0),
    });
  }
  // Stable sort: families in a fixed order, other metrics in the order the log introduced them.
  charts.sort((a, b) => FAMILY_ORDER.indexOf(a.family) - FAMILY_ORDER.indexOf(b.family));
  return { key: run.key, label: run.label, xLabel: run.xLabel, charts, markers };
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
      lines: s.line,
      nonFinite: s.y.reduce<number>((n, v) => (v === null || !Number.isFinite(v) ? n + 1 : n), 0),
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
    key: `${marker.id}#${index}`,
    id: marker.id,
    severity: marker.severity,
    metric: marker.metric,
    message: marker.message,
    x: marker.x,
    xEnd,
    box: xEnd > marker.x,
    line: marker.line,
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
function withHeadroom(range: Range | null, markers: boolean): Range | null {
  if (!range || !markers) return range;
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

/** Where a marker sits, for lists and tooltips: `epoch 27`, or `epoch 24–27` for a window. */
export function markerPlace(marker: MarkerSpec, xLabel: 'epoch' | 'step'): string {
  return marker.box ? `${xLabel} ${formatX(marker.x)}–${formatX(marker.xEnd)}` : `${xLabel} ${formatX(marker.x)}`;
}
