import * as vscode from 'vscode';
import { minimatch } from 'minimatch';
import { fixAllSafe } from '../engine/code/fix-all';
import type { PythonParser } from '../engine/code/python';
import { loadPythonParser } from '../node/grammar';
import { Indexer, Priority, type IndexProgress } from '../node/indexer';
import { NewFolders } from '../node/new-folders';
import { FixProvider } from './code-actions';
import { Config } from './config';
import { registerMarkerSync } from './marker-sync';
import { NotebookProblems } from './notebooks';
import { CurvePanel, registerCurvePanelSerializer, type RevealTarget } from './panel';
import { REVEAL_NOTEBOOK_RUN, RunsView } from './runs-view';
import { TrainingStatus } from './status';
import { TrainingWorkspace } from './training-workspace';

/** Re-analysis of a Python document waits for a pause in typing. */
const TYPING_DEBOUNCE_MS = 300;
/** A growing log is re-read at most this often. */
const LOG_DEBOUNCE_MS = 250;
/** Folders created while the editor runs are looked into this often (see NewFolders). */
const NEW_FOLDER_POLL_MS = 2_000;
/** The status bar's indexing progress is updated at most this often. */
const PROGRESS_INTERVAL_MS = 100;

/** The API the integration tests use to wait for the extension; not a public contract. */
export interface TrainDxApi {
  readonly workspace: TrainingWorkspace;
  /** Resolves when the first scan of the workspace's logs is done. */
  readonly ready: Promise<void>;
  /** The open curve panel, if any. */
  currentPanel(): CurvePanel | undefined;
  /** The Explorer's Training Runs view. */
  readonly runsView: RunsView;
}

