import * as vscode from 'vscode';
import { pointLabel } from '../engine/curves/detector';
import type { CurveFinding, Severity } from '../engine/types';
import type { RunListing } from './training-workspace';

/** A node of the Runs view: a run, or one of its findings. */
export type RunsNode =
  | { readonly kind: 'run'; readonly run: RunListing }
  | { readonly kind: 'finding'; readonly run: RunListing; readonly finding: CurveFinding };

const SEVERITY_ICON: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'info', hint: 'lightbulb' };

/** The command that shows the notebook cell whose output holds a run (the run's key as argument). */
export const REVEAL_NOTEBOOK_RUN = 'traindx.revealNotebookRun';

/**
 * The Explorer's "Training Runs" view: runs (of logs and of notebook cells' outputs), then their findings. A run
 * opens the curve panel on it; a finding reveals its log line, or the cell whose output shows it.
 */
export class RunsView implements vscode.TreeDataProvider<RunsNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly runs: () => RunListing[]) {}

  refresh(): void {
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) {
      return this.runs()
        .sort((a, b) => a.label.localeCompare(b.label))
        .map((run) => ({ kind: 'run', run }));
    }
    if (node.kind === 'run') return node.run.findings.map((finding) => ({ kind: 'finding', run: node.run, finding }));
    return [];
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'run') {
      const { run, findings, label, key } = node.run;
      const longest = run.series.reduce((best, s) => (s.length > (best?.length ?? -1) ? s : best), run.series[0]);
      const position = longest && longest.length > 0 ? pointLabel(longest, longest.length - 1) : 'no points yet';
      const problems = findings.filter((f) => f.severity === 'error' || f.severity === 'warning').length;
      const item = new vscode.TreeItem(label, findings.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      item.id = key;
      item.description = `${position} · ${problems === 0 ? 'no problems' : `${problems} problem${problems === 1 ? '' : 's'}`}`;
      item.tooltip = `${label}: ${run.format}, ${run.series.map((s) => s.name).join(', ')}`;
      item.iconPath = new vscode.ThemeIcon(problems > 0 ? 'warning' : 'graph-line');
      item.contextValue = 'traindx.run';
      item.command = { command: 'traindx.showCurves', title: 'Show Training Curves', arguments: [key] };
      return item;
    }
    const { finding, run } = node;
    const item = new vscode.TreeItem(finding.id, vscode.TreeItemCollapsibleState.None);
    item.id = `${run.key}|${finding.id}|${finding.metric}|${finding.line ?? ''}`;
    item.description = finding.message;
    item.tooltip = new vscode.MarkdownString().appendText(finding.message);
    item.iconPath = new vscode.ThemeIcon(SEVERITY_ICON[finding.severity]);
    if (run.cell !== undefined) {
      item.command = { command: REVEAL_NOTEBOOK_RUN, title: 'Reveal the cell', arguments: [run.key] };
    } else if (run.isFile && finding.line !== null) {
      const position = new vscode.Position(finding.line - 1, 0);
      item.command = {
        command: 'vscode.open',
        title: 'Reveal in the log',
        arguments: [run.uri, { selection: new vscode.Range(position, position) } satisfies vscode.TextDocumentShowOptions],
      };
    }
    return item;
  }
}
