/**
 * Splits a stream of text chunks into the lines a person would see in a terminal: `\r` progress
 * updates keep only their last state, backspaces and ANSI colour codes are dropped, CRLF is a newline.
 * A partial last line waits for the rest, so any chunking of the same text yields the same lines.
 */

// CSI sequences (colours, cursor moves) and OSC sequences (titles, links).
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const BACKSPACES = /\x08+/g;

/** Longest line we keep. A longer one is skipped with a note: it is almost never a metric line. */
export const MAX_LINE_LENGTH = 1 << 20;

/** Removes ANSI colour and cursor sequences. */
export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ANSI, '') : text;
}

/**
 * What a terminal would show for one raw line (without its `\n`), and which of its `\r`-separated
 * segments that is. Editors (VS Code among them) end a line at a lone `\r` too, so a progress line
 * written with `\r` updates spans several editor lines: `segment` says how many of them come first.
 */
export function visibleSegment(raw: string): { text: string; segment: number } {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  let text = line;
  let segment = 0;
  if (line.includes('\r')) {
    // Keras writes `\b` * width, then `\r`, then the new state; an update that is only a `\r` keeps the old one.
    const segments = line.split('\r');
    segment = segments.length - 1;
    while (segment > 0 && segments[segment].replace(BACKSPACES, '').length === 0) segment--;
    text = segments[segment];
  }
  if (text.includes('\x08')) text = text.replace(BACKSPACES, '');
  return { text: stripAnsi(text), segment };
}

/** What a terminal would show for one raw line (without its `\n`). */
export function visibleLine(raw: string): string {
  return visibleSegment(raw).text;
}

function countCarriageReturns(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) n++;
  return n;
}

/** Editor lines a raw line (without its `\n`) spans: one plus its lone `\r` breaks. */
function editorLines(raw: string): number {
  // A trailing `\r` is the first half of the CRLF that ends the line.
  return countCarriageReturns(raw) - (raw.endsWith('\r') ? 1 : 0) + 1;
}

export type LineSink = (line: string, lineNumber: number) => void;
/** A line given as `text.slice(start, end)` without making the slice: for parsers that scan in place. */
export type RangeSink = (text: string, start: number, end: number, lineNumber: number) => void;

/**
 * Feeds text chunks; calls `sink` once per complete line with the 1-based line number an editor
 * shows for its visible part. Lines are counted as editors count them: `\n`, `\r\n` and a lone `\r`
 * each end a line.
 */
export class LineSplitter {
  private pending = '';
  private lineNumber = 0;
  private tooLong = false;
  /** Lone `\r` breaks in the part of an over-long line already dropped. */
  private droppedBreaks = 0;
  /** Lines longer than {@link MAX_LINE_LENGTH} that were skipped. */
  skippedLongLines = 0;

  /** `rangeSink`, when given, receives the lines of plain chunks (no `\r`, `\b`, ESC) in place of `sink`. */
  constructor(private readonly sink: LineSink, private readonly rangeSink?: RangeSink) {}

  /** Number of complete editor lines seen so far. */
  get lines(): number {
    return this.lineNumber;
  }

  /**
   * Counts a plain line (no `\r`, `\b` or ESC before its newline, at most {@link MAX_LINE_LENGTH} long) that
   * the caller read in place, and returns its number. Only between lines: after a chunk that ended in `\n`.
   */
  countLine(): number {
    return ++this.lineNumber;
  }

  feed(chunk: string): void {
    // Most chunks of a big log hold no `\r`, backspace or escape: their lines are shown as written.
    if (chunk.indexOf('\r') === -1 && chunk.indexOf('\x08') === -1 && chunk.indexOf('\x1b') === -1) this.feedPlain(chunk);
    else this.feedGeneral(chunk);
  }

  /** {@link feed} for a chunk without `\r`, `\b` or ESC: no per-line terminal emulation. */
  private feedPlain(chunk: string): void {
    let at = 0;
    let nl = chunk.indexOf('\n');
    if (nl !== -1 && (this.pending.length > 0 || this.tooLong)) {
      // The pending part of a line may hold `\r`s: it ends the general way.
      this.feedGeneral(chunk.slice(0, nl + 1));
      at = nl + 1;
      nl = chunk.indexOf('\n', at);
    }
    for (; nl !== -1; nl = chunk.indexOf('\n', at)) {
      if (nl - at > MAX_LINE_LENGTH) {
        this.skippedLongLines++;
        this.lineNumber++;
      } else if (this.rangeSink) {
        this.rangeSink(chunk, at, nl, ++this.lineNumber);
      } else {
        this.sink(chunk.slice(at, nl), ++this.lineNumber);
      }
      at = nl + 1;
    }
    if (at < chunk.length) this.append(chunk.slice(at));
  }

  private feedGeneral(chunk: string): void {
    let at = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', at)) {
      this.append(chunk.slice(at, nl));
      at = nl + 1;
      if (this.tooLong) {
        this.skippedLongLines++;
        this.lineNumber += this.droppedBreaks + editorLines(this.pending);
      } else {
        const raw = this.pending;
        const { text, segment } = visibleSegment(raw);
        this.sink(text, this.lineNumber + segment + 1);
        this.lineNumber += editorLines(raw);
      }
      this.pending = '';
      this.tooLong = false;
      this.droppedBreaks = 0;
    }
    if (at < chunk.length) this.append(chunk.slice(at));
  }

  /** Adds text within one line; past the length limit only the count of `\r` breaks is kept. */
  private append(text: string): void {
    if (!this.tooLong && this.pending.length + text.length <= MAX_LINE_LENGTH) {
      this.pending += text;
      return;
    }
    const dropped = this.pending + text;
    // Keep a trailing `\r`: it may be the first half of a CRLF split across chunks.
    const keep = dropped.endsWith('\r') ? 1 : 0;
    this.droppedBreaks += countCarriageReturns(dropped) - keep;
    this.pending = keep ? '\r' : '';
    this.tooLong = true;
  }

  /** Ends the stream: a last line without `\n` counts as a line. */
  finish(): void {
    if (this.pending.length > 0 || this.tooLong) this.feed('\n');
  }
}

/** Parses a metric value as logs print it: `0.51`, `1e-05`, `nan`, `NaN`, `inf`, `-inf`. */
export function parseMetricValue(token: string): number | undefined {
  const t = token.trim();
  if (t.length === 0) return undefined;
  const lower = t.toLowerCase();
  if (lower === 'nan' || lower === '-nan') return NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}
