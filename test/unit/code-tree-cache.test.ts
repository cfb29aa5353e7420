/**
 * The parser's kept trees (`tree-cache.ts`): the same text is not parsed twice, trees in use are never freed,
 * and a text parsed incrementally from a kept tree of another text gives exactly the tree a fresh parse gives,
 * for random edits of the code fixtures (insertions, deletions, line breaks, tabs, non-ASCII, emoji) and for
 * chains of edits as typing makes them.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createPythonParser, type PythonParser, type SyntaxTree } from '../../src/engine/code/python';
import { KEPT_CHARACTERS, pointAt, textEdit, TreeCache, type CachedTree, type TreeEdit } from '../../src/engine/code/tree-cache';
import { readGrammarWasm } from '../../src/node/grammar';
import { analyzeCode } from '../../src/engine/code';
import { allNodes } from './code-rule-tables';
import { codeFixturePaths, fixture } from './fixtures';

// ---------------------------------------------------------------------------------------------------------------
// The cache's bookkeeping, with stand-in trees

class FakeTree implements CachedTree {
  static live = new Set<FakeTree>();
  edits: TreeEdit[] = [];
  constructor(
    readonly text: string,
    readonly from: FakeTree | undefined = undefined,
  ) {
    FakeTree.live.add(this);
  }
  copy(): this {
    return new FakeTree(this.text, this.from) as this;
  }
  delete(): void {
    assert.ok(FakeTree.live.delete(this), 'a tree was deleted twice');
  }
  edit(edit: TreeEdit): void {
    this.edits.push(edit);
  }
}

function fakeCache(kept?: number): { cache: TreeCache<FakeTree>; parsed: { text: string; old?: FakeTree }[] } {
  const parsed: { text: string; old?: FakeTree }[] = [];
  const cache = new TreeCache<FakeTree>((text, old) => {
    parsed.push({ text, old });
    return new FakeTree(text, old);
  }, kept);
  return { cache, parsed };
}

describe('TreeCache', () => {
  test('the same text is parsed once; the tree handed out is the kept one', () => {
    const { cache, parsed } = fakeCache();
    const first = cache.use('a = 1\n', (t) => t);
    const second = cache.use('a = 1\n', (t) => t);
    assert.equal(first, second);
    assert.equal(parsed.length, 1);
  });

  test('a text close to a kept one is parsed from an edited copy of its tree; an unrelated text from scratch', () => {
    const { cache, parsed } = fakeCache();
    const base = 'x = 1\n'.repeat(20);
    cache.use(base, () => undefined);
    cache.use(`${base}y = 2\n`, () => undefined);
    assert.equal(parsed[1].old?.text, base);
    assert.deepEqual(parsed[1].old?.edits.map((e) => [e.startIndex, e.oldEndIndex, e.newEndIndex]), [[base.length, base.length, base.length + 6]]);
    assert.ok(!FakeTree.live.has(parsed[1].old!), 'the edited copy is freed after the parse');
    cache.use('something else entirely', () => undefined);
    assert.equal(parsed[2].old, undefined);
  });

  test('least recently used trees beyond the limit are freed, never one in use further up the stack', () => {
    const { cache } = fakeCache(2);
    const outer = cache.use('outer = 1\n', (tree) => {
      // Analysing a script parses its imports: more texts than the cache keeps, while `tree` is in use.
      for (const name of ['a', 'b', 'c', 'd']) cache.use(`${name}${'z'.repeat(40)}\n`, () => undefined);
      assert.ok(FakeTree.live.has(tree), 'the outer tree is still alive');
      return tree;
    });
    assert.equal(cache.size, 2);
    assert.ok(FakeTree.live.has(outer), 'released, it is kept while within the limit');
    cache.use('e'.repeat(40), () => undefined);
    assert.ok(!FakeTree.live.has(outer), 'and goes first, as the least recently used, when another comes');
  });

  test('big texts are not kept beyond the character budget, except the most recent', () => {
    const { cache } = fakeCache();
    const big = (c: string) => c.repeat(Math.ceil(KEPT_CHARACTERS / 2) + 1);
    const a = cache.use(big('a'), (t) => t);
    const b = cache.use(big('b'), (t) => t);
    assert.equal(cache.size, 1, 'two halves and a bit are over the budget: the older goes');
    assert.ok(!FakeTree.live.has(a) && FakeTree.live.has(b));
    const huge = cache.use('h'.repeat(KEPT_CHARACTERS * 2), (t) => t);
    assert.ok(FakeTree.live.has(huge), 'the most recent is kept whatever its size');
    cache.use('small = 1\n', () => undefined);
    assert.ok(!FakeTree.live.has(huge), 'and goes when another comes');
  });

  test('take hands out a copy the caller frees; the kept tree stays', () => {
    const { cache } = fakeCache();
    const copy = cache.take('a = 1\n');
    const kept = cache.use('a = 1\n', (t) => t);
    assert.notEqual(copy, kept);
    copy.delete();
    assert.ok(FakeTree.live.has(kept));
  });

  test('keeping no trees parses every text afresh and frees each after use', () => {
    const { cache, parsed } = fakeCache(0);
    const before = FakeTree.live.size;
    cache.use('a = 1\n', () => undefined);
    cache.use('a = 1\n', () => undefined);
    assert.equal(parsed.length, 2);
    assert.equal(cache.size, 0);
    assert.equal(FakeTree.live.size, before);
  });
});

describe('textEdit and pointAt', () => {
  const texts = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\t', '\n', '\r', 'é', '😀', '(', ':'), maxLength: 40 });

  test('the edit turns the one text into the other, and its points are where tree-sitter counts them', () => {
    fc.assert(
      fc.property(texts, texts, (before, after) => {
        const edit = textEdit(before, after);
        assert.equal(before.slice(0, edit.startIndex) + after.slice(edit.startIndex, edit.newEndIndex) + before.slice(edit.oldEndIndex), after);
        assert.ok(edit.startIndex <= edit.oldEndIndex && edit.startIndex <= edit.newEndIndex);
        for (const [text, offset, point] of [[before, edit.startIndex, edit.startPosition], [before, edit.oldEndIndex, edit.oldEndPosition], [after, edit.newEndIndex, edit.newEndPosition]] as const) {
          const lines = text.slice(0, offset).split('\n');
          assert.deepEqual(point, { row: lines.length - 1, column: lines[lines.length - 1].length });
        }
      }),
    );
  });

  test('an edit never starts or ends inside a surrogate pair', () => {
    const edit = textEdit('x😀y', 'x😃y'); // the two emoji share their high surrogate
    assert.deepEqual([edit.startIndex, edit.oldEndIndex, edit.newEndIndex], [1, 3, 3]);
    assert.deepEqual(pointAt('a\r\nb', 4), { row: 1, column: 1 });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Incremental parses against fresh ones, with the real parser

/** Every node as (type, start, end, missing), in document order. */
function shape(tree: SyntaxTree): string[] {
  return allNodes(tree.rootNode).map((node) => `${node.type} ${node.startIndex}-${node.endIndex}${node.isMissing ? ' MISSING' : ''}`);
}

