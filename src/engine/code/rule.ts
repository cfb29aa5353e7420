/**
 * The contract between the code engine and its rules: a rule declares its metadata and reports findings
 * through one context object; the engine owns ids, positions and the fixable check.
 */

import { LineIndex } from '../text';
import type { CodeFinding, CurveFinding, Fix, Location, Related, Run, Severity } from '../types';
import type { SyntaxNode, SyntaxTree } from './python';

/** What a rule sees of the file it checks. */
export interface RuleContext {
  /** The exact text analysed; every offset and edit refers to it. */
  readonly text: string;
  readonly tree: SyntaxTree;
  readonly root: SyntaxNode;
  /** The file name as the caller gave it, for related locations. */
  readonly file: string;
  /** Lines and columns of `text`. */
  readonly lines: LineIndex;
  /** Builds a finding of the current rule (`kind`, `id` and defaults filled in). */
  report(finding: ReportDescriptor): CodeFinding;
  /** A location in this file for a node, for `related` entries. */
  locationOf(node: SyntaxNode): Location;
  /**
   * The curve findings of the log linked to this file, that log's name as the caller gave it, and the run itself
   * when the caller has it. Present only when evidence rules run (`analyzeEvidence`); plain analysis never sees a log.
   */
  readonly evidence?: { readonly log: string; readonly findings: readonly CurveFinding[]; readonly run?: Run };
}

/** What a rule says about one problem. Ranges are UTF-16 offsets; `node` is shorthand for its range. */
export type ReportDescriptor = {
  readonly message: string;
  readonly severity?: Severity;
  readonly related?: readonly Related[];
  readonly fixes?: readonly Fix[];
} & ({ readonly node: SyntaxNode } | { readonly start: number; readonly end: number });

/** A code rule: one file under `src/engine/code/`, one doc page under `docs/rules/`. */
export interface Rule {
  /** Stable kebab-case id naming the problem, one of the ids in the architecture. */
  readonly id: string;
  /** Path of the documentation page, relative to the repository root. */
  readonly docs: string;
  /** Severity used when a report does not give one. */
  readonly severity: Severity;
  /** Whether the rule may offer fixes; the engine drops fixes from rules that did not declare it. */
  readonly fixable: boolean;
  check(ctx: RuleContext): CodeFinding[];
}

/** Creates the context one rule runs with. */
export function createRuleContext(
  rule: Rule,
  file: string,
  text: string,
  tree: SyntaxTree,
  lines: LineIndex,
): RuleContext {
  const locationOf = (node: SyntaxNode): Location => {
    const start = lines.positionAt(node.startIndex);
    const end = lines.positionAt(node.endIndex);
    return { file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  };
  return {
    text,
    tree,
    root: tree.rootNode,
    file,
    lines,
    locationOf,
    report(d: ReportDescriptor): CodeFinding {
      const start = 'node' in d ? d.node.startIndex : d.start;
      const end = 'node' in d ? d.node.endIndex : d.end;
      return {
        kind: 'code',
        id: rule.id,
        severity: d.severity ?? rule.severity,
        message: d.message,
        start,
        end,
        related: d.related ?? [],
        fixes: d.fixes ?? [],
      };
    },
  };
}
