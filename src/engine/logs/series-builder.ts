import type { Run, Series, Split } from '../types';
import { canonicalMetric } from './names';

const INITIAL_CAPACITY = 64;

function grow<T extends Float64Array | Uint32Array>(array: T, make: (n: number) => T): T {
  const next = make(array.length * 2);
  next.set(array);
  return next;
}

/** A growable column store for one series: 36 bytes per point at full capacity (epoch, step, wall time, value, line). */
export class SeriesBuilder {
  private epochs = new Float64Array(INITIAL_CAPACITY);
  private steps = new Float64Array(INITIAL_CAPACITY);
  private times = new Float64Array(INITIAL_CAPACITY);
  private values = new Float64Array(INITIAL_CAPACITY);
  private lines = new Uint32Array(INITIAL_CAPACITY);
  private count = 0;

  constructor(readonly name: string, readonly metric: string, readonly split: Split) {}

  get length(): number {
    return this.count;
  }

  push(epoch: number, step: number, value: number, line: number, wallTime = NaN): void {
    if (this.count === this.values.length) {
      this.epochs = grow(this.epochs, (n) => new Float64Array(n));
      this.steps = grow(this.steps, (n) => new Float64Array(n));
      this.times = grow(this.times, (n) => new Float64Array(n));
      this.values = grow(this.values, (n) => new Float64Array(n));
      this.lines = grow(this.lines, (n) => new Uint32Array(n));
    }
    const i = this.count++;
    this.epochs[i] = epoch;
    this.steps[i] = step;
    this.times[i] = wallTime;
    this.values[i] = value;
    this.lines[i] = line;
  }

  /** A read-only view of the points so far; later pushes do not change it. */
  snapshot(): Series {
    const n = this.count;
    return {
      name: this.name,
      metric: this.metric,
      split: this.split,
      epoch: this.epochs.slice(0, n),
      step: this.steps.slice(0, n),
      wallTime: this.times.slice(0, n),
      value: this.values.slice(0, n),
      line: this.lines.slice(0, n),
      length: n,
    };
  }
}

/** Collects the series of one run segment, keyed by canonical name, in first-seen order. */
export class RunBuilder {
  private readonly byName = new Map<string, SeriesBuilder>();
  totalEpochs: number | undefined;

  constructor(readonly source: string, readonly format: string, readonly segment: number) {}

  get isEmpty(): boolean {
    for (const s of this.byName.values()) if (s.length > 0) return false;
    return true;
  }

  /** Records a value under its raw log name; the name is canonicalised. `wallTime` is Unix seconds. */
  add(rawName: string, epoch: number, step: number, value: number, line: number, wallTime = NaN): void {
    const { name, metric, split } = canonicalMetric(rawName);
    let series = this.byName.get(name);
    if (!series) {
      series = new SeriesBuilder(name, metric, split);
      this.byName.set(name, series);
    }
    series.push(epoch, step, value, line, wallTime);
  }

  snapshot(notes: readonly string[]): Run {
    return {
      source: this.source,
      format: this.format,
      segment: this.segment,
      totalEpochs: this.totalEpochs,
      series: [...this.byName.values()].filter((s) => s.length > 0).map((s) => s.snapshot()),
      notes,
    };
  }
}
