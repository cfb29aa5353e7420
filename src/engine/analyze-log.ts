import { detectCurves, type DetectOptions } from './curves';
import { parseLog } from './logs';
import type { CurveFinding, Run } from './types';

/** One run and what the detectors found in it. */
export interface RunAnalysis {
  readonly run: Run;
  readonly findings: CurveFinding[];
}

export type LogAnalysis =
  | { readonly ok: true; readonly source: string; readonly format: string; readonly runs: RunAnalysis[]; readonly notes: string[] }
  | { readonly ok: false; readonly source: string; readonly reason: string };

/** Analyses the runs of a complete log: parse, then detect. */
export function analyzeLogText(text: string, source: string, options: DetectOptions = {}): LogAnalysis {
  const parsed = parseLog(text, source);
  if (!parsed.ok) return { ok: false, source, reason: parsed.reason };
  return { ok: true, source, format: parsed.format, notes: parsed.notes, runs: analyzeRuns(parsed.runs, options) };
}

/** Runs the detectors over already-parsed runs (the live path feeds parsers itself). */
export function analyzeRuns(runs: readonly Run[], options: DetectOptions = {}): RunAnalysis[] {
  return runs.map((run) => ({ run, findings: detectCurves(run, options) }));
}
