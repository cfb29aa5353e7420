import type { CurveFinding, Run } from '../types';
import { collapse } from './collapse';
import type { Detector, DetectorContext } from './detector';

export type { Detector, DetectorContext } from './detector';

/** Every curve detector, in the order their findings are listed. */
export const DETECTORS: readonly Detector[] = [collapse];

export interface DetectOptions {
  /** Finding ids the user switched off. */
  readonly ignore?: readonly string[];
}

/** Runs every detector over a run; findings are sorted by where they start in the log. */
export function detectCurves(run: Run, options: DetectOptions = {}): CurveFinding[] {
  const byName = new Map(run.series.map((s) => [s.name, s]));
  const context: DetectorContext = { run, series: (name) => byName.get(name) };
  const ignore = new Set(options.ignore ?? []);
  const findings: CurveFinding[] = [];
  for (const detector of DETECTORS) {
    if (!ignore.has(detector.id)) findings.push(...detector.detect(context));
  }
  return findings.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}
