/**
 * `analyzeProject`: the code rules over a training script and the local modules it imports. A finding goes
 * in the file where the change belongs (the softmax in `model.py`'s `forward`), with related information
 * pointing at the other file (the loss in `train.py`).
 */

import type { CodeFinding } from '../types';
import { RULES, runRules, type AnalyzeCodeOptions } from './index';
import { isProjectRule, Project, SourceFile, type ModuleResolver, type ProjectSource } from './project';
import type { PythonParser } from './python';
import type { Rule } from './rule';

/**
 * Runs every rule over `entry`, with the project rules following its local imports through `resolve`.
 * The result maps file names to findings, in document order: the entry (always present, with the same
 * findings `analyzeCode` gives plus those that needed the other files) and each imported file that received
 * a finding because of what the entry does with it. Findings an imported file has on its own come from
 * analysing that file (`analyzeCode`); merge by file when showing both. Suppression comments, the fixable
 * check and the edit bounds apply in each file as in `analyzeCode`.
 */
export function analyzeProject(
  parser: PythonParser,
  entry: ProjectSource,
  resolve: ModuleResolver,
  options: AnalyzeCodeOptions = {},
  rules: readonly Rule[] = RULES,
): Map<string, CodeFinding[]> {
  let project: Project | undefined;
  /** Findings for files other than the entry, by file, then by rule. */
  const elsewhere = new Map<string, Map<Rule, CodeFinding[]>>();
  try {
    const entryRules = rules.map((rule): Rule => {
      if (!isProjectRule(rule)) return rule;
      return {
        ...rule,
        check(ctx) {
          project ??= new Project(new SourceFile(ctx.file, ctx.text, ctx.tree, ctx.lines), parser, resolve);
          const mine: CodeFinding[] = [];
          for (const { file, finding } of rule.checkProject(project)) {
            if (file === ctx.file) {
              mine.push(finding);
              continue;
            }
            const byRule = elsewhere.get(file) ?? new Map<Rule, CodeFinding[]>();
            byRule.set(rule, [...(byRule.get(rule) ?? []), finding]);
            elsewhere.set(file, byRule);
          }
          return mine;
        },
      };
    });
    const result = new Map<string, CodeFinding[]>([[entry.file, runRules(entryRules, parser, entry.text, entry.file, options)]]);
    const texts = new Map((project?.files() ?? []).map((f) => [f.file, f.text]));
    for (const [file, byRule] of elsewhere) {
      const text = texts.get(file);
      if (text === undefined) continue;
      // The same per-file pipeline as the entry (suppressions, fixable check, edit bounds, order), over
      // findings already computed: each stand-in rule hands back its rule's findings for this file.
      const standIns = [...byRule].map(([rule, findings]): Rule => ({ ...rule, check: () => findings }));
      const found = runRules(standIns, parser, text, file, options);
      if (found.length > 0) result.set(file, found);
    }
    return result;
  } finally {
    project?.dispose();
  }
}
