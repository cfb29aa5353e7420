/**
 * The code engine: parses a training script once, runs every registered rule over the tree, and returns
 * the findings in document order.
 */

import { LineIndex } from '../text';
import type { CodeFinding, Fix } from '../types';
import { descendants, type PythonParser, type SyntaxNode } from './python';
import { rnnNoGradClip } from './rnn-no-grad-clip';
import { extremeDropout } from './extreme-dropout';
import { sigmoidBce } from './sigmoid-bce';
import { singleUnitSoftmax } from './single-unit-softmax';
import { softmaxBeforeCe } from './softmax-before-ce';
import { emptyRangeLoop } from './empty-range-loop';
import { evalModeLeak } from './eval-mode-leak';
import { lossAccumulatesGraph } from './loss-accumulates-graph';
import { missingZeroGrad } from './missing-zero-grad';
import { noGradInsideLoop } from './no-grad-inside-loop';
import { trainLoaderNoShuffle } from './train-loader-no-shuffle';
import { createRuleContext, type Rule } from './rule';

/** Every code rule, in the order they run. */
export const RULES: readonly Rule[] = [rnnNoGradClip, noGradInsideLoop, emptyRangeLoop, missingZeroGrad, evalModeLeak, lossAccumulatesGraph, trainLoaderNoShuffle, softmaxBeforeCe, sigmoidBce, singleUnitSoftmax, extremeDropout];

export interface AnalyzeCodeOptions {
  /** Rule ids not to run. */
  readonly ignore?: readonly string[];
}

/**
 * Runs all registered rules over `text` (the file's content, exactly as it will be edited). Findings on a
 * line carrying `# traindx: ignore[rule-id]` for their rule are dropped; fixes from rules that are not
 * declared fixable are dropped.
 */
export function analyzeCode(parser: PythonParser, text: string, file: string, options: AnalyzeCodeOptions = {}): CodeFinding[] {
  return runRules(RULES, parser, text, file, options);
}

/** `analyzeCode` over a given rule list (tests use it with stand-in rules). */
export function runRules(
  all: readonly Rule[],
  parser: PythonParser,
  text: string,
  file: string,
  options: AnalyzeCodeOptions = {},
): CodeFinding[] {
  const skip = new Set(options.ignore ?? []);
  const rules = all.filter((rule) => !skip.has(rule.id));
  if (rules.length === 0) return [];
  return parser.withTree(text, (tree) => {
    const lines = new LineIndex(text);
    const suppressed = suppressions(descendants(tree.rootNode, 'comment'), lines);
    const findings: CodeFinding[] = [];
    for (const rule of rules) {
      const ctx = createRuleContext(rule, file, text, tree, lines);
      for (const finding of rule.check(ctx)) {
        if (suppressed.get(lines.positionAt(finding.start).line)?.has(finding.id)) continue;
        const fixes = rule.fixable ? finding.fixes.filter((fix) => editsFit(fix, text.length)) : [];
        findings.push(fixes.length === finding.fixes.length ? finding : { ...finding, fixes });
      }
    }
    return findings.sort((a, b) => a.start - b.start || a.end - b.end || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  });
}

const IGNORE_DIRECTIVE = /traindx:\s*ignore\[([^\]]*)\]/g;

/** 1-based line → rule ids silenced there, from `# traindx: ignore[a, b]` comments. */
function suppressions(comments: readonly SyntaxNode[], lines: LineIndex): Map<number, Set<string>> {
  const byLine = new Map<number, Set<string>>();
  for (const comment of comments) {
    // Only the comment's own text is matched here; code is never read with patterns.
    for (const match of comment.text.matchAll(IGNORE_DIRECTIVE)) {
      const line = lines.positionAt(comment.startIndex).line;
      const ids = byLine.get(line) ?? new Set<string>();
      for (const id of match[1].split(',')) if (id.trim()) ids.add(id.trim());
      byLine.set(line, ids);
    }
  }
  return byLine;
}

/** A fix is kept only when its edits lie inside the text and do not overlap. */
function editsFit(fix: Fix, length: number): boolean {
  const edits = [...fix.edits].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const edit of edits) {
    if (edit.start < at || edit.end < edit.start || edit.end > length) return false;
    at = edit.end;
  }
  return true;
}
