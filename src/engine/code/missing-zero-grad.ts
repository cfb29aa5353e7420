/**
 * `missing-zero-grad`: a loop that calls `backward()` and an optimizer `step()` but never clears the
 * gradients. PyTorch adds each backward's gradients to `.grad`, so every step uses the sum over all earlier
 * batches.
 */

import type { CodeFinding, Fix } from '../types';
import {
  descendants,
  dottedName,
  enclosingLoop,
  enclosingStatement,
  followingSiblings,
  lineEnding,
  methodName,
  methodReceiver,
  nextLineStart,
  statementIndentation,
  type SyntaxNode,
} from './python';
import type { Rule, RuleContext } from './rule';
import { enclosingLoops, loopFacts } from './training-loop';

export const missingZeroGrad: Rule = {
  id: 'missing-zero-grad',
  docs: 'docs/rules/missing-zero-grad.md',
  severity: 'warning',
  fixable: true,
  check(ctx) {
    const facts = loopFacts(ctx.root);
    const findings: CodeFinding[] = [];
    const reported = new Set<number>();
    for (const backward of facts.backwardCalls()) {
      const loops = enclosingLoops(backward);
      if (loops.length === 0 || reported.has(loops[0].id)) continue;
      const loop = loops[0];
      let step: SyntaxNode | undefined;
      let optimizer: SyntaxNode | null = null;
      for (const call of descendants(loop, 'call')) {
        if (methodName(call) !== 'step' || enclosingLoop(call)?.id !== loop.id) continue;
        optimizer = facts.optimizerOfStep(call);
        if (optimizer) {
          step = call;
          break;
        }
      }
      if (!step || !optimizer) continue;
      // Any way of clearing gradients anywhere in the outermost loop around this one counts (conservative).
      if (facts.reaches(loops[loops.length - 1], clearsGradients)) continue;
      reported.add(loop.id);
      const fix = zeroGradFix(ctx, step, optimizer);
      findings.push(
        ctx.report({
          node: step,
          message:
            `\`${step.text}\` follows \`${backward.text}\` in this loop (line ${ctx.locationOf(loop).line}) but nothing in it ` +
            'calls `zero_grad()`; gradients add up across iterations, so each step uses the sum of every earlier batch\'s gradients',
          related: [{ location: ctx.locationOf(backward), message: `\`${backward.text}\` accumulates into \`.grad\`` }],
          fixes: fix ? [fix] : [],
        }),
      );
    }
    return findings;
  },
};

/** `x.zero_grad(...)`, `p.grad = None`, `p.grad.zero_()`, `p.grad.data.zero_()` under `scope`. */
function clearsGradients(scope: SyntaxNode): boolean {
  for (const call of descendants(scope, 'call')) {
    const method = methodName(call);
    if (method === 'zero_grad') return true;
    if (method === 'zero_' && (methodReceiver(call)?.text ?? '').includes('.grad')) return true;
  }
  return descendants(scope, 'assignment').some((a) => {
    const left = a.childForFieldName('left');
    return left?.type === 'attribute' && left.childForFieldName('attribute')?.text === 'grad';
  });
}

/**
 * Inserts `<optimizer>.zero_grad()` on the line after the step, so the next batch starts from clean gradients
 * (inside the accumulation `if` when the step is there). Unsafe: it changes the trained weights.
 */
function zeroGradFix(ctx: RuleContext, step: SyntaxNode, optimizer: SyntaxNode): Fix | null {
  const { text } = ctx;
  const name = dottedName(optimizer);
  const statement = enclosingStatement(step);
  if (name === null || !statement || statement.type !== 'expression_statement' || statement.firstNamedChild?.id !== step.id) return null;
  const indent = statementIndentation(text, statement);
  const next = followingSiblings(statement).find((s) => s.type !== ';');
  if (indent === null || (next && next.type !== 'comment' && next.startPosition.row === statement.endPosition.row)) return null;
  const at = nextLineStart(text, statement.endIndex);
  const eol = lineEnding(text, statement.endIndex);
  const lead = at === text.length && !text.endsWith('\n') ? eol : '';
  return {
    title: `Clear gradients after each step: \`${name}.zero_grad()\``,
    safe: false,
    edits: [{ start: at, end: at, newText: `${lead}${indent}${name}.zero_grad()${eol}` }],
  };
}
