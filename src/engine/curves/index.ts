import type { CurveFinding, Run } from '../types';
import { collapse } from './collapse';
import { divergence } from './divergence';
import { generalizationGap } from './generalization-gap';
import { nonFinite } from './non-finite';
import { notLearning } from './not-learning';
import { overfitting } from './overfitting';
import { plateau } from './plateau';
import { chanceLevel } from './chance-level';
import { lossMetricMismatch } from './loss-metric-mismatch';
import { oscillation } from './oscillation';
import { stuckMetric } from './stuck-metric';
import { valBetterThanTrain } from './val-better-than-train';
import type { Detector, DetectorContext } from './detector';

export type { Detector, DetectorContext } from './detector';

/** Every curve detector, in the order their findings are listed. */
export const DETECTORS: readonly Detector[] = [nonFinite, divergence, collapse, overfitting, generalizationGap, plateau, notLearning, oscillation, valBetterThanTrain, lossMetricMismatch, stuckMetric, chanceLevel];

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
    if (ignore.has(detector.id)) continue;
    for (const finding of detector.detect(context)) findings.push(finding);
  }
  return findings.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}
