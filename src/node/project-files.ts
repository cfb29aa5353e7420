/**
 * Reads the local modules a training script imports, so that `analyzeProject` (pure, synchronous) can follow
 * `from model import Net` into `model.py`. Imports are resolved as Python would for a script run from its
 * folder or from the project root: relative imports against the importing file's package, absolute ones
 * against the importing file's folder and then the root. Only files inside the root are read (never an
 * installed package, a virtual environment or a site-packages folder), with caps on files and bytes.
 */

import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { importedModuleNames, type ModuleResolver, type ProjectSource } from '../engine/code/project';
import type { PythonParser } from '../engine/code/python';

export interface ProjectFilesOptions {
  /** The folder imports may not leave (the workspace folder; for the CLI, the entry's folder unless given). */
  readonly root: string;
  /** Most files read besides the entry. */
  readonly maxFiles?: number;
  /** Most bytes read in all, the entry excluded. */
  readonly maxBytes?: number;
  /** Texts to use instead of the disk (an editor's unsaved documents), by absolute path. */
  readonly overrides?: ReadonlyMap<string, string>;
}

export interface ProjectFiles {
  readonly entry: ProjectSource;
  /** Answers the engine from the files read here; file names are absolute paths. */
  readonly resolve: ModuleResolver;
  /** Absolute paths of the local modules read, in the order they were reached. */
  readonly files: readonly string[];
  /** The text of every file read, the entry included, by absolute path (what fixes in those files apply to). */
  readonly texts: ReadonlyMap<string, string>;
  /** Why some imports were not followed (caps reached, unreadable files), for the user. */
  readonly notes: readonly string[];
}

export const DEFAULT_MAX_FILES = 50;
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
/** Folders never read, wherever they are under the root. */
const SKIPPED_FOLDERS = new Set(['site-packages', 'dist-packages', 'node_modules', '.venv', 'venv', '.git', '__pycache__']);

/**
 * Reads `entryFile` and, breadth-first, every local module its imports reach (up to the caps). `entryText`
 * (and `overrides` for the other files) replace the content on disk, for an editor's unsaved documents. The
 * entry's name in the result is its absolute path; the resolver accepts the importing file's name in any form
 * `path.resolve` maps to it. Throws only when the entry is unreadable.
 */
export async function readProjectFiles(
  parser: PythonParser,
  entryFile: string,
  options: ProjectFilesOptions,
  entryText?: string,
): Promise<ProjectFiles> {
  const root = resolve(options.root);
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const entryPath = resolve(entryFile);
  const entry: ProjectSource = { file: entryPath, text: entryText ?? options.overrides?.get(entryPath) ?? (await readFile(entryPath, 'utf8')) };

  const texts = new Map<string, string>([[entryPath, entry.text]]);
  const answers = new Map<string, string>(); // `${from}\0${module}` → path
  const notes: string[] = [];
  const files: string[] = [];
  let bytes = 0;
  const queue: string[] = [entryPath];
  while (queue.length > 0) {
    const from = queue.shift()!;
    const modules = parser.withTree(texts.get(from)!, (tree) => importedModuleNames(tree.rootNode));
    for (const module of modules) {
      const path = await findModule(module, from, root);
      if (path === null) continue;
      answers.set(`${from}\0${module}`, path);
      if (texts.has(path)) continue;
      if (files.length >= maxFiles) {
        notes.push(`not following ${module} from ${from}: more than ${maxFiles} local modules`);
        answers.delete(`${from}\0${module}`);
        continue;
      }
      const text = options.overrides?.get(path) ?? (await readSource(path, maxBytes - bytes));
      if (text === null) {
        notes.push(`not following ${module} from ${from}: ${path} is unreadable, not UTF-8, or over the ${maxBytes}-byte budget`);
        answers.delete(`${from}\0${module}`);
        continue;
      }
      bytes += Buffer.byteLength(text, 'utf8');
      texts.set(path, text);
      files.push(path);
      queue.push(path);
    }
  }

  const resolveModule: ModuleResolver = (module, from) => {
    const path = answers.get(`${resolve(from)}\0${module}`);
    const text = path === undefined ? undefined : texts.get(path);
    return path === undefined || text === undefined ? undefined : { file: path, text };
  };
  return { entry, resolve: resolveModule, files, texts, notes };
}

/**
 * The file a module name stands for from `from`: `pkg/mod.py` or `pkg/mod/__init__.py`, searched in the
 * importing file's package (relative imports) or its folder and then the root (absolute imports); null
 * when it is not a file inside the root.
 */
export async function findModule(module: string, from: string, root: string): Promise<string | null> {
  const dots = module.length - module.replace(/^\.+/, '').length;
  const parts = module.slice(dots).split('.').filter((p) => p !== '');
  const bases: string[] = [];
  if (dots > 0) {
    let base = dirname(from);
    for (let i = 1; i < dots; i++) base = dirname(base);
    bases.push(base);
  } else {
    bases.push(dirname(from), root);
  }
  for (const base of bases) {
    const stem = join(base, ...parts);
    const candidates = parts.length === 0 ? [join(stem, '__init__.py')] : [`${stem}.py`, join(stem, '__init__.py')];
    for (const candidate of candidates) {
      if (!inside(candidate, root) || !(await isFile(candidate))) continue;
      // A link inside the root may point anywhere (an installed package): the target must be inside too.
      const [real, realRoot] = await Promise.all([realpath(candidate), realpath(root)]);
      if (inside(real, realRoot)) return candidate;
    }
  }
  return null;
}

/** Whether `path` lies inside `root` and outside the folders never read. */
function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return false;
  return !rel.split(sep).some((segment) => SKIPPED_FOLDERS.has(segment));
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The file as UTF-8 when it fits in `budget` bytes; null when too big, unreadable or not UTF-8. */
async function readSource(path: string, budget: number): Promise<string | null> {
  try {
    if ((await stat(path)).size > budget) return null;
    return new TextDecoder('utf-8', { fatal: true }).decode(await readFile(path));
  } catch {
    return null;
  }
}
