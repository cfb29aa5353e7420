/**
 * Messages between the extension host and the curve panel. Both sides import this module and
 * validate what they receive with the guards below: a webview message is untrusted input.
 */

/** What the x axis counts: epochs, steps, or wall time (seconds elapsed since the run's first point). */
export type XAxis = 'epoch' | 'step' | 'wall';

export const X_AXES: readonly XAxis[] = ['epoch', 'step', 'wall'];

/** One series as the panel draws it: parallel arrays, already downsampled by the host. */
export interface SeriesData {
  readonly name: string;
  readonly metric: string;
  readonly split: 'train' | 'val' | 'test';
  /** x positions on the run's default axis (`RunData.xLabel`): epoch when the log has epochs, else step. */
  readonly x: number[];
  /** x positions of the same points on the run's other axes (`RunData.axes` minus the default), parallel to `x`. */
  readonly byAxis?: Partial<Record<XAxis, number[]>>;
  /** Values; non-finite values travel as null (JSON has no NaN). */
  readonly y: (number | null)[];
  /** 1-based source line for each point. */
  readonly line: number[];
}

/** A place in a training script: 1-based line and column, `file` as the host names it (an absolute path). */
export interface CodeRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A script location linked to a curve finding (its possible cause), with the link's explanation. */
export interface CodeLink extends CodeRef {
  readonly message: string;
}

export interface MarkerData {
  readonly id: string;
  readonly severity: 'error' | 'warning' | 'info' | 'hint';
  readonly metric: string;
  readonly message: string;
  /** Where the problem starts on the x axis, and where the evidence window ends. */
  readonly x: number;
  readonly xEnd: number;
  /** The same place on the run's other axes. */
  readonly byAxis?: Partial<Record<XAxis, { readonly x: number; readonly xEnd: number }>>;
  readonly line: number | null;
  /** Script lines linked to the finding (possible causes), revealed beside the log line on a click. */
  readonly code?: CodeLink[];
}

export interface RunData {
  /** Stable key for the run: source path plus segment. */
  readonly key: string;
  readonly label: string;
  /** The default x axis. */
  readonly xLabel: 'epoch' | 'step';
  /** Every axis the panel may draw this run by, the default first. */
  readonly axes: XAxis[];
  readonly series: SeriesData[];
  readonly markers: MarkerData[];
}

/** The key of the `index`-th marker of a run (its position in `RunData.markers`), shared by host and webview. */
export function markerKey(marker: Pick<MarkerData, 'id'>, index: number): string {
  return `${marker.id}#${index}`;
}

/** A marker to emphasise: run `run`'s marker with key `marker` (see {@link markerKey}). */
export interface HighlightTarget {
  readonly run: string;
  readonly marker: string;
}

/** Most targets one `highlight` message carries. */
export const MAX_HIGHLIGHTS = 64;

/**
 * New points of one series: the webview keeps its first `from` points and appends these (`from` below
 * its length replaces a changed tail, such as per-step points re-spread over their epoch).
 */
export interface SeriesAppend {
  /** Index in the run's `series`; `name` must match it. */
  readonly index: number;
  readonly name: string;
  readonly from: number;
  readonly x: number[];
  readonly y: (number | null)[];
  readonly line: number[];
  readonly byAxis?: Partial<Record<XAxis, number[]>>;
}

/** What changed in one run since the last message: new points per series, and all its markers (findings change wholesale). */
export interface RunAppend {
  readonly key: string;
  readonly label: string;
  /** Only the series that gained or changed points. */
  readonly series: SeriesAppend[];
  readonly markers: MarkerData[];
}

export type HostMessage =
  | { readonly type: 'snapshot'; readonly runs: RunData[]; readonly selected: string | null }
  /**
   * A live update after a snapshot: the same runs, in the same order, each with the same series; new
   * points only. Every run is listed (with no series when only its markers may have changed).
   */
  | { readonly type: 'append'; readonly runs: RunAppend[]; readonly selected: string | null }
  | { readonly type: 'empty'; readonly reason: string }
  /** The editor's cursor is on these findings: emphasise their markers (none: emphasise nothing). */
  | { readonly type: 'highlight'; readonly targets: HighlightTarget[] };

export type WebviewMessage =
  | { readonly type: 'ready' }
  /**
   * Show a finding of run `key`: its log `line` and/or its `code` line (one of the marker's `code` links).
   * The host reveals only runs and script places it sent.
   */
  | { readonly type: 'reveal'; readonly key: string; readonly line: number | null; readonly code: CodeRef | null }
  /** Save a chart: `dataUrl` is a `data:image/png;base64,` URL; `name` a suggested file name. */
  | { readonly type: 'exportPng'; readonly name: string; readonly dataUrl: string }
  /** Save a chart's data as CSV text. */
  | { readonly type: 'exportCsv'; readonly name: string; readonly text: string };