export async function activate(context: vscode.ExtensionContext): Promise<TrainDxApi> {
  const config = new Config();
  const parser = await loadPythonParser();
  const workspace = new TrainingWorkspace(parser, config, context.extensionUri);
  context.subscriptions.push(workspace);

  const excluded = (relative: string) => config.logExclude.some((g) => minimatch(relative, g, { dot: true }));
  const isLog = (uri: vscode.Uri): boolean => {
    if (uri.scheme !== 'file') return false;
    const relative = vscode.workspace.asRelativePath(uri, false);
    return config.logInclude.some((g) => minimatch(relative, g, { dot: true })) && !excluded(relative);
  };

  // Python: analyse open documents, again after a pause in typing.
  const typing = new Map<string, NodeJS.Timeout>();
  const analyzeSoon = (document: vscode.TextDocument) => {
    if (document.languageId !== 'python' || document.uri.scheme !== 'file') return;
    clearTimeout(typing.get(document.uri.toString()));
    typing.set(document.uri.toString(), setTimeout(() => {
      typing.delete(document.uri.toString());
      if (!document.isClosed) workspace.analyzeDocument(document);
    }, TYPING_DEBOUNCE_MS));
  };
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((d) => d.languageId === 'python' && d.uri.scheme === 'file' && workspace.analyzeDocument(d)),
    vscode.workspace.onDidChangeTextDocument((e) => analyzeSoon(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => d.languageId === 'python' && void workspace.documentClosed(d.uri)),
    vscode.languages.registerCodeActionsProvider({ language: 'python', scheme: 'file' }, new FixProvider(workspace), FixProvider.metadata),
    { dispose: () => typing.forEach(clearTimeout) },
  );
  for (const document of vscode.workspace.textDocuments) {
    if (document.languageId === 'python' && document.uri.scheme === 'file') workspace.analyzeDocument(document);
  }

  // Logs: read at start, then follow them as they grow, shrink, rotate or go away. Every read goes
  // through one queue: one file at a time, what the user sees first, turns for the editor in between.
  let reportProgress: ((progress: IndexProgress) => void) | undefined;
  const indexer = new Indexer({
    read: (key) => workspace.refreshLog(vscode.Uri.parse(key)),
    onError: (key, error) => console.error(`TrainDx: reading ${key} failed:`, error),
    onProgress: (progress) => reportProgress?.(progress),
  });
  const priorityOf = (uri: vscode.Uri): Priority => {
    const key = uri.toString();
    if (vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === key)) return Priority.visible;
    return vscode.workspace.textDocuments.some((d) => d.uri.toString() === key) ? Priority.open : Priority.background;
  };
  // Linux's watcher misses what is inside a folder that appears whole (`mkdir -p`, `cp -r`): look into it ourselves.
  const isExcludedFolder = (path: string): boolean => {
    const uri = vscode.Uri.file(path);
    const relative = vscode.workspace.asRelativePath(uri, false);
    // Outside the workspace, or Jupyter's autosaved copies (their logs would be reported twice).
    if (relative === uri.fsPath || uri.path.endsWith('/.ipynb_checkpoints')) return true;
    return excluded(relative) || excluded(`${relative}/`);
  };
  const newFolders = new NewFolders({
    isLog: (path) => isLog(vscode.Uri.file(path)),
    isExcluded: isExcludedFolder,
    changed: (path) => indexer.add(vscode.Uri.file(path).toString(), priorityOf(vscode.Uri.file(path))),
    deleted: (path) => workspace.deleted(vscode.Uri.file(path)),
  });
  const newFolderPoll = setInterval(() => void newFolders.poll(), NEW_FOLDER_POLL_MS);
  context.subscriptions.push({ dispose: () => clearInterval(newFolderPoll) });
  const pending = new Map<string, NodeJS.Timeout>();
  const refreshSoon = (uri: vscode.Uri) => {
    if (!isLog(uri)) {
      if (uri.scheme === 'file') void newFolders.created(uri.fsPath);
      return;
    }
    clearTimeout(pending.get(uri.toString()));
    pending.set(uri.toString(), setTimeout(() => {
      pending.delete(uri.toString());
      indexer.add(uri.toString(), priorityOf(uri));
    }, LOG_DEBOUNCE_MS));
  };
  const logs = vscode.workspace.createFileSystemWatcher('**/*');
  const scripts = vscode.workspace.createFileSystemWatcher('**/*.py');
  context.subscriptions.push(
    logs, scripts,
    logs.onDidCreate(refreshSoon),
    logs.onDidChange((uri) => isLog(uri) && refreshSoon(uri)),
    // A deleted folder raises one event for the folder, none for the files in it.
    logs.onDidDelete((uri) => {
      newFolders.deleted(uri.fsPath);
      workspace.deleted(uri);
    }),
    scripts.onDidChange((uri) => void workspace.scriptChangedOnDisk(uri)),
    { dispose: () => pending.forEach(clearTimeout) },
  );

  // Every log found is indexed in the background: visible editors' logs first, then open documents.
  const scan = async () => {
    const include = `{${config.logInclude.join(',')}}`;
    const exclude = `{${config.logExclude.join(',')}}`;
    const found = await vscode.workspace.findFiles(include, exclude);
    for (const uri of found) indexer.add(uri.toString(), priorityOf(uri));
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'TrainDx' }, async (progress) => {
      let last = 0;
      const report = ({ done, total }: IndexProgress) => {
        if (Date.now() - last < PROGRESS_INTERVAL_MS) return;
        last = Date.now();
        progress.report({ message: `indexing logs ${done}/${total}` });
      };
      reportProgress = report;
      await indexer.idle();
      if (reportProgress === report) reportProgress = undefined;
    });
  };
  context.subscriptions.push(
    indexer,
    // A log the user brings into view while the index runs is read next.
    vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => indexer.bump(e.document.uri.toString(), Priority.visible))),
  );
  const ready = scan();

  // The curve panel: the workspace's logs and the open notebooks' cell outputs.
  const notebooks = new NotebookProblems(parser, config, context.extensionUri);
  context.subscriptions.push(notebooks);
  const runSource = () => [...workspace.runData(), ...notebooks.runData()];
  // A marker click: the log line in column One, the linked script line beside it (not over the panel); for a
  // notebook run, the cell whose output shows it.
  const reveal = async ({ key, line, code }: RevealTarget) => {
    if (await notebooks.revealRun(key)) return;
    const uri = workspace.logUriOf(key);
    // Folder runs (TensorBoard, MLflow) have no line to show.
    if (line !== null && uri && (await vscode.workspace.fs.stat(uri)).type === vscode.FileType.File) {
      const position = new vscode.Position(Math.max(0, line - 1), 0);
      await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(position, position) });
    }
    if (code) {
      const position = new vscode.Position(code.line - 1, code.column - 1);
      const viewColumn = CurvePanel.current?.viewColumn === vscode.ViewColumn.Two ? vscode.ViewColumn.Three : vscode.ViewColumn.Two;
      await vscode.window.showTextDocument(vscode.Uri.file(code.file), { viewColumn, selection: new vscode.Range(position, position) });
    }
  };
  registerCurvePanelSerializer(context, runSource, reveal);
  registerMarkerSync(context);
  const status = new TrainingStatus({
    latest: () => {
      const [log, notebook] = [workspace.latest(), notebooks.latest()];
      return !notebook || (log && log.updatedAt >= notebook.updatedAt) ? log : notebook;
    },
    problems: () => workspace.summary().problems + notebooks.problems(),
  });
  const runsView = new RunsView(() => [...workspace.listRuns(), ...notebooks.listRuns()]);
  /** Logs or notebook outputs changed: the panel, the status bar and the Runs view show them again. */
  const refreshViews = (): void => {
    CurvePanel.current?.update();
    status.refresh();
    runsView.refresh();
  };
  context.subscriptions.push(runsView, vscode.window.createTreeView('traindx.runs', { treeDataProvider: runsView, showCollapseAll: true }));
  // A run that stops writing raises no file event: look for silence now and then.
  const liveCheck = setInterval(() => workspace.checkLive(), 60_000);
  context.subscriptions.push({ dispose: () => clearInterval(liveCheck) });
  context.subscriptions.push(
    status,
    workspace.onDidChange(refreshViews),
    notebooks.onDidChange(refreshViews),
    vscode.commands.registerCommand(REVEAL_NOTEBOOK_RUN, (key: unknown) => typeof key === 'string' && notebooks.revealRun(key)),
  );
  /** The run to show for what the user is looking at: the active log's latest run, or the active notebook's. */
  const activeRunKey = (): string | undefined => {
    const notebook = vscode.window.activeNotebookEditor?.notebook.uri;
    const text = vscode.window.activeTextEditor?.document.uri;
    // A notebook cell's editor is the active text editor while the notebook is active.
    if (notebook && (!text || text.scheme === 'vscode-notebook-cell')) return notebooks.latestRunKey(notebook);
    return text && workspace.latestRunKey(text);
  };

  context.subscriptions.push(
    // From the Runs view, with the run's key; from the palette, on the log in the active editor.
    vscode.commands.registerCommand('traindx.showCurves', (runKey?: unknown) => {
      const panel = CurvePanel.show(context, runSource, reveal);
      const key = typeof runKey === 'string' ? runKey : activeRunKey();
      if (key) panel.select(key);
    }),
    // The panel follows the log or notebook the user is looking at.
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      const key = editor && activeRunKey();
      if (key) CurvePanel.current?.select(key);
    }),
    vscode.window.onDidChangeActiveNotebookEditor((editor) => {
      const key = editor && notebooks.latestRunKey(editor.notebook.uri);
      if (key) CurvePanel.current?.select(key);
    }),
    vscode.commands.registerCommand('traindx.analyzeWorkspace', async () => {
      await scan();
      await workspace.reanalyzeAll();
      const { runs, scripts: n, problems } = workspace.summary();
      void vscode.window.showInformationMessage(
        `TrainDx: ${problems} problem${problems === 1 ? '' : 's'} in ${runs} run${runs === 1 ? '' : 's'} and ${n} script${n === 1 ? '' : 's'}.`,
      );
    }),
    vscode.commands.registerCommand('traindx.linkLogToScript', () => linkLogToScript(workspace, config)),
    vscode.commands.registerCommand('traindx.fixAll', () => fixAllInEditor(parser, config)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('traindx.logs')) await scan();
      if (e.affectsConfiguration('traindx')) await workspace.reanalyzeAll();
    }),
  );

  return { workspace, ready, currentPanel: () => CurvePanel.current, runsView };
}

