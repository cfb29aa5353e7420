import type { Run } from '../types';
import { kerasProgress } from './keras';
import { textMetrics } from './text-metrics';
import { csvTable } from './csv';
import { jsonLines } from './jsonl';
import { trainerState } from './trainer-state';
import { tfEvents } from './tfevents';
import type { LogFormat, LogParser } from './parser';

export type { LogFormat, LogParser } from './parser';

/** Every format we read, most specific first. */
export const LOG_FORMATS: readonly LogFormat[] = [tfEvents, kerasProgress, textMetrics, csvTable, trainerState, jsonLines];

/** How many bytes of a file's start sniffing needs to see. */
export const SNIFF_LENGTH = 64 * 1024;

export type Sniffed =
  | { readonly ok: true; readonly format: LogFormat }
  | { readonly ok: false; readonly reason: string };

/**
 * Picks the format of a log from its first {@link SNIFF_LENGTH} bytes: binary formats by their bytes,
 * then, unless the bytes look like binary junk, text formats by the decoded text.
 */
export function sniff(bytes: Uint8Array, fileName: string): Sniffed {
  const prefix = bytes.subarray(0, SNIFF_LENGTH);
  const head = new TextDecoder('utf-8').decode(prefix);
  const binary = LOG_FORMATS.find((f) => f.binary && f.sniff(head, fileName, prefix));
  if (binary) return { ok: true, format: binary };
  if (looksBinary(head)) return { ok: false, reason: 'looks like binary data, not a text log' };
  const text = LOG_FORMATS.find((f) => !f.binary && f.sniff(head, fileName, prefix));
  return text ? { ok: true, format: text } : { ok: false, reason: 'has no training metrics in a format TrainDx reads' };
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

/** Parses a whole log held in memory. For growing or huge files, `LogFile` feeds a {@link LogParser} instead. */
export function parseLog(input: string | Uint8Array, source: string): ParseResult {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input.slice(0, SNIFF_LENGTH)) : input;
  const sniffed = sniff(bytes, source);
  if (!sniffed.ok) return sniffed;
  const parser: LogParser = sniffed.format.create(source);
  parser.feed(sniffed.format.binary || typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input));
  parser.finish();
  return { ok: true, format: sniffed.format.id, runs: parser.runs(), notes: parser.notes() };
}
