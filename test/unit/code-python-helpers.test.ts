/**
 * The tree helpers of `python.ts` answer from per-tree indexes (node lists by type, definitions and loops by
 * offsets, memoised arguments and names) instead of walking the tree each time. These tests hold every answer
 * to the plain walk it replaces, for every node of the code fixtures and of snippets chosen for the edge
 * cases of offsets: one-line bodies, a block as long as the one function it holds, decorators, lambdas,
 * nested loops and classes, `async`, and broken code with MISSING and ERROR nodes.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  argumentList,
  assignedValues,
  assignmentsTo,
  calleeName,
  contains,
  containsAnyOf,
  descendants,
  dottedName,
  enclosingClass,
  enclosingFunction,
  enclosingLoop,
  keywordArgument,
  methodName,
  methodReceiver,
  methodReceiverName,
  nodesWithin,
  patternAssignmentsTo,
  parentOf,
  positionalArguments,
  type PythonParser,
  type SyntaxNode,
} from '../../src/engine/code/python';
import { importItems, readImports } from '../../src/engine/code/imports';
import { importedModuleNames } from '../../src/engine/code/project';
import { enclosingLoops } from '../../src/engine/code/training-loop';
import { allNodes, py, sharedParser } from './code-rule-tables';
import { codeFixturePaths, fixture } from './fixtures';

let parser: PythonParser;
before(async () => {
  parser = await sharedParser();
});

// ---------------------------------------------------------------------------------------------------------------
// References: the plain walks over `node.parent` and `children`

function ancestor(node: SyntaxNode, match: (type: string) => boolean, stop: (type: string) => boolean = () => false): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) {
    if (match(p.type)) return p;
    if (stop(p.type)) return null;
  }
  return null;
}

const LOOPS = new Set(['for_statement', 'while_statement']);
const SCOPES = new Set(['function_definition', 'class_definition', 'lambda', 'module']);

function referenceLoops(node: SyntaxNode): number[] {
  const loops: number[] = [];
  const fn = ancestor(node, (t) => t === 'function_definition');
  for (let p = node.parent; p && p.id !== fn?.id; p = p.parent) {
    if (LOOPS.has(p.type)) loops.push(p.id);
    if (p.type === 'lambda' || p.type === 'class_definition') break;
  }
  return loops;
}

const id = (node: SyntaxNode | null | undefined): number | null => node?.id ?? null;
const ids = (nodes: readonly SyntaxNode[]): number[] => nodes.map((n) => n.id);

// ---------------------------------------------------------------------------------------------------------------
// Texts

const SNIPPETS: Record<string, string> = {
  'one-line bodies and a lambda inside a loop': py(
    'for x in loader: f(x); g = lambda y: [z for z in y]',
    'while True: break',
    'def f(a=g(), *, b=lambda: h()): return a',
  ),
  'a block as long as the one function it holds': py(
    'class A:',
    '    def f(self):',
    '        def g():',
    '            for i in range(3):',
    '                pass',
  ),
  'decorators, async, nested classes': py(
    'import torch',
    '@torch.no_grad()',
    'async def evaluate(model, loader):',
    '    async for x, y in loader:',
    '        with torch.no_grad():',
    '            out = model(x)',
    '    class Inner(Base(k=1)):',
    '        def m(self): return [self.x for _ in range(2)]',
    '    return out',
  ),
  'loops in loops in functions in loops': py(
    'for epoch in range(3):',
    '    def step(batch):',
    '        for p in params:',
    '            while p.grad is None:',
    '                p.grad = 0',
    '        return lambda: [q for q in params]',
    '    for batch in loader:',
    '        step(batch)',
    '    else:',
    '        done = True',
  ),
  'broken code: a missing colon and an unclosed call': py(
    'def f(x)',
    '    for i in range(x',
    '        print(i)',
    'class B:',
    '    def g(self):',
    '        return (1 +',
  ),
  'comments and line continuations inside expressions': py(
    'optimizer = torch.optim.Adam(  # the optimizer',
    '    model.parameters(),  # all of them',
    '    lr=1e-3, lr=1e-4,',
    ')',
    'total = total \\',
    '    + loss',
    'a, (b, c.d) = 1, (2, 3)',
    'x.y.z = w[0].v',
  ),
  'callees and targets that look like dotted names but are not, or not only': py(
    'f(x)(y); a.b(x).c(y); a.b(x)[0](z); g()()()',
    'None.x(y); True.real(); self.None_(1); Nonetheless.go()',
    'a .b(c); a. b(c); a.b (c); a.b\\',
    '    (c)',
    'x[0](y); x [0](y); "s".join(x); f"{a}".strip(); b\'raw\'.decode(); rb"x".hex(); (a.b)(c)',
    'é.x(1); αβ(2); a.é(3); _._(4); __init__(5); a1.b2_(6)',
    'a: int = 3; a = b = c; a == b; a .b = 1; a.b= 2; a.b =3; a , b = 1, 2; a=1; a[0] = 1; a.b[0].c = 2',
    'self.opt = torch.optim.SGD(p); opt  =\t make(); t\t= 1; print(a=1); lambda x=f(y): x',
    '@a.b(1)',
    'def f(x=g.h(1)): return x.y(2)',
    'f(*a, **k); sum(x for x in y); h(a=1, **kw)',
    'g(x, *rest,  # a comment',
    '  y, **kw)',
  ),
};

function forEachText(fn: (name: string, text: string) => void): void {
  for (const path of codeFixturePaths()) fn(path, fixture(path));
  for (const [name, text] of Object.entries(SNIPPETS)) fn(name, text);
}

// ---------------------------------------------------------------------------------------------------------------

describe('python.ts: indexed answers equal the plain walks', () => {
  test('the snippets parse as intended: the broken one has MISSING or ERROR nodes, the others none', () => {
    for (const [name, text] of Object.entries(SNIPPETS)) {
      const broken = parser.withTree(text, (tree) => tree.rootNode.hasError);
      assert.equal(broken, name.startsWith('broken'), name);
    }
  });

  test('enclosingFunction, enclosingClass, enclosingLoop, enclosingLoops and parentOf, for every node', () => {
    let checked = 0;
    forEachText((name, text) => {
      parser.withTree(text, (tree) => {
        for (const node of allNodes(tree.rootNode)) {
          const where = `${name}: ${node.type} at ${node.startIndex}`;
          assert.equal(id(enclosingFunction(node)), id(ancestor(node, (t) => t === 'function_definition')), `enclosingFunction, ${where}`);
          assert.equal(id(enclosingClass(node)), id(ancestor(node, (t) => t === 'class_definition')), `enclosingClass, ${where}`);
          assert.equal(id(enclosingLoop(node)), id(ancestor(node, (t) => LOOPS.has(t), (t) => SCOPES.has(t))), `enclosingLoop, ${where}`);
          assert.deepEqual(ids(enclosingLoops(node)), referenceLoops(node), `enclosingLoops, ${where}`);
          assert.equal(id(parentOf(node)), id(node.parent), `parentOf, ${where}`);
          checked++;
        }
      });
    });
    assert.ok(checked > 5_000, `only ${checked} nodes checked`);
  });

  test('descendants of every node, for indexed and other types, alone and together', () => {
    const typeSets: (string | string[])[] = [
      'call', 'assignment', 'for_statement', 'comment', 'keyword_argument', 'lambda', 'identifier', 'string',
      ['for_statement', 'while_statement'], ['import_statement', 'import_from_statement'], ['identifier', 'attribute'], ['yield', 'await'],
    ];
    forEachText((name, text) => {
      parser.withTree(text, (tree) => {
        for (const node of allNodes(tree.rootNode)) {
          if (node.childCount === 0) continue;
          for (const types of typeSets) {
            const list = typeof types === 'string' ? [types] : types;
            const expected = allNodes(node).filter((n) => list.includes(n.type));
            assert.deepEqual(ids(descendants(node, types)), ids(expected), `${name}: ${String(types)} under ${node.type} at ${node.startIndex}`);
          }
        }
      });
    });
  });

  test('call arguments, dotted names and assigned values, asked twice through fresh wrappers', () => {
    forEachText((name, text) => {
      parser.withTree(text, (tree) => {
        for (const call of tree.rootNode.descendantsOfType('call')) {
          if (!call) continue;
          const args = call.childForFieldName('arguments');
          const items = args ? args.namedChildren.filter((a): a is SyntaxNode => a !== null) : [];
          const positional = args?.type === 'argument_list'
            ? items.filter((a) => !['keyword_argument', 'list_splat', 'dictionary_splat', 'comment'].includes(a.type))
            : [];
          const keywords = items.filter((a) => a.type === 'keyword_argument');
          for (let round = 0; round < 2; round++) {
            const fresh: SyntaxNode = round === 0 ? call : call.parent!.descendantsOfType('call').find((c) => c?.id === call.id)!;
            assert.deepEqual(ids(positionalArguments(fresh)), ids(positional), `${name}: positional arguments of ${call.text}`);
            for (const k of keywords) {
              const keyword = k.childForFieldName('name')!.text;
              const first = keywords.find((o) => o.childForFieldName('name')!.text === keyword)!;
              assert.equal(id(keywordArgument(fresh, keyword)), id(first.childForFieldName('value')), `${name}: ${keyword}= of ${call.text}`);
            }
            assert.equal(keywordArgument(fresh, 'no_such_keyword'), null);
            const listed = argumentList(fresh);
            const nonComment = items.filter((a) => a.type !== 'comment');
            assert.equal(listed.list, args?.type === 'argument_list', `${name}: argument list of ${call.text}`);
            if (listed.list) {
              assert.equal(listed.splat, nonComment.some((a) => a.type === 'list_splat' || a.type === 'dictionary_splat'), `${name}: splat in ${call.text}`);
              assert.equal(id(listed.last), id(nonComment.at(-1)), `${name}: last argument of ${call.text}`);
            }
          }
        }
        for (const node of allNodes(tree.rootNode)) {
          const expected = node.type === 'identifier' ? node.text : node.type === 'attribute' ? referenceDotted(node) : null;
          assert.equal(dottedName(node), expected, `${name}: dottedName of ${node.type} at ${node.startIndex}`);
          assert.equal(dottedName(node), expected, `${name}: dottedName asked again`);
        }
        for (const assignment of tree.rootNode.descendantsOfType('assignment')) {
          const target = dottedName(assignment?.childForFieldName('left') ?? null);
          if (target === null) continue;
          const expected = tree.rootNode.descendantsOfType('assignment')
            .filter((a) => a !== null && dottedName(a.childForFieldName('left')) === target)
            .flatMap((a) => a!.childForFieldName('right') ?? []);
          assert.deepEqual(ids(assignedValues(tree, target)), ids(expected), `${name}: values assigned to ${target}`);
          // The answer is a copy: changing it does not change the next one.
          assignedValues(tree, target).length = 0;
          assert.equal(assignedValues(tree, target).length, expected.length);
        }
      });
    });
  });

  test('calleeName, methodName and methodReceiver equal the plain walk over the callee, for every call', () => {
    let checked = 0;
    forEachText((name, text) => {
      parser.withTree(text, (tree) => {
        for (const call of allNodes(tree.rootNode).filter((n) => n.type === 'call')) {
          const fn = call.childForFieldName('function');
          const isAttribute = fn?.type === 'attribute';
          const expectedName = fn && (fn.type === 'identifier' || isAttribute) ? referenceDotted(fn) : null;
          const where = `${name}: ${call.text}`;
          assert.equal(calleeName(call), expectedName, `calleeName of ${where}`);
          assert.equal(methodName(call), isAttribute ? fn.childForFieldName('attribute')?.text ?? null : null, `methodName of ${where}`);
          assert.equal(id(methodReceiver(call)), isAttribute ? id(fn.childForFieldName('object')) : null, `methodReceiver of ${where}`);
          const object = isAttribute ? fn.childForFieldName('object') : null;
          assert.equal(methodReceiverName(call), object ? referenceDotted(object) : null, `methodReceiverName of ${where}`);
          checked++;
        }
      });
    });
    assert.ok(checked > 400, `only ${checked} calls checked`);
  });

  test('assignmentsTo and patternAssignmentsTo list every assignment by its target, for every fixture and snippet', () => {
    forEachText((name, text) => {
      parser.withTree(text, (tree) => {
        const assignments = allNodes(tree.rootNode).filter((n) => n.type === 'assignment');
        const targets = new Set<string>();
        for (const a of assignments) {
          const left = a.childForFieldName('left');
          const target = left ? referenceDotted(left) : null;
          if (target !== null) targets.add(target);
          else if (left) for (const i of allNodes(left).filter((n) => n.type === 'identifier')) targets.add(`pattern:${i.text}`);
        }
        for (const target of targets) {
          const pattern = target.startsWith('pattern:');
          const bare = pattern ? target.slice('pattern:'.length) : target;
          const expected = assignments.filter((a) => {
            const left = a.childForFieldName('left');
            const dotted = left ? referenceDotted(left) : null;
            return pattern ? dotted === null && left !== null && allNodes(left).some((n) => n.type === 'identifier' && n.text === bare) : dotted === bare;
          });
          const actual = pattern ? patternAssignmentsTo(tree, bare) : assignmentsTo(tree, bare);
          assert.deepEqual(ids(actual), ids(expected), `${name}: assignments to ${target}`);
        }
      });
    });
  });

  test('contains and containsAnyOf answer as the offsets do, for nodes near each other in every fixture and snippet', () => {
    let checked = 0;
    forEachText((name, text) => {
      parser.withTree(text, (tree) => {
        const nodes = allNodes(tree.rootNode);
        const calls = descendants(tree.rootNode, 'call');
        const reference = (outer: SyntaxNode, inner: SyntaxNode) => inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
        for (let i = 0; i < nodes.length; i++) {
          for (let j = Math.max(0, i - 12); j < Math.min(nodes.length, i + 12); j++) {
            assert.equal(contains(nodes[i], nodes[j]), reference(nodes[i], nodes[j]), `${name}: ${nodes[i].type} at ${nodes[i].startIndex} holds ${nodes[j].type} at ${nodes[j].startIndex}`);
            checked++;
          }
          const first = calls.find((c) => c.startIndex >= nodes[i].startIndex);
          assert.equal(containsAnyOf(calls, nodes[i]), first !== undefined && first.endIndex <= nodes[i].endIndex, `${name}: a call in ${nodes[i].type} at ${nodes[i].startIndex}`);
        }
      });
    });
    assert.ok(checked > 100_000, `only ${checked} pairs checked`);
  });

  test('nodesWithin is the nodes a scope contains, in order, for every loop and function of the fixtures', () => {
    forEachText((name, text) => {
      parser.withTree(text, (tree) => {
        const calls = descendants(tree.rootNode, 'call');
        const values = descendants(tree.rootNode, ['assignment', 'call']);
        for (const scope of descendants(tree.rootNode, ['for_statement', 'while_statement', 'function_definition'])) {
          assert.deepEqual(ids(nodesWithin(calls, scope)), ids(calls.filter((c) => contains(scope, c))), `${name}: calls in ${scope.type} at ${scope.startIndex}`);
          assert.deepEqual(ids(nodesWithin(values, scope)), ids(values.filter((c) => contains(scope, c))), `${name}: nodes in ${scope.type}`);
        }
        // Unsorted input is answered too (by a filter).
        const reversed = [...calls].reverse();
        assert.deepEqual(ids(nodesWithin(reversed, tree.rootNode)), ids(reversed));
      });
    });
  });

  test('imports as written: aliases, dotted and spaced modules, relative modules, parentheses, comments and stars', () => {
    const text = py(
      'import torch.nn as nn, numpy',
      'import os . path',
      'from torch import optim as o, cuda',
      'from . models import Net',
      'from .. import utils as u',
      'from keras.layers import (Dense,  # a comment with a * in it',
      '    LSTM as L)',
      'from keras.optimizers import *',
      'if True:',
      '    import pkg.sub.mod',
    );
    parser.withTree(text, (tree) => {
      const items = importItems(tree.rootNode).map((i) => `${i.kind} ${i.module} ${i.name} ${i.local} ${i.aliased}`);
      assert.deepEqual(items, [
        'import torch.nn null nn true',
        'import numpy null numpy false',
        'import os.path null os false',
        'from torch optim o true',
        'from torch cuda cuda false',
        'from .models Net Net false',
        'from .. utils u true',
        'from keras.layers Dense Dense false',
        'from keras.layers LSTM L true',
        'from keras.optimizers null null false',
        'import pkg.sub.mod null pkg false',
      ]);
      const table = readImports(tree.rootNode);
      assert.deepEqual([...table.names], [
        ['nn', 'torch.nn'], ['numpy', 'numpy'], ['os', 'os'], ['o', 'torch.optim'], ['cuda', 'torch.cuda'],
        ['Dense', 'keras.layers.Dense'], ['L', 'keras.layers.LSTM'], ['pkg', 'pkg'],
      ]);
      assert.deepEqual(table.starModules, ['keras.optimizers']);
      assert.deepEqual(importedModuleNames(tree.rootNode), [
        'torch', 'torch.nn', 'numpy', 'os', 'os.path', 'torch.optim', 'torch.cuda', '.models', '.models.Net', '..', '..utils',
        'keras.layers', 'keras.layers.Dense', 'keras.layers.LSTM', 'keras.optimizers', 'pkg', 'pkg.sub', 'pkg.sub.mod',
      ]);
    });
  });

  test('readImports gives one table per tree, the same on every call', () => {
    parser.withTree(py('import torch.nn as nn', 'from torch import optim as o', 'from keras.layers import *'), (tree) => {
      const first = readImports(tree.rootNode);
      assert.equal(readImports(tree.rootNode), first);
      assert.deepEqual([...first.names], [['nn', 'torch.nn'], ['o', 'torch.optim']]);
      assert.deepEqual(first.starModules, ['keras.layers']);
    });
  });
});

function referenceDotted(node: SyntaxNode): string | null {
  if (node.type === 'identifier') return node.text;
  if (node.type !== 'attribute') return null;
  const object = node.childForFieldName('object');
  const attribute = node.childForFieldName('attribute');
  const left = object ? referenceDotted(object) : null;
  return left !== null && attribute ? `${left}.${attribute.text}` : null;
}
