import type { Run } from '../types';
import { LineSplitter } from './lines';
import type { LogFormat, LogParser } from './parser';
import { prefix, readPrefix } from './text-scan';
import { analyze, EpochKind, matchTemplate, Progress, Role, type Template } from './text-template';
import { TextSegment, type TextSeries } from './text-run';

/**
 * Training logs printed as text: PyTorch-style prints (`Epoch [3/10], Step [100/600], Loss: 0.2345`,
 * `epoch 3 | loss 0.21 | acc 0.93`), tqdm and Lightning bars with a postfix, Python `logging` lines (wall
 * time from the timestamp), Hugging Face Trainer dict prints, MMDetection text logs and the pytorch/examples
 * word-language-model table, behind `[rank0]:` prefixes, ANSI colours and CRLF.
 *
 * The x of a point is the epoch where the line has one: a step-level line inside epoch E at batch n of N is
 * at epoch E - 1 + n/N, so that the end of epoch E meets the epoch's summary line at E. A line with only a
 * global step is placed by its step. A counter that goes back starts a new run segment.
 */

/** Templates tried before analysing a line afresh; most logs have one or two metric-line shapes. */
const TEMPLATE_CACHE = 6;

export const textMetrics: LogFormat = {
  id: 'text-metrics',
  sniff(head) {
    // Conservative: the head must already hold a run (some metric with 3 points over an advancing x).
    const cut = head.lastIndexOf('\n');
    if (cut < 0) return false;
    const parser = new TextMetricsParser('sniff');
    parser.feed(head.slice(0, cut + 1));
    return parser.runs().length > 0;
  },
  create(source) {
    return new TextMetricsParser(source);
  },
};

class TextMetricsParser implements LogParser {
  readonly format = textMetrics.id;
  private readonly splitter: LineSplitter;
  private readonly segments: TextSegment[] = [];
  private current: TextSegment;
  private readonly templates: Template[] = [];
  private values = new Float64Array(64);
  /** Epoch of the last header line (`Epoch 3/10`), for lines that carry no epoch of their own. */
  private contextEpoch = NaN;
  /** Epoch counting for tqdm bars that name no epoch: the bar count, and the state of the last bar. */
  private barEpoch = 0;
  private lastBarN = NaN;
  private lastBarComplete = false;

  constructor(private readonly source: string) {
    this.current = new TextSegment(0);
    this.segments.push(this.current);
    this.splitter = new LineSplitter(
      (line, n) => this.line(line, 0, line.length, n),
      (text, start, end, n) => this.line(text, start, end, n),
    );
  }

  feed(chunk: string | Uint8Array): void {
    if (typeof chunk !== 'string') throw new TypeError('text-metrics is a text format');
    this.splitter.feed(chunk);
  }

  finish(): void {
    this.splitter.finish();
  }

  runs(): Run[] {
    const notes = this.notes();
    const runs: Run[] = [];
    for (const segment of this.segments) {
      const curves = segment.curves();
      if (segment.isRun(curves)) runs.push(segment.snapshot(this.source, this.format, runs.length, curves, notes));
    }
    return runs;
  }

  notes(): string[] {
    const skipped = this.splitter.skippedLongLines;
    return skipped > 0 ? [`skipped ${skipped} line${skipped === 1 ? '' : 's'} longer than 1 MB`] : [];
  }

  /** One visible line `s[start, end)`. */
  private line(s: string, start: number, end: number, lineNumber: number): void {
    readPrefix(s, start, end);
    const from = prefix.start;
    const wallTime = prefix.wallTime;
    const templates = this.templates;
    for (let i = 0; i < templates.length; i++) {
      const t = templates[i];
      if (matchTemplate(t, s, from, end, this.values)) {
        if (i > 0) {
          templates.splice(i, 1);
          templates.unshift(t);
        }
        this.apply(t, lineNumber, wallTime);
        return;
      }
    }
    // A shape not seen lately: decide once what its numbers are. Lines that carry nothing are not kept.
    const t = analyze(s, from, end);
    if (!t.useful) return;
    if (t.roles.length > this.values.length) this.values = new Float64Array(t.roles.length * 2);
    if (!matchTemplate(t, s, from, end, this.values)) return;
    templates.unshift(t);
    if (templates.length > TEMPLATE_CACHE) templates.pop();
    this.apply(t, lineNumber, wallTime);
  }

