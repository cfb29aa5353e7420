import type { Run } from '../../src/engine/types';

/** One labelled run. `expect` lists the finding ids that must be reported (empty: a healthy control, where NO finding at all may be reported). */
export interface EvalCase {
  readonly name: string;
  readonly run: Run;
  readonly expect: readonly { id: string; onset?: number /* x (epoch, else step) where the pathology starts */; tolerance?: number }[];
  /** Finding ids that may appear without counting as false positives (a case whose pathology legitimately implies another). */
  readonly allow?: readonly string[];
}

/** Makes case number `index` with a seeded random source (uniform in [0, 1)). */
export type CaseGenerator = (random: () => number, index: number) => EvalCase;

export interface CaseFamily {
  readonly id: string;
  readonly generators: readonly CaseGenerator[];
}
