/**
 * `eval-mode-leak`: `model.eval()` inside the epoch loop with no `model.train()` anywhere in that loop, so
 * from the second epoch on the model trains in evaluation mode (dropout off, batch-norm statistics frozen).
 * Reported only for a model whose parameters an optimizer of this file updates, so a frozen teacher's
 * `teacher.eval()` is left alone.
 */

import type { CodeFinding, Fix } from '../types';
import {
  descendants,
  keywordArgument,
  lineEnding,
  lineStart,
  methodName,
  methodReceiverName,
  namedChildren,
  positionalArguments,
  statementIndentation,
  type SyntaxNode,
} from './python';
import type { Rule, RuleContext } from './rule';
import { enclosingLoops, loopFacts, statementsOf, type LoopFacts } from './training-loop';

export const evalModeLeak: Rule = {
  id: 'eval-mode-leak',
  docs: 'docs/rules/eval-mode-leak.md',
  severity: 'warning',
  fixable: true,
  check(ctx) {
    const facts = loopFacts(ctx.root);
    const findings: CodeFinding[] = [];
    for (const call of descendants(ctx.root, 'call')) {
      if (methodName(call) !== 'eval' || !hasNoArguments(call)) continue;
      const model = methodReceiverName(call);
      if (model === null) continue;
      // The epoch loop: the innermost loop around the eval call that trains (directly or through a local function).
      const loop = enclosingLoops(call).find((l) => facts.reaches(l, (scope) => facts.containsBackward(scope)));
      if (!loop || !isOptimized(facts, model)) continue;
      if (facts.reaches(loop, (scope) => switchesToTrain(scope, model))) continue;
      const fix = trainFix(ctx, loop, model);
      findings.push(
        ctx.report({
          node: call,
          message:
            `\`${call.text}\` runs inside the epoch loop (line ${ctx.locationOf(loop).line}) and nothing in that loop calls ` +
            `\`${model}.train()\`; from the second epoch on, training runs with dropout off and batch-norm statistics frozen`,
          related: [{ location: ctx.locationOf(loop), message: 'the epoch loop' }],
          fixes: fix ? [fix] : [],
        }),
      );
    }
    return findings;
  },
};

function hasNoArguments(call: SyntaxNode): boolean {
  const args = call.childForFieldName('arguments');
  return args !== null && args.type === 'argument_list' && namedChildren(args).every((a) => a.type === 'comment');
}

/** `m.train()` / `m.train(True)` / `m.train(mode=True)` under `scope`, on `model`, a part of it, or what holds it. */
function switchesToTrain(scope: SyntaxNode, model: string): boolean {
  return descendants(scope, 'call').some((call) => {
    if (methodName(call) !== 'train') return false;
    const receiver = methodReceiverName(call);
    if (receiver === null || !related(receiver, model)) return false;
    const mode = positionalArguments(call)[0] ?? keywordArgument(call, 'mode');
    return !mode || mode.text === 'True';
  });
}

/** `model` and `model.encoder` (or `self` and `self.model`) may be the same module tree: treat them as one. */
function related(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

/** Whether an optimizer of this file updates `model`'s parameters (or a part's, or those of what holds it). */
function isOptimized(facts: LoopFacts, model: string): boolean {
  return facts.optimizedModules().some((m) => related(m, model));
}

/** Inserts `<model>.train()` as the first statement of the epoch loop. Unsafe: later epochs train differently. */
function trainFix(ctx: RuleContext, loop: SyntaxNode, model: string): Fix | null {
  const { text } = ctx;
  const first = statementsOf(loop.childForFieldName('body'))[0];
  if (!first || first.startPosition.row === loop.startPosition.row) return null;
  const indent = statementIndentation(text, first);
  if (indent === null) return null;
  const at = lineStart(text, first.startIndex);
  return {
    title: `Switch back to training mode at the start of each epoch: \`${model}.train()\``,
    safe: false,
    edits: [{ start: at, end: at, newText: `${indent}${model}.train()${lineEnding(text, first.startIndex)}` }],
  };
}
