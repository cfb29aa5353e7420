import * as vscode from 'vscode';
import type { CodeFinding } from '../engine/types';
import { findingId } from './diagnostics';
import type { TrainingWorkspace } from './training-workspace';

/**
 * Offers the engine's fixes for TrainDx diagnostics. The fix is recomputed against the document as it
 * is now: when the text changed since the diagnostic was made and the finding is gone or moved, no
 * action is offered rather than an edit at a stale offset.
 */
export class FixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly workspace: TrainingWorkspace) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => findingId(d) !== undefined);
    if (ours.length === 0) return [];
    const findings = this.workspace.codeFindings(document);
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of ours) {
      const finding = findings.find((f) => f.id === findingId(diagnostic) && rangeOf(document, f).isEqual(diagnostic.range));
      if (!finding) continue;
      for (const fix of finding.fixes) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [diagnostic];
        // Fixes that change training (clipping, schedulers) are offered, never preferred.
        action.isPreferred = fix.safe;
        const edit = new vscode.WorkspaceEdit();
        for (const e of fix.edits) {
          edit.replace(document.uri, new vscode.Range(document.positionAt(e.start), document.positionAt(e.end)), e.newText);
        }
        action.edit = edit;
        actions.push(action);
      }
    }
    return actions;
  }
}

function rangeOf(document: vscode.TextDocument, finding: CodeFinding): vscode.Range {
  return new vscode.Range(document.positionAt(finding.start), document.positionAt(finding.end));
}