/** Largest PNG data URL the host accepts (characters; about 24 MB of image). */
export const MAX_PNG_DATA_URL = 32 * 1024 * 1024;
/** Largest CSV text the host accepts (characters). */
export const MAX_CSV_TEXT = 64 * 1024 * 1024;
/** Longest suggested file name accepted from the webview. */
export const MAX_EXPORT_NAME = 200;

export const PNG_DATA_URL_PREFIX = 'data:image/png;base64,';

/** A suggested export name made safe for a file name: letters, digits, `.`, `_`, `-` only, no leading dot. */
export function exportFileName(name: string, extension: 'png' | 'csv'): string {
  const base = name
    .replace(/\.(png|csv)$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 100);
  return `${base.length > 0 ? base : 'traindx-chart'}.${extension}`;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The bytes of a PNG data URL, or undefined when it is not base64 of something starting with the PNG signature. */
export function pngBytes(dataUrl: string): Uint8Array | undefined {
  if (!isPngDataUrl(dataUrl)) return undefined;
  let binary: string;
  try {
    binary = atob(dataUrl.slice(PNG_DATA_URL_PREFIX.length));
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  return bytes;
}

function isPngDataUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_PNG_DATA_URL || !value.startsWith(PNG_DATA_URL_PREFIX)) return false;
  const body = value.slice(PNG_DATA_URL_PREFIX.length);
  return body.length > 0 && body.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(body);
}

function isExportName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_EXPORT_NAME;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isLineNumber(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1;
}

function isCodeRef(value: unknown): value is CodeRef {
  return isObject(value) && typeof value.file === 'string' && value.file.length > 0 && isLineNumber(value.line) && isLineNumber(value.column);
}

function isCodeLink(value: unknown): value is CodeLink {
  return isCodeRef(value) && typeof (value as unknown as Record<string, unknown>).message === 'string';
}

/** Validates a message from the webview; anything else is dropped by the host. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case 'ready':
      return { type: 'ready' };
    case 'reveal': {
      if (typeof value.key !== 'string' || !(value.line === null || isLineNumber(value.line))) return undefined;
      const code = value.code === null ? null : isCodeRef(value.code) ? { file: value.code.file, line: value.code.line, column: value.code.column } : undefined;
      if (code === undefined || (value.line === null && code === null)) return undefined;
      return { type: 'reveal', key: value.key, line: value.line, code };
    }
    case 'exportPng':
      return isExportName(value.name) && isPngDataUrl(value.dataUrl) ? { type: 'exportPng', name: value.name, dataUrl: value.dataUrl } : undefined;
    case 'exportCsv':
      return isExportName(value.name) && typeof value.text === 'string' && value.text.length <= MAX_CSV_TEXT && !value.text.includes('\0')
        ? { type: 'exportCsv', name: value.name, text: value.text }
        : undefined;
    default:
      return undefined;
  }
}

function isSeriesData(value: unknown): value is SeriesData {
  return (
    isObject(value) &&
    typeof value.name === 'string' &&
    typeof value.metric === 'string' &&
    (value.split === 'train' || value.split === 'val' || value.split === 'test') &&
    Array.isArray(value.x) &&
    Array.isArray(value.y) &&
    Array.isArray(value.line) &&
    value.x.length === value.y.length &&
    value.x.every((v) => typeof v === 'number') &&
    value.y.every((v) => v === null || typeof v === 'number') &&
    (value.byAxis === undefined || isAxisArrays(value.byAxis, value.x.length))
  );
}

function isXAxis(value: unknown): value is XAxis {
  return value === 'epoch' || value === 'step' || value === 'wall';
}

function isNumberArray(value: unknown, length: number): boolean {
  return Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'number');
}

function isAxisArrays(value: unknown, length: number): boolean {
  return isObject(value) && !Array.isArray(value) && Object.entries(value).every(([axis, xs]) => isXAxis(axis) && isNumberArray(xs, length));
}

function isAxisPlaces(value: unknown): boolean {
  return (
    isObject(value) &&
    !Array.isArray(value) &&
    Object.entries(value).every(([axis, place]) => isXAxis(axis) && isObject(place) && typeof place.x === 'number' && typeof place.xEnd === 'number')
  );
}

/** The run's axes: known names, no repeats, the default first; and no series or marker on an axis the run lacks. */
function hasConsistentAxes(run: Record<string, unknown>): boolean {
  const axes = run.axes;
  if (!Array.isArray(axes) || axes.length === 0 || axes[0] !== run.xLabel || !axes.every(isXAxis) || new Set(axes).size !== axes.length) return false;
  const others = new Set<unknown>(axes.slice(1));
  const covers = (byAxis: unknown): boolean => byAxis === undefined || Object.keys(byAxis as object).every((a) => others.has(a));
  return (
    (run.series as SeriesData[]).every((s) => covers(s.byAxis) && axes.slice(1).every((a) => s.byAxis?.[a as XAxis] !== undefined)) &&
    (run.markers as MarkerData[]).every((m) => covers(m.byAxis))
  );
}

