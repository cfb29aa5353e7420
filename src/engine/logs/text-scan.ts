/**
 * Character-level helpers for the text-metrics parser: number tokens, character classes, and the
 * timestamp / rank prefix of a log line. Hand-written scans over `charCodeAt`, no regexes and no
 * allocation per token: the parser calls them for every line of logs that run to gigabytes.
 */

export const SPACE = 0x20;
export const TAB = 0x09;

/** The value of the last number {@link scanNumber} accepted (a typed array: an unboxed store per number). */
export const scanned = new Float64Array(1);

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

/** Letters, digits and `_`: what a number may not touch, and what a name is made of. */
export function isWordChar(c: number): boolean {
  return isLetter(c) || isDigit(c);
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** Case-insensitive `word` at `i`, not followed by a word character. */
function wordAt(s: string, i: number, end: number, word: string): boolean {
  if (i + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (lower(s.charCodeAt(i + k)) !== word.charCodeAt(k)) return false;
  return i + word.length >= end || !isWordChar(s.charCodeAt(i + word.length));
}

/** `nan` / `inf` / `infinity` (any case) at `p`, after an optional sign; returns the index after it or -1. */
function scanWordNumber(s: string, p: number, end: number, negative: boolean): number {
  if (wordAt(s, p, end, 'nan')) {
    scanned[0] = NaN;
    return p + 3;
  }
  const n = wordAt(s, p, end, 'infinity') ? 8 : wordAt(s, p, end, 'inf') ? 3 : 0;
  if (n === 0) return -1;
  scanned[0] = negative ? -Infinity : Infinity;
  return p + n;
}

/**
 * Scans a number token at `i` (`0.51`, `-3`, `.5`, `1.0e-03`, `nan`, `NaN`, `inf`, `-inf`, `Infinity`) and
 * returns the index after it, or -1. A number never continues a word: `rank0` and `mAP_50` hold none.
 * The value lands in {@link scanned}; it equals `Number(token)` (exact decimal fast path, else `Number`).
 */
export function scanNumber(s: string, i: number, end: number): number {
  if (i >= end) return -1;
  if (i > 0) {
    const b = s.charCodeAt(i - 1);
    const l = b | 0x20;
    if ((b >= 0x30 && b <= 0x39) || (l >= 0x61 && l <= 0x7a) || b === 0x5f || b === 0x2e) return -1;
  }
  let p = i;
  let c = s.charCodeAt(p);
  let negative = false;
  if (c === 0x2d || c === 0x2b) {
    negative = c === 0x2d;
    if (++p >= end) return -1;
    c = s.charCodeAt(p);
  }
  if ((c < 0x30 || c > 0x39) && c !== 0x2e) {
    const l = c | 0x20;
    return l === 0x6e || l === 0x69 ? scanWordNumber(s, p, end, negative) : -1;
  }
  const start = p;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  for (; p < end; p++) {
    const d = s.charCodeAt(p) - 0x30;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    digits++;
  }
  if (p < end && s.charCodeAt(p) === 0x2e) {
    const dot = p;
    for (p++; p < end; p++) {
      const d = s.charCodeAt(p) - 0x30;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
      fraction++;
    }
    // `1.` at the end of a sentence is the number 1; a lone `.` is no number.
    if (digits === 0) return -1;
    if (fraction === 0 && p < end && isLetter(s.charCodeAt(p))) p = dot;
  }
  if (digits === 0) return -1;
  let exponent = 0;
  if (p + 1 < end && (s.charCodeAt(p) | 0x20) === 0x65) {
    let q = p + 1;
    let sign = 1;
    c = s.charCodeAt(q);
    if (c === 0x2d || c === 0x2b) {
      sign = c === 0x2d ? -1 : 1;
      q++;
    }
    if (q < end && isDigit(s.charCodeAt(q))) {
      let e = 0;
      for (; q < end; q++) {
        const d = s.charCodeAt(q) - 0x30;
        if (d < 0 || d > 9) break;
        e = e * 10 + d;
      }
      exponent = sign * e;
      p = q;
    }
  }
  const scale = exponent - fraction;
  let value: number;
  // Exact for at most 15 digits and |scale| <= 22: one correctly rounded operation on exact operands.
  if (digits <= 15 && scale >= -22 && scale <= 22) value = scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale];
  else value = Number(s.slice(start, p));
  scanned[0] = negative ? -value : value;
  return p;
}

function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 0x30;
  const b = s.charCodeAt(i + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function fourDigits(s: string, i: number): number {
  const a = twoDigits(s, i);
  const b = twoDigits(s, i + 2);
  return a < 0 || b < 0 ? -1 : a * 100 + b;
}

/** Where the message of a line starts and the wall time its prefix gives (NaN when none). */
export const prefix = { start: 0, wallTime: NaN };

/**
 * Reads the prefix a launcher or `logging` puts before the message: `[rank0]: `, then a timestamp
 * (`2025-06-04 17:39:02,341`, `2025-06-04T17:39:02.341`, `[2025-06-04 17:39:02]`, `06/04/2025 17:39:02`).
 * Timestamps carry no zone: they are read as UTC, which keeps the spacing of points exact.
 */
export function readPrefix(s: string, start: number, end: number): void {
  let p = start;
  prefix.wallTime = NaN;
  if (p < end && s.charCodeAt(p) === 0x5b) {
    // `[rank3]:` / `[default0]:` from torchrun.
    const close = s.indexOf(']', p);
    if (close > p && close - p < 24 && close + 1 < end && s.charCodeAt(close + 1) === 0x3a && (s.startsWith('rank', p + 1) || s.startsWith('default', p + 1))) {
      p = close + 2;
      while (p < end && s.charCodeAt(p) === SPACE) p++;
    }
  }
  const bracket = p < end && s.charCodeAt(p) === 0x5b ? 1 : 0;
  const q = p + bracket;
  if (q + 19 <= end && isDigit(s.charCodeAt(q))) {
    let year = -1;
    let month = -1;
    let day = -1;
    const c4 = s.charCodeAt(q + 4);
    if (c4 === 0x2d && s.charCodeAt(q + 7) === 0x2d) {
      year = fourDigits(s, q);
      month = twoDigits(s, q + 5);
      day = twoDigits(s, q + 8);
    } else if (s.charCodeAt(q + 2) === 0x2f && s.charCodeAt(q + 5) === 0x2f) {
      month = twoDigits(s, q);
      day = twoDigits(s, q + 3);
      year = fourDigits(s, q + 6);
    }
    const sep = s.charCodeAt(q + 10);
    if (year >= 0 && month > 0 && day > 0 && (sep === SPACE || sep === 0x54) && s.charCodeAt(q + 13) === 0x3a && s.charCodeAt(q + 16) === 0x3a) {
      const h = twoDigits(s, q + 11);
      const m = twoDigits(s, q + 14);
      const sec = twoDigits(s, q + 17);
      if (h >= 0 && m >= 0 && sec >= 0) {
        let r = q + 19;
        let millis = 0;
        const c = r < end ? s.charCodeAt(r) : 0;
        if ((c === 0x2c || c === 0x2e) && r + 1 < end && isDigit(s.charCodeAt(r + 1))) {
          r++;
          let scale = 100;
          while (r < end && isDigit(s.charCodeAt(r))) {
            millis += (s.charCodeAt(r) - 0x30) * scale;
            scale /= 10;
            r++;
          }
        }
        if (bracket && r < end && s.charCodeAt(r) === 0x5d) r++;
        prefix.wallTime = Date.UTC(year, month - 1, day, h, m, sec) / 1000 + millis / 1000;
        p = r;
      }
    }
  }
  prefix.start = p;
}

function twoDigitsAt(b: Uint8Array, i: number): number {
  const x = b[i] - 0x30;
  const y = b[i + 1] - 0x30;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

function fourDigitsAt(b: Uint8Array, i: number): number {
  const x = twoDigitsAt(b, i);
  const y = twoDigitsAt(b, i + 2);
  return x < 0 || y < 0 ? -1 : x * 100 + y;
}

function asciiAt(b: Uint8Array, i: number, word: string): boolean {
  if (i + word.length > b.length) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * {@link readPrefix} over the UTF-8 bytes of a line, with the same result in byte offsets; `end` may lie
 * past the line's `\n`, which no prefix holds. Returns false,
 * leaving the line to the text reader, where the bytes alone cannot tell: a non-ASCII byte inside a
 * `[...]` that may be a rank prefix (its length limit counts characters).
 */
export function readPrefixBytes(b: Uint8Array, start: number, end: number): boolean {
  let p = start;
  prefix.wallTime = NaN;
  if (p < end && b[p] === 0x5b) {
    let close = -1;
    for (let q = p + 1; q < end && q - p < 24; q++) {
      const c = b[q];
      if (c >= 0x80) return false;
      if (c === 0x0a) break;
      if (c === 0x5d) {
        close = q;
        break;
      }
    }
    if (close > p && close + 1 < end && b[close + 1] === 0x3a && (asciiAt(b, p + 1, 'rank') || asciiAt(b, p + 1, 'default'))) {
      p = close + 2;
      while (p < end && b[p] === SPACE) p++;
    }
  }
  const bracket = p < end && b[p] === 0x5b ? 1 : 0;
  const q = p + bracket;
  if (q + 19 <= end && isDigit(b[q])) {
    let year = -1;
    let month = -1;
    let day = -1;
    if (b[q + 4] === 0x2d && b[q + 7] === 0x2d) {
      year = fourDigitsAt(b, q);
      month = twoDigitsAt(b, q + 5);
      day = twoDigitsAt(b, q + 8);
    } else if (b[q + 2] === 0x2f && b[q + 5] === 0x2f) {
      month = twoDigitsAt(b, q);
      day = twoDigitsAt(b, q + 3);
      year = fourDigitsAt(b, q + 6);
    }
    const sep = b[q + 10];
    if (year >= 0 && month > 0 && day > 0 && (sep === SPACE || sep === 0x54) && b[q + 13] === 0x3a && b[q + 16] === 0x3a) {
      const h = twoDigitsAt(b, q + 11);
      const m = twoDigitsAt(b, q + 14);
      const sec = twoDigitsAt(b, q + 17);
      if (h >= 0 && m >= 0 && sec >= 0) {
        let r = q + 19;
        let millis = 0;
        const c = r < end ? b[r] : 0;
        if ((c === 0x2c || c === 0x2e) && r + 1 < end && isDigit(b[r + 1])) {
          r++;
          let scale = 100;
          while (r < end && isDigit(b[r])) {
            millis += (b[r] - 0x30) * scale;
            scale /= 10;
            r++;
          }
        }
        if (bracket && r < end && b[r] === 0x5d) r++;
        prefix.wallTime = Date.UTC(year, month - 1, day, h, m, sec) / 1000 + millis / 1000;
        p = r;
      }
    }
  }
  prefix.start = p;
  return true;
}

/** The ASCII bytes `b[from, to)` as a string (number tokens: digits, `.`, `e`, signs). */
export function asciiString(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** {@link wordAt} over bytes. */
function wordAtBytes(b: Uint8Array, i: number, end: number, word: string): boolean {
  if (i + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (lower(b[i + k]) !== word.charCodeAt(k)) return false;
  return i + word.length >= end || !isWordChar(b[i + word.length]);
}

/**
 * {@link scanNumber} over UTF-8 bytes: the same tokens, the same value in {@link scanned}, byte offsets.
 * Every byte it accepts is ASCII, and a non-ASCII character before a number is no word character in
 * either form, so it reads a line's bytes exactly as {@link scanNumber} reads its text.
 */
export function scanNumberBytes(b: Uint8Array, i: number, end: number): number {
  if (i >= end) return -1;
  if (i > 0) {
    const c = b[i - 1];
    const l = c | 0x20;
    if ((c >= 0x30 && c <= 0x39) || (l >= 0x61 && l <= 0x7a) || c === 0x5f || c === 0x2e) return -1;
  }
  let p = i;
  let c = b[p];
  let negative = false;
  if (c === 0x2d || c === 0x2b) {
    negative = c === 0x2d;
    if (++p >= end) return -1;
    c = b[p];
  }
  if ((c < 0x30 || c > 0x39) && c !== 0x2e) {
    const l = c | 0x20;
    if (l !== 0x6e && l !== 0x69) return -1;
    if (wordAtBytes(b, p, end, 'nan')) {
      scanned[0] = NaN;
      return p + 3;
    }
    const n = wordAtBytes(b, p, end, 'infinity') ? 8 : wordAtBytes(b, p, end, 'inf') ? 3 : 0;
    if (n === 0) return -1;
    scanned[0] = negative ? -Infinity : Infinity;
    return p + n;
  }
  const start = p;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  for (; p < end; p++) {
    const d = b[p] - 0x30;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    digits++;
  }
  if (p < end && b[p] === 0x2e) {
    const dot = p;
    for (p++; p < end; p++) {
      const d = b[p] - 0x30;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
      fraction++;
    }
    if (digits === 0) return -1;
    if (fraction === 0 && p < end && isLetter(b[p])) p = dot;
  }
  if (digits === 0) return -1;
  let exponent = 0;
  if (p + 1 < end && (b[p] | 0x20) === 0x65) {
    let q = p + 1;
    let sign = 1;
    c = b[q];
    if (c === 0x2d || c === 0x2b) {
      sign = c === 0x2d ? -1 : 1;
      q++;
    }
    if (q < end && isDigit(b[q])) {
      let e = 0;
      for (; q < end; q++) {
        const d = b[q] - 0x30;
        if (d < 0 || d > 9) break;
        e = e * 10 + d;
      }
      exponent = sign * e;
      p = q;
    }
  }
  const scale = exponent - fraction;
  let value: number;
  if (digits <= 15 && scale >= -22 && scale <= 22) value = scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale];
  else value = Number(asciiString(b, start, p));
  scanned[0] = negative ? -value : value;
  return p;
}
