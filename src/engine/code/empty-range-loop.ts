/**
 * `empty-range-loop`: a `for` loop over a range that is empty as written, so its body never runs: seed 000's
 * `for epoch in tqdm(range(start_index, start_index)):` (resuming training for zero epochs). Reported for
 * `range(a, a)` with the same start and stop expression, `range(0)` and negative literals, and literal
 * `range(n, m)` with n ≥ m (n ≤ m for a negative step).
 */

import type { CodeFinding, Fix } from '../types';
import { calleeName, descendants, lastSegment, namedChildren, positionalArguments, type SyntaxNode, type SyntaxTree } from './python';
import type { Rule, RuleContext } from './rule';
import { peelIterWrappers } from './training-loop';

/** Names that hold a number of epochs, in the order a fix prefers them. */
const EPOCH_COUNT_NAMES = ['number_of_epochs', 'num_epochs', 'n_epochs', 'epochs', 'max_epochs', 'num_train_epochs', 'total_epochs'];
const RANGE_FUNCTIONS = new Set(['range', 'trange']);
/** Node types whose value cannot change between evaluating start and stop. */
const PURE_TYPES = new Set(['identifier', 'attribute', 'integer', 'float', 'subscript', 'binary_operator', 'unary_operator', 'parenthesized_expression']);

export const emptyRangeLoop: Rule = {
  id: 'empty-range-loop',
  docs: 'docs/rules/empty-range-loop.md',
  severity: 'warning',
  fixable: true,
  check(ctx) {
    const findings: CodeFinding[] = [];
    for (const loop of descendants(ctx.root, 'for_statement')) {
      const iterable = loop.childForFieldName('right');
      if (!iterable) continue;
      const range = peelIterWrappers(iterable);
      if (range.type !== 'call') continue;
      const name = calleeName(range);
      if (name === null || !RANGE_FUNCTIONS.has(lastSegment(name)) || (name.includes('.') && !name.startsWith('tqdm'))) continue;
      const args = range.childForFieldName('arguments');
      if (!args || namedChildren(args).some((a) => a.type === 'keyword_argument' || a.type.endsWith('splat'))) continue;
      const why = emptiness(positionalArguments(range));
      if (why === null) continue;
      const target = loop.childForFieldName('left')?.text ?? '';
      const fix = boundFix(ctx, loop, range);
      findings.push(
        ctx.report({
          node: range,
          message: `\`${range.text}\` is empty (${why}), so the loop \`for ${target} in ...\` never runs`,
          fixes: fix ? [fix] : [],
        }),
      );
    }
    return findings;
  },
};

/** Why the range is empty, or null when it may not be. */
function emptiness(args: readonly SyntaxNode[]): string | null {
  if (args.length === 1) {
    const stop = integerValue(args[0]);
    return stop !== null && stop <= 0 ? `its stop is ${stop}` : null;
  }
  if (args.length !== 2 && args.length !== 3) return null;
  const [start, stop] = args;
  const step = args.length === 3 ? integerValue(args[2]) : 1;
  if (step === null || step === 0) return null;
  if (start.text === stop.text && isPure(start)) return `start and stop are both \`${start.text}\``;
  const a = integerValue(start);
  const b = integerValue(stop);
  if (a === null || b === null) return null;
  if (step > 0 && a >= b) return `start ${a} is not below stop ${b}`;
  if (step < 0 && a <= b) return `start ${a} is not above stop ${b} with step ${step}`;
  return null;
}

/** The value of an integer literal (`3`, `-1`, `0x10`, `1_000`), or null. */
function integerValue(node: SyntaxNode): number | null {
  if (node.type === 'integer') {
    const value = Number(node.text.replace(/_/g, ''));
    return Number.isSafeInteger(value) ? value : null;
  }
  if (node.type === 'unary_operator' && node.child(0)?.type === '-') {
    const operand = node.childForFieldName('argument');
    const value = operand ? integerValue(operand) : null;
    return value === null ? null : -value;
  }
  return null;
}

/** An expression made of names, literals and arithmetic only: evaluating it twice gives the same value. */
function isPure(node: SyntaxNode): boolean {
  if (!PURE_TYPES.has(node.type)) return false;
  return namedChildren(node).every((child) => child.type === 'comment' || isPure(child));
}

const epochCountCache = new WeakMap<SyntaxTree, { name: string; at: number }[]>();

/** Assignments to the epoch-count names in the file, collected once per tree. */
function epochCounts(root: SyntaxNode): { name: string; at: number }[] {
  let found = epochCountCache.get(root.tree);
  if (!found) {
    found = [];
    for (const assignment of descendants(root, 'assignment')) {
      const left = assignment.childForFieldName('left');
      if (left?.type === 'identifier' && EPOCH_COUNT_NAMES.includes(left.text)) found.push({ name: left.text, at: assignment.startIndex });
    }
    epochCountCache.set(root.tree, found);
  }
  return found;
}

/**
 * `range(a, a)` → `range(a, a + number_of_epochs)` when the loop counts epochs and the file assigns exactly
 * one epoch-count variable. Unsafe: it makes training run where it did not.
 */
function boundFix(ctx: RuleContext, loop: SyntaxNode, range: SyntaxNode): Fix | null {
  const args = positionalArguments(range);
  if (args.length !== 2 || args[0].text !== args[1].text || !isPure(args[0])) return null;
  const target = loop.childForFieldName('left');
  const countsEpochs = [target?.text ?? '', args[0].text].some((t) => t.toLowerCase().includes('epoch')) ||
    (target !== null && target.type === 'identifier' && args[0].text.toLowerCase().includes('start'));
  if (!countsEpochs) return null;
  const assigned = new Set(epochCounts(ctx.root).filter((a) => a.at < loop.startIndex).map((a) => a.name));
  if (assigned.size !== 1) return null;
  const count = [...assigned][0];
  const stop = args[1];
  const start = stop.type === 'binary_operator' ? `(${stop.text})` : stop.text;
  const newStop = `${start} + ${count}`;
  return {
    title: `Run \`${count}\` epochs: \`range(${args[0].text}, ${newStop})\``,
    safe: false,
    edits: [{ start: stop.startIndex, end: stop.endIndex, newText: newStop }],
  };
}
