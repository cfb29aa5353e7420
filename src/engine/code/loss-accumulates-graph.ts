/**
 * `loss-accumulates-graph`: a running total or list of loss tensors kept across the iterations of a training
 * or evaluation loop (`total_loss += loss`, `total = total + loss`, `losses.append(loss)`) while gradients are
 * on. Each loss carries its autograd graph, and the total holds on to all of them: memory grows every batch
 * (the PyTorch FAQ's first example).
 */

import type { CodeFinding, Fix } from '../types';
import {
  calleeName,
  descendants,
  dottedName,
  enclosingFunction,
  enclosingLoop,
  firstSegment,
  keywordArgument,
  lastSegment,
  methodName,
  methodReceiverName,
  namedChildren,
  nodesWithin,
  parentOf,
  positionalArguments,
  type SyntaxNode,
  type SyntaxTree,
  writtenAssignment,
} from './python';
import type { Rule } from './rule';
import { loopFacts, type LoopFacts } from './training-loop';

/** Functions that need their argument to hold tensors: `torch.stack(losses)`, `torch.cat(losses)`. */
const TENSOR_ONLY_CALLS = new Set(['stack', 'cat', 'vstack', 'hstack', 'concat']);
/** Methods of a list accumulator that say nothing about its items. */
const LIST_METHODS = new Set(['append', 'extend', 'clear', 'pop']);

export const lossAccumulatesGraph: Rule = {
  id: 'loss-accumulates-graph',
  docs: 'docs/rules/loss-accumulates-graph.md',
  severity: 'warning',
  fixable: true,
  check(ctx) {
    const facts = loopFacts(ctx.root);
    const findings: CodeFinding[] = [];
    // Loops over data (a loader, or a loop that trains); each site belongs to its innermost loop.
    for (const loop of facts.dataLoops()) for (const site of accumulations(loop)) {
      if (enclosingLoop(site.statement)?.id !== loop.id) continue;
      const loss = lossTensor(facts, site.value, loop);
      if (!loss || facts.gradDisabled(site.statement) || facts.gradDisabled(loss.source)) continue;
      // A sum that is itself differentiated or handed back is meant to keep its graph.
      if (isDifferentiatedOrReturned(facts, site.target, site.statement)) continue;
      if (assignedInside(facts, site.target, loop)) continue;
      const fix = detachFix(facts, site, loss);
      const verb = site.kind === 'append' ? 'appends' : 'adds';
      const what = `${verb} the loss tensor \`${loss.name}\`, autograd graph included, to`;
      findings.push(
        ctx.report({
          node: site.value,
          message:
            `\`${site.statement.text}\` ${what} \`${site.target}\` on every iteration of the loop (line ${ctx.locationOf(loop).line}); ` +
            `\`${site.target}\` keeps every batch's graph alive and memory grows until the loop ends`,
          fixes: fix ? [fix] : [],
        }),
      );
    }
    return findings;
  },
};

interface Accumulation {
  readonly kind: 'add' | 'append';
  /** The statement (`total += loss`). */
  readonly statement: SyntaxNode;
  /** The accumulator's name (`total`, `self.losses`). */
  readonly target: string;
  /** The expression added or appended (`loss`, `criterion(out, y)`, `loss * x.size(0)`). */
  readonly value: SyntaxNode;
}

const SITE_TYPES = ['augmented_assignment', 'assignment', 'call'] as const;
const sitesByTree = new WeakMap<SyntaxTree, Map<number, Accumulation | null>>();

/**
 * `t += v`, `t = t + v`, `t.append(v)` statements under `root` (one type at a time: no sort). What each
 * statement is gets decided once per tree: an epoch loop and the batch loop inside it hold the same statements.
 */
function accumulations(root: SyntaxNode): Accumulation[] {
  let known = sitesByTree.get(root.tree);
  if (!known) sitesByTree.set(root.tree, (known = new Map()));
  const sites: Accumulation[] = [];
  for (const type of SITE_TYPES) {
    for (const node of descendants(root, type)) {
      let site = known.get(node.id);
      if (site === undefined) known.set(node.id, (site = accumulationAt(node, type)));
      if (site) sites.push(site);
    }
  }
  return sites;
}

