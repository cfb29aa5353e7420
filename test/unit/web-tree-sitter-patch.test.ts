/**
 * The build's patch of web-tree-sitter's node wrappers (`scripts/web-tree-sitter-patch.mjs`): it applies to the
 * installed version, refuses any other, is in the bundles the tests run, and nodes behave as before through every
 * path that hands a node to wasm or takes one back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { patchWebTreeSitter } from '../../scripts/web-tree-sitter-patch.mjs';
import { createPythonParser, type PythonParser } from '../../src/engine/code/python';
import { readGrammarWasm } from '../../src/node/grammar';
import { allNodes } from './code-rule-tables';

const LIBRARY = join(__dirname, '..', '..', 'node_modules', 'web-tree-sitter');
const library = (file: string): string => readFileSync(join(LIBRARY, file), 'utf8');

describe('web-tree-sitter patch', () => {
  for (const file of ['tree-sitter.cjs', 'tree-sitter.js']) {
    test(`applies to the installed ${file}, line for line`, () => {
      const source = library(file);
      const patched = patchWebTreeSitter(source);
      assert.equal(patched.split('\n').length, source.split('\n').length);
      assert.ok(!patched.includes('node[0]'));
      assert.ok(!patched.includes('this[0] = other'));
      assert.equal(patched.split('C.HEAP_DATA_VIEW.getInt32(address, true)').length - 1, 5);
      assert.equal(patched.split('C.HEAP_DATA_VIEW.setInt32(address, ').length - 1, 5);
      // Only the two node functions change: every other generic access is left as it was.
      assert.equal(patched.split('C.getValue(').length, source.split('C.getValue(').length - 5);
    });
  }

  test('refuses a source it was not written for', () => {
    const source = library('tree-sitter.cjs');
    const variants = [
      // (the Node class's own field: other classes keep their handles the same way, untouched)
      source.replace('  [0] = 0;\n  // Internal handle for Wasm\n  /** @internal */\n  _children;', '  [0] = 1;\n  // Internal handle for Wasm\n  /** @internal */\n  _children;'),
      source.replace('this[0] = other;', 'this[0] = other ?? 0;'),
      source.replace('C.setValue(address, node[0], "i32");', 'C.setValue(address, node[0] | 0, "i32");'),
      source.replace('const other = C.getValue(address, "i32");', 'const other = C.getValue(address, "i32") || 0;\n  void C.getValue(address, "i32");'),
      source.replace('// src/node.ts\n', '// src/nodes.ts\n'),
      `${source}\nfunction extra(node) { return node[0]; }\n`,
      source.replace('  get typeId() {\n', '  get handle() {\n    return this[0];\n  }\n  get typeId() {\n'),
    ];
    for (const variant of variants) {
      assert.notEqual(variant, source);
      assert.throws(() => patchWebTreeSitter(variant), /not the version scripts\/web-tree-sitter-patch\.mjs was written for/);
    }
  });

  describe('in the bundle the tests run', () => {
    let parser: PythonParser;
    before(async () => {
      parser = await createPythonParser(await readGrammarWasm());
    });

    test('node wrappers keep their handle in a named field', () => {
      parser.withTree('x = f(1)\n', (tree) => {
        const node = tree.rootNode;
        assert.ok(!Object.prototype.hasOwnProperty.call(node, 0));
        assert.equal(typeof (node as unknown as { _o: unknown })._o, 'number');
      });
    });

    test('nodes go to wasm and come back whole', () => {
      const text = 'import torch\n\nclass M(torch.nn.Module):\n    def forward(self, x):\n        return self.gru(x)[0].softmax(-1)\n\nfor i, (x, y) in enumerate(data):\n    loss = crit(m(x), y)  # é\n    loss.backward()\n';
      parser.withTree(text, (tree) => {
        const nodes = allNodes(tree.rootNode);
        assert.ok(nodes.length > 80);
        for (const node of nodes) {
          // Each of these hands the node to wasm (marshalNode) and reads nodes back (unmarshalNode).
          assert.equal(text.slice(node.startIndex, node.endIndex), node.text);
          const parent = node.parent;
          if (parent) {
            assert.ok(parent.children.some((c) => c?.id === node.id && c.equals(node)));
            assert.ok(parent.startIndex <= node.startIndex && node.endIndex <= parent.endIndex);
          } else {
            assert.equal(node.id, tree.rootNode.id);
          }
          const next = node.nextSibling;
          if (next) assert.equal(next.previousSibling?.id, node.id);
        }
        const call = tree.rootNode.descendantsOfType('call').find((c) => c?.text === 'loss.backward()');
        assert.equal(call?.childForFieldName('function')?.childForFieldName('attribute')?.text, 'backward');
        assert.equal(call?.startPosition.row, 8);
      });
    });
  });
});