  /** Places the values of a matched line on the x-axis and records its metrics. */
  private apply(t: Template, lineNumber: number, wallTime: number): void {
    const v = this.values;
    const epoch = t.epochAt >= 0 ? v[t.epochAt] : NaN;
    const epochTotal = t.epochTotalAt >= 0 ? v[t.epochTotalAt] : NaN;
    const n = t.progressAt >= 0 ? v[t.progressAt] : NaN;
    const total = t.progressTotalAt >= 0 ? v[t.progressTotalAt] : NaN;
    let step = t.stepAt >= 0 ? v[t.stepAt] : NaN;
    const fraction = total > 0 && n >= 0 && n <= total ? n / total : NaN;
    // `counted`: the epoch as the log counts it; `progress`: how far into it (NaN at epoch level).
    let counted = NaN;
    let progress = NaN;
    if (t.epochKind === EpochKind.header) {
      counted = epoch;
      if (t.progress === Progress.withinEpoch) progress = fraction;
    } else if (t.epochKind === EpochKind.value) {
      counted = epoch;
      if (t.progress === Progress.global) step = n;
    } else if (t.progress === Progress.contextOrGlobal || t.progress === Progress.contextOrBar) {
      if (!Number.isNaN(this.contextEpoch)) {
        counted = this.contextEpoch;
        progress = fraction;
      } else if (t.progress === Progress.contextOrBar) {
        if (t.metricCount === 0 || Number.isNaN(fraction)) return;
        if (this.barEpoch === 0 || this.lastBarComplete || n < this.lastBarN) this.barEpoch++;
        this.lastBarN = n;
        this.lastBarComplete = n >= total;
        counted = this.barEpoch;
        progress = fraction;
      } else step = n;
    } else if (Number.isNaN(step) && t.inheritsEpoch && !Number.isNaN(this.contextEpoch)) {
      counted = this.contextEpoch;
    }

    if (t.epochKind === EpochKind.header) {
      if (t.metricCount === 0) {
        // A header line alone: a counter that goes back starts the next run now, so that the lines
        // that follow it do not land in the previous one.
        if (this.current.points > 0 && epoch < this.current.lastEpoch) this.restart();
        this.contextEpoch = epoch;
        if (!Number.isNaN(epochTotal)) this.current.totalEpochs = epochTotal;
        return;
      }
      this.contextEpoch = epoch;
    }
    if (t.metricCount === 0 || (Number.isNaN(counted) && Number.isNaN(step))) return;

    let segment = this.current;
    if (segment.points > 0 && this.goesBack(segment, counted, progress, step)) segment = this.restart();
    if (!Number.isNaN(epochTotal)) segment.totalEpochs = epochTotal;
    const x = Number.isNaN(counted) ? NaN : Number.isNaN(progress) ? counted : counted - 1 + progress;
    if (t.cacheOwner !== segment) {
      t.cacheOwner = segment;
      t.cache = Array.from(t.metricAt, (i) => segment.get(t.names[i]!));
    }
    const metricAt = t.metricAt;
    const cache = t.cache as TextSeries[];
    for (let k = 0; k < metricAt.length; k++) {
      const i = metricAt[k];
      const series = cache[k];
      series.push(x, step, t.roles[i] === Role.ratio ? v[i] / v[i + 1] : v[i], lineNumber, wallTime);
      if (t.percent[i]) series.percent = true;
    }
    segment.points++;
    if (!Number.isNaN(counted)) {
      if (counted !== segment.lastEpoch) segment.lastProgress = NaN;
      segment.lastEpoch = counted;
      if (!Number.isNaN(progress)) segment.lastProgress = progress;
    }
    if (!Number.isNaN(step)) segment.lastStep = step;
  }

  /** Whether a point's x lies before the segment's last one: the run restarted. */
  private goesBack(segment: TextSegment, counted: number, progress: number, step: number): boolean {
    if (!Number.isNaN(counted) && !Number.isNaN(segment.lastEpoch)) {
      if (counted < segment.lastEpoch) return true;
      if (counted === segment.lastEpoch && progress < segment.lastProgress) return true;
    }
    return !Number.isNaN(step) && step < segment.lastStep;
  }

  private restart(): TextSegment {
    this.current = new TextSegment(this.segments.length);
    this.segments.push(this.current);
    this.barEpoch = 0;
    this.lastBarN = NaN;
    this.lastBarComplete = false;
    return this.current;
  }
}
