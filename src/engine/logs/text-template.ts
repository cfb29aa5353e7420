/**
 * The shape of a metric line, learnt once and matched cheaply after. {@link analyze} reads a line's
 * message token by token and decides what each number is (a metric, the epoch, a batch counter, or
 * nothing: ETA, `ms/batch`, `it/s`, a config value). The decisions depend only on the text around the
 * numbers, so they hold for every line with the same text between its numbers: {@link matchTemplate}
 * checks that text and scans the numbers, without re-deciding anything. A 150 MB step-level log is
 * one analysis and millions of matches.
 */
import type { Split } from '../types';
import { canonicalMetric, metricDirection } from './names';
import { asciiString, isDigit, isLetter, isWordChar, scanNumber, scanNumberBytes, scanned, SPACE, TAB } from './text-scan';

/** What a number in a line is. */
export const Role = {
  ignore: 0,
  metric: 1,
  epoch: 2,
  epochTotal: 3,
  /** Batch counter `n/total` without a name, or named `step`/`iter`/`batch` with a total. */
  progress: 4,
  progressTotal: 5,
  /** A global step (`step 1500`, `iter: 1500`). */
  step: 6,
  /** `Accuracy: 9846/10000`: the metric is the ratio. */
  ratio: 7,
  ratioTotal: 8,
} as const;

/** How the epoch of a line is written: a header (`Epoch 3/10`, `| epoch 3 |`) or a value (`'epoch': 0.5`, `epoch=1.25`). */
export const EpochKind = { none: 0, header: 1, value: 2 } as const;

/** How a line's batch counter turns into an x position. */
export const Progress = {
  none: 0,
  /** Within the epoch the line names: x = epoch - 1 + n/total. */
  withinEpoch: 1,
  /** A global step. */
  global: 2,
  /** Within the epoch of an earlier header line; a global step when there is none. */
  contextOrGlobal: 3,
  /** A tqdm bar: within the epoch of an earlier header line, else epochs are counted from the bars. */
  contextOrBar: 4,
} as const;

/** {@link Template.flags}: spaces before the literal, spaces after it, a plain number after it. */
export const SPACE_BEFORE = 1;
export const SPACE_AFTER = 2;
export const PLAIN_NUMBER = 4;
/** On the first literal: some literal holds an ESC, which only the text path sees stripped or kept. */
export const TEXT_ONLY = 8;

export interface Template {
  /** Text before each number (spaces at both ends trimmed), and after the last. */
  readonly literals: string[];
  /** Whether spaces stand before / after each literal (their count is free, their presence is not). */
  readonly spaceBefore: boolean[];
  readonly spaceAfter: boolean[];
  readonly roles: Uint8Array;
  /** Canonical series name per metric number. */
  readonly names: (string | undefined)[];
  readonly percent: boolean[];
  readonly epochKind: number;
  readonly progress: number;
  /** A line without its own x may take the epoch of the last header line: it holds a record of metrics. */
  readonly inheritsEpoch: boolean;
  readonly metricCount: number;
  /** Whether the line carries anything: metrics or an x. Lines that don't are not kept as templates. */
  readonly useful: boolean;
  /** Index of the number with each x role, -1 when none; the indices of the metrics. */
  readonly epochAt: number;
  readonly epochTotalAt: number;
  readonly progressAt: number;
  readonly progressTotalAt: number;
  readonly stepAt: number;
  readonly metricAt: Int32Array;
  /** Whether number i always follows a non-word character (the matcher may read it without that check). */
  readonly plainNumberAt: boolean[];
  /** The literals' characters end to end, for the matcher: literal i is `chars[literalEnd[i - 1], literalEnd[i])`. */
  readonly chars: Uint16Array;
  readonly literalEnd: Int32Array;
  /** The same literals in UTF-8, for {@link matchTerminatedLine}: literal i is `utf8[utf8End[i - 1], utf8End[i])`. */
  readonly utf8: Uint8Array;
  readonly utf8End: Int32Array;
  /** Per literal: {@link SPACE_BEFORE}, {@link SPACE_AFTER}, {@link PLAIN_NUMBER} for the number after it; {@link TEXT_ONLY}. */
  readonly flags: Uint8Array;
  /** Scratch for the parser: the series the metrics go to, valid for `cacheOwner`. */
  cacheOwner: unknown;
  cache: unknown;
  /** Lines matched on their bytes so far, and the matcher compiled for the template once it proved common. */
  byteMatches: number;
  byteMatcher: ByteMatcher | undefined;
}

