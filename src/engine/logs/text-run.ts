/**
 * Run segments for the text-metrics parser: columnar series where a second value at the same x
 * replaces the first (a tqdm postfix at the end of an epoch, then the epoch's summary line), and the
 * filters that keep configuration and lone numbers out of the curves. The series of one line shape
 * share their x columns (epoch, step, wall time, line) while they stay in step.
 */
import type { Run, Series, Split } from '../types';
import { canonicalMetric, metricDirection } from './names';

const INITIAL_CAPACITY = 64;

/** Points a segment needs in one series, with an x that advances, to count as a training run. */
export const MIN_POINTS = 3;

function widen(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}

/**
 * Rows of NaN for the step and wall-time columns of logs that print no step or no time: the columns
 * share one read-only array until a value arrives. One per segment, so that it goes with its runs.
 */
export class NanRows {
  private rows = new Float64Array(0);

  /** At least `n` NaNs; never written. */
  get(n: number): Float64Array {
    if (this.rows.length < n) this.rows = new Float64Array(Math.max(n, this.rows.length * 2)).fill(NaN);
    return this.rows;
  }
}

/**
 * The x columns of a series (epoch, step, wall time, line: 28 bytes a point at full capacity, 12 while
 * the log prints no step and no time). Series that one line shape writes together share them while every
 * point of theirs came from its lines: a step-level log with three metrics a line stores 36 bytes a line
 * instead of 108.
 */
export class Columns {
  epoch: Float64Array;
  step: Float64Array;
  wallTime: Float64Array;
  line: Uint32Array;
  /** Whether `step` / `wallTime` hold values of their own, or are {@link NanRows}. */
  private ownStep = false;
  private ownWallTime = false;
  length = 0;
  /** Rows handed out by snapshots as views: they must not change under the reader. */
  shared = 0;

  constructor(private readonly nan: NanRows, capacity = INITIAL_CAPACITY) {
    this.epoch = new Float64Array(capacity);
    this.step = nan.get(capacity);
    this.wallTime = this.step;
    this.line = new Uint32Array(capacity);
  }

  /** Adds a row, or replaces the last one when it is at the same epoch and step; returns its index. */
  push(epoch: number, step: number, line: number, wallTime: number): number {
    let i = this.length - 1;
    if (i < 0 || !sameX(this.epoch[i], epoch) || !sameX(this.step[i], step)) {
      if (this.length === this.epoch.length) this.grow(this.epoch.length * 2);
      i = this.length++;
    } else if (i < this.shared) {
      this.grow(this.epoch.length); // copy on write
    }
    this.epoch[i] = epoch;
    if (this.ownStep) this.step[i] = step;
    else if (!Number.isNaN(step)) {
      this.step = this.own(this.step);
      this.ownStep = true;
      this.step[i] = step;
    }
    if (this.ownWallTime) this.wallTime[i] = wallTime;
    else if (!Number.isNaN(wallTime)) {
      this.wallTime = this.own(this.wallTime);
      this.ownWallTime = true;
      this.wallTime[i] = wallTime;
    }
    this.line[i] = line;
    return i;
  }

  /** A copy of the first `n` rows with room for `capacity`. */
  copy(n: number, capacity: number): Columns {
    const c = new Columns(this.nan, 0);
    c.epoch = widen(this.epoch.subarray(0, n), capacity);
    c.step = this.ownStep ? widen(this.step.subarray(0, n), capacity) : this.nan.get(capacity);
    c.wallTime = this.ownWallTime ? widen(this.wallTime.subarray(0, n), capacity) : this.nan.get(capacity);
    c.ownStep = this.ownStep;
    c.ownWallTime = this.ownWallTime;
    const line = new Uint32Array(capacity);
    line.set(this.line.subarray(0, n));
    c.line = line;
    c.length = n;
    return c;
  }

  /** A column of its own in place of NaN rows: NaN up to the capacity. */
  private own(rows: Float64Array): Float64Array {
    return rows.slice(0, this.epoch.length);
  }

  private grow(n: number): void {
    this.shared = 0;
    this.epoch = widen(this.epoch, n);
    this.step = this.ownStep ? widen(this.step, n) : this.nan.get(n);
    this.wallTime = this.ownWallTime ? widen(this.wallTime, n) : this.nan.get(n);
    const line = new Uint32Array(n);
    line.set(this.line);
    this.line = line;
  }
}

/** The columns of a series without points: it joins a group, or gets columns of its own at its first point. */
const NO_COLUMNS = new Columns(new NanRows(), 0);

/** One series: its values, over x columns of its own or shared with the series of its line shape. */
export class TextSeries {
  columns = NO_COLUMNS;
  /** Whether {@link columns} belong to a {@link SeriesGroup}. */
  grouped = false;
  value: Float64Array = new Float64Array(INITIAL_CAPACITY);
  length = 0;
  /** Whether the log printed the values with `%`. */
  percent = false;
  readonly metric: string;
  readonly split: Split;
  /** Values handed out by {@link snapshot} as a view. */
  private shared = 0;

