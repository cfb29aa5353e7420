// Two changes to web-tree-sitter's JavaScript as esbuild bundles it, both in how a syntax node's wrapper is built
// and handed to wasm; nothing of tree-sitter's own behaviour changes.
//
// Every node the library returns (`childForFieldName`, `parent`, each node of `descendantsOfType`, ...) is a fresh
// JavaScript `Node` wrapper, and the code rules read tens of thousands of them per 5,000-line script:
//
// 1. The wrapper keeps its wasm handle in an indexed field (`[0] = 0`, then `this[0] = other`). An index on a
//    plain object gets it an elements store of 17 slots of its own: about half of the wrapper's memory, and a
//    slow keyed store on every construction. The handle becomes a named field (`_o`), stored in the object.
// 2. `marshalNode`/`unmarshalNode` write and read the node's five 32-bit fields through Emscripten's generic
//    `setValue(ptr, value, "i32")`/`getValue(ptr, "i32")`, which look at the type string on every call before
//    doing a little-endian 32-bit access of the module's `HEAP_DATA_VIEW`. They do that access directly.
//
// Measured on the bench's 5,045-line script (about 19,000 wrappers per analysis, 10.3 MB allocated, now 8.0): the
// first analysis takes 4-8 ms less, of 45-55, much of it garbage collection. Each pattern must be found exactly
// where expected, or the build stops: a new web-tree-sitter version is to be checked against this file (and
// package.json pins the version for that reason).

import { readFile } from 'node:fs/promises';

/** The bundled entry points of web-tree-sitter (CommonJS and ES module builds). */
const ENTRY = /[\\/]web-tree-sitter[\\/]tree-sitter\.c?js$/;

/**
 * The patched source of web-tree-sitter's `tree-sitter.cjs` or `tree-sitter.js`. Throws when the source is not
 * the one this patch was written for. Line count is kept, so the library's source map still lines up.
 */
export function patchWebTreeSitter(source) {
  const nodeClass = source.indexOf('// src/node.ts\nvar Node = class {');
  const nodeEnd = source.indexOf('\n// src/', nodeClass + 1);
  if (nodeClass === -1 || nodeEnd === -1) throw new PatchError('the Node class (`// src/node.ts` then `var Node = class {`)');
  let node = source.slice(nodeClass, nodeEnd);
  node = replaceOnce(node, '  [0] = 0;\n  // Internal handle for Wasm\n', '  _o = 0;\n  // Internal handle for Wasm\n');
  node = replaceOnce(node, '    assertInternal(internal);\n    this[0] = other;\n', '    assertInternal(internal);\n    this._o = other;\n');
  if (node.includes('this[0]')) throw new PatchError('no other `this[0]` in the Node class');
  let patched = source.slice(0, nodeClass) + node + source.slice(nodeEnd);

  const marshal = patched.indexOf('function marshalNode(node, index = 0) {');
  const end = patched.indexOf('__name(unmarshalNode, "unmarshalNode");', marshal);
  if (marshal === -1 || end === -1) throw new PatchError('`marshalNode` followed by `unmarshalNode`');
  let body = patched.slice(marshal, end);
  const fields = ['node.id', 'node.startIndex', 'node.startPosition.row', 'node.startPosition.column', 'node[0]'];
  for (const field of fields) {
    const value = field === 'node[0]' ? 'node._o' : field;
    body = replaceOnce(body, `C.setValue(address, ${field}, "i32");`, `C.HEAP_DATA_VIEW.setInt32(address, ${value}, true);`);
  }
  const reads = body.split('C.getValue(address, "i32")').length - 1;
  if (reads !== 5) throw new PatchError(`five \`C.getValue(address, "i32")\` in unmarshalNode (found ${reads})`);
  body = body.replaceAll('C.getValue(address, "i32")', 'C.HEAP_DATA_VIEW.getInt32(address, true)');
  patched = patched.slice(0, marshal) + body + patched.slice(end);
  // The handle is read nowhere else: a `node[0]` left anywhere would now read `undefined`.
  if (patched.includes('node[0]')) throw new PatchError('no `node[0]` outside marshalNode');
  return patched;
}

function replaceOnce(text, search, replacement) {
  const at = text.indexOf(search);
  if (at === -1 || text.indexOf(search, at + 1) !== -1) throw new PatchError(`exactly one ${JSON.stringify(search.trim())}`);
  return text.slice(0, at) + replacement + text.slice(at + search.length);
}

class PatchError extends Error {
  constructor(expected) {
    super(`web-tree-sitter is not the version scripts/web-tree-sitter-patch.mjs was written for: expected ${expected}. Check the patch against the new version.`);
  }
}

/** The esbuild plugin that applies the patch to every bundle that includes web-tree-sitter. */
export const webTreeSitterPatch = {
  name: 'web-tree-sitter-patch',
  setup(build) {
    build.onLoad({ filter: ENTRY }, async (args) => ({ contents: patchWebTreeSitter(await readFile(args.path, 'utf8')), loader: 'js' }));
  },
};