describe('incremental parsing from kept trees', () => {
  let keeping: PythonParser;
  let fresh: PythonParser;
  const texts: string[] = [];
  before(async () => {
    const wasm = await readGrammarWasm();
    keeping = await createPythonParser(wasm);
    fresh = await createPythonParser(wasm, { keptTrees: 0 });
    for (const path of codeFixturePaths()) texts.push(fixture(path));
  });

  const piece = fc.constantFrom('x', '(', ')', ':', '\n', '\n    ', '\t', ' ', '#', '"', "'", '"""', 'é', '😀', 'def f():\n', 'return ', ',', 'loss.backward()\n', '\\\n');
  const edit = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.nat({ max: 12 }), insert: fc.array(piece, { maxLength: 4 }).map((p) => p.join('')) });

  function applyEdit(text: string, e: { at: number; remove: number; insert: string }): string {
    const at = Math.min(text.length, Math.floor(e.at * text.length));
    return text.slice(0, at) + e.insert + text.slice(at + e.remove);
  }

  test('random edits of every code fixture: the incremental tree is the fresh tree, node for node', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 5 }), (which, edits) => {
        let text = texts[which % texts.length];
        keeping.withTree(text, () => undefined);
        for (const e of edits) {
          text = applyEdit(text, e); // typing: each step parsed from the tree of the step before
          const incremental = keeping.withTree(text, shape);
          assert.deepEqual(incremental, fresh.withTree(text, shape));
        }
      }),
      { numRuns: 150 },
    );
  });

  test('findings after an edit are the findings of the edited text analysed afresh', () => {
    const seed = fixture('code/seed000_gru_train.py');
    analyzeCode(keeping, seed, 'train.py');
    const at = seed.indexOf('optimizer.step()');
    const edited = `${seed.slice(0, at)}torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n        ${seed.slice(at)}`;
    const strip = (findings: ReturnType<typeof analyzeCode>) => JSON.stringify(findings);
    assert.equal(strip(analyzeCode(keeping, edited, 'train.py')), strip(analyzeCode(fresh, edited, 'train.py')));
    assert.ok(!analyzeCode(keeping, edited, 'train.py').some((f) => f.id === 'rnn-no-grad-clip'), 'the clip added is seen');
    assert.ok(analyzeCode(keeping, seed, 'train.py').some((f) => f.id === 'rnn-no-grad-clip'), 'and the text before it still has its finding');
  });

  test('one text analysed under two file names: each finding names its own file', () => {
    const seed = fixture('code/seed000_gru_train.py');
    const a = analyzeCode(keeping, seed, 'a/train.py');
    const b = analyzeCode(keeping, seed, 'b/train.py');
    const files = (findings: typeof a) => new Set(findings.flatMap((f) => f.related.map((r) => r.location.file)));
    assert.deepEqual([...files(a)], ['a/train.py']);
    assert.deepEqual([...files(b)], ['b/train.py']);
  });
});
