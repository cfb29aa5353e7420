/**
 * Messages between the extension host and the curve panel. Both sides import this module and
 * validate what they receive with the guards below: a webview message is untrusted input.
 */

/** One series as the panel draws it: parallel arrays, already downsampled by the host. */
export interface SeriesData {
  readonly name: string;
  readonly metric: string;
  readonly split: 'train' | 'val' | 'test';
  /** x positions: epoch when the log has epochs, else step. */
  readonly x: number[];
  /** Values; non-finite values travel as null (JSON has no NaN). */
  readonly y: (number | null)[];
  /** 1-based source line for each point. */
  readonly line: number[];
}

export interface MarkerData {
  readonly id: string;
  readonly severity: 'error' | 'warning' | 'info' | 'hint';
  readonly metric: string;
  readonly message: string;
  /** Where the problem starts on the x axis, and where the evidence window ends. */
  readonly x: number;
  readonly xEnd: number;
  readonly line: number | null;
}

export interface RunData {
  /** Stable key for the run: source path plus segment. */
  readonly key: string;
  readonly label: string;
  readonly xLabel: 'epoch' | 'step';
  readonly series: SeriesData[];
  readonly markers: MarkerData[];
}

export type HostMessage =
  | { readonly type: 'snapshot'; readonly runs: RunData[]; readonly selected: string | null }
  | { readonly type: 'empty'; readonly reason: string };

export type WebviewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'revealLine'; readonly key: string; readonly line: number }
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

/** Validates a message from the webview; anything else is dropped by the host. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case 'ready':
      return { type: 'ready' };
    case 'revealLine':
      if (typeof value.key === 'string' && Number.isInteger(value.line) && (value.line as number) >= 1) {
        return { type: 'revealLine', key: value.key, line: value.line as number };
      }
      return undefined;
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
    value.y.every((v) => v === null || typeof v === 'number')
  );
}

function isMarkerData(value: unknown): value is MarkerData {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.message === 'string' &&
    typeof value.metric === 'string' &&
    typeof value.x === 'number' &&
    typeof value.xEnd === 'number'
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
    value.markers.every(isMarkerData)
  );
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
    default:
      return undefined;
  }
}
