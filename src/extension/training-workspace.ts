import { readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, sep } from 'node:path';
import * as vscode from 'vscode';
import { analyzeRuns, type RunAnalysis } from '../engine/analyze-log';
import { analyzeCode } from '../engine/code';
import { analyzeProject } from '../engine/code/analyze-project';
import type { PythonParser } from '../engine/code/python';
import { detectStalled } from '../engine/curves/stalled';
import { stuckAcrossRunsAnchored } from '../engine/curves/stuck-metric';
import { linkRunWithEvidence, scriptForLog } from '../engine/link/link';
import { namedLogPaths } from '../engine/link/named-logs';
import { LineIndex, type Position } from '../engine/text';
import type { CodeFinding, CurveFinding, Run } from '../engine/types';
import type { RunData } from '../protocol/messages';
import { LogFile, LogReadError, type LogState } from '../node/log-file';
import { isEventFile, mlflowRunFolderOf, RunFolders } from '../node/run-folders';
import { readProjectFiles } from '../node/project-files';
import { shellLinks } from '../node/shell-links';
import { readScript } from '../node/workspace-analysis';
import type { Config } from './config';
import { DiagnosticFactory } from './diagnostics';
import { toRunData } from './run-data';

interface LogEntry {
  readonly uri: vscode.Uri;
  /** The incremental reader of a single-file log; undefined for folder runs (TensorBoard, MLflow). */
  readonly file?: LogFile;
  /** A display name for folder runs (the MLflow run name). */
  label?: string;
  state: LogState;
  runs: RunAnalysis[];
  /** When the log last gained data (Date.now()), 0 before. */
  updatedAt: number;
  /** Times (Date.now()) at which the log was seen to gain points after the first read: its live rhythm. */
  readonly arrivals: number[];
  points: number;
  /** How long the detectors took on this log last time (ms), and when (Date.now()). */
  detectMs: number;
  detectedAt: number;
  /** A deferred detector run on a big live log (see `analyze`). */
  detectTimer?: NodeJS.Timeout;
}

interface ScriptEntry {
  readonly uri: vscode.Uri;
  readonly text: string;
  /** The document version analysed; undefined when read from disk. */
  readonly version: number | undefined;
  readonly findings: CodeFinding[];
  /** The log paths the script names (`CSVLogger('history.csv')`). */
  readonly logs: readonly string[];
}

/** One run as the panel and the Runs view list it. */
export interface RunListing {
  readonly key: string;
  readonly label: string;
  readonly uri: vscode.Uri;
  /** False for folder runs (TensorBoard, MLflow) and notebook runs, which have no log lines to reveal. */
  readonly isFile: boolean;
  /** For a run in a notebook cell's output: the cell (0-based), revealed instead of a log line. */
  readonly cell?: number;
  readonly run: Run;
  readonly findings: readonly CurveFinding[];
}

/** The run that changed last, for the status bar. */
export interface LatestRun {
  readonly uri: vscode.Uri;
  readonly run: { readonly run: Run; readonly findings: readonly CurveFinding[] };
  /** Date.now() when the run last gained points. */
  readonly updatedAt: number;
}

/** Most scripts read from disk per log folder, to link a log with the script beside it. */
const MAX_SCRIPTS_PER_FOLDER = 20;
/** Launch scripts (`run.sh`) are looked for in a log's folder and this many folders up to the workspace folder. */
const SHELL_SEARCH_DEPTH = 3;
/**
 * How often the folders around a growing log are listed again for scripts and launch scripts: a live run
 * appends several times a second, and a script or `run.sh` that appears beside it later is found this late.
 */
const SCRIPTS_BESIDE_INTERVAL_MS = 10_000;
/** Diagnostics are published at most this often. */
const PUBLISH_DELAY_MS = 150;
/**
 * The detectors re-run on every update of a log while they are cheap. On a run so big that they take longer
 * than this (tens of millions of points), they run at most once per DETECT_SPACING times their own cost (and
 * at least every MAX_DETECT_WAIT_MS): the new points show at once, the findings follow, and the extension host
 * is not kept busy on every line a fast run appends.
 */
const DETECT_BUDGET_MS = 50;
const DETECT_SPACING = 20;
const MAX_DETECT_WAIT_MS = 60_000;

