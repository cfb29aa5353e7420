import type { CaseFamily } from '../case';
import { family as divergence } from './divergence';
import { family as generalizationGap } from './generalization-gap';
import { family as healthy } from './healthy';
import { family as nonFinite } from './non-finite';
import { family as notLearning } from './not-learning';
import { family as oscillation } from './oscillation';
import { family as chanceLevel } from './chance-level';
import { family as lossMetricMismatch } from './loss-metric-mismatch';
import { family as stuckMetric } from './stuck-metric';
import { family as valBetterThanTrain } from './val-better-than-train';
import { family as overfitting } from './overfitting';
import { family as plateau } from './plateau';

/** Every case family the harness runs, one per file; each adds its own import line and entry. */
export const FAMILIES: readonly CaseFamily[] = [
  healthy,
  nonFinite,
  divergence,
  overfitting,
  generalizationGap,
  plateau,
  notLearning,
  oscillation,
  valBetterThanTrain,
  lossMetricMismatch,
  stuckMetric,
  chanceLevel,
];