async function linkLogToScript(workspace: TrainingWorkspace, config: Config): Promise<void> {
  const logs = workspace.knownLogs();
  if (logs.length === 0) {
    void vscode.window.showInformationMessage('TrainDx: no training logs found in this workspace yet.');
    return;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const log = active && logs.some((l) => l.toString() === active.toString())
    ? active
    : (await vscode.window.showQuickPick(logs.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })), { placeHolder: 'Which training log?' }))?.uri;
  if (!log) return;
  const scripts = await vscode.workspace.findFiles('**/*.py', `{${config.logExclude.join(',')}}`, 2000);
  const script = await vscode.window.showQuickPick(
    scripts.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { placeHolder: `Which script wrote ${vscode.workspace.asRelativePath(log)}?` },
  );
  if (!script) return;
  await config.setLink(vscode.workspace.asRelativePath(log, false), vscode.workspace.asRelativePath(script.uri, false));
}

/**
 * Applies every safe fix (pure corrections, never fixes that change training) to the active Python
 * document, as one undoable edit over just the span that changed.
 */
async function fixAllInEditor(parser: PythonParser, config: Config): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  if (!document || document.languageId !== 'python') {
    void vscode.window.showInformationMessage('TrainDx: open a Python training script to fix its problems.');
    return;
  }
  const before = document.getText();
  const version = document.version;
  const result = fixAllSafe(parser, before, document.uri.fsPath, config.ignoredRules);
  const unsafe = result.remaining.filter((f) => f.fixes.some((x) => !x.safe)).length;
  const rest = unsafe > 0 ? ` ${unsafe} problem${unsafe === 1 ? '' : 's'} with fixes that change training are left for you to choose in the light bulb.` : '';
  if (result.applied.length === 0) {
    void vscode.window.showInformationMessage(`TrainDx: no safe fixes to apply.${rest}`);
    return;
  }
  if (document.version !== version) return; // edited meanwhile: the fixes were computed for other text
  let start = 0;
  while (start < before.length && start < result.text.length && before[start] === result.text[start]) start++;
  let end = 0;
  while (end < before.length - start && end < result.text.length - start && before[before.length - 1 - end] === result.text[result.text.length - 1 - end]) end++;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, new vscode.Range(document.positionAt(start), document.positionAt(before.length - end)), result.text.slice(start, result.text.length - end));
  await vscode.workspace.applyEdit(edit);
  const n = result.applied.length;
  void vscode.window.showInformationMessage(`TrainDx: applied ${n} safe fix${n === 1 ? '' : 'es'}.${rest}`);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
