import type { Run } from '../types';
import { LineSplitter, parseMetricValue, stripAnsi } from './lines';
import type { LogFormat, LogParser } from './parser';
import { RunBuilder } from './series-builder';

/**
 * Keras `model.fit` console output, verbose 1 (progress bar, Keras 2 `[====]` or Keras 3 `━━━`) and
 * verbose 2 (one line per epoch). One point per metric per epoch, taken from the epoch's final line.
 */

const EPOCH_LINE = /^\s*Epoch\s+(\d+)\s*\/\s*(\d+)\s*$/;
// `98/98 [====] - 12s 118ms/step - loss: ...`, `98/98 ━━━━ 12s 118ms/step - loss: ...`, `98/98 - 12s - loss: ...`.
const PROGRESS_LINE = /^\s*(\d+)\/(\d+)\s+(?:\[[=>.]*\]\s*|[━─]+\s*)?(.*)$/;
// Older verbose 2: ` - 12s - loss: ...` with no step counter.
const BARE_SUMMARY = /^\s*-\s+\d+s\s+-\s+(.*)$/;
// `loss: 0.6931`; the name must look like an identifier (not `ETA`, a timestamp or a unit).
const PAIR = /^([A-Za-z_][\w/@.]*):\s+(\S+)$/;
const NOT_METRICS = new Set(['eta']);

export const kerasProgress: LogFormat = {
  id: 'keras-progress',
  sniff(head) {
    const text = stripAnsi(head);
    return /^\s*Epoch\s+\d+\s*\/\s*\d+\s*$/m.test(text) && /\d+\/\d+ .*- (?:\w+_)?loss: /.test(text);
  },
  create(source) {
    return new KerasProgressParser(source);
  },
};

class KerasProgressParser implements LogParser {
  readonly format = kerasProgress.id;
  private readonly splitter: LineSplitter;
  private readonly segments: RunBuilder[] = [];
  private current: RunBuilder | undefined;
  private epoch = NaN;
  private lastRecordedEpoch = NaN;

  constructor(private readonly source: string) {
    this.splitter = new LineSplitter((line, n) => this.line(line, n));
  }

  feed(chunk: string | Uint8Array): void {
    if (typeof chunk !== 'string') throw new TypeError('keras-progress is a text format');
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
    const skipped = this.splitter.skippedLongLines;
    return skipped > 0 ? [`skipped ${skipped} line${skipped === 1 ? '' : 's'} longer than 1 MB`] : [];
  }

  private line(text: string, lineNumber: number): void {
    const epochMatch = EPOCH_LINE.exec(text);
    if (epochMatch) {
      const epoch = Number(epochMatch[1]);
      // A counter that goes back (Keras prints `Epoch 1/N` again) starts a new run, not a zig-zag.
      if (!this.current || epoch <= this.lastRecordedEpoch) this.startSegment();
      this.epoch = epoch;
      this.current!.totalEpochs = Number(epochMatch[2]);
      return;
    }
    if (Number.isNaN(this.epoch)) return;
    let metrics: string | undefined;
    const progress = PROGRESS_LINE.exec(text);
    if (progress) {
      // Only the epoch's last update: intermediate updates are running averages over a partial epoch.
      if (progress[1] !== progress[2]) return;
      metrics = progress[3];
    } else {
      const bare = BARE_SUMMARY.exec(text);
      if (!bare) return;
      metrics = bare[1];
    }
    if (this.epoch === this.lastRecordedEpoch) return;
    let recorded = false;
    for (const part of metrics.split(' - ')) {
      const pair = PAIR.exec(part.trim());
      if (!pair || NOT_METRICS.has(pair[1].toLowerCase())) continue;
      const value = parseMetricValue(pair[2]);
      if (value === undefined) continue;
      this.current!.add(pair[1], this.epoch, NaN, value, lineNumber);
      recorded = true;
    }
    if (recorded) this.lastRecordedEpoch = this.epoch;
  }

  private startSegment(): void {
    this.current = new RunBuilder(this.source, this.format, this.segments.length);
    this.segments.push(this.current);
    this.lastRecordedEpoch = NaN;
  }
}