/** {@link matchTerminatedLine} for one template: where the line's `\n` is, or NO_MATCH / UNSURE. Fills `values`. */
export type ByteMatcher = (b: Uint8Array, start: number, end: number, values: Float64Array) => number;

const SPLIT_WORDS: Readonly<Record<string, Split>> = {
  val: 'val', valid: 'val', validation: 'val', validating: 'val', eval: 'val', evaluation: 'val', evaluating: 'val', dev: 'val',
  test: 'test', testing: 'test',
};
const EPOCH_NAMES = new Set(['epoch', 'train epoch', 'training epoch', 'end of epoch', 'val epoch', 'validation epoch', 'eval epoch', 'test epoch']);
const STEP_NAMES = new Set(['step', 'iter', 'iteration', 'global_step', 'global step', 'train step', 'training step', 'batch', 'it']);
/** Named numbers that are never metrics: time, throughput, memory, counters, run bookkeeping. */
const NOT_METRIC = /(?:^|_)(?:eta|time|times|elapsed|runtime|duration|memory|mem|max_mem|v_num|seed|fold|gpu|rank|world_size|batch_size|bs|samples|tokens|flos|total_flos|workers|epochs|steps|batches|iters|max|min|total|count|size)$|per_second|per_sec|^num_|^n_|^best|^ms\/|^s\/|\/s$|it\/s|s\/it/;

/** Whether a normalised name may be a metric: not a time, a rate, memory, a counter or run bookkeeping. */
export function isMetricName(name: string): boolean {
  return !NOT_METRIC.test(name);
}

interface NumberToken {
  start: number;
  end: number;
  role: number;
  name: string | undefined;
  percent: boolean;
  inDict: boolean;
}

/** Scratch state of one analysis. */
class Analysis {
  readonly tokens: NumberToken[] = [];
  split: Split | undefined;
  epochKind: number = EpochKind.none;
  epochInDict = false;
  bareCounter = false;
  bar = false;
  stepCounterWithTotal = false;
  summary = false;

  constructor(readonly s: string, readonly end: number) {}

  number(start: number, end: number, role: number = Role.ignore): NumberToken {
    const token: NumberToken = { start, end, role, name: undefined, percent: false, inDict: false };
    this.tokens.push(token);
    return token;
  }
}

function isDelimiter(c: number): boolean {
  return c === 0x7c || c === 0x2c || c === 0x3b || c === TAB;
}

/** Decorations (`===`, `***`, `>>>`, emoji) leave a field boundary as it was. */
function isNeutral(c: number): boolean {
  return c === 0x3d || c === 0x2a || c === 0x23 || c === 0x3e || c === 0x7e || c >= 0x80;
}

function skipSpaces(s: string, p: number, end: number): number {
  while (p < end && s.charCodeAt(p) === SPACE) p++;
  return p;
}

/** A word of a name: letters, digits, `_`, `/`, `@`, and `.`/`-` between letters or digits. */
function wordEnd(s: string, p: number, end: number): number {
  while (p < end) {
    const c = s.charCodeAt(p);
    if (isWordChar(c) || c === 0x2f || c === 0x40) p++;
    else if ((c === 0x2e || c === 0x2d) && p + 1 < end && isWordChar(s.charCodeAt(p + 1)) && isWordChar(s.charCodeAt(p - 1))) p++;
    else break;
  }
  return p;
}

/** ` - ` between fields (Keras, logging). */
function isSpacedDash(s: string, p: number, end: number): boolean {
  return s.charCodeAt(p) === 0x2d && p > 0 && s.charCodeAt(p - 1) === SPACE && p + 1 < end && s.charCodeAt(p + 1) === SPACE;
}

