/**
 * The engine's vocabulary: runs made of series, findings with their evidence, fixes as text edits.
 * Pure data, shared by every layer above the engine (CLI, extension, webview protocol).
 */

export const SEVERITIES = ['error', 'warning', 'info', 'hint'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** One metric over time, stored column-wise (36 bytes a point). `epoch`/`step`/`wallTime` are NaN where the log does not say. */
export interface Series {
  /** Canonical name with split prefix: `loss`, `val_accuracy`, `lr`. */
  readonly name: string;
  /** Name without the split prefix: `loss`, `accuracy`. */
  readonly metric: string;
  readonly split: Split;
  readonly epoch: Float64Array;
  readonly step: Float64Array;
  /** Wall-clock time of the point in seconds since the Unix epoch, NaN where the log does not say. */
  readonly wallTime: Float64Array;
  readonly value: Float64Array;
  /** 1-based line (or record) number in the source where the point was read. */
  readonly line: Uint32Array;
  readonly length: number;
}

/** A training run as read from one source (a log file, or one segment of it when the run restarts). */
export interface Run {
  /** The path or name the run was read from, as given. */
  readonly source: string;
  /** Format id, e.g. `keras-progress`. */
  readonly format: string;
  readonly series: readonly Series[];
  /** Total epochs announced by the log (`Epoch 27/50` → 50), when known. */
  readonly totalEpochs?: number;
  /** 0-based index of the segment inside the source when the source holds several restarted runs. */
  readonly segment: number;
  /** Things the parser wants the user to know (skipped lines, truncated records). */
  readonly notes: readonly string[];
}

/** A place in a source file. Lines and columns are 1-based. */
export interface Location {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
  readonly endLine?: number;
  readonly endColumn?: number;
}

export interface Related {
  readonly location: Location;
  readonly message: string;
}

/** A replacement of `text.slice(start, end)` by `newText`, over the exact text the engine analysed. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

export interface Fix {
  readonly title: string;
  /** True for pure corrections; false when the fix changes training behaviour (never preferred, never bulk-applied). */
  readonly safe: boolean;
  readonly edits: readonly TextEdit[];
}

/** The points that show a curve finding, for the panel's markers. Indices into the series. */
export interface Evidence {
  readonly series: string;
  readonly startIndex: number;
  readonly endIndex: number;
}

/** A finding from a log's curves. */
export interface CurveFinding {
  readonly kind: 'curve';
  readonly id: string;
  readonly severity: Severity;
  readonly message: string;
  readonly metric: string;
  readonly epoch: number | null;
  readonly step: number | null;
  /** 1-based line in the log where the problem shows. */
  readonly line: number | null;
  readonly evidence: readonly Evidence[];
  readonly related: readonly Related[];
}

/** A finding from a training script, located by UTF-16 offsets into the analysed text. */
export interface CodeFinding {
  readonly kind: 'code';
  readonly id: string;
  readonly severity: Severity;
  readonly message: string;
  readonly start: number;
  readonly end: number;
  readonly related: readonly Related[];
  readonly fixes: readonly Fix[];
}

export type Finding = CurveFinding | CodeFinding;
