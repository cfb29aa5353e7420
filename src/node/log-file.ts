import { open, stat } from 'node:fs/promises';
import { sniff, SNIFF_LENGTH, type LogFormat, type LogParser } from '../engine/logs';
import { readsUtf8 } from '../engine/logs/text-metrics';
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
  private format: LogFormat | undefined;
  private decoder = new TextDecoder('utf-8');
  private offset = 0;
  private inode = -1;
  private modified = -1;
  /** For rewritten documents: the last complete result, shown while a rewrite is half-written. */
  private lastGood: Extract<LogState, { kind: 'parsed' }> | undefined;
  /** The first bytes, kept until there are enough to tell the format. */
  private head: Uint8Array[] = [];
  private headLength = 0;
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
    // A shrunk file was truncated, a new inode means rotation; a rewritten document changes in place.
    const rewritten = this.format?.rewritten === true && (info.mtimeMs !== this.modified || info.size !== this.offset);
    if (info.ino !== this.inode || info.size < this.offset || rewritten) {
      // A rewrite (or the atomic replace many writers use for it) keeps showing the last good result.
      const wasRewritten = this.format?.rewritten === true;
      this.restart(info.ino);
      if (!wasRewritten) this.lastGood = undefined;
    }
    else if (this.state.kind === 'unrecognised') return this.state;
    this.modified = info.mtimeMs;
    if (info.size === this.offset && !final) return this.state;

    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      throw new LogReadError(`cannot read ${this.source}: ${describe(error)}`);
    }
    // Two buffers: the next chunk is read (on libuv's pool) while this one is parsed.
    const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
    let turn = 0;
    const read = (at: number) => handle.read(buffers[turn], 0, Math.min(CHUNK_BYTES, info.size - at), at);
    let next = this.offset < info.size ? read(this.offset) : undefined;
    try {
      while (next) {
        const { buffer, bytesRead } = await next;
        next = undefined;
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        turn ^= 1;
        if (this.offset < info.size) next = read(this.offset);
        // The buffer is read into again after the next chunk: parsers and the head keep copies of what they keep.
        this.accept(buffer.subarray(0, bytesRead));
        if (this.state.kind === 'unrecognised') return this.state;
      }
    } finally {
      // A read still in flight finishes before its handle closes.
      if (next) await next.catch(() => undefined);
      await handle.close();
    }
    if (final) {
      if (!this.parser) this.choose(true);
      if (this.parser && !this.format?.binary) this.parser.feed(this.decoder.decode());
      this.parser?.finish();
    }
    this.refresh();
    return this.state;
  }

  private restart(inode: number): void {
    this.parser = undefined;
    this.format = undefined;
    this.decoder = new TextDecoder('utf-8');
    this.offset = 0;
    this.inode = inode;
    this.head = [];
    this.headLength = 0;
    this.state = { kind: 'pending', reason: 'not read yet' };
  }

  private accept(bytes: Uint8Array): void {
    if (this.parser) {
      this.feed(bytes);
      return;
    }
    this.head.push(new Uint8Array(bytes));
    this.headLength += bytes.length;
    if (this.headLength >= SNIFF_LENGTH) this.choose(true);
  }

  private feed(bytes: Uint8Array): void {
    // Binary formats, and text parsers that read UTF-8 themselves (faster, same result), take the bytes.
    this.parser!.feed(this.format!.binary || readsUtf8(this.parser!) ? bytes : this.decoder.decode(bytes, { stream: true }));
  }

  /** Picks the parser from the first bytes; `sure` when no more bytes will change the answer. */
  private choose(sure: boolean): void {
    const head = Buffer.concat(this.head);
    const sniffed = sniff(head, this.source);
    if (!sniffed.ok) {
      this.state = sure
        ? { kind: 'unrecognised', reason: `${this.source} ${sniffed.reason}` }
        : { kind: 'pending', reason: 'waiting for the log to show its format' };
      return;
    }
    this.format = sniffed.format;
    this.parser = sniffed.format.create(this.source);
    this.head = [];
    this.headLength = 0;
    this.feed(head);
  }

  private refresh(): void {
    if (!this.parser && this.state.kind !== 'unrecognised') this.choose(false);
    if (this.parser) {
      this.state = { kind: 'parsed', format: this.parser.format, runs: this.parser.runs(), notes: this.parser.notes() };
    }
    const complete = this.state.kind === 'parsed' && this.state.runs.length > 0;
    if (complete && this.format?.rewritten) this.lastGood = this.state as Extract<LogState, { kind: 'parsed' }>;
    if (!complete && this.lastGood && this.state.kind !== 'unrecognised') {
      const notes = this.state.kind === 'parsed' ? this.state.notes : ['the file is being rewritten'];
      this.state = { ...this.lastGood, notes: [...new Set([...this.lastGood.notes, ...notes])] };
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
