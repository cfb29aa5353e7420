import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { minimatch } from 'minimatch';
import { DEFAULT_LOG_EXCLUDE, DEFAULT_LOG_INCLUDE } from './settings';

export interface Discovered {
  readonly logs: string[];
  readonly scripts: string[];
  /** Jupyter notebooks (`.ipynb`), outside `.ipynb_checkpoints/` folders. */
  readonly notebooks: string[];
  /** Shell scripts (`.sh`), which may say which script writes which log (`python train.py > train.log`). */
  readonly shells: string[];
}

export interface DiscoverOptions {
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** Stop after this many files (a safety net for huge trees). */
  readonly limit?: number;
}

/**
 * Walks a folder for candidate logs (by the include globs), Python scripts and notebooks, skipping excluded
 * folders without entering them. Paths are returned joined onto `root` as given, sorted.
 */
export async function discover(root: string, options: DiscoverOptions = {}): Promise<Discovered> {
  const include = (options.include ?? DEFAULT_LOG_INCLUDE).map((g) => new minimatch.Minimatch(g, { dot: true }));
  const exclude = (options.exclude ?? DEFAULT_LOG_EXCLUDE).map((g) => new minimatch.Minimatch(g, { dot: true }));
  const limit = options.limit ?? 10_000;
  const logs: string[] = [];
  const scripts: string[] = [];
  const notebooks: string[] = [];
  const shells: string[] = [];
  const excluded = (rel: string) => exclude.some((m) => m.match(rel) || m.match(`${rel}/`));

  const pending = [root];
  while (pending.length > 0 && logs.length + scripts.length + notebooks.length < limit) {
    const folder = pending.shift()!;
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      continue; // unreadable folders are skipped, as `find` would
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      const rel = relative(root, path).split(sep).join('/');
      if (entry.isDirectory()) {
        // Jupyter's autosaved copies of notebooks would report every problem twice.
        if (!excluded(rel) && entry.name !== '.ipynb_checkpoints') pending.push(path);
      } else if (entry.isFile() && !excluded(rel)) {
        if (entry.name.endsWith('.py')) scripts.push(path);
        else if (entry.name.endsWith('.ipynb')) notebooks.push(path);
        else if (entry.name.endsWith('.sh')) shells.push(path);
        else if (include.some((m) => m.match(rel))) logs.push(path);
      }
    }
  }
  return { logs: logs.sort(), scripts: scripts.sort(), notebooks: notebooks.sort(), shells: shells.sort() };
}