/** After a value: the end of the line or of a field, so that a space-separated `name value` is a pair. */
function atFieldEnd(s: string, p: number, end: number): boolean {
  if (p >= end) return true;
  const c = s.charCodeAt(p);
  return isDelimiter(c) || c === 0x7d || c === 0x5d || c === 0x29 || isSpacedDash(s, p, end);
}

/**
 * Reads a number, or a counter `n/total` (`200/ 2983`), at `p`. Returns the index after it or -1;
 * `counter` says whether a total was read.
 */
function readValue(a: Analysis, p: number, out: { first?: NumberToken; second?: NumberToken; end: number }): boolean {
  const s = a.s;
  const q = scanNumber(s, p, a.end);
  if (q < 0) return false;
  out.first = a.number(p, q);
  out.second = undefined;
  out.end = q;
  if (q < a.end && s.charCodeAt(q) === 0x2f) {
    const r = skipSpaces(s, q + 1, a.end);
    const t = scanNumber(s, r, a.end);
    if (t >= 0) {
      out.second = a.number(r, t);
      out.end = t;
    }
  }
  return true;
}

function normaliseName(raw: string): string {
  let name = raw.replace(/'/g, '').toLowerCase().replace(/ +/g, '_');
  if (name.startsWith('average_') || name.startsWith('avg_') || name.startsWith('mean_')) name = name.slice(name.indexOf('_') + 1);
  return name;
}

function splitOf(word: string): Split | undefined {
  return SPLIT_WORDS[word.toLowerCase()];
}

/**
 * After an epoch or step keyword: `3`, `3/10`, `[3/10]`, `(val) [1][764]`, `[1][50/930]`, `1/50 [LP]`.
 * Returns the index after what it read, or -1 when no number follows.
 */
function readCounterSpec(a: Analysis, p: number, isEpoch: boolean, sep: number, inDict: boolean): number {
  const s = a.s;
  const end = a.end;
  if (isEpoch && p < end && s.charCodeAt(p) === 0x28) {
    // mmdet `Epoch(val)`.
    const close = s.indexOf(')', p);
    if (close < 0 || close > end) return -1;
    const split = splitOf(s.slice(p + 1, close));
    if (split) a.split = split;
    p = skipSpaces(s, close + 1, end);
  }
  let bracketed = false;
  if (p < end && s.charCodeAt(p) === 0x5b) {
    bracketed = true;
    p = skipSpaces(s, p + 1, end);
  }
  const value = { end: 0 } as { first?: NumberToken; second?: NumberToken; end: number };
  if (!readValue(a, p, value)) return -1;
  p = value.end;
  if (bracketed) {
    p = skipSpaces(s, p, end);
    if (p < end && s.charCodeAt(p) === 0x5d) p++;
  }
  if (isEpoch) {
    value.first!.role = Role.epoch;
    value.first!.inDict = inDict;
    if (value.second) value.second.role = Role.epochTotal;
    a.epochKind = sep === 0x3d || inDict ? EpochKind.value : EpochKind.header;
    a.epochInDict = inDict;
    // `[1][50/930]` (mmdet iteration), `[1][764]` (validation size), `1/50 [LP]:` (tqdm description).
    const q = skipSpaces(s, p, end);
    if (q < end && s.charCodeAt(q) === 0x5b) {
      const r = skipSpaces(s, q + 1, end);
      if (r < end && isLetter(s.charCodeAt(r))) {
        const w = wordEnd(s, r, end);
        const split = splitOf(s.slice(r, w));
        if (split) a.split = split;
        if (w < end && s.charCodeAt(w) === 0x5d) p = w + 1;
      } else {
        const inner = { end: 0 } as { first?: NumberToken; second?: NumberToken; end: number };
        if (readValue(a, r, inner)) {
          if (inner.second) {
            inner.first!.role = Role.progress;
            inner.second.role = Role.progressTotal;
            a.bareCounter = true;
          }
          p = skipSpaces(s, inner.end, end);
          if (p < end && s.charCodeAt(p) === 0x5d) p++;
        }
      }
    }
  } else if (value.second) {
    value.first!.role = Role.progress;
    value.second.role = Role.progressTotal;
    a.stepCounterWithTotal = true;
  } else {
    value.first!.role = Role.step;
  }
  // `Epoch 3: loss 0.41`, `Step 1500: loss=0.2`: the colon closes the counter, and a name may follow.
  const colon = skipSpaces(s, p, end);
  if (colon < end && s.charCodeAt(colon) === 0x3a && (colon + 1 >= end || s.charCodeAt(colon + 1) === SPACE)) p = colon + 1;
  return p;
}

/** Reads one message and decides the role of each number in it. */
function scanMessage(a: Analysis, start: number): void {
  const s = a.s;
  const end = a.end;
  let p = start;
  /** Whether a name may start here: the message start, after a delimiter, after a pair, after a label. */
  let boundary = true;
  let dictDepth = 0;
  let callDepth = 0;
  const value = { end: 0 } as { first?: NumberToken; second?: NumberToken; end: number };
  while (p < end) {
    const c = s.charCodeAt(p);
    if (c === SPACE) {
      p++;
      continue;
    }
    if (isDelimiter(c) || isSpacedDash(s, p, end)) {
      boundary = true;
      p++;
      continue;
    }
    if (c === 0x7b || c === 0x7d) {
      dictDepth += c === 0x7b ? 1 : dictDepth > 0 ? -1 : 0;
      boundary = true;
      p++;
      continue;
    }
    if (c === 0x28) {
      // `Namespace(lr=0.1, ...)`, `dict(...)`, `Counter({...})`: arguments of a call are configuration.
      if (p > start && isWordChar(s.charCodeAt(p - 1))) callDepth++;
      boundary = true;
      p++;
      continue;
    }
    if (c === 0x29) {
      if (callDepth > 0) callDepth--;
      boundary = true;
      p++;
      continue;
    }
    if (c === 0x5b || c === 0x5d) {
      boundary = true;
      p++;
      continue;
    }
    const numberEnd = scanNumber(s, p, end);
    if (numberEnd >= 0) {
      // A number without a name: a batch counter when it is one (`157/157 [`, `[640/60000`, `200/ 2983 batches`).
      const atBoundary = boundary;
      readValue(a, p, value);
      p = value.end;
      if (value.second && atBoundary) {
        value.first!.role = Role.progress;
        value.second.role = Role.progressTotal;
        a.bareCounter = true;
        const q = skipSpaces(s, p, end);
        if (q < end && s.charCodeAt(q) === 0x5b) a.bar = true;
      }
      if (p < end && s.charCodeAt(p) === 0x25) p++;
      boundary = false;
      continue;
    }
    const quoted = c === 0x27 && p + 1 < end && isLetter(s.charCodeAt(p + 1));
    if (quoted || isLetter(c)) {
      p = readPair(a, p, quoted, boundary, dictDepth > 0, callDepth > 0, value);
      boundary = pairBoundary;
      continue;
    }
    if (!isNeutral(c)) boundary = false;
    p++;
  }
}

/** Set by {@link readPair}: whether a new name may start after what it read. */
let pairBoundary = false;

function readPair(
  a: Analysis,
  p: number,
  quoted: boolean,
  atBoundary: boolean,
  inDict: boolean,
  inCall: boolean,
  value: { first?: NumberToken; second?: NumberToken; end: number },
): number {
  const s = a.s;
  const end = a.end;
  const nameStart = p;
  let nameEnd: number;
  let words = 1;
  if (quoted) {
    const close = s.indexOf("'", p + 1);
    if (close < 0 || close >= end) {
      pairBoundary = false;
      return p + 1;
    }
    nameEnd = close + 1;
  } else {
    nameEnd = wordEnd(s, p, end);
    // A name of several words (`Train Loss`, `end of epoch`, `valid ppl`): single spaces between letters.
    while (words < 5 && nameEnd + 1 < end && s.charCodeAt(nameEnd) === SPACE && isLetter(s.charCodeAt(nameEnd + 1))) {
      const next = wordEnd(s, nameEnd + 1, end);
      // `nan`/`inf` after a name are its value, not another word of it.
      if (scanNumber(s, nameEnd + 1, end) >= 0) break;
      nameEnd = next;
      words++;
    }
  }
  let q = skipSpaces(s, nameEnd, end);
  let sep = 0;
  if (q < end && (s.charCodeAt(q) === 0x3a || s.charCodeAt(q) === 0x3d)) {
    sep = s.charCodeAt(q);
    q = skipSpaces(s, q + 1, end);
  }
  const raw = s.slice(nameStart, nameEnd);
  const lowered = raw.toLowerCase().replace(/'/g, '');
  if (atBoundary && !inCall && (EPOCH_NAMES.has(lowered) || STEP_NAMES.has(lowered))) {
    const isEpoch = EPOCH_NAMES.has(lowered);
    const after = readCounterSpec(a, q, isEpoch, sep, inDict);
    if (after >= 0) {
      if (isEpoch && lowered !== 'epoch' && lowered !== 'end of epoch') {
        const split = splitOf(lowered.slice(0, lowered.indexOf(' ')));
        if (split) a.split = split;
      }
      pairBoundary = true;
      return after;
    }
  }
  if (!readValue(a, q, value)) {
    // `validation:` / `Test set:` label a record; any `name:` followed by no number ends a field.
    if (sep === 0x3a && atBoundary) {
      const split = splitOf(lowered.split(' ')[0]);
      if (split && words <= 2) a.split = split;
      pairBoundary = true;
      return q;
    }
    pairBoundary = false;
    return nameEnd;
  }
  const first = value.first!;
  const second = value.second;
  let r = value.end;
  let percent = false;
  let unit = false;
  if (r < end) {
    const c = s.charCodeAt(r);
    if (c === 0x25) {
      percent = true;
      r++;
    } else if (isLetter(c)) {
      unit = true; // `36.93s`, `1.27s/it`, `118ms/step`: a duration or a rate.
    } else if (c === 0x3a && r + 1 < end && isDigit(s.charCodeAt(r + 1))) {
      unit = true; // `0:56:09`: a clock time.
    }
  }
  const next = skipSpaces(s, r, end);
  const nc = next < end ? s.charCodeAt(next) : 0;
  let ends: boolean;
  if (sep !== 0) ends = atFieldEnd(s, next, end) || isLetter(nc) || nc === 0x27 || nc === 0x28;
  // `name value` without `:`/`=`: a field of its own (`| valid loss 5.44 |`), or one word in a run of
  // pairs (`loss 0.854 acc 66.0%`); never prose that happens to end in a number.
  else ends = words <= 3 && (atFieldEnd(s, next, end) || (words === 1 && isLetter(nc)));
  if (scanNumber(s, next, end) >= 0) ends = false; // a vector: `bbox_mAP_copypaste: 0.011 0.017 ...`
  if (!atBoundary || !ends || unit || inCall) {
    pairBoundary = false;
    return r;
  }
  const name = normaliseName(raw);
  // Hugging Face's closing `{'train_runtime': ..., 'train_loss': 0.45, 'epoch': 3.0}` averages the whole run.
  if (name === 'train_runtime') a.summary = true;
  if (!isMetricName(name)) {
    pairBoundary = true;
    return r;
  }
  if (second) {
    // `Accuracy: 9846/10000 (98%)`: a score given as a count.
    if (metricDirection(name) !== 'higher') {
      pairBoundary = true;
      return r;
    }
    first.role = Role.ratio;
    second.role = Role.ratioTotal;
  } else {
    first.role = Role.metric;
  }
  first.name = name;
  first.percent = percent;
  first.inDict = inDict;
  pairBoundary = true;
  return r;
}

function metricName(raw: string, split: Split | undefined): string {
  const named = canonicalMetric(raw);
  if (!split || named.split !== 'train' || raw.startsWith('train')) return named.name;
  return canonicalMetric(`${split}_${raw}`).name;
}

/** Analyses the message `s[start, end)` once and returns its template: what each number in it is. */
export function analyze(s: string, start: number, end: number): Template {
  const a = new Analysis(s, end);
  scanMessage(a, start);
  const tokens = a.tokens;
  let outside = 0;
  let dictMetric = false;
  for (const t of tokens) {
    if (t.role !== Role.metric && t.role !== Role.ratio) continue;
    if (!t.inDict) outside++;
    else if (metricDirection(canonicalMetric(t.name!).metric) !== 'unknown') dictMetric = true;
  }
  // A dict printed beside metrics is configuration (`Config: {...}, Epoch 1/30, Train Loss: ...`); a dict
  // alone is a record of metrics when it holds a metric or the epoch (Hugging Face Trainer prints).
  const keepDict = outside === 0 && (dictMetric || a.epochInDict);
  for (const t of tokens) {
    if (!t.inDict || keepDict) continue;
    if (t.role === Role.metric || t.role === Role.ratio || t.role === Role.ratioTotal || t.role === Role.epoch) t.role = Role.ignore;
  }
  if (a.epochInDict && !keepDict) a.epochKind = EpochKind.none;
  if (a.summary) for (const t of tokens) t.role = Role.ignore;

  const literals: string[] = [];
  const spaceBefore: boolean[] = [];
  const spaceAfter: boolean[] = [];
  const pushLiteral = (from: number, to: number) => {
    let i = from;
    let j = to;
    while (i < j && s.charCodeAt(i) === SPACE) i++;
    while (j > i && s.charCodeAt(j - 1) === SPACE) j--;
    literals.push(s.slice(i, j));
    spaceBefore.push(i > from);
    spaceAfter.push(i < j && j < to);
  };
  let at = start;
  const roles = new Uint8Array(tokens.length);
  const names: (string | undefined)[] = [];
  const percent: boolean[] = [];
  let metricCount = 0;
  let known = 0;
  let hasX = a.epochKind !== EpochKind.none;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    pushLiteral(at, t.start);
    at = t.end;
    roles[i] = t.role;
    percent.push(t.percent);
    if (t.role === Role.metric || t.role === Role.ratio) {
      const name = metricName(t.name!, a.split);
      names.push(name);
      metricCount++;
      if (metricDirection(canonicalMetric(name).metric) !== 'unknown') known++;
    } else names.push(undefined);
    if (t.role === Role.progress || t.role === Role.step) hasX = true;
  }
  pushLiteral(at, end);

  let progress: number = Progress.none;
  if (a.bareCounter || a.stepCounterWithTotal) {
    if (a.epochKind === EpochKind.header) progress = Progress.withinEpoch;
    else if (a.epochKind === EpochKind.value) progress = Progress.global;
    else progress = a.bar ? Progress.contextOrBar : Progress.contextOrGlobal;
  }
  const at0 = (role: number) => tokens.findIndex((t) => t.role === role);
  const metricAt: number[] = [];
  for (let i = 0; i < tokens.length; i++) if (tokens[i].role === Role.metric || tokens[i].role === Role.ratio) metricAt.push(i);
  const plainNumberAt = tokens.map((_, i) => {
    const literal = literals[i];
    if (spaceAfter[i] || (literal.length === 0 && spaceBefore[i])) return true;
    if (literal.length === 0) return false;
    const c = literal.charCodeAt(literal.length - 1);
    return !isWordChar(c) && c !== 0x2e;
  });
  const chars = new Uint16Array(literals.reduce((n, l) => n + l.length, 0));
  const literalEnd = new Int32Array(literals.length);
  const flags = new Uint8Array(literals.length);
  let k = 0;
  for (let i = 0; i < literals.length; i++) {
    for (let j = 0; j < literals[i].length; j++) chars[k++] = literals[i].charCodeAt(j);
    literalEnd[i] = k;
    flags[i] = (spaceBefore[i] ? SPACE_BEFORE : 0) | (spaceAfter[i] ? SPACE_AFTER : 0) | (plainNumberAt[i] ? PLAIN_NUMBER : 0);
  }
  if (literals.some((l) => l.includes('\x1b'))) flags[0] |= TEXT_ONLY;
  const encoder = new TextEncoder();
  const encoded = literals.map((l) => encoder.encode(l));
  const utf8 = new Uint8Array(encoded.reduce((n, l) => n + l.length, 0));
  const utf8End = new Int32Array(literals.length);
  k = 0;
  for (let i = 0; i < encoded.length; i++) {
    utf8.set(encoded[i], k);
    k += encoded[i].length;
    utf8End[i] = k;
  }
  return {
    epochAt: at0(Role.epoch),
    epochTotalAt: at0(Role.epochTotal),
    progressAt: at0(Role.progress),
    progressTotalAt: at0(Role.progressTotal),
    stepAt: at0(Role.step),
    metricAt: Int32Array.from(metricAt),
    cacheOwner: undefined,
    cache: undefined,
    byteMatches: 0,
    byteMatcher: undefined,
    plainNumberAt,
    chars,
    literalEnd,
    utf8,
    utf8End,
    flags,
    literals,
    spaceBefore,
    spaceAfter,
    roles,
    names,
    percent,
    epochKind: a.epochKind,
    progress,
    // `End of training | test loss 4.74 | test ppl 114.95`, `validation: loss 0.5`; not a COCO table row
    // (`IoU=0.75 | area= all | maxDets=100 ] = 0.013`) that happens to hold one known name.
    inheritsEpoch: metricCount > 0 && (a.split !== undefined || known >= 2),
    metricCount,
    useful: metricCount > 0 || hasX,
  };
}

export const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Matches `s[start, end)` against a template: the same text between the numbers (up to the number of
 * spaces around them) and a number where the template has one. Fills `values` and returns true on a match.
 * One loop over the packed literal characters, with plain decimals (`0.2345`, `600`, `1.0e-03`) read
 * inline: this runs for every line.
 */
export function matchTemplate(t: Template, s: string, start: number, end: number, values: Float64Array): boolean {
  const chars = t.chars;
  const literalEnd = t.literalEnd;
  const flags = t.flags;
  const n = flags.length - 1;
  let p = start;
  let k = 0;
  for (let i = 0; ; i++) {
    const f = flags[i];
    let c = p < end ? s.charCodeAt(p) : -1;
    if (c === SPACE) {
      if ((f & SPACE_BEFORE) === 0) return false;
      do c = ++p < end ? s.charCodeAt(p) : -1;
      while (c === SPACE);
    } else if ((f & SPACE_BEFORE) !== 0) return false;
    const e = literalEnd[i];
    if (k < e) {
      if (p + (e - k) > end) return false;
      for (; k < e; k++, p++) if (s.charCodeAt(p) !== chars[k]) return false;
      c = p < end ? s.charCodeAt(p) : -1;
      if (c === SPACE) {
        if ((f & SPACE_AFTER) === 0) return false;
        do c = ++p < end ? s.charCodeAt(p) : -1;
        while (c === SPACE);
      } else if ((f & SPACE_AFTER) !== 0) return false;
    }
    if (i === n) return p === end;
    // An unsigned decimal after a known non-word character: the common case, read here.
    let d = c - 0x30;
    if ((f & PLAIN_NUMBER) === 0 || d < 0 || d > 9) {
      p = scanNumber(s, p, end);
      if (p < 0) return false;
      values[i] = scanned[0];
      continue;
    }
    let mantissa = 0;
    let digits = 0;
    let fraction = 0;
    const first = p;
    while (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits++;
      d = ++p < end ? s.charCodeAt(p) - 0x30 : -1;
    }
    if (d === -2) {
      // `.` and the fraction digits; `3.` or `1.e5` are rare: the full scanner decides those.
      d = ++p < end ? s.charCodeAt(p) - 0x30 : -1;
      while (d >= 0 && d <= 9) {
        mantissa = mantissa * 10 + d;
        digits++;
        fraction++;
        d = ++p < end ? s.charCodeAt(p) - 0x30 : -1;
      }
      if (fraction === 0) {
        p = scanNumber(s, first, end);
        if (p < 0) return false;
        values[i] = scanned[0];
        continue;
      }
    }
    let exponent = 0;
    if (((d + 0x30) | 0x20) === 0x65) {
      // `e-05`: taken only with at least one digit, as the full scanner does.
      let q = p + 1;
      let c = q < end ? s.charCodeAt(q) : 0;
      const negative = c === 0x2d;
      if (negative || c === 0x2b) c = ++q < end ? s.charCodeAt(q) : 0;
      let e = 0;
      const from = q;
      while (c >= 0x30 && c <= 0x39) {
        e = e * 10 + (c - 0x30);
        c = ++q < end ? s.charCodeAt(q) : 0;
      }
      if (q > from) {
        exponent = negative ? -e : e;
        p = q;
      }
    }
    const scale = exponent - fraction;
    values[i] =
      digits <= 15 && scale >= -22 && scale <= 22
        ? scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale]
        : Number(s.slice(first, p));
  }
}

