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
  | { readonly type: 'revealLine'; readonly key: string; readonly line: number };

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