/** The accumulation a node of one of `SITE_TYPES` is, or null. */
function accumulationAt(node: SyntaxNode, type: (typeof SITE_TYPES)[number]): Accumulation | null {
  if (type === 'call') {
    if (methodName(node) !== 'append') return null;
    const target = methodReceiverName(node);
    const args = target === null ? [] : positionalArguments(node);
    return target !== null && args.length === 1 && parentOf(node)?.type === 'expression_statement'
      ? { kind: 'append', statement: node, target, value: args[0] }
      : null;
  }
  // Most assignments are told from their source alone: the operator, and whether the value starts with the
  // target's first name (`total = total + loss` does).
  const written = writtenAssignment(node);
  if (type === 'augmented_assignment') {
    if (written) {
      const value = written.operator === '+=' ? node.childForFieldName('right') : null;
      return value ? { kind: 'add', statement: node, target: written.target, value } : null;
    }
    if (node.child(1)?.type !== '+=') return null;
    const target = dottedName(node.childForFieldName('left'));
    const value = node.childForFieldName('right');
    return target !== null && value ? { kind: 'add', statement: node, target, value } : null;
  }
  if (written && (written.operator !== '=' || (written.valueHead !== null && written.valueHead !== firstSegment(written.target)))) return null;
  const right = node.childForFieldName('right');
  if (right?.type !== 'binary_operator' || right.child(1)?.type !== '+') return null;
  const target = dottedName(node.childForFieldName('left'));
  const [l, r] = [right.childForFieldName('left'), right.childForFieldName('right')];
  return target !== null && l && r && dottedName(l) === target ? { kind: 'add', statement: node, target, value: r } : null;
}

/** The loss tensor inside `value`: the node to detach, and how the message names it. */
interface LossTensor {
  readonly node: SyntaxNode;
  readonly name: string;
  /** Whether the loss keeps one value per sample (`reduction='none'`): `.item()` would fail. */
  readonly unreduced: boolean;
  /** Where the loss is computed (the loss call). */
  readonly source: SyntaxNode;
}

/**
 * `value` is a loss tensor when it is (or is a product/quotient/sum with) a loss call or a name assigned from
 * one in the same loop: `loss`, `criterion(out, y)`, `loss * x.size(0)`.
 */
function lossTensor(facts: LoopFacts, value: SyntaxNode, loop: SyntaxNode): LossTensor | null {
  if (value.type === 'binary_operator') {
    for (const side of [value.childForFieldName('left'), value.childForFieldName('right')]) {
      const found = side && side.type !== 'binary_operator' ? lossTensor(facts, side, loop) : null;
      if (found) return found;
    }
    return null;
  }
  if (value.type === 'call') {
    return isLossCall(facts, value) ? { node: value, name: value.text, unreduced: isUnreduced(facts, value), source: value } : null;
  }
  if (value.type !== 'identifier') return null;
  const sources = nodesWithin(facts.assignedValues(value.text), loop).filter((v) => v.startIndex < value.startIndex);
  const last = sources[sources.length - 1];
  if (!last) return null;
  const call = last.type === 'binary_operator' ? lossCallIn(facts, last) : last.type === 'call' && isLossCall(facts, last) ? last : null;
  return call ? { node: value, name: value.text, unreduced: isUnreduced(facts, call), source: call } : null;
}

function lossCallIn(facts: LoopFacts, expr: SyntaxNode): SyntaxNode | null {
  for (const side of [expr.childForFieldName('left'), expr.childForFieldName('right')]) {
    if (side?.type === 'call' && isLossCall(facts, side)) return side;
  }
  return null;
}

/** `criterion(...)`, `loss_fn(...)`, `F.cross_entropy(...)`, `nn.MSELoss()(...)`, a name built from `nn.*Loss()`. */
function isLossCall(facts: LoopFacts, call: SyntaxNode): boolean {
  const name = calleeName(call);
  if (name === null) {
    const fn = call.childForFieldName('function');
    return fn?.type === 'call' && isLossConstructor(facts, fn);
  }
  const last = lastSegment(name).toLowerCase();
  if (['loss', 'entropy', 'criterion'].some((word) => last.includes(word))) return true;
  return facts.assignedValues(name).some((v) => v.type === 'call' && isLossConstructor(facts, v));
}

