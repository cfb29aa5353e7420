import * as vscode from 'vscode';
import type { PythonParser } from '../engine/code/python';
import {
  analyzeNotebookModel,
  trainingLine,
  type CellCodeFinding,
  type CellRelated,
  type Notebook,
  type NotebookCell,
  type StreamChunk,
} from '../engine/notebook/index';
import type { CurveFinding, Related, Run } from '../engine/types';
import type { RunData } from '../protocol/messages';
import type { Config } from './config';
import { DiagnosticFactory, findingId } from './diagnostics';
import { toRunData } from './run-data';
import type { LatestRun, RunListing } from './training-workspace';

/** Where VS Code keeps a cell's stream outputs. Other output items (images, HTML) are never decoded. */
const STREAM_MIMES: Readonly<Record<string, string>> = {
  'application/vnd.code.notebook.stdout': 'stdout',
  'application/vnd.code.notebook.stderr': 'stderr',
};
/** Notebook kinds we analyse: `.ipynb` files, whichever extension serializes them. */
const NOTEBOOK_TYPES = new Set(['jupyter-notebook']);
/** Re-analysis waits for a pause in typing, and coalesces the output chunks of a running cell. */
const DEBOUNCE_MS = 300;

/** A run in a cell's output, as the curve panel lists it. */
interface NotebookRun {
  /** `<notebook uri>#cell<n>.<i>`: the 1-based cell and the run's place among the notebook's runs. */
  readonly key: string;
  readonly label: string;
  /** 0-based index of the cell whose output holds the run. */
  readonly cell: number;
  readonly run: Run;
  readonly findings: readonly CurveFinding[];
}

/** What one analysis of a notebook left: findings per cell document, at the versions they were computed for. */
interface NotebookState {
  readonly versions: ReadonlyMap<string, number>;
  /** Code findings by cell document URI, with offsets into that cell. */
  readonly code: ReadonlyMap<string, readonly CellCodeFinding[]>;
  /** Cell document URIs that received diagnostics, to clear them when cells go away. */
  readonly uris: readonly vscode.Uri[];
  /** The runs of the cells' outputs, in document order. */
  readonly runs: readonly NotebookRun[];
  /** Problems on the notebook's cells, curve and code. */
  readonly problems: number;
  /** Points in all its runs, and Date.now() when that number last changed (a cell's output grew), else 0. */
  readonly points: number;
  readonly updatedAt: number;
}

/**
 * TrainDx in the notebook editor: for each open Jupyter notebook, curve findings of a cell's output become
 * problems on that cell's code (on its `fit(` or loop line, else its first line), code findings become
 * problems on the cells they belong to (the code cells are analysed together, as the kernel runs them), and
 * their fixes are quick fixes. Outputs that grow while a cell runs are re-read as they grow.
 */