  constructor(readonly name: string, private readonly nan: NanRows) {
    const canonical = canonicalMetric(name);
    this.metric = canonical.metric;
    this.split = canonical.split;
  }

  /** Adds a point; a point at the same epoch and step as the last one replaces it. */
  push(epoch: number, step: number, value: number, line: number, wallTime: number): void {
    if (this.grouped) {
      // A point from another line shape: the series goes on with x columns of its own.
      this.columns = this.columns.copy(this.length, Math.max(this.value.length, INITIAL_CAPACITY));
      this.grouped = false;
    } else if (this.columns === NO_COLUMNS) {
      this.columns = new Columns(this.nan);
    }
    this.set(this.columns.push(epoch, step, line, wallTime), value);
  }

  /** The value at row `i` of its columns: the next point, or the last one replaced. */
  set(i: number, value: number): void {
    if (i === this.length) {
      if (i === this.value.length) {
        this.shared = 0;
        this.value = widen(this.value, this.value.length * 2);
      }
      this.length++;
    } else if (i < this.shared) {
      this.shared = 0;
      this.value = widen(this.value, this.value.length); // copy on write
    }
    this.value[i] = value;
  }

  /** The x a reader sees: the epoch where there is one, else the step. */
  x(i: number): number {
    const epoch = this.columns.epoch[i];
    return Number.isNaN(epoch) ? this.columns.step[i] : epoch;
  }

  /** Whether every value is the same number: a setting printed with each line, not a curve. */
  isConstant(): boolean {
    for (let i = 1; i < this.length; i++) if (!Object.is(this.value[i], this.value[0])) return false;
    return true;
  }

  /** A read-only view of the points so far: later points go past it, a replaced point is copied first. */
  snapshot(): Series {
    const n = this.length;
    const c = this.columns;
    this.shared = n;
    c.shared = Math.max(c.shared, n);
    return {
      name: this.name,
      metric: this.metric,
      split: this.split,
      epoch: c.epoch.subarray(0, n),
      step: c.step.subarray(0, n),
      wallTime: c.wallTime.subarray(0, n),
      value: this.value.subarray(0, n),
      line: c.line.subarray(0, n),
      length: n,
    };
  }
}

/**
 * The series one line shape writes in one segment. Those that start empty share its columns; one that
 * gets a point from elsewhere copies them and goes its own way ({@link TextSeries.push}).
 */
export class SeriesGroup {
  readonly columns: Columns;

  constructor(nan: NanRows, readonly series: readonly TextSeries[]) {
    this.columns = new Columns(nan);
    for (const s of series) {
      if (s.length === 0 && !s.grouped) {
        s.columns = this.columns;
        s.grouped = true;
      }
    }
  }
}

function sameX(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** One run segment: its series in first-seen order and where its x stands, for restart detection. */
export class TextSegment {
  readonly series = new Map<string, TextSeries>();
  readonly nan = new NanRows();
  totalEpochs: number | undefined;
  /** The epoch (as the log counts it) and within-epoch progress of the last point, and the last step. */
  lastEpoch = NaN;
  lastProgress = NaN;
  lastStep = NaN;
  points = 0;

  constructor(readonly index: number) {}

  get(name: string): TextSeries {
    let s = this.series.get(name);
    if (!s) {
      s = new TextSeries(name, this.nan);
      this.series.set(name, s);
    }
    return s;
  }

  /**
   * The series worth showing: a series of unknown direction whose value never changes (`momentum 0.9`
   * on every line) is configuration, and the learning rate is kept as the one setting that is a curve.
   */
  curves(): TextSeries[] {
    return [...this.series.values()].filter(
      (s) => s.length > 0 && !(s.isConstant() && s.metric !== 'lr' && metricDirection(s.metric) === 'unknown'),
    );
  }

  /** Whether the segment is a training run: some series with {@link MIN_POINTS} points over an advancing x. */
  isRun(curves: readonly TextSeries[]): boolean {
    return curves.some((s) => s.length >= MIN_POINTS && s.x(s.length - 1) > s.x(0));
  }

  snapshot(source: string, format: string, index: number, curves: readonly TextSeries[], notes: readonly string[]): Run {
    const percent = curves.filter((s) => s.percent).map((s) => `\`${s.name}\``);
    const own = percent.length > 0 ? [`${percent.join(', ')} ${percent.length === 1 ? 'is' : 'are'} printed in percent (0–100)`] : [];
    return {
      source,
      format,
      segment: index,
      totalEpochs: this.totalEpochs,
      series: curves.map((s) => s.snapshot()),
      notes: [...notes, ...own],
    };
  }
}
