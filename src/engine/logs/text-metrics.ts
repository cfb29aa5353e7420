import type { Run } from '../types';
import { LineSplitter, MAX_LINE_LENGTH } from './lines';
import type { LogFormat, LogParser } from './parser';
import { prefix, readPrefix, readPrefixBytes } from './text-scan';
import { compileByteMatcher, COMPILE_AFTER_MATCHES } from './template-compiler';
import { analyze, EpochKind, matchTemplate, matchTerminatedLine, NO_MATCH, Progress, Role, UNSURE, type Template } from './text-template';
import { SeriesGroup, TextSegment } from './text-run';

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

/**
 * Whether a parser takes the raw UTF-8 bytes of a text log (`feed(Uint8Array)`) and decodes what it needs
 * itself: the text-metrics parser matches its line shapes on the bytes, which is several times faster
 * than decoding every line first. The result is the same as feeding the decoded text.
 */
export function readsUtf8(parser: LogParser): boolean {
  return parser instanceof TextMetricsParser;
}

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
  /** For bytes: the stream decoder, and one for single lines (a mid-stream BOM is text, as in the stream). */
  private readonly decoder = new TextDecoder('utf-8');
  private readonly lineDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** What {@link matchBytes} matched last: the template's index, and the line's wall time. */
  private matched = -1;
  private matchedWallTime = NaN;

  constructor(private readonly source: string) {
    this.current = new TextSegment(0);
    this.segments.push(this.current);
    this.splitter = new LineSplitter(
      (line, n) => this.line(line, 0, line.length, n),
      (text, start, end, n) => this.line(text, start, end, n),
    );
  }

  /** Text, or the raw UTF-8 bytes of the log (see {@link readsUtf8}); bytes before text end at it. */
  feed(chunk: string | Uint8Array): void {
    if (typeof chunk === 'string') {
      this.endBytes();
      this.splitter.feed(chunk);
    } else {
      this.feedBytes(chunk);
    }
  }

  finish(): void {
    this.endBytes();
    this.splitter.finish();
  }

  /**
   * The complete lines in the middle of a chunk are matched on their bytes ({@link matchBytes}); the
   * line the last chunk left open, the partial line at the end, and the lines the bytes cannot settle go
   * through a decoder and the text path, in runs of consecutive lines. UTF-8 decoding of a stream is the
   * decoding of its newline-separated pieces, so both give what decoding the whole file would.
   */
  private feedBytes(b: Uint8Array): void {
    const decoder = this.decoder;
    const first = b.indexOf(0x0a);
    if (first < 0) {
      this.splitter.feed(decoder.decode(b, { stream: true }));
      return;
    }
    this.splitter.feed(decoder.decode(b.subarray(0, first + 1), { stream: true }));
    const last = b.lastIndexOf(0x0a);
    const text = this.completeLines(b, first + 1, last + 1);
    if (text < last + 1) this.splitter.feed(this.lineDecoder.decode(b.subarray(text, last + 1)));
    if (last + 1 < b.length) this.splitter.feed(decoder.decode(b.subarray(last + 1), { stream: true }));
  }

  /**
   * Reads the complete lines `b[from, end)` (`end` just past a newline) and returns where the lines it
   * left to the text path start (`end` when none). The loop is a method of its own, with nothing after
   * it: the optimised code V8 compiles in the middle of a long first call then serves every chunk.
   */
  private completeLines(b: Uint8Array, from: number, end: number): number {
    /** Start of the lines waiting for the text path, -1 when none. */
    let text = -1;
    for (let at = from; at < end; ) {
      let nl = this.matchBytes(b, at, end);
      if (nl >= 0 && text >= 0) {
        // The lines before come first, and may change the templates: match again after them.
        this.splitter.feed(this.lineDecoder.decode(b.subarray(text, at)));
        text = -1;
        nl = this.matchBytes(b, at, end);
      }
      if (nl >= 0) {
        this.takeMatch(this.splitter.countLine());
      } else {
        if (text < 0) text = at;
        nl = b.indexOf(0x0a, at);
      }
      at = nl + 1;
    }
    return text < 0 ? end : text;
  }

  /** Decodes the rest of a byte stream, so that what follows starts afresh. */
  private endBytes(): void {
    const rest = this.decoder.decode();
    if (rest.length > 0) this.splitter.feed(rest);
  }

  /**
   * Matches the complete line at `b[start]` (its `\n` before `end`) against the cached templates on its
   * bytes, without recording it: returns the index of its `\n`, or -1 when no template matches or the
   * bytes cannot tell (the text path decides). A match implies a plain line (template literals hold no
   * `\r`, `\b` or ESC), which the text path reads as is, a CRLF without its `\r`.
   */
  private matchBytes(b: Uint8Array, start: number, end: number): number {
    if (!readPrefixBytes(b, start, end)) return -1;
    const from = prefix.start;
    const templates = this.templates;
    for (let i = 0; i < templates.length; i++) {
      const t = templates[i];
      const compiled = t.byteMatcher;
      const nl = compiled !== undefined ? compiled(b, from, end, this.values) : matchTerminatedLine(t, b, from, end, this.values);
      if (nl === NO_MATCH) continue;
      // Byte length bounds the text length: a line that may be too long is left to the text path.
      if (nl === UNSURE || nl - start > MAX_LINE_LENGTH) return -1;
      if (compiled === undefined && ++t.byteMatches === COMPILE_AFTER_MATCHES) t.byteMatcher = compileByteMatcher(t);
      this.matched = i;
      this.matchedWallTime = prefix.wallTime;
      return nl;
    }
    return -1;
  }

  /** Records the line {@link matchBytes} matched last, as {@link line} records a match. */
  private takeMatch(lineNumber: number): void {
    const templates = this.templates;
    const t = templates[this.matched];
    if (this.matched > 0) {
      templates.splice(this.matched, 1);
      templates.unshift(t);
    }
    this.apply(t, lineNumber, this.matchedWallTime);
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
      t.cache = new SeriesGroup(segment.nan, Array.from(t.metricAt, (i) => segment.get(t.names[i]!)));
    }
    const metricAt = t.metricAt;
    const group = t.cache as SeriesGroup;
    const columns = group.columns;
    const row = columns.push(x, step, lineNumber, wallTime);
    for (let k = 0; k < metricAt.length; k++) {
      const i = metricAt[k];
      const series = group.series[k];
      const value = t.roles[i] === Role.ratio ? v[i] / v[i + 1] : v[i];
      if (series.columns === columns) series.set(row, value);
      else series.push(x, step, value, lineNumber, wallTime);
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
