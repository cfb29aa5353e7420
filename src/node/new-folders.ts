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
  /** The most entries listed per folder tree per poll (a safety net for huge trees; default 5,000). */
  readonly maxEntries?: number;
  /** The clock, in ms (tests pass a fake one). */
  readonly now?: () => number;
}

interface Followed {
  /** Log path → `size:mtimeMs` when last seen. */
  readonly logs: Map<string, string>;
  lastChange: number;
}

export class NewFolders {
  private readonly folders = new Map<string, Followed>();
  private polling: Promise<void> | undefined;
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
    for (const folder of this.folders.keys()) {
      if (isWithin(folder, path)) this.folders.delete(folder);
    }
    this.folders.set(path, { logs: new Map(), lastChange: this.now() });
    const max = this.options.maxFolders ?? 64;
    for (const folder of this.folders.keys()) {
      if (this.folders.size <= max) break;
      this.folders.delete(folder);
    }
    await this.look(path);
  }

  /** Something was deleted at `path`: stop following it and anything below it. */
  deleted(path: string): void {
    for (const folder of this.folders.keys()) {
      if (isWithin(folder, path)) this.folders.delete(folder);
    }
  }

  /** Looks into every followed folder once; a poll already under way is joined, not doubled. */
  poll(): Promise<void> {
    this.polling ??= (async () => {
      try {
        for (const folder of [...this.folders.keys()]) await this.look(folder);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private inside(path: string): boolean {
    for (const folder of this.folders.keys()) {
      if (isWithin(path, folder)) return true;
    }
    return false;
  }

  private async look(folder: string): Promise<void> {
    const followed = this.folders.get(folder);
    if (!followed) return;
    const seen = await this.list(folder);
    if (this.folders.get(folder) !== followed) return; // deleted or replaced while listing
    if (seen === undefined) {
      this.folders.delete(folder); // the folder itself is gone: the watcher reports that
      return;
    }
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
  }

  /** The logs below `root` with their versions, or undefined when `root` cannot be read. */
  private async list(root: string): Promise<Map<string, string> | undefined> {
    const logs = new Map<string, string>();
    const pending = [root];
    let entries = 0;
    const maxEntries = this.options.maxEntries ?? 5_000;
    while (pending.length > 0 && entries < maxEntries) {
      const folder = pending.shift()!;
      let dirents;
      try {
        dirents = await readdir(folder, { withFileTypes: true });
      } catch {
        if (folder === root) return undefined;
        continue;
      }
      for (const dirent of dirents) {
        if (++entries > maxEntries) break;
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
    return logs;
  }
}

/** Whether `path` is `folder` or below it. */
function isWithin(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
