/**
 * `train-loader-no-shuffle`: the training `DataLoader` built without `shuffle=True` (PyTorch's default is
 * False), so every epoch sees the batches in the same order, often sorted by class or source.
 */

import type { CodeFinding, Fix } from '../types';
import {
  argumentList,
  descendants,
  dottedName,
  enclosingFunction,
  keywordArgument,
  lastSegment,
  parentOf,
  positionalArguments,
  type SyntaxNode,
} from './python';
import type { Rule } from './rule';
import { enclosingLoops, loopFacts, peelIterWrappers, type LoopFacts } from './training-loop';

/** Words that mark a loader as not the training one. */
const NOT_TRAINING = ['val', 'test', 'eval', 'dev', 'pred', 'infer', 'calib'];

export const trainLoaderNoShuffle: Rule = {
  id: 'train-loader-no-shuffle',
  docs: 'docs/rules/train-loader-no-shuffle.md',
  severity: 'warning',
  fixable: true,
  check(ctx) {
    const facts = loopFacts(ctx.root);
    const findings: CodeFinding[] = [];
    for (const call of descendants(ctx.root, 'call')) {
      if (!facts.isDataLoaderCall(call)) continue;
      const args = argumentList(call);
      if (!args.list || args.splat) continue;
      if (['sampler', 'batch_sampler'].some((k) => keywordArgument(call, k) !== null)) continue;
      const positional = positionalArguments(call);
      // DataLoader(dataset, batch_size, shuffle, sampler, batch_sampler, ...): a third positional is the shuffle.
      if (positional.length > 3) continue;
      const shuffle = keywordArgument(call, 'shuffle') ?? positional[2] ?? null;
      if (shuffle && shuffle.text !== 'False') continue;
      const dataset = keywordArgument(call, 'dataset') ?? positional[0] ?? null;
      if (!dataset || isIterableDataset(facts, dataset)) continue;
      const name = loaderName(call);
      if (!isTrainingLoader(facts, name, dataset)) continue;
      const fix = shuffleFix(shuffle, args.last);
      const who = name === null ? 'the training `DataLoader`' : `the training loader \`${name}\``;
      findings.push(
        ctx.report({
          node: shuffle ?? call.childForFieldName('function') ?? call,
          message: shuffle
            ? `${who} is built with \`shuffle=False\`: every epoch sees the batches in the same order`
            : `${who} is built without \`shuffle=True\` (the default is False): every epoch sees the batches in the same order`,
          fixes: fix ? [fix] : [],
        }),
      );
    }
    return findings;
  },
};

/** `train_loader` for `train_loader = DataLoader(...)`; the function's name for `return DataLoader(...)`. */
function loaderName(call: SyntaxNode): string | null {
  const parent = parentOf(call);
  if (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === call.id) return dottedName(parent.childForFieldName('left'));
  if (parent?.type === 'return_statement') return enclosingFunction(call)?.childForFieldName('name')?.text ?? null;
  return null;
}

/**
 * The training loader: one iterated by a loop that calls `backward()`, or one named (or built on a dataset
 * named) for training. A name that says val/test/eval wins over a dataset name.
 */
function isTrainingLoader(facts: LoopFacts, name: string | null, dataset: SyntaxNode): boolean {
  if (name !== null) {
    const last = lastSegment(name).toLowerCase();
    if (isIteratedByTraining(facts, name)) return true;
    if (NOT_TRAINING.some((w) => last.includes(w))) return false;
    if (last.includes('train')) return true;
  }
  const data = dataset.text.toLowerCase();
  return data.includes('train') && !NOT_TRAINING.some((w) => data.includes(w));
}

const trainingIterables = new WeakMap<LoopFacts, Set<string>>();

/** Whether a loop that calls `backward()` iterates `name` (names collected once per file). */
function isIteratedByTraining(facts: LoopFacts, name: string): boolean {
  let names = trainingIterables.get(facts);
  if (!names) {
    names = new Set();
    const seen = new Set<number>();
    for (const call of facts.backwardCalls()) {
      for (const loop of enclosingLoops(call)) {
        if (seen.has(loop.id) || loop.type !== 'for_statement') continue;
        seen.add(loop.id);
        const iterable = loop.childForFieldName('right');
        const iterated = iterable ? dottedName(peelIterWrappers(iterable)) : null;
        if (iterated !== null) names.add(iterated);
      }
    }
    trainingIterables.set(facts, names);
  }
  return names.has(name);
}

/** An `IterableDataset` cannot be shuffled by the loader (it raises): leave those alone. */
function isIterableDataset(facts: LoopFacts, dataset: SyntaxNode): boolean {
  const text = dataset.text.toLowerCase();
  if (text.includes('iterable') || text.includes('stream')) return true;
  const name = dottedName(dataset);
  const built = dataset.type === 'call' ? [dataset] : name === null ? [] : facts.assignedValues(name).filter((v) => v.type === 'call');
  for (const ctor of built) {
    if (ctor.text.toLowerCase().includes('stream') || ctor.text.toLowerCase().includes('iterable')) return true;
    const cls = facts.resolvedCallee(ctor);
    if (cls === null) continue;
    for (const def of classesNamed(facts, lastSegment(cls))) {
      if ((def.childForFieldName('superclasses')?.text ?? '').includes('IterableDataset')) return true;
    }
  }
  return false;
}

const classIndexes = new WeakMap<LoopFacts, Map<string, SyntaxNode[]>>();

/** The class definitions of the file named `name`, in document order (indexed once per file: every loader asks). */
function classesNamed(facts: LoopFacts, name: string): readonly SyntaxNode[] {
  let index = classIndexes.get(facts);
  if (!index) {
    index = new Map();
    for (const def of descendants(facts.root, 'class_definition')) {
      const defName = def.childForFieldName('name')?.text;
      if (defName === undefined) continue;
      const list = index.get(defName);
      if (list) list.push(def);
      else index.set(defName, [def]);
    }
    classIndexes.set(facts, index);
  }
  return index.get(name) ?? [];
}

/** `shuffle=False` → `shuffle=True`; no shuffle → `, shuffle=True` after the last argument. Unsafe: changes training. */
function shuffleFix(shuffle: SyntaxNode | null, last: SyntaxNode | null): Fix | null {
  if (shuffle) {
    return { title: 'Shuffle the training data: `shuffle=True`', safe: false, edits: [{ start: shuffle.startIndex, end: shuffle.endIndex, newText: 'True' }] };
  }
  if (!last) return null;
  return {
    title: 'Shuffle the training data: add `shuffle=True`',
    safe: false,
    edits: [{ start: last.endIndex, end: last.endIndex, newText: ', shuffle=True' }],
  };
}
