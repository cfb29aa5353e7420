import type { Run } from '../types';

/**
 * An incremental parser for one log format. Text arrives in chunks in file order; `runs()` may be
 * called at any time and reflects the complete lines so far. Feeding the same text in any chunking
 * gives the same runs.
 */
export interface LogParser {
  readonly format: string;
  feed(chunk: string): void;
  /** Ends the input: a last line without a newline is parsed. */
  finish(): void;
  runs(): Run[];
  /** Notes for the user: skipped lines, truncated records. */
  notes(): string[];
}

/** A format family: a cheap sniff over the first bytes, and a parser factory. */
export interface LogFormat {
  readonly id: string;
  /** Returns true when `head` (the first few KB of the file, decoded) looks like this format. */
  sniff(head: string, fileName: string): boolean;
  create(source: string): LogParser;
}
