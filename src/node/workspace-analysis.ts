import { readFile, stat } from 'node:fs/promises';
import { analyzeRuns, type RunAnalysis } from '../engine/analyze-log';
import { stuckAcrossRunsAnchored } from '../engine/curves/stuck-metric';
import { analyzeProject } from '../engine/code/analyze-project';
import type { ModuleResolver } from '../engine/code/project';
import type { PythonParser } from '../engine/code/python';
import { linkRunWithEvidence, scriptForLog } from '../engine/link/link';
import { namedLogPaths } from '../engine/link/named-logs';
import type { CodeFinding } from '../engine/types';
import { dirname, relative, resolve, sep } from 'node:path';
import { discover } from './discover';
import { shellLinks } from './shell-links';
import { analyzeNotebookFile, type NotebookReport } from './notebook-analysis';
import { readProjectFiles } from './project-files';
import { loadPythonParser } from './grammar';
import { LogFile, LogReadError } from './log-file';
import { findFolderRuns, isEventFile, mlflowRunFolderOf, RunFolders } from './run-folders';

export interface LogReport {
  readonly source: string;
  readonly format: string;
  readonly runs: RunAnalysis[];
  readonly notes: string[];
}

export interface ScriptReport {
  readonly file: string;
  readonly text: string;
  readonly findings: CodeFinding[];
  /** The log paths the script names (`CSVLogger('history.csv')`), for linking logs to it. */
  readonly logs?: readonly string[];
}

export interface Report {
  readonly logs: LogReport[];
  readonly scripts: ScriptReport[];
  /** Files found in folders that turned out not to be training logs. */
  readonly skipped: string[];
  /** Jupyter notebooks, present when any was analysed. */
  readonly notebooks?: NotebookReport[];
}

/** A problem with the user's input (a missing file, an unrecognised log): exit code 2, message as is. */
export class InputError extends Error {}

export interface AnalyzeOptions {
  /** The script that wrote the given logs, overriding the guess from the folder. */
  readonly script?: string;
  readonly ignore?: readonly string[];
}

/**
 * Analyses files and folders as the CLI receives them: logs are parsed and run through the detectors,
 * Python files through the code rules, and each log is linked to the script that most likely wrote it.
 * Named files must be readable and recognised (else `InputError`); files found inside folders that are
 * not training logs are listed in `skipped`.
 */
export async function analyzePaths(paths: readonly string[], options: AnalyzeOptions = {}): Promise<Report> {
  const logPaths: string[] = [];
  const scriptPaths: string[] = [];
  const shellPaths: string[] = [];
  const notebookPaths: string[] = [];
  const fromFolders = new Set<string>();
  const logs: LogReport[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new InputError(`cannot read ${path}: no such file or folder`);
    }
    if (info.isDirectory()) {
      const found = await discover(path);
      // TensorBoard log directories and MLflow runs are read per folder, not file by file.
      const folders = await findFolderRuns(path);
      for (const folder of folders.runs) {
        logs.push({ source: folder.source, format: folder.format, notes: [...folder.run.notes], runs: analyzeRuns([folder.run], { ignore: options.ignore }) });
      }
      const single = found.logs.filter((p) => !folders.files.has(p) && !isEventFile(p) && mlflowRunFolderOf(p) === undefined);
      single.forEach((p) => fromFolders.add(p));
      logPaths.push(...single);
      scriptPaths.push(...found.scripts);
      shellPaths.push(...found.shells);
      found.notebooks.forEach((p) => fromFolders.add(p));
      notebookPaths.push(...found.notebooks);
    } else if (path.endsWith('.ipynb')) {
      notebookPaths.push(path);
    } else if (path.endsWith('.py')) {
      scriptPaths.push(path);
    } else if (mlflowRunFolderOf(path) !== undefined) {
      // One metric file of an MLflow run stands for its run.
      const folder = await new RunFolders().refresh(path, { final: true });
      if (!folder || folder.run.series.length === 0) throw new InputError(`${path}: its MLflow run holds no metrics`);
      logs.push({ source: folder.source, format: folder.format, notes: [...folder.run.notes], runs: analyzeRuns([folder.run], { ignore: options.ignore }) });
    } else {
      logPaths.push(path);
    }
  }
  if (options.script && !scriptPaths.includes(options.script)) scriptPaths.push(options.script);

  const skipped: string[] = [];
  for (const path of logPaths) {
    const state = await readLog(path);
    if (state.kind === 'parsed') {
      logs.push({ source: path, format: state.format, notes: state.notes, runs: analyzeRuns(state.runs, { ignore: options.ignore }) });
    } else if (fromFolders.has(path)) {
      skipped.push(path);
    } else {
      throw new InputError(state.reason);
    }
  }

  addCrossRunFindings(logs, options);
  const notebooks: NotebookReport[] = [];
  for (const path of notebookPaths) {
    const read = await analyzeNotebookFile(path, { ignore: options.ignore });
    if (read.ok) notebooks.push(read.report);
    else if (fromFolders.has(path)) skipped.push(path);
    else throw new InputError(read.reason);
  }
  const scripts = scriptPaths.length > 0 ? await analyzeScripts(scriptPaths, options) : [];

  if (paths.length > 0 && logs.length === 0 && scripts.length === 0 && notebooks.length === 0) {
    throw new InputError(`no training logs or Python scripts found in ${paths.join(', ')}`);
  }
  const parser = scripts.length > 0 ? await loadPythonParser() : undefined;
  const linked = link({ logs, scripts, skipped }, options, parser, await shellLinks(shellPaths));
  return notebooks.length > 0 ? { ...linked, notebooks } : linked;
}

