import type { Run } from '../types';
import { kerasProgress } from './keras';
import type { LogFormat, LogParser } from './parser';

export type { LogFormat, LogParser } from './parser';

/** Every format we read, most specific first. */
export const LOG_FORMATS: readonly LogFormat[] = [kerasProgress];

/** How many characters of a file's start `sniffFormat` needs to see. */
export const SNIFF_LENGTH = 64 * 1024;

/** Picks the format of a log from its first {@link SNIFF_LENGTH} characters, or undefined when none fits. */
export function sniffFormat(head: string, fileName: string): LogFormat | undefined {
  return LOG_FORMATS.find((format) => format.sniff(head, fileName));
}

/** Whether decoded text looks like binary data rather than a log (NULs, many control characters). */
export function looksBinary(head: string): boolean {
  const sample = head.slice(0, 8192);
  if (sample.length === 0) return false;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0) return true;
    if ((c < 8 || (c > 13 && c < 27) || c === 0xfffd) && c !== 27) control++;
  }
  return control / sample.length > 0.1;
}

export type ParseResult =
  | { readonly ok: true; readonly format: string; readonly runs: Run[]; readonly notes: string[] }
  | { readonly ok: false; readonly reason: string };

/** Parses a whole log held in memory. For growing or huge files, feed a {@link LogParser} instead. */
export function parseLog(text: string, source: string): ParseResult {
  const head = text.slice(0, SNIFF_LENGTH);
  if (looksBinary(head)) return { ok: false, reason: 'looks like binary data, not a text log' };
  const format = sniffFormat(head, source);
  if (!format) return { ok: false, reason: 'no training metrics in a format TrainDx reads' };
  const parser: LogParser = format.create(source);
  parser.feed(text);
  parser.finish();
  return { ok: true, format: format.id, runs: parser.runs(), notes: parser.notes() };
}