/**
 * The adapter's model of the workspace's training runs: logs read incrementally, scripts analysed
 * from open documents or from disk, both linked and published as diagnostics. The engine does the
 * analysis; this class only moves data between it and VS Code.
 */
export class TrainingWorkspace implements vscode.Disposable {
  private readonly logs = new Map<string, LogEntry>();
  private readonly scripts = new Map<string, ScriptEntry>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('traindx');
  private readonly factory: DiagnosticFactory;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly runFolders = new RunFolders();
  private publishTimer: NodeJS.Timeout | undefined;
  /** What the project analysis of an entry script found in the files it imports: entry → file → findings. */
  private readonly crossFile = new Map<string, Map<string, { text: string; findings: CodeFinding[] }>>();
  /** The latest project analysis started per entry; an older one that finishes late is dropped. */
  private readonly projectGeneration = new Map<string, number>();
  /** Files that got code diagnostics at the last publish, to clear those that no longer do. */
  private published = new Set<string>();
  /** When the folders around each log were last listed for scripts (`loadScriptsBeside`). */
  private readonly scriptsLookedFor = new Map<string, number>();
  /** Logs whose script a launch script names (`python train.py > train.log`): log path → script path. */
  private readonly shellLinked = new Map<string, string>();
  /** Curve findings after linking, per log path; what the panel's markers show. */
  private linkedCurves = new Map<string, CurveFinding[][]>();

  /** Fires after diagnostics were republished (runs or findings may have changed). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly parser: PythonParser,
    private readonly config: Config,
    extensionUri: vscode.Uri,
  ) {
    this.factory = new DiagnosticFactory(config, extensionUri, (file) => vscode.Uri.file(file));
  }

  dispose(): void {
    clearTimeout(this.publishTimer);
    for (const entry of this.logs.values()) clearTimeout(entry.detectTimer);
    this.diagnostics.dispose();
    this.changed.dispose();
  }

  /** Reads in progress, per path, and whether another change arrived meanwhile. */
  private readonly reading = new Map<string, { again: boolean; done: Promise<void> }>();

  /**
   * Reads what a log gained since last time and re-runs the detectors. Reads of one file never overlap
   * (a big first read can outlast the next change event): a change during a read triggers one more read.
   */
  refreshLog(uri: vscode.Uri): Promise<void> {
    const busy = this.reading.get(uri.fsPath);
    if (busy) {
      busy.again = true;
      return busy.done;
    }
    const state = { again: false, done: Promise.resolve() };
    state.done = (async () => {
      try {
        do {
          state.again = false;
          await this.readLog(uri);
        } while (state.again);
      } finally {
        this.reading.delete(uri.fsPath);
      }
    })();
    this.reading.set(uri.fsPath, state);
    return state.done;
  }

  private async readLog(uri: vscode.Uri): Promise<void> {
    const path = uri.fsPath;
    // TensorBoard event files and MLflow metric files belong to runs made of several files.
    if (isEventFile(path) || mlflowRunFolderOf(path) !== undefined) return this.refreshFolderRun(path);
    let entry = this.logs.get(path);
    if (!entry) {
      entry = { uri, file: new LogFile(path), state: { kind: 'pending', reason: '' }, runs: [], updatedAt: 0, arrivals: [], points: -1, detectMs: 0, detectedAt: 0 };
      this.logs.set(path, entry);
    }
    if (!entry.file) return;
    try {
      const state = await entry.file.update();
      if (state === entry.state) return; // nothing new
      entry.state = state;
      entry.updatedAt = Date.now();
    } catch (error) {
      if (!(error instanceof LogReadError)) throw error;
      this.removeLog(uri);
      return;
    }
    if (entry.state.kind !== 'parsed') {
      entry.runs = [];
    } else {
      this.analyze(entry, entry.state.runs);
      const lookedAt = this.scriptsLookedFor.get(path);
      if (lookedAt === undefined || Date.now() - lookedAt >= SCRIPTS_BESIDE_INTERVAL_MS) await this.loadScriptsBeside(path);
    }
    this.schedulePublish();
  }

