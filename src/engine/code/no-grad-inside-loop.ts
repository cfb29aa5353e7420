/**
 * `no-grad-inside-loop`: `with torch.no_grad():` / `with torch.inference_mode():` entered as a statement of a
 * loop over a data loader, once per batch (seed 000's validation loop). It works, but re-enters the context
 * every batch and reads as if the loop's other statements were meant to keep gradients. The fix hoists the
 * `with` around the loop.
 */

import type { CodeFinding, Fix } from '../types';
import { descendants, lineEnding, lineStart, nextLineStart, parentOf, statementIndentation, type SyntaxNode } from './python';
import type { Rule, RuleContext } from './rule';
import { headerColon, isBlankLine, lineEnd, loopFacts, statementsOf, withItems, type LoopFacts } from './training-loop';

/** Calls that, moved under no_grad, would change what the loop trains. */
const TRAINING_CALLS = new Set(['backward', 'step', 'zero_grad', 'manual_backward']);

export const noGradInsideLoop: Rule = {
  id: 'no-grad-inside-loop',
  docs: 'docs/rules/no-grad-inside-loop.md',
  severity: 'info',
  fixable: true,
  check(ctx) {
    const facts = loopFacts(ctx.root);
    const findings: CodeFinding[] = [];
    for (const statement of descendants(ctx.root, 'with_statement')) {
      const items = withItems(statement);
      if (items.length !== 1 || !facts.isGradOff(items[0])) continue;
      const body = parentOf(statement);
      const loop = body?.type === 'block' ? parentOf(body) : null;
      if (!loop || loop.type !== 'for_statement' || loop.childForFieldName('body')?.id !== body?.id) continue;
      const iterable = loop.childForFieldName('right');
      if (!iterable || !facts.isLoaderIterable(iterable)) continue;
      // A loop that also trains needs its grad-free block per batch (metrics, EMA updates): not this problem.
      if (statementsOf(body).some((s) => s.id !== statement.id && trains(s, facts))) continue;
      const manager = items[0].text;
      const loopLine = ctx.locationOf(loop).line;
      const fix = hoistFix(ctx, loop, statement);
      findings.push(
        ctx.report({
          node: items[0],
          message:
            `\`with ${manager}:\` is entered once per batch inside the loop over \`${iterable.text}\` (line ${loopLine}); ` +
            'wrapping the whole loop in it once does the same work and shows that nothing in the loop needs gradients',
          related: [{ location: ctx.locationOf(loop), message: `the loop over \`${iterable.text}\`` }],
          fixes: fix ? [fix] : [],
        }),
      );
    }
    return findings;
  },
};

/**
 * Moves the `with` header above the loop and re-indents the loop's other statements to the with-body's
 * indentation:
 *
 *     for x, y in loader:               with torch.no_grad():
 *         x = x.to(device)          →       for x, y in loader:
 *         with torch.no_grad():                 x = x.to(device)
 *             out = model(x)                    out = model(x)
 *
 * Safe (a pure refactor) when the `with` is the loop's only statement: the same statements run in the same
 * grad mode; only the loader's `__next__` moves under it. Unsafe when other statements move under it too.
 * (Loops whose other statements train are not reported.) Not offered when the loop has an `else`,
 * contains `yield`/`await`, is `async`, or the layout is not one header per line.
 */
function hoistFix(ctx: RuleContext, loop: SyntaxNode, withStatement: SyntaxNode): Fix | null {
  const { text } = ctx;
  const body = loop.childForFieldName('body');
  const withBody = withStatement.childForFieldName('body');
  if (!body || !withBody || loop.childForFieldName('alternative')) return null;
  if (loop.children.some((c) => c?.type === 'async')) return null;
  if (descendants(loop, ['yield', 'await']).length > 0) return null;

  const loopIndent = statementIndentation(text, loop);
  const withIndent = statementIndentation(text, withStatement);
  const loopColon = headerColon(loop);
  const withColon = headerColon(withStatement);
  const firstInner = statementsOf(withBody)[0];
  if (loopIndent === null || withIndent === null || !loopColon || !withColon || !firstInner) return null;
  // One line per header, bodies on their own lines.
  if (loopColon.startPosition.row !== loop.startPosition.row || withColon.startPosition.row !== withStatement.startPosition.row) return null;
  if (withStatement.startPosition.row <= loop.startPosition.row || firstInner.startPosition.row <= withStatement.startPosition.row) return null;
  const innerIndent = statementIndentation(text, firstInner);
  if (innerIndent === null || !innerIndent.startsWith(withIndent) || innerIndent === withIndent) return null;

  const others = statementsOf(body).filter((s) => s.id !== withStatement.id);
  // Re-indented lines must not be inside a multi-line string (its text would change).
  if (others.some((s) => descendants(s, 'string').some((str) => str.startPosition.row !== str.endPosition.row))) return null;
  const shift = innerIndent.slice(withIndent.length);

  const eol = lineEnding(text, loop.startIndex);
  const start = lineStart(text, loop.startIndex);
  const bodyFrom = nextLineStart(text, loopColon.endIndex);
  const end = lineEnd(text, body.endIndex);
  const withHeaderLine = lineStart(text, withStatement.startIndex);
  const withHeaderEnd = lineEnd(text, withColon.endIndex);

  const out: string[] = [
    loopIndent + text.slice(withStatement.startIndex, withHeaderEnd),
    withIndent + text.slice(loop.startIndex, lineEnd(text, loopColon.endIndex)),
  ];
  for (let at = bodyFrom; at <= end; at = nextLineStart(text, at)) {
    const line = text.slice(at, lineEnd(text, at));
    if (at === withHeaderLine) continue; // the with header moved above the loop
    if (at > withHeaderEnd && at <= withStatement.endIndex) out.push(line); // the with's body keeps its indentation
    else out.push(isBlankLine(line) ? line : shift + line);
    if (lineEnd(text, at) >= end) break;
  }
  return {
    title: `Wrap the whole loop in \`with ${withItems(withStatement)[0].text}:\``,
    safe: others.length === 0,
    edits: [{ start, end, newText: out.join(eol) }],
  };
}

/** Whether a statement calls `backward()`, `step()` or `zero_grad()` (directly or through `self.manual_backward`). */
function trains(statement: SyntaxNode, facts: LoopFacts): boolean {
  return facts.reaches(statement, (scope) =>
    descendants(scope, 'call').some((call) => {
      const fn = call.childForFieldName('function');
      const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
      return name !== undefined && TRAINING_CALLS.has(name);
    }),
  );
}
