/**
 * Selecting a problem in the editor highlights its marker: when the cursor or selection in a log or a
 * script lands on a TrainDx diagnostic that one of the panel's markers shows, the panel emphasises it.
 */
import * as vscode from 'vscode';
import { findingId } from './diagnostics';
import { CurvePanel } from './panel';
import { highlightTargets, type DiagnosticPlace } from './run-data';

/** Cursor moves are followed after this pause (holding an arrow key sends one message, not dozens). */
export const SYNC_DELAY_MS = 100;

/** Follows the active editor's selection and keeps the open panel's highlighted markers in step. */
export function registerMarkerSync(context: vscode.ExtensionContext): void {
  context.subscriptions.push(new MarkerSync());
}

class MarkerSync implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private panelWatch: vscode.Disposable | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.disposables.push(
      vscode.window.onDidChangeTextEditorSelection(() => this.soon()),
      // Focus moving to the panel leaves no active text editor: the highlight stays as it was.
      vscode.window.onDidChangeActiveTextEditor((editor) => editor && this.soon()),
      CurvePanel.onDidCreate((panel) => this.watch(panel)),
    );
    if (CurvePanel.current) this.watch(CurvePanel.current);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.panelWatch?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** New data may renumber the markers (findings change wholesale), and a reloaded webview has forgotten the highlight. */
  private watch(panel: CurvePanel): void {
    this.panelWatch?.dispose();
    this.panelWatch = panel.onDidPost((message) => message.type !== 'highlight' && this.soon());
  }

  private soon(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sync();
    }, SYNC_DELAY_MS);
  }

  private sync(): void {
    const panel = CurvePanel.current;
    const editor = vscode.window.activeTextEditor;
    if (!panel || !editor) return;
    const { uri } = editor.document;
    panel.highlight(highlightTargets(panel.sentRuns, { uri: uri.toString(), path: uri.fsPath }, placesAt(editor)));
  }
}

/** The TrainDx diagnostics the editor's selections touch (at the cursor when nothing is selected). */
function placesAt(editor: vscode.TextEditor): DiagnosticPlace[] {
  const out: DiagnosticPlace[] = [];
  for (const diagnostic of vscode.languages.getDiagnostics(editor.document.uri)) {
    const id = findingId(diagnostic);
    if (id === undefined) continue;
    const touched = editor.selections.some((s) => (s.isEmpty ? diagnostic.range.contains(s.active) : diagnostic.range.intersection(s) !== undefined));
    if (touched) out.push({ id, line: diagnostic.range.start.line + 1, column: diagnostic.range.start.character + 1 });
  }
  return out;
}
