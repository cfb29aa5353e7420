import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/**
 * Follows the logs in folders created while the editor runs, which the file watcher may never report.
 *
 * On Linux, VS Code's recursive watcher (@parcel/watcher's inotify backend) adds a watch on a new folder but not on
 * the folders already inside it when it appears: after `mkdir -p runs/exp1`, `cp -r`, `git checkout` or an unzip,
 * files created or appended below the new top folder raise no event (parcel-bundler/watcher#97,
 * microsoft/vscode#142694). A run logging into such a folder would go unseen. So for each folder created in this
 * session, TrainDx looks itself: it lists the folder's logs when it appears and then at each `poll()`, and reports
 * a log when it is new or its size or mtime changed, or when it went away. A folder is let go after `idleMs`
 * without a change to its logs. Files are named by paths; the caller maps them to its own names.
 */
export interface NewFolderOptions {
  /** Whether a file (absolute path) is a log to follow. */
  readonly isLog: (path: string) => boolean;
  /** Whether a folder (absolute path) is never looked into (`node_modules`, `.git`, checkpoints, ...). */
  readonly isExcluded: (path: string) => boolean;
  /** A log appeared or changed: read it (from where it was left). */
  readonly changed: (path: string) => void;
  /** A log seen before is gone. */
  readonly deleted: (path: string) => void;
  /** How long a folder is followed after its last change, in ms (default 30 minutes). */
  readonly idleMs?: number;
  /** The most folders followed at once; the oldest is let go first (default 64). */
  readonly maxFolders?: number;
  /**
   * The most folder entries listed per poll, all folders together; folders take turns when they need more. A
   * folder whose tree alone holds more (a dataset copied in) is let go: the cost of a poll stays bounded.
   * Default 5,000.
   */
  readonly maxEntries?: number;
  /** The clock, in ms (tests pass a fake one). */
  readonly now?: () => number;
}

interface Followed {
  /** Log path → `size:mtimeMs:inode` when last seen. */
  readonly logs: Map<string, string>;
  lastChange: number;
  /** Entries in the folder's tree at the last listing: what listing it again costs. */
  entries: number;
}

export class NewFolders {
  private readonly folders = new Map<string, Followed>();
  private polling: Promise<void> | undefined;
  /** The folder the next poll starts with, when the last one ran out of entries before the end. */
  private nextTurn: string | undefined;
  private readonly now: () => number;

  constructor(private readonly options: NewFolderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The folders followed now (for tests and the status of the extension). */
  get followed(): string[] {
    return [...this.folders.keys()];
  }

  /**
   * Something was created at `path`: if it is a folder not inside one already followed, follow it (and stop
   * following the followed folders inside it). Files are ignored: the watcher reports them.
   */
  async created(path: string): Promise<void> {
    if (this.options.isExcluded(path) || this.inside(path)) return;
    try {
      if (!(await stat(path)).isDirectory()) return;
    } catch {
      return; // gone already
    }
    this.forgetWithin(path); // the new folder's listing covers them
    this.folders.set(path, { logs: new Map(), lastChange: this.now(), entries: 0 });
    const max = this.options.maxFolders ?? 64;
    for (const folder of this.folders.keys()) {
      if (this.folders.size <= max) break;
      this.folders.delete(folder);
    }
    await this.look(path, this.maxEntries);
  }

  private get maxEntries(): number {
    return this.options.maxEntries ?? 5_000;
  }

  /** Something was deleted at `path`: stop following it and anything below it. */
  deleted(path: string): void {
    this.forgetWithin(path);
  }

  /** Stops following `path` and the folders below it. */
  private forgetWithin(path: string): void {
    for (const folder of this.folders.keys()) {
      if (isWithin(folder, path)) this.folders.delete(folder);
    }
  }

  /**
   * Looks into the followed folders, as many as the entry budget allows, starting where the last poll stopped;
   * a poll already under way is joined, not doubled.
   */
  poll(): Promise<void> {
    // Cleared in a callback, which runs after the assignment: a poll with nothing to do finishes synchronously.
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const folders = [...this.folders.keys()];
    const first = Math.max(0, this.nextTurn === undefined ? 0 : folders.indexOf(this.nextTurn));
    this.nextTurn = undefined;
    let budget = this.maxEntries;
    for (let i = 0; i < folders.length; i++) {
      const folder = folders[(first + i) % folders.length];
      if (budget < Math.min(this.maxEntries, this.folders.get(folder)?.entries ?? 0)) {
        this.nextTurn = folder;
        break;
      }
      const used = await this.look(folder, budget);
      if (used >= budget && budget < this.maxEntries && this.folders.has(folder)) {
        this.nextTurn = folder; // it outgrew what was left: first in line next time
        break;
      }
      budget -= used;
    }
  }

  private inside(path: string): boolean {
    for (const folder of this.folders.keys()) {
      if (isWithin(path, folder)) return true;
    }
    return false;
  }

  /** Lists one folder's logs within `budget` entries and reports what changed; returns the entries listed. */
  private async look(folder: string, budget: number): Promise<number> {
    const followed = this.folders.get(folder);
    if (!followed) return 0;
    const listing = await this.list(folder, budget);
    if (this.folders.get(folder) !== followed) return listing?.entries ?? 0; // deleted or replaced while listing
    if (listing === undefined) {
      this.folders.delete(folder); // the folder itself is gone: the watcher reports that
      return 0;
    }
    if (listing.entries > budget) {
      // Only a folder bigger than a whole poll's budget gets here (others wait for their turn): let it go.
      if (budget >= this.maxEntries) this.folders.delete(folder);
      return budget;
    }
    followed.entries = listing.entries;
    const seen = listing.logs;
    let change = false;
    for (const [path, version] of seen) {
      if (followed.logs.get(path) === version) continue;
      followed.logs.set(path, version);
      change = true;
      this.options.changed(path);
    }
    for (const path of followed.logs.keys()) {
      if (seen.has(path)) continue;
      followed.logs.delete(path);
      change = true;
      this.options.deleted(path);
    }
    if (change) followed.lastChange = this.now();
    else if (this.now() - followed.lastChange > (this.options.idleMs ?? 30 * 60_000)) this.folders.delete(folder);
    return listing.entries;
  }

  /**
   * The logs below `root` with their versions and the entries listed, or undefined when `root` cannot be read.
   * Stops past `budget` entries (then `entries > budget` and the logs are incomplete).
   */
  private async list(root: string, budget: number): Promise<{ logs: Map<string, string>; entries: number } | undefined> {
    const logs = new Map<string, string>();
    const pending = [root];
    let entries = 0;
    while (pending.length > 0 && entries <= budget) {
      const folder = pending.shift()!;
      let dirents;
      try {
        dirents = await readdir(folder, { withFileTypes: true });
      } catch {
        if (folder === root) return undefined;
        continue;
      }
      for (const dirent of dirents) {
        if (++entries > budget) break;
        const path = join(folder, dirent.name);
        if (dirent.isDirectory()) {
          if (!this.options.isExcluded(path)) pending.push(path);
        } else if (dirent.isFile() && this.options.isLog(path)) {
          try {
            const info = await stat(path);
            logs.set(path, `${info.size}:${info.mtimeMs}:${info.ino}`);
          } catch {
            // gone between the listing and the stat: not a log any more
          }
        }
      }
    }
    return { logs, entries };
  }
}

/** Whether `path` is `folder` or below it. */
function isWithin(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
