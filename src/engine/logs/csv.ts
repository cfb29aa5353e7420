import type { Run } from '../types';
import { LineSplitter, parseMetricValue } from './lines';
import { canonicalMetric, metricDirection } from './names';
import type { LogFormat, LogParser } from './parser';
import { EPOCH_KEY, STEP_KEYS, isNotMetric, isWallTimeKey, isXKey, plural, unixSeconds } from './records';
import { RunBuilder } from './series-builder';

/**
 * Per-epoch or per-step metric tables: Keras `CSVLogger`, Lightning `CSVLogger` (`metrics.csv`, sparse
 * rows: train and val values on separate rows, empty cells), ultralytics `results.csv` (headers padded
 * with spaces), and the CSVs people write by hand. Comma or tab separated, with a header row naming an
 * x column (`epoch`, `step`, `global_step`, `iteration`, `iter`). Every non-empty numeric cell of a
 * metric column is one point; empty and non-numeric cells (Keras writes `NA`) are absent, not NaN.
 *
 * Epochs. Keras `CSVLogger` (like any loop that logs its `range()` counter) writes the 0-based epoch
 * while its console prints `Epoch 1/N` for that same epoch; the contract reports epochs as the console shows them, and the
 * same run must give the same findings whichever file is read. So a table whose first epoch is 0 and that
 * has no step column is shifted by one (CSV epoch 0 is reported as epoch 1). Lightning is the exception
 * that the step column gives away: its console itself says `Epoch 0`, so its epochs stay as written.
 *
 * A row repeating the header, or an x value going back, starts a new run segment (two runs appended
 * to one file). Rows with the wrong number of cells are skipped and counted. Quoted fields may hold the
 * delimiter, doubled quotes and line breaks; a quote still open after 20 lines is taken for a stray one
 * (that row is skipped and counted, the lines after it read again). A half-written last row waits for
 * its newline.
 */

/** A quoted field may span lines; a record still open after this many lines is taken for a stray quote. */
const MAX_RECORD_LINES = 20;

export const csvTable: LogFormat = {
  id: 'csv',
  sniff(head) {
    const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
    const lines = text.split(/\r\n|\n|\r/);
    // Only complete lines: the last element has no line break after it yet.
    const complete = lines.slice(0, -1).filter((l) => l.trim().length > 0);
    if (complete.length === 0) return false;
    const delimiter = delimiterOf(complete[0]);
    const header = splitRecord(complete[0], delimiter);
    if (!header) return false;
    const names = header.map((h) => h.trim());
    const x = names.findIndex(isXKey);
    if (x === -1 || !names.some((n, i) => i !== x && looksLikeMetric(n))) return false;
    // A data row, if one is there, must have a numeric (or empty) x cell.
    if (complete.length > 1) {
      const row = splitRecord(complete[1], delimiter);
      if (row && row.length === header.length && row[x].trim() !== '' && parseMetricValue(row[x]) === undefined) return false;
    }
    return true;
  },
  create(source) {
    return new CsvParser(source);
  },
};

/** Whether a column name looks like a training metric: loss- or accuracy-like, or a learning rate or gradient norm. */
function looksLikeMetric(name: string): boolean {
  if (name.length === 0 || isXKey(name) || isNotMetric(name)) return false;
  const { metric } = canonicalMetric(name);
  return metricDirection(metric) !== 'unknown' || /^(?:lr|grad_norm)\b/.test(metric);
}

function delimiterOf(headerLine: string): string {
  const tabs = headerLine.split('\t').length - 1;
  const commas = headerLine.split(',').length - 1;
  return tabs > commas ? '\t' : ',';
}

/** Splits one CSV record (which may hold line breaks inside quotes); undefined while a quote is still open. */
function splitRecord(text: string, delimiter: string): string[] | undefined {
  if (!text.includes('"')) return text.split(delimiter);
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"' && field.trim().length === 0) {
      quoted = true;
      field = '';
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields;
}

/**
 * A cell's number, or undefined for an empty or non-numeric cell (Keras writes `NA`). Most cells are
 * plain decimals, so `Number` answers first; the rest (`nan`, `inf`, junk) go through parseMetricValue.
 */
function cellValue(cell: string): number | undefined {
  if (cell.length === 0) return undefined;
  const c = cell.charCodeAt(0);
  // A leading digit, `-` or `.`: `Number` reads decimals exactly as parseMetricValue does, and refuses `1 2`.
  if ((c >= 48 && c <= 57) || c === 45 || c === 46) {
    const n = Number(cell);
    const radix = c === 48 ? cell.charCodeAt(1) | 32 : 0; // `0x`, `0b`, `0o`: not how a logger writes numbers
    if (Number.isFinite(n) && radix !== 120 && radix !== 98 && radix !== 111) return n;
  }
  return parseMetricValue(cell);
}

interface Column {
  readonly index: number;
  /** The name handed to the run builder (canonicalised there). */
  readonly name: string;
}

interface Plan {
  readonly header: readonly string[];
  readonly epoch: number;
  readonly step: number;
  readonly wallTime: number;
  readonly metrics: readonly Column[];
}