export class NotebookProblems implements vscode.Disposable, vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  private readonly diagnostics = vscode.languages.createDiagnosticCollection('traindx-notebooks');
  private readonly factory: DiagnosticFactory;
  private readonly states = new Map<string, NotebookState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after a notebook's runs or problems were published again. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly parser: PythonParser,
    private readonly config: Config,
    extensionUri: vscode.Uri,
  ) {
    // Related locations inside the notebook carry their cell document's URI as their file.
    this.factory = new DiagnosticFactory(config, extensionUri, (file) => (file.includes(':') && !/^[A-Za-z]:[\\/]/.test(file) ? vscode.Uri.parse(file) : vscode.Uri.file(file)));
    this.subscriptions.push(
      this.diagnostics,
      this.changed,
      vscode.workspace.onDidOpenNotebookDocument((nb) => this.schedule(nb, 0)),
      vscode.workspace.onDidChangeNotebookDocument((e) => this.schedule(e.notebook)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const nb = e.document.uri.scheme === 'vscode-notebook-cell' ? this.notebookOf(e.document.uri) : undefined;
        if (nb) this.schedule(nb);
      }),
      vscode.workspace.onDidCloseNotebookDocument((nb) => this.forget(nb)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('traindx')) vscode.workspace.notebookDocuments.forEach((nb) => this.schedule(nb, 0));
      }),
      vscode.languages.registerCodeActionsProvider({ scheme: 'vscode-notebook-cell', language: 'python' }, this, NotebookProblems.metadata),
      { dispose: () => this.timers.forEach(clearTimeout) },
    );
    for (const nb of vscode.workspace.notebookDocuments) this.analyze(nb);
  }

  dispose(): void {
    vscode.Disposable.from(...this.subscriptions).dispose();
  }

  private schedule(nb: vscode.NotebookDocument, delay = DEBOUNCE_MS): void {
    if (!NOTEBOOK_TYPES.has(nb.notebookType)) return;
    const key = nb.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      if (!nb.isClosed) this.analyze(nb);
    }, delay));
  }

  private notebookOf(cellUri: vscode.Uri): vscode.NotebookDocument | undefined {
    return vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document.uri.toString() === cellUri.toString()));
  }

  private forget(nb: vscode.NotebookDocument): void {
    const key = nb.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    for (const uri of this.states.get(key)?.uris ?? []) this.diagnostics.delete(uri);
    if (this.states.delete(key)) this.changed.fire();
  }

  /** Every open notebook's runs, for the curve panel. */
  runData(): RunData[] {
    return [...this.states.values()].flatMap((state) => state.runs.map((r) => ({ ...toRunData(r.run, r.findings, r.key), label: r.label })));
  }

  /** Every open notebook's runs, for the Runs view. */
  listRuns(): RunListing[] {
    return [...this.states].flatMap(([uri, state]) =>
      state.runs.map((r) => ({ key: r.key, label: r.label, uri: vscode.Uri.parse(uri), isFile: false, cell: r.cell, run: r.run, findings: r.findings })),
    );
  }

  /** The notebook run whose output grew last, for the status bar. */
  latest(): LatestRun | undefined {
    let best: [string, NotebookState] | undefined;
    for (const entry of this.states) if (entry[1].runs.length > 0 && (!best || entry[1].updatedAt > best[1].updatedAt)) best = entry;
    return best && { uri: vscode.Uri.parse(best[0]), run: best[1].runs.at(-1)!, updatedAt: best[1].updatedAt };
  }

  /** Problems on the open notebooks' cells. */
  problems(): number {
    let n = 0;
    for (const state of this.states.values()) n += state.problems;
    return n;
  }

  /** The key of a notebook's last run (the cell trained last in document order), if its outputs hold runs. */
  latestRunKey(notebook: vscode.Uri): string | undefined {
    return this.states.get(notebook.toString())?.runs.at(-1)?.key;
  }

  /**
   * Shows the cell whose output holds the run with `key` (a marker click in the panel). Returns false when the
   * key is not a notebook run's.
   */
  async revealRun(key: string): Promise<boolean> {
    for (const [uri, state] of this.states) {
      const run = state.runs.find((r) => r.key === key);
      if (!run) continue;
      const nb = vscode.workspace.notebookDocuments.find((d) => d.uri.toString() === uri);
      if (!nb || run.cell >= nb.cellCount) return true;
      const range = new vscode.NotebookRange(run.cell, run.cell + 1);
      const editor = await vscode.window.showNotebookDocument(nb, { viewColumn: vscode.ViewColumn.One, selections: [range] });
      editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
      return true;
    }
    return false;
  }

  /** Analyses a notebook as it is in the editor and publishes its problems. */
  private analyze(nb: vscode.NotebookDocument): NotebookState | undefined {
    if (!NOTEBOOK_TYPES.has(nb.notebookType)) return undefined;
    const cells = nb.getCells();
    const result = analyzeNotebookModel(notebookModel(nb), nb.uri.fsPath, this.parser, { ignore: this.config.ignoredRules });
    const cellUri = (index: number) => cells[index].document.uri.toString();
    const byCell = new Map<string, vscode.Diagnostic[]>(cells.map((c) => [c.document.uri.toString(), []]));
    const anchors = new Map<number, number>();
    const anchorOf = (index: number) => {
      let line = anchors.get(index);
      if (line === undefined) {
        line = trainingLine(this.parser, cells[index].document.getText());
        anchors.set(index, line);
      }
      return line;
    };
    // Related locations in the notebook become locations in cell documents; a line of a cell's output
    // points at the cell's training line, and says which output line it means.
    const related = (r: CellRelated): Related => {
      if (r.cell === undefined) return r;
      if (!r.output) return { message: r.message, location: { ...r.location, file: cellUri(r.cell) } };
      return { message: `output line ${r.location.line}: ${r.message}`, location: { file: cellUri(r.cell), line: anchorOf(r.cell) } };
    };

    for (const run of result.runs) {
      const line = anchorOf(run.cell);
      for (const f of run.findings) {
        const finding: CurveFinding = { ...f, line, message: `${f.message} (output line ${f.line ?? 1})`, related: f.related.map(related) };
        const diagnostic = this.factory.fromCurve(finding);
        if (diagnostic) byCell.get(cellUri(run.cell))!.push(diagnostic);
      }
    }
    const code = new Map<string, CellCodeFinding[]>();
    for (const f of result.code) {
      const uri = cellUri(f.cell);
      code.set(uri, [...(code.get(uri) ?? []), f]);
      const diagnostic = this.factory.fromCode({ ...f, related: f.related.map(related), fixes: [] }, cells[f.cell].document);
      if (diagnostic) byCell.get(uri)!.push(diagnostic);
    }

    const key = nb.uri.toString();
    const current = new Set(byCell.keys());
    for (const uri of this.states.get(key)?.uris ?? []) if (!current.has(uri.toString())) this.diagnostics.delete(uri);
    for (const cell of cells) this.diagnostics.set(cell.document.uri, byCell.get(cell.document.uri.toString())!);
    const name = vscode.workspace.asRelativePath(nb.uri);
    const perCell = new Map<number, number>();
    for (const r of result.runs) perCell.set(r.cell, (perCell.get(r.cell) ?? 0) + 1);
    const seen = new Map<number, number>();
    const runs = result.runs.map((r, i): NotebookRun => {
      const n = (seen.get(r.cell) ?? 0) + 1;
      seen.set(r.cell, n);
      const several = (perCell.get(r.cell) ?? 0) > 1 ? ` (run ${n})` : '';
      return { key: `${key}#cell${r.cell + 1}.${i}`, label: `${name} · cell ${r.cell + 1}${several}`, cell: r.cell, run: r.run, findings: r.findings };
    });
    const points = runs.reduce((n, r) => n + r.run.series.reduce((m, s) => m + s.length, 0), 0);
    const previous = this.states.get(key);
    const state: NotebookState = {
      versions: new Map(cells.map((c) => [c.document.uri.toString(), c.document.version])),
      code,
      uris: cells.map((c) => c.document.uri),
      runs,
      problems: [...byCell.values()].reduce((n, ds) => n + ds.length, 0),
      points,
      // Only output that grows while the notebook is open makes it the latest run (the status bar's).
      updatedAt: previous && previous.points !== points ? Date.now() : (previous?.updatedAt ?? 0),
    };
    this.states.set(key, state);
    this.changed.fire();
    return state;
  }

  /**
   * The fixes of TrainDx problems on a notebook cell, against the cells as they are now: a notebook edited
   * since its last analysis is analysed again first, and a finding that moved or went away offers nothing.
   */
  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => findingId(d) !== undefined);
    if (ours.length === 0) return [];
    const nb = this.notebookOf(document.uri);
    if (!nb) return [];
    let state = this.states.get(nb.uri.toString());
    const stale = !state || nb.getCells().some((c) => state!.versions.get(c.document.uri.toString()) !== c.document.version);
    if (stale) state = this.analyze(nb);
    const findings = state?.code.get(document.uri.toString()) ?? [];
    const cells = nb.getCells();
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of ours) {
      const finding = findings.find((f) => f.id === findingId(diagnostic) && new vscode.Range(document.positionAt(f.start), document.positionAt(f.end)).isEqual(diagnostic.range));
      if (!finding) continue;
      for (const fix of finding.fixes) {
        const target = cells[fix.cell]?.document;
        if (!target) continue;
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [diagnostic];
        // Fixes that change training (clipping) are offered, never preferred.
        action.isPreferred = fix.safe;
        const edit = new vscode.WorkspaceEdit();
        for (const e of fix.edits) edit.replace(target.uri, new vscode.Range(target.positionAt(e.start), target.positionAt(e.end)), e.newText);
        action.edit = edit;
        actions.push(action);
      }
    }
    return actions;
  }
}

/**
 * The engine's notebook model of an editor notebook: cells in order with their text, and for code cells the
 * stream outputs (stdout, stderr) in order. Only stream items are decoded; images and HTML are not touched.
 */
export function notebookModel(nb: vscode.NotebookDocument): Notebook {
  const decoder = new TextDecoder('utf-8');
  const cells: NotebookCell[] = nb.getCells().map((cell) => {
    const code = cell.kind === vscode.NotebookCellKind.Code;
    const streams: StreamChunk[] = [];
    if (code) {
      for (const output of cell.outputs) {
        for (const item of output.items) {
          const name = STREAM_MIMES[item.mime];
          if (name) streams.push({ name, text: decoder.decode(item.data) });
        }
      }
    }
    return {
      index: cell.index,
      // Code cells in another language (a `%%sql` cell VS Code shows as SQL) are not Python.
      kind: code ? (cell.document.languageId === 'python' ? 'code' : 'raw') : 'markdown',
      source: cell.document.getText(),
      executionCount: cell.executionSummary?.executionOrder ?? null,
      streams,
    };
  });
  return { language: 'python', cells };
}
