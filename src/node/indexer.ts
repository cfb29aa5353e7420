import { performance } from 'node:perf_hooks';

/** How urgently a file is read: what the user sees first, then what is open, then the rest. */
export const Priority = { background: 0, open: 1, visible: 2 } as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

/** Files read so far out of those queued since the indexer was last idle. */
export interface IndexProgress {
  readonly done: number;
  readonly total: number;
}

export interface IndexerOptions {
  /**
   * Reads one file. `checkpoint()` yields to the event loop when the current slice of work has run
   * longer than `sliceMs`; call it between the steps of a long read.
   */
  readonly read: (path: string, checkpoint: () => Promise<void>) => Promise<void>;
  /** Called when `read` throws; the indexer goes on with the next file. */
  readonly onError?: (path: string, error: unknown) => void;
  /** Called after each file read and whenever files are queued. */
  readonly onProgress?: (progress: IndexProgress) => void;
  /** The longest stretch of work between two turns of the event loop, in ms (default 10). */
  readonly sliceMs?: number;
  /** The clock, in ms (tests pass a fake one). */
  readonly now?: () => number;
  /** Gives the event loop a turn (tests count them). */
  readonly yieldTurn?: () => Promise<void>;
}

const SLICE_MS = 10;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Reads files one at a time, most urgent first, without holding the event loop: it yields after every
 * file and inside reads whose slice of work runs long, so an editor stays responsive while a thousand
 * logs are indexed. Queuing a file again raises its priority (never lowers it); a file queued while it
 * is being read is read once more afterwards, so no change is missed. Files are named by any string the
 * `read` callback understands (paths for the CLI, URIs for the extension).
 */
export class Indexer {
  /** Per level (index = priority), the files in arrival order; entries whose `seq` is stale are skipped. */
  private readonly levels: { path: string; seq: number }[][] = [[], [], []];
  private readonly heads = [0, 0, 0];
  private readonly queued = new Map<string, { priority: Priority; seq: number }>();
  private seq = 0;
  private done = 0;
  private total = 0;
  private running = false;
  private disposed = false;
  private sliceStart = 0;
  private waiters: (() => void)[] = [];
  private readonly sliceMs: number;
  private readonly now: () => number;
  private readonly yieldTurn: () => Promise<void>;

  constructor(private readonly options: IndexerOptions) {
    this.sliceMs = options.sliceMs ?? SLICE_MS;
    this.now = options.now ?? (() => performance.now());
    this.yieldTurn = options.yieldTurn ?? nextTurn;
  }

  /** Queues a file, or moves a queued one forward when `priority` is higher than before. */
  add(path: string, priority: Priority = Priority.background): void {
    if (this.disposed) return;
    const current = this.queued.get(path);
    if (current && current.priority >= priority) return;
    if (!current) this.total++;
    const seq = ++this.seq;
    this.queued.set(path, { priority, seq });
    this.levels[priority].push({ path, seq });
    this.options.onProgress?.(this.progress);
    if (!this.running) {
      this.running = true;
      void this.drain();
    }
  }

  /** Moves a file forward if it is still waiting; a file not queued stays unqueued. */
  bump(path: string, priority: Priority): void {
    if (this.queued.has(path)) this.add(path, priority);
  }

  /** Whether a file is waiting to be read. */
  has(path: string): boolean {
    return this.queued.has(path);
  }

  get progress(): IndexProgress {
    return { done: this.done, total: this.total };
  }

  /** Resolves when every queued file has been read (at once when none is), or once disposed and the read in progress ends. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drops every waiting file; a read in progress finishes, nothing starts after it. */
  dispose(): void {
    this.disposed = true;
    this.clear();
  }

  private clear(): void {
    this.queued.clear();
    for (let level = 0; level < this.levels.length; level++) {
      this.levels[level] = [];
      this.heads[level] = 0;
    }
  }

  /** The most urgent waiting file, first come first served within a priority. */
  private take(): string | undefined {
    for (let level = this.levels.length - 1; level >= 0; level--) {
      const entries = this.levels[level];
      while (this.heads[level] < entries.length) {
        const { path, seq } = entries[this.heads[level]++];
        if (this.queued.get(path)?.seq !== seq) continue; // moved to a higher level since
        this.queued.delete(path);
        return path;
      }
      // Emptied: drop the consumed entries instead of letting the array grow forever.
      if (this.heads[level] > 0) {
        this.levels[level] = [];
        this.heads[level] = 0;
      }
    }
    return undefined;
  }

  private readonly checkpoint = async (): Promise<void> => {
    if (this.now() - this.sliceStart < this.sliceMs) return;
    await this.yieldTurn();
    this.sliceStart = this.now();
  };

  private async drain(): Promise<void> {
    // Files queued in the same turn as the first are ordered among themselves before any is read.
    await Promise.resolve();
    try {
      for (let path = this.take(); path !== undefined && !this.disposed; path = this.take()) {
        this.sliceStart = this.now();
        try {
          await this.options.read(path, this.checkpoint);
        } catch (error) {
          this.options.onError?.(path, error);
        }
        this.done++;
        if (!this.disposed) this.options.onProgress?.(this.progress);
        // Always a turn between files: reads that finish without I/O would otherwise chain as microtasks.
        await this.yieldTurn();
      }
    } finally {
      this.running = false;
      this.done = 0;
      this.total = 0;
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