/**
 * Runs in one folder are compared with each other: the same final value across runs whose curves differ
 * (`stuck-metric` across runs, seed 004) goes on the run it is anchored on.
 */
function addCrossRunFindings(logs: readonly LogReport[], options: AnalyzeOptions): void {
  if (options.ignore?.includes('stuck-metric')) return;
  const byFolder = new Map<string, RunAnalysis[]>();
  for (const log of logs) {
    const folder = dirname(log.source);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), ...log.runs]);
  }
  for (const analyses of byFolder.values()) {
    for (const { run, finding } of stuckAcrossRunsAnchored(analyses.map((a) => a.run))) {
      analyses.find((a) => a.run === run)?.findings.push(finding);
    }
  }
}

/**
 * Analyses each script together with the local modules it imports: a problem whose fix belongs in an
 * imported file (the softmax in `model.py`) is reported there. Files are reported once, under the name
 * they were given (imported ones relative to the working directory), their findings merged.
 */
async function analyzeScripts(paths: readonly string[], options: AnalyzeOptions): Promise<ScriptReport[]> {
  const parser = await loadPythonParser();
  const cwd = process.cwd();
  const byPath = new Map<string, { file: string; text: string; findings: Map<string, CodeFinding> }>();
  const add = (absolute: string, file: string, text: string, findings: readonly CodeFinding[]) => {
    let entry = byPath.get(absolute);
    if (!entry) {
      entry = { file, text, findings: new Map() };
      byPath.set(absolute, entry);
    }
    for (const f of findings) entry.findings.set(`${f.id}@${f.start}:${f.end}`, f);
  };
  for (const file of paths) {
    const text = await readScript(file);
    const absolute = resolve(file);
    // Imports may not leave the working directory, or the script's own folder when it lies outside it.
    const root = absolute.startsWith(cwd + sep) ? cwd : dirname(absolute);
    const project = await readProjectFiles(parser, absolute, { root }, text);
    for (const note of project.notes) process.stderr.write(`traindx: note: ${note}\n`);
    // The engine names files as the resolver does: name them as the user reads them, relative to here.
    const resolver: ModuleResolver = (module, from) => {
      const found = project.resolve(module, resolve(from));
      return found && { file: relative(cwd, found.file), text: found.text };
    };
    const results = analyzeProject(parser, { file, text }, resolver, { ignore: options.ignore });
    for (const [name, findings] of results) {
      const path = resolve(name);
      if (path === absolute) add(absolute, file, text, findings);
      else add(path, relative(cwd, path), project.texts.get(path) ?? (await readScript(path)), findings);
    }
  }
  return [...byPath.values()].map(({ file, text, findings }) => ({
    file,
    text,
    findings: [...findings.values()].sort((a, b) => a.start - b.start || a.end - b.end),
    logs: namedLogPaths(parser, text),
  }));
}

async function readLog(path: string) {
  try {
    return await new LogFile(path).update(true);
  } catch (error) {
    if (error instanceof LogReadError) throw new InputError(error.message);
    throw error;
  }
}

/** Reads a script as UTF-8; a file that is not valid UTF-8 is refused rather than silently mangled. */
export async function readScript(file: string): Promise<string> {
  let bytes;
  try {
    bytes = await readFile(file);
  } catch {
    throw new InputError(`cannot read ${file}: no such file or not readable`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${file} is not valid UTF-8; TrainDx reads Python source as UTF-8`);
  }
}

/**
 * Links each log to the script that wrote it: curve and code findings point at each other, and the evidence
 * rules (`no-lr-scheduler`, `no-early-stopping`) add their findings to the script when the log shows their
 * evidence. A script linked to several runs gets each finding once.
 */
function link(report: Report, options: AnalyzeOptions, parser: PythonParser | undefined, shells: ReadonlyMap<string, string>): Report {
  const explicitScript = options.script;
  const scripts = new Map(report.scripts.map((s) => [s.file, s]));
  const logs = report.logs.map((log) => {
    const named = new Map([...scripts].map(([file, s]) => [file, s.logs ?? []]));
    // A shell script that runs `python train.py > train.log` says it outright.
    const launched = shells.get(resolve(log.source));
    const byShell = launched === undefined ? undefined : [...scripts.keys()].find((s) => resolve(s) === launched);
    const file = explicitScript ?? byShell ?? scriptForLog(log.source, [...scripts.keys()], named);
    if (file === undefined || !scripts.has(file) || !parser) return log;
    const runs = log.runs.map((run) => {
      const script = scripts.get(file)!;
      const linked = linkRunWithEvidence(parser, { file: log.source, findings: run.findings, run: run.run }, script, { ignore: options.ignore });
      scripts.set(file, { ...script, findings: linked.code });
      return { ...run, findings: linked.curve };
    });
    return { ...log, runs };
  });
  return { logs, scripts: report.scripts.map((s) => scripts.get(s.file)!), skipped: report.skipped };
}
