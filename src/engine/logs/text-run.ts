/**
 * Run segments for the text-metrics parser: columnar series where a second value at the same x
 * replaces the first (a tqdm postfix at the end of an epoch, then the epoch's summary line), and the
 * filters that keep configuration and lone numbers out of the curves.
 */
import type { Run, Series, Split } from '../types';
import { canonicalMetric, metricDirection } from './names';

const INITIAL_CAPACITY = 64;

/** Points a segment needs in one series, with an x that advances, to count as a training run. */
export const MIN_POINTS = 3;

/** One series' columns (36 bytes a point at full capacity). */
export class TextSeries {
  epoch = new Float64Array(INITIAL_CAPACITY);
  step = new Float64Array(INITIAL_CAPACITY);
  wallTime = new Float64Array(INITIAL_CAPACITY);
  value = new Float64Array(INITIAL_CAPACITY);
  line = new Uint32Array(INITIAL_CAPACITY);
  length = 0;
  /** Whether the log printed the values with `%`. */
  percent = false;
  readonly metric: string;
  readonly split: Split;

  constructor(readonly name: string) {
    const canonical = canonicalMetric(name);
    this.metric = canonical.metric;
    this.split = canonical.split;
  }

  /** Points handed out by {@link snapshot} as views: they must not change under the reader. */
  private shared = 0;

  /** Adds a point; a point at the same epoch and step as the last one replaces it. */
  push(epoch: number, step: number, value: number, line: number, wallTime: number): void {
    let i = this.length - 1;
    if (i < 0 || !sameX(this.epoch[i], epoch) || !sameX(this.step[i], step)) {
      if (this.length === this.value.length) this.grow(this.value.length * 2);
      i = this.length++;
    } else if (i < this.shared) {
      this.grow(this.value.length); // copy on write
    }
    this.epoch[i] = epoch;
    this.step[i] = step;
    this.wallTime[i] = wallTime;
    this.value[i] = value;
    this.line[i] = line;
  }

  private grow(n: number): void {
    this.shared = 0;
    const widen = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.epoch = widen(this.epoch);
    this.step = widen(this.step);
    this.wallTime = widen(this.wallTime);
    this.value = widen(this.value);
    const line = new Uint32Array(n);
    line.set(this.line);
    this.line = line;
  }

  /** The x a reader sees: the epoch where there is one, else the step. */
  x(i: number): number {
    return Number.isNaN(this.epoch[i]) ? this.step[i] : this.epoch[i];
  }

  /** Whether every value is the same number: a setting printed with each line, not a curve. */
  isConstant(): boolean {
    for (let i = 1; i < this.length; i++) if (!Object.is(this.value[i], this.value[0])) return false;
    return true;
  }

  /** A read-only view of the points so far: later points go past it, a replaced point is copied first. */
  snapshot(): Series {
    const n = this.length;
    this.shared = n;
    return {
      name: this.name,
      metric: this.metric,
      split: this.split,
      epoch: this.epoch.subarray(0, n),
      step: this.step.subarray(0, n),
      wallTime: this.wallTime.subarray(0, n),
      value: this.value.subarray(0, n),
      line: this.line.subarray(0, n),
      length: n,
    };
  }
}

function sameX(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** One run segment: its series in first-seen order and where its x stands, for restart detection. */
export class TextSegment {
  readonly series = new Map<string, TextSeries>();
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
      s = new TextSeries(name);
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
