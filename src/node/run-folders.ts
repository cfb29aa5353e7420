import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { minimatch } from 'minimatch';
import { parseMlflowMetrics, MLFLOW_FORMAT } from '../engine/logs/mlflow';
import { canonicalMetric } from '../engine/logs/names';
import { tfEvents } from '../engine/logs/tfevents';
import type { Run, Series, Split } from '../engine/types';
import { LogFile, LogReadError } from './log-file';
import { DEFAULT_LOG_EXCLUDE } from './settings';

/**
 * Runs that live in a folder rather than in one file:
 * - a TensorBoard log directory: its event files, plus those of `train/`, `validation/` (`val/`,
 *   `eval/`) and `test/` subfolders, make ONE run; series from the validation folder get the val split.
 *   Several event files in one folder (a restarted writer) are concatenated in file-name (timestamp)
 *   order.
 * - an MLflow file-store run, `mlruns/<experiment>/<run>/metrics/<key>`: one run per run folder, named
 *   by its `tags/mlflow.runName`.
 * Event files are read incrementally through {@link LogFile}; metric files are re-read only when their
 * size or mtime changed.
 */

export interface FolderRun {
  /** The run folder, joined onto the scanned root as given (or the folder of the refreshed file). */
  readonly source: string;
  readonly format: string;
  /** The MLflow run name (`tags/mlflow.runName`), when the store has one. */
  readonly name?: string;
  /** The files the run was read from, sorted: callers should not also analyse them one by one. */
  readonly files: readonly string[];
  /** The run; `run.source` equals `source`, `run.notes` holds what went wrong in its files. */
  readonly run: Run;
}

export interface FolderScan {
  readonly runs: FolderRun[];
  /** Every file that belongs to one of the runs (the union of their `files`). */
  readonly files: ReadonlySet<string>;
  /** Problems outside any single run: unreadable folders. */
  readonly notes: string[];
}

export interface FolderScanOptions {
  /** Whether the files are complete (CLI): a cut-short last record or line is then reported, not awaited. */
  readonly final?: boolean;
  /** Folder globs never entered, relative to the root (defaults to the log-discovery excludes). */
  readonly exclude?: readonly string[];
  /** Stop walking after this many folders (a safety net for huge trees). */
  readonly folderLimit?: number;
}

const SPLIT_FOLDERS: Readonly<Record<string, Split>> = {
  train: 'train',
  validation: 'val',
  val: 'val',
  eval: 'val',
  test: 'test',
};
const SPLIT_ORDER: readonly Split[] = ['train', 'val', 'test'];
const EVENT_FILE = /^events\.out\.tfevents\./;

/** Whether a file name is a TensorBoard event file's. */
export function isEventFile(path: string): boolean {
  return EVENT_FILE.test(basename(path));
}

/** The MLflow run folder a path lies in (`…/<run>/metrics/<key>` → `…/<run>`), judged by the path alone. */
export function mlflowRunFolderOf(path: string): string | undefined {
  const parts = resolve(path).split(sep);
  const at = parts.lastIndexOf('metrics');
  // mlruns/<experiment>/<run>/metrics/<key...>
  if (at < 3 || at === parts.length - 1 || parts[at - 3] !== 'mlruns') return undefined;
  return join(dirname(path), ...Array(parts.length - 1 - at).fill('..'));
}

/**
 * Reads and re-reads the folder runs of a workspace. One instance per workspace keeps the readers,
 * so that a second `scan` or `refresh` reads only what changed.
 */
export class RunFolders {
  private readonly eventFiles = new Map<string, LogFile>();
  private readonly metricFiles = new Map<string, { size: number; mtimeMs: number; text: string }>();

  /** Every folder run found below `root` (itself included). */
  async scan(root: string, options: FolderScanOptions = {}): Promise<FolderScan> {
    const found = await walk(root, options);
    let runs: FolderRun[] = [];
    for (const [folder, parts] of groupEventFolders(found.eventFolders)) {
      runs.push(await this.readEventRun(folder, parts, options.final ?? false));
    }
    for (const folder of found.mlflowRuns) runs.push(await this.readMlflowRun(folder, options.final ?? false));
    runs.sort((a, b) => compareNames(a.source, b.source));
    // A folder whose files hold no scalars (a graph only) is no run; one with notes is kept to show them.
    runs = runs.filter((r) => r.run.series.length > 0 || r.run.notes.length > 0);
    return { runs, files: new Set(runs.flatMap((r) => r.files)), notes: found.notes };
  }

  /**
   * Re-reads the run a changed (or deleted) file belongs to: an event file's log directory or an MLflow
   * metric file's run folder. Undefined when the file is neither. The run may come back with no series
   * (its files were deleted, or the MLflow run was): callers then drop what they showed for `source`.
   */
  async refresh(file: string, options: Pick<FolderScanOptions, 'final'> = {}): Promise<FolderRun | undefined> {
    const final = options.final ?? false;
    if (isEventFile(file)) {
      const folder = dirname(file);
      const top = SPLIT_FOLDERS[basename(folder).toLowerCase()] ? dirname(folder) : folder;
      const groups = groupEventFolders(await eventFoldersAround(top));
      for (const [key, parts] of groups) {
        if (parts.some((p) => p.folder === folder)) return this.readEventRun(key, parts, final);
      }
      // No event files left in the folder (deleted): the rest of its parent's run, else an empty run.
      return groups.has(top) ? this.readEventRun(top, groups.get(top)!, final) : this.readEventRun(folder, [], final);
    }
    const runFolder = mlflowRunFolderOf(file);
    return runFolder === undefined ? undefined : this.readMlflowRun(runFolder, final);
  }

