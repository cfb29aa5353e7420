import type { Run } from '../types';

/**
 * An incremental parser for one log format. Text arrives in chunks in file order; `runs()` may be
 * called at any time and reflects the complete lines so far. Feeding the same text in any chunking
 * gives the same runs.
 */
export interface LogParser {
  readonly format: string;
  /** Text formats get decoded text; binary formats (`LogFormat.binary`) get the raw bytes. */
  feed(chunk: string | Uint8Array): void;
  /** Ends the input: a last line without a newline is parsed. */
  finish(): void;
  runs(): Run[];
  /** Notes for the user: skipped lines, truncated records. */
  notes(): string[];
}

/** A format family: a cheap sniff over the first bytes, and a parser factory. */
export interface LogFormat {
  readonly id: string;
  /** A binary format is fed raw bytes and is sniffed before the binary-junk check. */
  readonly binary?: boolean;
  /**
   * The writer rewrites the whole file on each save (a JSON document such as `trainer_state.json`)
   * instead of appending: any change to it is read from the start.
   */
  readonly rewritten?: boolean;
  /**
   * Returns true when the file looks like this format: `head` is the first {@link SNIFF_LENGTH}
   * characters decoded as UTF-8, `bytes` the same prefix undecoded, `fileName` the path as given.
   */
  sniff(head: string, fileName: string, bytes: Uint8Array): boolean;
  create(source: string): LogParser;
}