  /** Re-reads the folder run (TensorBoard log directory, MLflow run) that a changed file belongs to. */
  private async refreshFolderRun(file: string): Promise<void> {
    const folder = await this.runFolders.refresh(file);
    if (!folder) return;
    const uri = vscode.Uri.file(folder.source);
    if (folder.run.series.length === 0 && folder.run.notes.length === 0) {
      this.removeLog(uri);
      return;
    }
    let entry = this.logs.get(folder.source);
    if (!entry) {
      entry = { uri, state: { kind: 'pending', reason: '' }, runs: [], updatedAt: 0, arrivals: [], points: -1, detectMs: 0, detectedAt: 0 };
      this.logs.set(folder.source, entry);
    }
    entry.label = folder.name;
    entry.state = { kind: 'parsed', format: folder.format, runs: [folder.run], notes: [...folder.run.notes] };
    entry.updatedAt = Date.now();
    this.analyze(entry, [folder.run]);
    this.schedulePublish();
  }

  /** Runs the detectors and keeps the live rhythm (arrival times of new points). */
  private analyze(entry: LogEntry, runs: readonly Run[]): void {
    const points = runs.reduce((n, r) => n + r.series.reduce((m, s) => m + s.length, 0), 0);
    const grew = entry.points >= 0 && points > entry.points;
    if (grew) entry.arrivals.push(entry.updatedAt);
    else if (points < entry.points) entry.arrivals.length = 0; // truncated or rotated: a new rhythm
    entry.points = points;
    const due = entry.detectedAt + Math.min(MAX_DETECT_WAIT_MS, DETECT_SPACING * entry.detectMs);
    if (!grew || entry.detectMs <= DETECT_BUDGET_MS || Date.now() >= due || runs.length < entry.runs.length) {
      this.detect(entry, runs);
      return;
    }
    // A big run that only grew: its new points now, with the findings of the last detection, until the next one.
    entry.runs = runs.map((run, i) => ({ run, findings: entry.runs[i]?.findings ?? [] }));
    entry.detectTimer ??= setTimeout(() => {
      entry.detectTimer = undefined;
      if (this.logs.get(entry.uri.fsPath) !== entry) return;
      this.detect(entry, entry.runs.map((r) => r.run));
      this.schedulePublish();
    }, due - Date.now());
  }

  private detect(entry: LogEntry, runs: readonly Run[]): void {
    clearTimeout(entry.detectTimer);
    entry.detectTimer = undefined;
    const started = performance.now();
    entry.runs = analyzeRuns(runs, { ignore: this.config.ignoredRules });
    entry.detectMs = performance.now() - started;
    entry.detectedAt = Date.now();
  }

  /** Re-checks live runs for silence (`stalled`); call it now and then. */
  checkLive(): void {
    if ([...this.logs.values()].some((e) => e.arrivals.length > 0)) this.schedulePublish();
  }

  removeLog(uri: vscode.Uri): void {
    clearTimeout(this.logs.get(uri.fsPath)?.detectTimer);
    this.scriptsLookedFor.delete(uri.fsPath);
    if (this.logs.delete(uri.fsPath)) {
      this.diagnostics.delete(uri);
      this.schedulePublish();
    }
  }

  /** A file or folder was deleted: forget every log and script at or below it. */
  deleted(uri: vscode.Uri): void {
    if (isEventFile(uri.fsPath) || mlflowRunFolderOf(uri.fsPath) !== undefined) void this.refreshFolderRun(uri.fsPath);
    const gone = (path: string) => path === uri.fsPath || path.startsWith(uri.fsPath + sep);
    for (const entry of [...this.logs.values()]) if (gone(entry.uri.fsPath)) this.removeLog(entry.uri);
    for (const script of [...this.scripts.values()]) {
      if (gone(script.uri.fsPath) && !vscode.workspace.textDocuments.some((d) => d.uri.fsPath === script.uri.fsPath)) {
        this.scripts.delete(script.uri.fsPath);
        this.crossFile.delete(script.uri.fsPath);
        this.diagnostics.delete(script.uri);
        this.schedulePublish();
      }
    }
  }

  /** Analyses an open Python document as it is now (unsaved edits included). */
  analyzeDocument(document: vscode.TextDocument): ScriptEntry {
    const text = document.getText();
    const entry: ScriptEntry = {
      uri: document.uri,
      text,
      version: document.version,
      findings: analyzeCode(this.parser, text, document.uri.fsPath, { ignore: this.config.ignoredRules }),
      logs: namedLogPaths(this.parser, text),
    };
    this.scripts.set(document.uri.fsPath, entry);
    this.schedulePublish();
    this.analyzeProjects(document.uri.fsPath);
    return entry;
  }