  private async readEventRun(source: string, parts: readonly EventPart[], final: boolean): Promise<FolderRun> {
    const series: Series[] = [];
    const notes: string[] = [];
    const files: string[] = [];
    for (const part of parts) {
      for (const file of part.files) {
        files.push(file);
        let reader = this.eventFiles.get(file);
        if (!reader) {
          reader = new LogFile(file);
          this.eventFiles.set(file, reader);
        }
        let state;
        try {
          state = await reader.update(final);
        } catch (error) {
          if (!(error instanceof LogReadError)) throw error;
          this.eventFiles.delete(file);
          notes.push(error.message);
          continue;
        }
        if (state.kind !== 'parsed') continue;
        const name = relative(source, file).split(sep).join('/');
        notes.push(...state.notes.map((n) => `${name}: ${n}`));
        for (const run of state.runs) series.push(...run.series.map((s) => withSplit(s, part.split)));
      }
    }
    // Forget the readers of files gone from this run's folders (its own and its split subfolders).
    for (const cached of this.eventFiles.keys()) {
      const folder = dirname(cached);
      const ours = folder === source || (dirname(folder) === source && SPLIT_FOLDERS[basename(folder).toLowerCase()] !== undefined);
      if (ours && !files.includes(cached)) this.eventFiles.delete(cached);
    }
    const run: Run = { source, format: tfEvents.id, segment: 0, series: concatSeries(series), notes };
    return { source, format: tfEvents.id, files: files.sort(compareNames), run };
  }

  private async readMlflowRun(folder: string, final: boolean): Promise<FolderRun> {
    const meta = await readText(join(folder, 'meta.yaml'));
    const deleted = meta !== undefined && /^lifecycle_stage:\s*deleted\s*$/m.test(meta);
    const metricsFolder = join(folder, 'metrics');
    const paths = deleted ? [] : await listFiles(metricsFolder);
    const texts = new Map<string, string>();
    const files: string[] = [];
    for (const path of paths) {
      const text = await this.readMetricFile(path);
      if (text === undefined) continue;
      files.push(path);
      texts.set(relative(metricsFolder, path).split(sep).join('/'), text);
    }
    for (const cached of this.metricFiles.keys()) {
      if (cached.startsWith(metricsFolder + sep) && !files.includes(cached)) this.metricFiles.delete(cached);
    }
    const name = (await readText(join(folder, 'tags', 'mlflow.runName')))?.trim() || undefined;
    const run = parseMlflowMetrics(folder, texts, { final });
    return { source: folder, format: MLFLOW_FORMAT, name, files: files.sort(compareNames), run };
  }

  private async readMetricFile(path: string): Promise<string | undefined> {
    let info;
    try {
      info = await stat(path);
    } catch {
      this.metricFiles.delete(path);
      return undefined;
    }
    const cached = this.metricFiles.get(path);
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) return cached.text;
    const text = await readText(path);
    if (text === undefined) return undefined;
    this.metricFiles.set(path, { size: info.size, mtimeMs: info.mtimeMs, text });
    return text;
  }
}

/** Every folder run below `root`, read once as complete files (the CLI's entry point). */
export async function findFolderRuns(root: string, options: FolderScanOptions = {}): Promise<FolderScan> {
  return new RunFolders().scan(root, { final: true, ...options });
}

// ---------------------------------------------------------------------------------------------------

interface EventPart {
  readonly folder: string;
  readonly split: Split;
  readonly files: readonly string[];
}

interface Walked {
  /** Folders holding event files, with their event files. */
  readonly eventFolders: Map<string, string[]>;
  readonly mlflowRuns: string[];
  readonly notes: string[];
}

async function walk(root: string, options: FolderScanOptions): Promise<Walked> {
  const exclude = (options.exclude ?? DEFAULT_LOG_EXCLUDE).map((g) => new minimatch.Minimatch(g, { dot: true }));
  const excluded = (rel: string) => exclude.some((m) => m.match(rel) || m.match(`${rel}/`));
  const limit = options.folderLimit ?? 50_000;
  const eventFolders = new Map<string, string[]>();
  const mlflowRuns: string[] = [];
  const notes: string[] = [];
  const pending = [root];
  let visited = 0;
  while (pending.length > 0) {
    if (visited++ >= limit) {
      notes.push(`stopped looking for run folders after ${limit} folders under ${root}`);
      break;
    }
    const folder = pending.shift()!;
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      if (folder === root) notes.push(`cannot read the folder ${root}`);
      continue;
    }
    entries.sort((a, b) => compareNames(a.name, b.name));
    const names = new Set(entries.map((e) => e.name));
    const events: string[] = [];
    const isMlflowRun = entries.some((e) => e.name === 'metrics' && e.isDirectory())
      && (names.has('meta.yaml') || mlflowRunFolderOf(join(folder, 'metrics', 'x')) !== undefined);
    if (isMlflowRun) mlflowRuns.push(folder);
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        const rel = relative(root, path).split(sep).join('/');
        // MLflow's `.trash` holds deleted experiments; a run's `metrics/` is read by the run, not walked.
        if (entry.name === '.trash' || (isMlflowRun && entry.name === 'metrics') || excluded(rel)) continue;
        pending.push(path);
      } else if (entry.isFile() && EVENT_FILE.test(entry.name)) {
        events.push(path);
      }
    }
    if (events.length > 0) eventFolders.set(folder, events.sort(compareEventFiles));
  }
  return { eventFolders, mlflowRuns, notes };
}