function isMarkerData(value: unknown): value is MarkerData {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.message === 'string' &&
    typeof value.metric === 'string' &&
    typeof value.x === 'number' &&
    typeof value.xEnd === 'number' &&
    (value.byAxis === undefined || isAxisPlaces(value.byAxis)) &&
    (value.code === undefined || (Array.isArray(value.code) && value.code.every(isCodeLink)))
  );
}

function isRunData(value: unknown): value is RunData {
  return (
    isObject(value) &&
    typeof value.key === 'string' &&
    typeof value.label === 'string' &&
    (value.xLabel === 'epoch' || value.xLabel === 'step') &&
    Array.isArray(value.series) &&
    value.series.every(isSeriesData) &&
    Array.isArray(value.markers) &&
    value.markers.every(isMarkerData) &&
    hasConsistentAxes(value)
  );
}

function isSeriesAppend(value: unknown): value is SeriesAppend {
  return (
    isObject(value) &&
    Number.isInteger(value.index) &&
    (value.index as number) >= 0 &&
    typeof value.name === 'string' &&
    Number.isInteger(value.from) &&
    (value.from as number) >= 0 &&
    Array.isArray(value.x) &&
    Array.isArray(value.y) &&
    Array.isArray(value.line) &&
    value.y.length === value.x.length &&
    value.line.length === value.x.length &&
    value.x.every((v) => typeof v === 'number') &&
    value.y.every((v) => v === null || typeof v === 'number') &&
    value.line.every((v) => typeof v === 'number') &&
    (value.byAxis === undefined || isAxisArrays(value.byAxis, value.x.length))
  );
}

function isRunAppend(value: unknown): value is RunAppend {
  return (
    isObject(value) &&
    typeof value.key === 'string' &&
    typeof value.label === 'string' &&
    Array.isArray(value.series) &&
    value.series.every(isSeriesAppend) &&
    Array.isArray(value.markers) &&
    value.markers.every(isMarkerData)
  );
}

/**
 * Applies an `append` to the runs the webview holds. Returns the updated runs (new objects; the
 * inputs are not changed), or undefined when the append does not fit them (another run list, a series
 * that does not match, a gap): the webview then asks for a fresh snapshot.
 */
export function applyAppend(runs: readonly RunData[], message: { readonly runs: readonly RunAppend[] }): RunData[] | undefined {
  if (message.runs.length !== runs.length) return undefined;
  const out: RunData[] = [];
  for (let r = 0; r < runs.length; r++) {
    const run = runs[r];
    const change = message.runs[r];
    if (change.key !== run.key) return undefined;
    const series = run.series.slice();
    for (const add of change.series) {
      const old = series[add.index];
      if (!old || old.name !== add.name || add.from > old.x.length) return undefined;
      const others = run.axes.slice(1);
      if (others.some((a) => add.byAxis?.[a] === undefined) || Object.keys(add.byAxis ?? {}).some((a) => !others.includes(a as XAxis))) return undefined;
      const splice = <T>(before: readonly T[], after: readonly T[]): T[] => before.slice(0, add.from).concat(after);
      let byAxis: Partial<Record<XAxis, number[]>> | undefined;
      if (others.length > 0) {
        byAxis = {};
        for (const a of others) byAxis[a] = splice(old.byAxis?.[a] ?? [], add.byAxis![a]!);
      }
      series[add.index] = {
        ...old,
        x: splice(old.x, add.x),
        y: splice(old.y, add.y),
        line: splice(old.line, add.line),
        ...(byAxis ? { byAxis } : {}),
      };
    }
    out.push({ ...run, label: change.label, series, markers: change.markers });
  }
  // The markers must still make sense on the run's axes.
  return out.every((run) => isRunData(run)) ? out : undefined;
}

function isHighlightTarget(value: unknown): value is HighlightTarget {
  return isObject(value) && typeof value.run === 'string' && typeof value.marker === 'string';
}

/** Validates a message from the host before the webview draws it. */
export function parseHostMessage(value: unknown): HostMessage | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case 'snapshot':
      if (Array.isArray(value.runs) && value.runs.every(isRunData) && (value.selected === null || typeof value.selected === 'string')) {
        return { type: 'snapshot', runs: value.runs, selected: value.selected };
      }
      return undefined;
    case 'empty':
      return typeof value.reason === 'string' ? { type: 'empty', reason: value.reason } : undefined;
    case 'append':
      if (Array.isArray(value.runs) && value.runs.every(isRunAppend) && (value.selected === null || typeof value.selected === 'string')) {
        return { type: 'append', runs: value.runs, selected: value.selected };
      }
      return undefined;
    case 'highlight':
      return Array.isArray(value.targets) && value.targets.length <= MAX_HIGHLIGHTS && value.targets.every(isHighlightTarget)
        ? { type: 'highlight', targets: value.targets.map((t: HighlightTarget) => ({ run: t.run, marker: t.marker })) }
        : undefined;
    default:
      return undefined;
  }
}