/** `nn.CrossEntropyLoss(...)` and the like. */
function isLossConstructor(facts: LoopFacts, call: SyntaxNode): boolean {
  const resolved = facts.resolvedCallee(call);
  return resolved !== null && lastSegment(resolved).endsWith('Loss');
}

/** `reduction='none'` on the call or on the constructor of the loss object it calls. */
function isUnreduced(facts: LoopFacts, call: SyntaxNode): boolean {
  const direct = keywordArgument(call, 'reduction');
  if (direct) return direct.text.includes('none');
  const name = calleeName(call);
  const ctor = name === null ? call.childForFieldName('function') : facts.assignedValues(name).find((v) => v.type === 'call');
  const reduction = ctor?.type === 'call' ? keywordArgument(ctor, 'reduction') : null;
  return reduction !== null && reduction.text.includes('none');
}

/** `total.backward()`, `torch.stack(losses).mean().backward()`, `return total` in the same function. */
function isDifferentiatedOrReturned(facts: LoopFacts, target: string, at: SyntaxNode): boolean {
  if (facts.differentiatedNames().has(target)) return true;
  const fn = enclosingFunction(at);
  return fn !== null && descendants(fn, 'return_statement').some((r) =>
    descendants(r, ['identifier', 'attribute']).some((n) => dottedName(n) === target));
}

/** Whether the accumulator is (re)set inside the loop, making it a per-iteration sum rather than a running one. */
function assignedInside(facts: LoopFacts, target: string, loop: SyntaxNode): boolean {
  return nodesWithin(facts.assignedValues(target), loop).some((v) => !isSelfSum(v, target));
}

function isSelfSum(value: SyntaxNode, target: string): boolean {
  return value.type === 'binary_operator' && dottedName(value.childForFieldName('left')) === target;
}

/**
 * `loss` → `loss.item()` when the accumulator is only used as a number (safe: the same value, without the
 * graph); `loss.detach()` when it is used as a tensor later (`total.item()`, `torch.stack(losses)`) or the
 * loss is unreduced (safe too: the same tensor without its graph).
 */
function detachFix(facts: LoopFacts, site: Accumulation, loss: LossTensor): Fix | null {
  const usedAsTensor = loss.unreduced || usedAsTensorLater(facts, site.target, site.kind);
  const method = usedAsTensor ? 'detach' : 'item';
  const node = loss.node;
  const needsParens = node.type !== 'identifier' && node.type !== 'call' && node.type !== 'attribute';
  const newText = needsParens ? `(${node.text}).${method}()` : `${node.text}.${method}()`;
  return {
    title: `Accumulate \`${newText}\` instead of the loss tensor`,
    safe: true,
    edits: [{ start: node.startIndex, end: node.endIndex, newText }],
  };
}

const stackedCache = new WeakMap<LoopFacts, Set<string>>();

/** Names passed to `torch.stack`/`torch.cat` and the like (`torch.stack(losses)`, `torch.cat([a, b])`), once per file. */
function stackedNames(facts: LoopFacts): Set<string> {
  let names = stackedCache.get(facts);
  if (!names) {
    names = new Set();
    for (const call of descendants(facts.root, 'call')) {
      const name = calleeName(call);
      if (name === null || !TENSOR_ONLY_CALLS.has(lastSegment(name))) continue;
      for (const arg of positionalArguments(call)) {
        for (const n of [arg, ...namedChildren(arg)]) {
          const dotted = dottedName(n);
          if (dotted !== null) names.add(dotted);
        }
      }
    }
    stackedCache.set(facts, names);
  }
  return names;
}

/** Whether the accumulator is used as a tensor somewhere: a method called on it, or `torch.stack(it)`. */
function usedAsTensorLater(facts: LoopFacts, target: string, kind: Accumulation['kind']): boolean {
  for (const method of facts.attributesOf(target)) if (kind !== 'append' || !LIST_METHODS.has(method)) return true;
  return stackedNames(facts).has(target);
}