  /**
   * Follows local imports in the background: re-analyses `changed` and every script whose analysis
   * reached into other files, with the editor's unsaved texts. Single-file findings show at once; these
   * replace them when ready, if the text is still the one analysed.
   */
  private analyzeProjects(changed: string): void {
    for (const path of new Set([changed, ...this.crossFile.keys()])) {
      const script = this.scripts.get(path);
      if (script) void this.analyzeProject(path, script.text);
    }
  }

  private async analyzeProject(path: string, text: string): Promise<void> {
    const generation = (this.projectGeneration.get(path) ?? 0) + 1;
    this.projectGeneration.set(path, generation);
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path));
    const overrides = new Map(
      vscode.workspace.textDocuments.filter((d) => d.languageId === 'python' && d.uri.scheme === 'file').map((d) => [d.uri.fsPath, d.getText()]),
    );
    let project;
    try {
      project = await readProjectFiles(this.parser, path, { root: folder?.uri.fsPath ?? dirname(path), overrides }, text);
    } catch {
      return; // unreadable imports: the single-file findings stand
    }
    const current = this.scripts.get(path);
    if (this.projectGeneration.get(path) !== generation || !current || current.text !== text) return;
    const results = analyzeProject(this.parser, { file: path, text }, project.resolve, { ignore: this.config.ignoredRules });
    this.scripts.set(path, { ...current, findings: results.get(path) ?? current.findings });
    const others = new Map<string, { text: string; findings: CodeFinding[] }>();
    for (const [file, findings] of results) {
      const imported = project.texts.get(file);
      if (file !== path && imported !== undefined) others.set(file, { text: imported, findings });
    }
    if (others.size > 0) this.crossFile.set(path, others);
    else this.crossFile.delete(path);
    this.schedulePublish();
  }

  /** Findings other scripts' analyses put in `file`, when they were made on its current text. */
  private crossFindingsFor(file: string, text: string): CodeFinding[] {
    const out: CodeFinding[] = [];
    for (const others of this.crossFile.values()) {
      const found = others.get(file);
      if (found && found.text === text) out.push(...found.findings);
    }
    return out;
  }

  /** The code findings for exactly this version of the document, re-analysing if it changed since. */
  codeFindings(document: vscode.TextDocument): CodeFinding[] {
    const text = document.getText();
    const entry = this.scripts.get(document.uri.fsPath);
    const own = entry && entry.version === document.version && entry.text === text ? entry.findings : this.analyzeDocument(document).findings;
    return [...own, ...this.crossFindingsFor(document.uri.fsPath, text)];
  }

  /** A closed document falls back to its content on disk. */
  async documentClosed(uri: vscode.Uri): Promise<void> {
    if (this.scripts.has(uri.fsPath)) await this.loadScriptFromDisk(uri.fsPath, true);
  }

  /** Re-reads a script that changed on disk, unless an open document owns it. */
  async scriptChangedOnDisk(uri: vscode.Uri): Promise<void> {
    if (this.scripts.has(uri.fsPath)) await this.loadScriptFromDisk(uri.fsPath, true);
  }

  /** Every run, converted for the panel, with the markers of its linked findings. */
  runData(): RunData[] {
    return this.listRuns().map(({ key, label, run, findings }) => ({ ...toRunData(run, findings, key), label }));
  }

  /** Every run with its panel key, display label, log and linked findings, for the panel and the Runs view. */
  listRuns(): RunListing[] {
    const out: RunListing[] = [];
    for (const [path, entry] of this.logs) {
      const linked = this.linkedCurves.get(path);
      const name = entry.label ?? vscode.workspace.asRelativePath(entry.uri);
      entry.runs.forEach(({ run, findings }, i) => {
        out.push({
          key: `${entry.uri.toString()}#${run.segment}`,
          label: entry.runs.length > 1 ? `${name} (run ${run.segment + 1})` : name,
          uri: entry.uri,
          isFile: entry.file !== undefined,
          run,
          findings: linked?.[i] ?? findings,
        });
      });
    }
    return out;
  }

  /** The key of the latest run read from a log (its last segment), if the log holds runs. */
  latestRunKey(uri: vscode.Uri): string | undefined {
    const entry = this.logs.get(uri.fsPath);
    const last = entry?.runs.at(-1);
    return entry && last ? `${entry.uri.toString()}#${last.run.segment}` : undefined;
  }

  /** The log a run key belongs to. */
  logUriOf(key: string): vscode.Uri | undefined {
    const uri = key.slice(0, key.lastIndexOf('#'));
    return [...this.logs.values()].find((e) => e.uri.toString() === uri)?.uri;
  }

  /** Logs that parsed as training runs. */
  knownLogs(): vscode.Uri[] {
    return [...this.logs.values()].filter((e) => e.state.kind === 'parsed').map((e) => e.uri);
  }

  /** The log that most recently gained data, with its latest run, for the status bar. */
  latest(): LatestRun | undefined {
    let best: LogEntry | undefined;
    for (const entry of this.logs.values()) {
      if (entry.runs.length > 0 && (!best || entry.updatedAt > best.updatedAt)) best = entry;
    }
    return best && { uri: best.uri, run: best.runs.at(-1)!, updatedAt: best.updatedAt };
  }

  summary(): { runs: number; scripts: number; problems: number } {
    let runs = 0;
    let problems = 0;
    for (const entry of this.logs.values()) {
      runs += entry.runs.length;
      for (const run of entry.runs) problems += run.findings.length;
    }
    for (const script of this.scripts.values()) problems += script.findings.length;
    return { runs, scripts: this.scripts.size, problems };
  }

  /** Re-runs every analysis (settings changed). */
  async reanalyzeAll(): Promise<void> {
    for (const [path, entry] of this.logs) {
      if (entry.state.kind !== 'parsed') continue;
      entry.runs = analyzeRuns(entry.state.runs, { ignore: this.config.ignoredRules });
      await this.loadScriptsBeside(path); // a new link may name a script we have not read
    }
    for (const [path, entry] of this.scripts) {
      const document = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path);
      if (document) this.analyzeDocument(document);
      else if (entry.version === undefined) await this.loadScriptFromDisk(path, true);
    }
    this.schedulePublish();
  }

  private async loadScriptsBeside(logPath: string): Promise<void> {
    this.scriptsLookedFor.set(logPath, Date.now());
    const folder = dirname(logPath);
    let names: string[];
    try {
      names = (await readdir(folder)).filter((n) => n.endsWith('.py')).slice(0, MAX_SCRIPTS_PER_FOLDER);
    } catch {
      return;
    }
    const linked = this.linkedScriptOf(logPath);
    const paths = names.map((n) => join(folder, n));
    if (linked) paths.push(linked);
    const launched = await this.launchedBy(logPath);
    if (launched) paths.push(launched);
    for (const path of paths) if (!this.scripts.has(path)) await this.loadScriptFromDisk(path, false);
  }

  /**
   * The script a shell script in the log's folder or the two above it (not above the workspace folder) runs with
   * its output going to this log (`python src/train.py > logs/train.log`); remembered for linking.
   */
  private async launchedBy(logPath: string): Promise<string | undefined> {
    const top = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(logPath))?.uri.fsPath;
    const shells: string[] = [];
    for (let folder = dirname(logPath), depth = 0; depth < SHELL_SEARCH_DEPTH; depth++) {
      try {
        for (const name of await readdir(folder)) if (name.endsWith('.sh')) shells.push(join(folder, name));
      } catch {
        // an unreadable folder has no launch scripts we can read
      }
      if (!top || folder === top || dirname(folder) === folder) break;
      folder = dirname(folder);
    }
    const script = (await shellLinks(shells.slice(0, MAX_SCRIPTS_PER_FOLDER))).get(logPath);
    if (script) this.shellLinked.set(logPath, script);
    else this.shellLinked.delete(logPath);
    return script;
  }

  private async loadScriptFromDisk(path: string, replace: boolean): Promise<void> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path);
    if (open) {
      if (replace || !this.scripts.has(path)) this.analyzeDocument(open);
      return;
    }
    let text: string;
    try {
      text = await readScript(path);
    } catch {
      this.scripts.delete(path); // unreadable or not UTF-8: nothing to say about it
      this.diagnostics.delete(vscode.Uri.file(path));
      return;
    }
    const findings = analyzeCode(this.parser, text, path, { ignore: this.config.ignoredRules });
    this.scripts.set(path, { uri: vscode.Uri.file(path), text, version: undefined, findings, logs: namedLogPaths(this.parser, text) });
    this.schedulePublish();
    this.analyzeProjects(path);
  }

  /** The script a user linked to this log in settings, as an absolute path. */
  private linkedScriptOf(logPath: string): string | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(logPath));
    const relative = vscode.workspace.asRelativePath(vscode.Uri.file(logPath), false);
    const target = this.config.links[relative];
    if (!target) return undefined;
    return isAbsolute(target) || !folder ? target : join(folder.uri.fsPath, target);
  }

  private schedulePublish(): void {
    if (this.publishTimer) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publish();
    }, PUBLISH_DELAY_MS);
  }

  /** Runs in one folder compared with each other (`stuck-metric` across runs, seed 004), by anchor run. */
  private crossRunFindings(): Map<Run, CurveFinding[]> {
    const out = new Map<Run, CurveFinding[]>();
    if (this.config.ignoredRules.includes('stuck-metric')) return out;
    const byFolder = new Map<string, Run[]>();
    // In path order, as the CLI reads a folder, so a finding lands on the same run in both.
    for (const [path, entry] of [...this.logs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const folder = dirname(path);
      byFolder.set(folder, [...(byFolder.get(folder) ?? []), ...entry.runs.map((r) => r.run)]);
    }
    for (const runs of byFolder.values()) {
      for (const { run, finding } of stuckAcrossRunsAnchored(runs)) out.set(run, [...(out.get(run) ?? []), finding]);
    }
    return out;
  }

  private publish(): void {
    // Every file's code findings: its own, plus those other scripts' analyses placed in it.
    const texts = new Map<string, string>([...this.scripts].map(([path, s]) => [path, s.text]));
    for (const others of this.crossFile.values()) {
      for (const [file, found] of others) if (!texts.has(file)) texts.set(file, found.text);
    }
    const code = new Map<string, CodeFinding[]>();
    for (const [file, text] of texts) {
      const unique = new Map<string, CodeFinding>();
      for (const f of [...(this.scripts.get(file)?.findings ?? []), ...this.crossFindingsFor(file, text)]) unique.set(`${f.id}@${f.start}:${f.end}`, f);
      code.set(file, [...unique.values()]);
    }
    this.linkedCurves = new Map();
    const crossRun = this.crossRunFindings();
    for (const [path, entry] of this.logs) {
      const named = new Map([...this.scripts].map(([file, script]) => [file, script.logs]));
      const scriptPath = this.linkedScriptOf(path) ?? this.shellLinked.get(path) ?? scriptForLog(path, [...this.scripts.keys()], named);
      const script = scriptPath === undefined ? undefined : this.scripts.get(scriptPath);
      const curves = entry.runs.map(({ run, findings: own }) => {
        const findings = [...own, ...(crossRun.get(run) ?? [])];
        if (!script || scriptPath === undefined) return findings;
        const linked = linkRunWithEvidence(
          this.parser,
          { file: path, findings, run },
          { file: scriptPath, text: script.text, findings: code.get(scriptPath) ?? [] },
          { ignore: this.config.ignoredRules },
        );
        code.set(scriptPath, linked.code);
        return linked.curve;
      });
      const last = entry.runs.at(-1);
      const stalled = last && !this.config.ignoredRules.includes('stalled') ? detectStalled(last.run, entry.arrivals, Date.now()) : undefined;
      if (stalled) curves[curves.length - 1] = [...curves[curves.length - 1], stalled];
      this.linkedCurves.set(path, curves);
      // A folder run has no editor lines to put a problem on (its "lines" are record numbers); the
      // findings still reach the panel and, linked, the script.
      if (entry.file) this.diagnostics.set(entry.uri, curves.flat().flatMap((f) => this.factory.fromCurve(f) ?? []));
    }
    for (const [path, findings] of code) {
      const lines = new LineIndex(texts.get(path)!);
      const document = { positionAt: (offset: number) => toPosition(lines.positionAt(offset)) };
      this.diagnostics.set(vscode.Uri.file(path), findings.flatMap((f) => this.factory.fromCode(f, document) ?? []));
    }
    for (const path of this.published) if (!code.has(path)) this.diagnostics.delete(vscode.Uri.file(path));
    this.published = new Set(code.keys());
    this.changed.fire();
  }
}

function toPosition(position: Position): vscode.Position {
  return new vscode.Position(position.line - 1, position.column - 1);
}
