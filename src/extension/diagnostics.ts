import * as vscode from 'vscode';
import type { CodeFinding, CurveFinding, Related, Severity } from '../engine/types';
import type { Config } from './config';

export const SOURCE = 'TrainDx';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** Builds diagnostics from findings, applying the user's severity choices; `off` drops a finding. */
export class DiagnosticFactory {
  constructor(
    private readonly config: Config,
    private readonly extensionUri: vscode.Uri,
    private readonly resolve: (file: string) => vscode.Uri,
  ) {}

  /** A log finding covers its whole log line. */
  fromCurve(finding: CurveFinding): vscode.Diagnostic | undefined {
    const line = Math.max(0, (finding.line ?? 1) - 1);
    return this.make(finding.id, finding.severity, finding.message, new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), finding.related);
  }

  /** A code finding covers its exact range in the document the engine analysed. */
  fromCode(finding: CodeFinding, document: { positionAt(offset: number): vscode.Position }): vscode.Diagnostic | undefined {
    const range = new vscode.Range(document.positionAt(finding.start), document.positionAt(finding.end));
    return this.make(finding.id, finding.severity, finding.message, range, finding.related);
  }

  private make(id: string, severity: Severity, message: string, range: vscode.Range, related: readonly Related[]): vscode.Diagnostic | undefined {
    const chosen = this.config.severityOf(id);
    if (chosen === 'off') return undefined;
    const diagnostic = new vscode.Diagnostic(range, message, SEVERITY[chosen ?? severity]);
    diagnostic.source = SOURCE;
    diagnostic.code = { value: id, target: vscode.Uri.joinPath(this.extensionUri, 'dist', 'docs', 'rules', `${id}.md`) };
    diagnostic.relatedInformation = related.map((r) => {
      const line = Math.max(0, r.location.line - 1);
      const column = Math.max(0, (r.location.column ?? 1) - 1);
      const endLine = r.location.endLine !== undefined ? r.location.endLine - 1 : line;
      const endColumn = r.location.endColumn !== undefined ? r.location.endColumn - 1 : Number.MAX_SAFE_INTEGER;
      return new vscode.DiagnosticRelatedInformation(
        new vscode.Location(this.resolve(r.location.file), new vscode.Range(line, column, endLine, endColumn)),
        r.message,
      );
    });
    return diagnostic;
  }
}

/** The finding id a TrainDx diagnostic carries, or undefined for other sources' diagnostics. */
export function findingId(diagnostic: vscode.Diagnostic): string | undefined {
  if (diagnostic.source !== SOURCE) return undefined;
  const code = diagnostic.code;
  if (typeof code === 'object' && code !== null) return String(code.value);
  return code === undefined ? undefined : String(code);
}
