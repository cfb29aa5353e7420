import { open, stat } from 'node:fs/promises';
import { looksBinary, sniffFormat, SNIFF_LENGTH, type LogParser } from '../engine/logs';
import type { Run } from '../engine/types';

/** Bytes read per chunk: big enough to be fast, small enough to yield to the event loop often. */
const CHUNK_BYTES = 1 << 20;

export type LogState =
  | { readonly kind: 'pending'; readonly reason: string }
  | { readonly kind: 'unrecognised'; readonly reason: string }
  | { readonly kind: 'parsed'; readonly format: string; readonly runs: Run[]; readonly notes: string[] };

/**
 * A log file read incrementally: each `update()` reads only the bytes appended since the last one.
 * A file that shrinks or is replaced (new inode: log rotation) is read again from the start. The
 * whole file is never held in memory.
 */
export class LogFile {
  private parser: LogParser | undefined;
  private decoder = new TextDecoder('utf-8');
  private offset = 0;
  private inode = -1;
  private head = '';
  private state: LogState = { kind: 'pending', reason: 'not read yet' };

  constructor(readonly path: string, private readonly source: string = path) {}

  get current(): LogState {
    return this.state;
  }

  /**
   * Reads what was appended since the last call. `final` marks the input complete, so that a last
   * line without a newline is parsed too (one-shot reads); a live reader leaves it waiting.
   * Throws a `LogReadError` with a message fit for users when the file cannot be read.
   */
  async update(final = false): Promise<LogState> {
    let info;
    try {
      info = await stat(this.path);
    } catch (error) {
      throw new LogReadError(`cannot read ${this.source}: ${describe(error)}`);
    }
    if (!info.isFile()) throw new LogReadError(`${this.source} is not a file`);
    if (info.ino !== this.inode || info.size < this.offset) this.restart(info.ino);
    else if (this.state.kind === 'unrecognised') return this.state;
    if (info.size === this.offset && !final) return this.state;

    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      throw new LogReadError(`cannot read ${this.source}: ${describe(error)}`);
    }
    try {
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      while (this.offset < info.size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, info.size - this.offset), this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.accept(this.decoder.decode(buffer.subarray(0, bytesRead), { stream: true }));
        if (this.state.kind === 'unrecognised') return this.state;
      }
    } finally {
      await handle.close();
    }
    if (final) {
      this.accept(this.decoder.decode());
      if (!this.parser) this.choose(true);
      this.parser?.finish();
    }
    this.refresh();
    return this.state;
  }

  private restart(inode: number): void {
    this.parser = undefined;
    this.decoder = new TextDecoder('utf-8');
    this.offset = 0;
    this.inode = inode;
    this.head = '';
    this.state = { kind: 'pending', reason: 'not read yet' };
  }

  private accept(text: string): void {
    if (this.parser) {
      this.parser.feed(text);
      return;
    }
    this.head += text;
    if (this.head.length >= SNIFF_LENGTH) this.choose(true);
  }

  /** Picks the parser from the first bytes; `sure` when no more bytes will change the answer. */
  private choose(sure: boolean): void {
    if (looksBinary(this.head)) {
      this.state = { kind: 'unrecognised', reason: `${this.source} looks like binary data, not a text log` };
      return;
    }
    const format = sniffFormat(this.head.slice(0, SNIFF_LENGTH), this.source);
    if (!format) {
      this.state = sure
        ? { kind: 'unrecognised', reason: `${this.source} has no training metrics in a format TrainDx reads` }
        : { kind: 'pending', reason: 'waiting for the log to show its format' };
      return;
    }
    this.parser = format.create(this.source);
    this.parser.feed(this.head);
    this.head = '';
  }

  private refresh(): void {
    if (!this.parser && this.state.kind !== 'unrecognised') this.choose(false);
    if (this.parser) {
      this.state = { kind: 'parsed', format: this.parser.format, runs: this.parser.runs(), notes: this.parser.notes() };
    }
  }
}

/** A file problem with a message fit to show users as is. */
export class LogReadError extends Error {}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'it is a folder';
    default: return error instanceof Error ? error.message : String(error);
  }
}