/** The event folders a refresh needs to group `top` as a scan would: `top` and its split subfolders. */
async function eventFoldersAround(top: string): Promise<Map<string, string[]>> {
  const folders = new Map<string, string[]>();
  const list = async (folder: string) => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    const events = entries.filter((e) => e.isFile() && EVENT_FILE.test(e.name)).map((e) => join(folder, e.name));
    if (events.length > 0) folders.set(folder, events.sort(compareEventFiles));
    return entries;
  };
  const entries = (await list(top)) ?? [];
  for (const entry of entries) {
    if (entry.isDirectory() && SPLIT_FOLDERS[entry.name.toLowerCase()]) await list(join(top, entry.name));
  }
  return folders;
}

/**
 * Groups event folders into runs. A split-named folder (`train/`, `validation/`, ...) joins its parent
 * when the parent holds event files too or has another split folder with event files (Keras'
 * `logs/train` + `logs/validation`); alone (ultralytics' `runs/detect/train`) it is a run of its own.
 */
function groupEventFolders(eventFolders: ReadonlyMap<string, readonly string[]>): Map<string, EventPart[]> {
  const splitChildren = new Map<string, number>();
  for (const folder of eventFolders.keys()) {
    if (SPLIT_FOLDERS[basename(folder).toLowerCase()]) splitChildren.set(dirname(folder), (splitChildren.get(dirname(folder)) ?? 0) + 1);
  }
  const groups = new Map<string, EventPart[]>();
  for (const [folder, files] of eventFolders) {
    const split = SPLIT_FOLDERS[basename(folder).toLowerCase()];
    const parent = dirname(folder);
    const joins = split !== undefined && (eventFolders.has(parent) || (splitChildren.get(parent) ?? 0) >= 2);
    const key = joins ? parent : folder;
    const parts = groups.get(key) ?? [];
    parts.push({ folder, split: split ?? 'train', files });
    groups.set(key, parts);
  }
  for (const [key, parts] of groups) {
    // The run folder's own files first, then train, validation, test.
    const rank = (p: EventPart) => (p.folder === key ? -1 : SPLIT_ORDER.indexOf(p.split));
    parts.sort((a, b) => rank(a) - rank(b) || compareNames(a.folder, b.folder));
  }
  return groups;
}

/** Event files in the order they were written: by the timestamp in their name, then by name. */
function compareEventFiles(a: string, b: string): number {
  const time = (p: string) => Number(/^events\.out\.tfevents\.(\d+)/.exec(basename(p))?.[1] ?? NaN);
  const [ta, tb] = [time(a), time(b)];
  if (ta !== tb && Number.isFinite(ta) && Number.isFinite(tb)) return ta - tb;
  return compareNames(a, b);
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A series read from a split folder takes the folder's split (`validation/loss` → `val_loss`). */
function withSplit(series: Series, split: Split): Series {
  if (split === 'train' || series.split !== 'train') return series;
  const { name, metric } = canonicalMetric(`${split}_${series.metric}`);
  return { ...series, name, metric, split };
}

/** Joins series of the same name in order (restarted writers), keeping first-seen order of names. */
function concatSeries(all: readonly Series[]): Series[] {
  const byName = new Map<string, Series[]>();
  for (const s of all) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  return [...byName.values()].map((parts) => {
    if (parts.length === 1) return parts[0];
    const join64 = (pick: (s: Series) => Float64Array) => {
      const out = new Float64Array(parts.reduce((n, s) => n + s.length, 0));
      let at = 0;
      for (const s of parts) {
        out.set(pick(s), at);
        at += s.length;
      }
      return out;
    };
    const line = new Uint32Array(parts.reduce((n, s) => n + s.length, 0));
    let at = 0;
    for (const s of parts) {
      line.set(s.line, at);
      at += s.length;
    }
    return {
      name: parts[0].name,
      metric: parts[0].metric,
      split: parts[0].split,
      epoch: join64((s) => s.epoch),
      step: join64((s) => s.step),
      wallTime: join64((s) => s.wallTime),
      value: join64((s) => s.value),
      line,
      length: line.length,
    };
  });
}

/** All files below a folder, sorted (MLflow keys with `/` are nested folders). */
async function listFiles(folder: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort(compareNames);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