/** {@link matchTerminatedLine}: the line does not have the template's shape. */
export const NO_MATCH = -1;
/** {@link matchTerminatedLine}: only the text path can tell (the template's literals hold an ESC). */
export const UNSURE = -2;

/**
 * {@link matchTemplate} over UTF-8 bytes, for the line that starts at `start` and whose `\n` lies before `end`,
 * as every complete line of a chunk has: the `\n` stops every scan (no number, space or literal holds one),
 * so no read checks `end`. On a match, fills `values` and returns the index of the line's `\n` (of a CRLF's
 * `\n` too). Returns {@link NO_MATCH} when the line does not have the template's shape, and {@link UNSURE} for a
 * template only the text path can match. Literals compare as UTF-8 and numbers are read as
 * {@link matchTemplate} reads them, so a valid UTF-8 line matches exactly when its text does.
 */
export function matchTerminatedLine(t: Template, b: Uint8Array, start: number, end: number, values: Float64Array): number {
  const chars = t.utf8;
  const literalEnd = t.utf8End;
  const flags = t.flags;
  const n = flags.length - 1;
  if ((flags[0] & TEXT_ONLY) !== 0) return UNSURE;
  let p = start;
  let k = 0;
  for (let i = 0; ; i++) {
    const f = flags[i];
    let c = b[p];
    if (c === SPACE) {
      if ((f & SPACE_BEFORE) === 0) return NO_MATCH;
      do c = b[++p];
      while (c === SPACE);
    } else if ((f & SPACE_BEFORE) !== 0) return NO_MATCH;
    const e = literalEnd[i];
    if (k < e) {
      if (p + (e - k) > end) return NO_MATCH;
      for (; k < e; k++, p++) if (b[p] !== chars[k]) return NO_MATCH;
      c = b[p];
      if (c === SPACE) {
        if ((f & SPACE_AFTER) === 0) return NO_MATCH;
        do c = b[++p];
        while (c === SPACE);
      } else if ((f & SPACE_AFTER) !== 0) return NO_MATCH;
    }
    if (i === n) {
      if (c === 0x0a) return p;
      return c === 0x0d && b[p + 1] === 0x0a ? p + 1 : NO_MATCH;
    }
    // An unsigned decimal after a known non-word character: the common case, read here.
    let d = c - 0x30;
    if ((f & PLAIN_NUMBER) === 0 || d < 0 || d > 9) {
      p = scanNumberBytes(b, p, end);
      if (p < 0) return NO_MATCH;
      values[i] = scanned[0];
      continue;
    }
    let mantissa = 0;
    let digits = 0;
    let fraction = 0;
    const first = p;
    while (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits++;
      d = b[++p] - 0x30;
    }
    if (d === -2) {
      d = b[++p] - 0x30;
      while (d >= 0 && d <= 9) {
        mantissa = mantissa * 10 + d;
        digits++;
        fraction++;
        d = b[++p] - 0x30;
      }
      if (fraction === 0) {
        p = scanNumberBytes(b, first, end);
        if (p < 0) return NO_MATCH;
        values[i] = scanned[0];
        continue;
      }
    }
    let exponent = 0;
    if (((d + 0x30) | 0x20) === 0x65) {
      let q = p + 1;
      let c = b[q];
      const negative = c === 0x2d;
      if (negative || c === 0x2b) c = b[++q];
      let e = 0;
      const from = q;
      while (c >= 0x30 && c <= 0x39) {
        e = e * 10 + (c - 0x30);
        c = b[++q];
      }
      if (q > from) {
        exponent = negative ? -e : e;
        p = q;
      }
    }
    const scale = exponent - fraction;
    values[i] =
      digits <= 15 && scale >= -22 && scale <= 22
        ? scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale]
        : Number(asciiString(b, first, p));
  }
}