/** Decides which columns are x, wall time and metrics from the header row. */
function planColumns(header: readonly string[]): Plan {
  const names = header.map((h) => h.trim());
  const lower = names.map((n) => n.toLowerCase());
  const epoch = lower.indexOf(EPOCH_KEY);
  const stepKey = STEP_KEYS.find((k) => lower.includes(k));
  const step = stepKey === undefined ? -1 : lower.indexOf(stepKey);
  const wallTime = lower.findIndex(isWallTimeKey);
  const metrics: Column[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name.length === 0 || isXKey(name) || isNotMetric(name)) continue;
    // Lightning logs `on_step=True, on_epoch=True` as `x_step` and `x_epoch`: the per-epoch one is the metric.
    const base = lower[i].endsWith('_epoch') ? name.slice(0, -'_epoch'.length) : undefined;
    const raw = base !== undefined && lower.includes(`${base.toLowerCase()}_step`) ? base : name;
    // Two columns for one canonical name (`acc` and `accuracy`) would zig-zag: the first one wins.
    const canonical = canonicalMetric(raw).name;
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    metrics.push({ index: i, name: raw });
  }
  return { header: names, epoch, step, wallTime, metrics };
}

class CsvParser implements LogParser {
  readonly format = csvTable.id;
  private readonly splitter: LineSplitter;
  private readonly segments: RunBuilder[] = [];
  private current: RunBuilder | undefined;
  private plan: Plan | undefined;
  private delimiter = ',';
  private firstLine = true;
  /** An unfinished quoted record: its text so far, the line it starts on, and its lines (to re-read after a stray quote). */
  private open: { text: string; line: number; lines: [string, number][] } | undefined;
  private epochOffset: number | undefined;
  private lastStep = NaN;
  private lastEpoch = NaN;
  private badRows = 0;
  private strayQuotes = 0;

  constructor(private readonly source: string) {
    this.splitter = new LineSplitter((line, n) => this.line(line, n));
  }

  feed(chunk: string | Uint8Array): void {
    if (typeof chunk !== 'string') throw new TypeError('csv is a text format');
    this.splitter.feed(chunk);
  }

  finish(): void {
    this.splitter.finish();
    // At the end of the input an open quote will never close.
    while (this.open) this.dropStrayQuote();
  }

  runs(): Run[] {
    const notes = this.notes();
    return this.segments.filter((s) => !s.isEmpty).map((s) => s.snapshot(notes));
  }

  notes(): string[] {
    const notes: string[] = [];
    const long = this.splitter.skippedLongLines;
    if (long > 0) notes.push(`skipped ${plural(long, 'line')} longer than 1 MB`);
    if (this.badRows > 0) notes.push(`skipped ${plural(this.badRows, 'row')} with the wrong number of cells`);
    if (this.strayQuotes > 0) notes.push(`skipped ${plural(this.strayQuotes, 'row')} with an unclosed quote`);
    return notes;
  }

  private line(raw: string, lineNumber: number): void {
    let text = raw;
    if (this.firstLine) {
      this.firstLine = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.open) {
      this.open.text += `\n${text}`;
      this.open.lines.push([text, lineNumber]);
      const fields = splitRecord(this.open.text, this.delimiter);
      if (fields) {
        const { line } = this.open;
        this.open = undefined;
        this.record(fields, line);
      } else if (this.open.lines.length >= MAX_RECORD_LINES) {
        this.dropStrayQuote();
      }
      return;
    }
    if (text.trim().length === 0) return;
    if (!this.plan) this.delimiter = delimiterOf(text);
    const fields = splitRecord(text, this.delimiter);
    if (fields) this.record(fields, lineNumber);
    else this.open = { text, line: lineNumber, lines: [[text, lineNumber]] };
  }

  /** The open record's first line had a stray quote: skip that line and read the lines after it again. */
  private dropStrayQuote(): void {
    const [, ...rest] = this.open!.lines;
    this.open = undefined;
    this.strayQuotes++;
    for (const [text, lineNumber] of rest) this.line(text, lineNumber);
  }

  private record(fields: string[], line: number): void {
    if (!this.plan) {
      this.plan = planColumns(fields);
      this.startSegment();
      return;
    }
    const plan = this.plan;
    if (fields.length !== plan.header.length) {
      this.badRows++;
      return;
    }
    if (fields.every((f, i) => f.trim() === plan.header[i])) {
      this.startSegment();
      return;
    }
    let epoch = plan.epoch === -1 ? NaN : parseMetricValue(fields[plan.epoch]) ?? NaN;
    const step = plan.step === -1 ? NaN : parseMetricValue(fields[plan.step]) ?? NaN;
    // An x counter that goes back is a second run appended to the file.
    if (step < this.lastStep || (Number.isNaN(step) && epoch < this.lastEpoch)) this.startSegment();
    if (Number.isFinite(step)) this.lastStep = step;
    if (Number.isFinite(epoch)) {
      this.lastEpoch = epoch;
      this.epochOffset ??= epoch === 0 && plan.step === -1 ? 1 : 0;
      epoch += this.epochOffset;
    }
    const wallTime = plan.wallTime === -1 ? NaN : unixSeconds(parseMetricValue(fields[plan.wallTime]) ?? NaN);
    for (const column of plan.metrics) {
      const value = cellValue(fields[column.index]);
      if (value !== undefined) this.current!.add(column.name, epoch, step, value, line, wallTime);
    }
  }

  private startSegment(): void {
    if (this.current?.isEmpty) this.segments.pop();
    this.current = new RunBuilder(this.source, this.format, this.segments.length);
    this.segments.push(this.current);
    this.epochOffset = undefined;
    this.lastStep = NaN;
    this.lastEpoch = NaN;
  }
}
