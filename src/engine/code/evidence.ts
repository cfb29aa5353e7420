/**
 * Evidence-gated code rules: things a training script may well leave out (a learning-rate scheduler, early
 * stopping) that are worth saying only when the log the script wrote shows what leaving them out cost. They
 * never run in `analyzeCode`; `analyzeEvidence` runs them with the curve findings of a linked log.
 */

import type { LoggedRun } from '../link/link';
import type { CodeFinding } from '../types';
import { runRules, type AnalyzeCodeOptions } from './index';
import { noEarlyStopping } from './no-early-stopping';
import { noLrScheduler } from './no-lr-scheduler';
import type { PythonParser } from './python';
import type { Rule } from './rule';

/** A code rule that runs only when the linked log has one of the curve findings it names. */
export interface EvidenceRule extends Rule {
  /** Curve ids (`plateau`, `overfitting`) whose presence in the linked log lets the rule run. */
  readonly evidence: readonly string[];
}

/** Every evidence-gated rule, in the order they run. */
export const EVIDENCE_RULES: readonly EvidenceRule[] = [noLrScheduler, noEarlyStopping];

/**
 * Runs the evidence rules whose evidence `log` holds over a script, with the same suppression comments,
 * `ignore` option, fixable check and edit bounds as `analyzeCode` (through `runRules`). Findings come in
 * document order; a log with no such evidence costs no parse.
 */
export function analyzeEvidence(
  parser: PythonParser,
  script: { readonly file: string; readonly text: string },
  log: LoggedRun,
  options: AnalyzeCodeOptions = {},
): CodeFinding[] {
  const present = new Set(log.findings.map((f) => f.id));
  const evidence = { log: log.file, findings: log.findings, run: log.run };
  const rules = EVIDENCE_RULES.filter((rule) => rule.evidence.some((id) => present.has(id))).map(
    (rule): Rule => ({ ...rule, check: (ctx) => rule.check({ ...ctx, evidence }) }),
  );
  return runRules(rules, parser, script.text, script.file, options);
}
