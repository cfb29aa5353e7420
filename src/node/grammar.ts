/**
 * Finds and reads the two tree-sitter wasm files and hands their bytes to the engine, which never touches the
 * file system. The bundles live in `dist/` next to the copied wasm files; tests and tools run from elsewhere
 * and fall back to `../dist` and then to the packages in node_modules.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createPythonParser, type GrammarWasm, type PythonParser } from '../engine/code/python';

const RUNTIME_FILE = 'tree-sitter.wasm';
const PYTHON_FILE = 'tree-sitter-python.wasm';

export interface GrammarPaths {
  readonly runtime: string;
  readonly python: string;
}

/** Where the grammar files are: the first folder holding both, else the installed packages. Throws when missing. */
export function findGrammarFiles(baseDir: string = __dirname): GrammarPaths {
  const tried: string[] = [];
  for (const dir of [baseDir, join(baseDir, '..', 'dist'), join(baseDir, '..', '..', 'dist')]) {
    const paths = { runtime: join(dir, RUNTIME_FILE), python: join(dir, PYTHON_FILE) };
    if (existsSync(paths.runtime) && existsSync(paths.python)) return paths;
    tried.push(dir);
  }
  // Resolve from the bundle's folder and from the working directory (a test bundle in /tmp has no node_modules).
  const searchPaths = [baseDir, process.cwd()];
  const fromPackages = {
    runtime: resolveFrom('web-tree-sitter/tree-sitter.wasm', searchPaths),
    python: resolvePackageFile('tree-sitter-python', PYTHON_FILE, searchPaths),
  };
  if (fromPackages.runtime && fromPackages.python && existsSync(fromPackages.python)) {
    return { runtime: fromPackages.runtime, python: fromPackages.python };
  }
  tried.push('node_modules (web-tree-sitter, tree-sitter-python)');
  throw new Error(
    `TrainDx cannot find the tree-sitter grammar files ${RUNTIME_FILE} and ${PYTHON_FILE}; looked in: ${tried.join(', ')}. ` +
      'Run `npm run build` to copy them into dist/.',
  );
}

function resolveFrom(request: string, paths: readonly string[]): string | null {
  try {
    return require.resolve(request, { paths: [...paths] });
  } catch {
    return null;
  }
}

function resolvePackageFile(pkg: string, file: string, paths: readonly string[]): string | null {
  const manifest = resolveFrom(`${pkg}/package.json`, paths);
  return manifest ? join(dirname(manifest), file) : null;
}

let parser: Promise<PythonParser> | undefined;

/** The bytes of the grammar files found by `findGrammarFiles`, for a parser of one's own (`createPythonParser`). */
export async function readGrammarWasm(): Promise<GrammarWasm> {
  const paths = findGrammarFiles();
  const [runtime, python] = await Promise.all([readFile(paths.runtime), readFile(paths.python)]);
  return { runtime, python };
}

/** The process-wide Python parser, created on first use from the grammar files found by `findGrammarFiles`. */
export function loadPythonParser(): Promise<PythonParser> {
  parser ??= readGrammarWasm().then((wasm) => createPythonParser(wasm)).catch((error: unknown) => {
    parser = undefined; // a later call may find the files (e.g. after a build)
    throw error;
  });
  return parser;
}
