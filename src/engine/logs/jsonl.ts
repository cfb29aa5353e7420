import type { Run } from '../types';
import { LineSplitter } from './lines';
import { canonicalMetric } from './names';
import type { LogFormat, LogParser } from './parser';
import {
  EPOCH_KEY, STEP_KEYS, flattenNumbers, isNotMetric, isObject, isWallTimeKey, isXKey, parsePythonJson, plural, unixSeconds,
} from './records';
import { RunBuilder } from './series-builder';

/**
 * JSON Lines: one JSON object per line (detectron2 `metrics.json`, custom `metrics.jsonl` writers).
 * Nested objects flatten to `a/b` keys; `epoch` gives the epoch and the first of `global_step`, `step`,
 * `iteration`, `iter` the step, as written (detectron2's `iteration` is 0-based and stays so: its console
 * prints the same number). Bookkeeping keys (`time`, `data_time`, `eta_seconds`, throughput; see
 * `isNotMetric`) are not metrics; `timestamp`-like keys give the wall time. Python's `NaN` and
 * `Infinity` literals are read. A line that is not a JSON object is skipped and counted; a half-written
 * last line waits for its newline. A step going back (a resumed run appending to the file) starts a new
 * run segment.
 */

export const jsonLines: LogFormat = {
  id: 'jsonl',
  sniff(head) {
    const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
    const first = text.split(/\r\n|\n|\r/).find((l) => l.trim().length > 0);
    if (first === undefined) return false;
    const value = parsePythonJson(first);
    if (!isObject(value)) return false;
    const pairs = flattenNumbers(value);
    return pairs.some(([k]) => isXKey(k)) && pairs.some(([k]) => !isXKey(k) && !isNotMetric(k));
  },
  create(source) {
    return new JsonLinesParser(source);
  },
};

class JsonLinesParser implements LogParser {
  readonly format = jsonLines.id;
  private readonly splitter: LineSplitter;
  private readonly segments: RunBuilder[] = [];
  private current: RunBuilder | undefined;
  private firstLine = true;
  private lastStep = NaN;
  private lastEpoch = NaN;
  private malformed = 0;
  private readonly metricKeys = new Map<string, boolean>();

  constructor(private readonly source: string) {
    this.splitter = new LineSplitter((line, n) => this.line(line, n));
  }

  feed(chunk: string | Uint8Array): void {
    if (typeof chunk !== 'string') throw new TypeError('jsonl is a text format');
    this.splitter.feed(chunk);
  }

  finish(): void {
    this.splitter.finish();
  }

  runs(): Run[] {
    const notes = this.notes();
    return this.segments.filter((s) => !s.isEmpty).map((s) => s.snapshot(notes));
  }

  notes(): string[] {
    const notes: string[] = [];
    const long = this.splitter.skippedLongLines;
    if (long > 0) notes.push(`skipped ${plural(long, 'line')} longer than 1 MB`);
    if (this.malformed > 0) notes.push(`skipped ${plural(this.malformed, 'malformed JSON line')}`);
    return notes;
  }

  private line(raw: string, lineNumber: number): void {
    let text = raw;
    if (this.firstLine) {
      this.firstLine = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.trim().length === 0) return;
    const value = parsePythonJson(text);
    if (!isObject(value)) {
      this.malformed++;
      return;
    }
    const pairs = flattenNumbers(value);
    let epoch = NaN;
    let step = NaN;
    let stepRank = STEP_KEYS.length;
    let wallTime = NaN;
    for (const [key, v] of pairs) {
      const lower = key.toLowerCase();
      if (lower === EPOCH_KEY) epoch = v;
      const rank = STEP_KEYS.indexOf(lower);
      if (rank !== -1 && rank < stepRank) {
        step = v;
        stepRank = rank;
      }
      if (Number.isNaN(wallTime) && isWallTimeKey(key)) wallTime = unixSeconds(v);
    }
    if (!this.current || step < this.lastStep || (Number.isNaN(step) && epoch < this.lastEpoch)) this.startSegment();
    if (Number.isFinite(step)) this.lastStep = step;
    if (Number.isFinite(epoch)) this.lastEpoch = epoch;
    const seen = new Set<string>();
    for (const [key, v] of pairs) {
      if (!this.isMetric(key)) continue;
      // Two keys for one canonical name in one record would zig-zag: the first one wins.
      const before = seen.size;
      seen.add(canonicalMetric(key).name);
      if (seen.size === before) continue;
      this.current!.add(key, epoch, step, v, lineNumber, wallTime);
    }
  }

  /** Whether a key is a metric; remembered per key, since every line repeats the same keys. */
  private isMetric(key: string): boolean {
    let metric = this.metricKeys.get(key);
    if (metric === undefined) {
      metric = !isXKey(key) && !isNotMetric(key);
      this.metricKeys.set(key, metric);
    }
    return metric;
  }

  private startSegment(): void {
    if (this.current?.isEmpty) this.segments.pop();
    this.current = new RunBuilder(this.source, this.format, this.segments.length);
    this.segments.push(this.current);
    this.lastStep = NaN;
    this.lastEpoch = NaN;
  }
}
