import * as vscode from 'vscode';
import type { LatestRun } from './training-workspace';

/** Where the status bar item reads from: the logs' runs and the open notebooks' together. */
export interface StatusSource {
  /** The run that gained points last. */
  latest(): LatestRun | undefined;
  /** Problems in the workspace: logs, scripts and notebooks. */
  problems(): number;
}

/** A log that gained data this recently counts as a live run. */
const LIVE_WINDOW_MS = 60_000;

/**
 * The status bar item: the latest run, its last epoch (or step), the number of problems, and whether
 * the run is still writing. Clicking it opens the curve panel.
 */
export class TrainingStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('traindx.status', vscode.StatusBarAlignment.Left, 50);
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly source: StatusSource) {
    this.item.name = 'TrainDx';
    this.item.command = 'traindx.showCurves';
    // Live turns into idle without any event: re-check now and then.
    this.timer = setInterval(() => this.refresh(), 15_000);
    this.refresh();
  }

  refresh(): void {
    const latest = this.source.latest();
    if (!latest) {
      this.item.hide();
      return;
    }
    const { run, findings } = latest.run;
    let epoch = NaN;
    let step = NaN;
    for (const s of run.series) {
      if (s.length === 0) continue;
      epoch = Math.max(Number.isNaN(epoch) ? -Infinity : epoch, s.epoch[s.length - 1]);
      step = Math.max(Number.isNaN(step) ? -Infinity : step, s.step[s.length - 1]);
    }
    const position = Number.isFinite(epoch) ? `epoch ${epoch}` : Number.isFinite(step) ? `step ${step}` : '';
    const problems = this.source.problems();
    const live = Date.now() - latest.updatedAt < LIVE_WINDOW_MS;
    const name = vscode.workspace.asRelativePath(latest.uri);
    this.item.text = [
      live ? '$(pulse)' : '$(graph-line)',
      name.split('/').pop(),
      position,
      problems > 0 ? `$(warning) ${problems}` : '$(check)',
    ].filter(Boolean).join(' ');
    this.item.tooltip = `TrainDx: ${name}${position ? `, ${position}` : ''}${live ? ' (live)' : ''}; ` +
      `${findings.length} problem${findings.length === 1 ? '' : 's'} in this run, ${problems} in the workspace. Click for the curves.`;
    this.item.show();
  }

  dispose(): void {
    clearInterval(this.timer);
    this.item.dispose();
  }
}
