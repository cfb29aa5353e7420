/**
 * Python through tree-sitter: the parser, built from wasm bytes the caller hands in (the engine never touches
 * the file system), and the small tree helpers the code rules share.
 *
 * Offsets: web-tree-sitter parses JS strings as UTF-16, so `startIndex`/`endIndex` are UTF-16 code-unit offsets
 * into the analysed string, the same unit as `String.prototype.slice` and `TextEdit` (checked by the tests with
 * accents and an emoji before the code). Lines and columns users see are computed from those offsets with
 * `LineIndex`, one convention for the whole engine, rather than read from `startPosition`.
 */

// The `require` form is deliberate: esbuild resolves an ES `import` of this package to its ESM build, which
// needs `import.meta.url` and breaks inside our cjs bundles; `import = require` selects `tree-sitter.cjs`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import TreeSitter = require('web-tree-sitter');

export type SyntaxNode = TreeSitter.Node;
export type SyntaxTree = TreeSitter.Tree;

/** A Python parser. Trees hold wasm memory: call `tree.delete()` when done (or use `withTree`). */
export interface PythonParser {
  parse(text: string): SyntaxTree;
  /** Parses `text`, runs `fn` on the tree and frees the tree afterwards. */
  withTree<T>(text: string, fn: (tree: SyntaxTree) => T): T;
}

/** The two grammar files, as bytes: web-tree-sitter's runtime and the Python language. */
export interface GrammarWasm {
  readonly runtime: Uint8Array;
  readonly python: Uint8Array;
}

let runtimeReady: Promise<void> | undefined;

/**
 * Initialises the web-tree-sitter runtime once per process. The runtime is handed its wasm as bytes because
 * its default lookup (a file next to the script) finds nothing once the library is bundled into `dist/cli.js`
 * or a test bundle.
 */
function initRuntime(runtime: Uint8Array): Promise<void> {
  if (!runtimeReady) {
    runtimeReady = TreeSitter.Parser.init({ wasmBinary: runtime }).catch((error: unknown) => {
      runtimeReady = undefined; // let a later call retry with good bytes
      throw error;
    });
  }
  return runtimeReady;
}

/** Builds a Python parser from the grammar bytes. The runtime is initialised once; each call loads the language. */
export async function createPythonParser(wasm: GrammarWasm): Promise<PythonParser> {
  await initRuntime(wasm.runtime);
  const language = await TreeSitter.Language.load(wasm.python);
  const parser = new TreeSitter.Parser();
  parser.setLanguage(language);
  const parse = (text: string): SyntaxTree => {
    const tree = parser.parse(text);
    if (!tree) throw new Error('tree-sitter returned no tree for the Python source');
    return tree;
  };
  return {
    parse,
    withTree<T>(text: string, fn: (tree: SyntaxTree) => T): T {
      const tree = parse(text);
      try {
        return fn(tree);
      } finally {
        tree.delete();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Tree helpers

/**
 * The node types rules ask about, collected for the whole tree in one walk on first use. Other types (say
 * `identifier`, which is most of a tree) are searched in the asked subtree only.
 */
const INDEXED_TYPES = [
  'call', 'assignment', 'augmented_assignment', 'function_definition', 'class_definition', 'lambda', 'comment',
  'import_statement', 'import_from_statement', 'for_statement', 'while_statement', 'with_statement',
  'if_statement', 'return_statement', 'dictionary', 'list', 'expression_statement',
];
const INDEXED = new Set(INDEXED_TYPES);
const byType = new WeakMap<SyntaxTree, Map<string, SyntaxNode[]>>();

/** Every node of an indexed type in the whole tree, in document order. */
function allOfType(tree: SyntaxTree, type: string): SyntaxNode[] {
  let index = byType.get(tree);
  if (!index) {
    index = new Map(INDEXED_TYPES.map((t) => [t, []]));
    for (const node of tree.rootNode.descendantsOfType(INDEXED_TYPES)) if (node) index.get(node.type)?.push(node);
    byType.set(tree, index);
  }
  return index.get(type) ?? [];
}

/**
 * Descendants of `node` (itself included) of the given types, in document order. The per-type lists of the
 * whole tree are collected once and sliced by offsets, so rules may ask for the calls of every loop they meet.
 */
export function descendants(node: SyntaxNode, types: string | readonly string[]): SyntaxNode[] {
  const result: SyntaxNode[] = [];
  for (const type of typeof types === 'string' ? [types] : types) {
    if (!INDEXED.has(type)) {
      for (const n of node.descendantsOfType(type)) if (n) result.push(n);
      continue;
    }
    const list = allOfType(node.tree, type);
    if (parentOf(node) === null) {
      // The root holds them all: skip the per-node offset reads (each one a call into wasm).
      result.push(...list);
      continue;
    }
    // Lists are in pre-order, so sorted by start; what starts inside `node` lies inside it.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].startIndex < node.startIndex) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length && list[i].startIndex <= node.endIndex; i++) {
      if (list[i].endIndex <= node.endIndex && (list[i].startIndex < node.endIndex || list[i].id === node.id)) result.push(list[i]);
    }
  }
  if (typeof types !== 'string' && types.length > 1) result.sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
  return result;
}

/** Named children, without the nulls the typings allow for. */
export function namedChildren(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((n): n is SyntaxNode => n !== null);
}

/** `torch.nn.GRU` for an identifier/attribute chain; `null` for anything else (calls, subscripts, ...). */
export function dottedName(node: SyntaxNode | null): string | null {
  if (!node) return null;
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') {
    const object = dottedName(node.childForFieldName('object'));
    const attribute = node.childForFieldName('attribute');
    return object !== null && attribute ? `${object}.${attribute.text}` : null;
  }
  return null;
}

/** The last segment of a dotted name: `clip_grad_norm_` for `torch.nn.utils.clip_grad_norm_`. */
export function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** A call's callee, taken apart once. */
interface Callee {
  /** `optimizer.step` for `optimizer.step()`; null when the callee is not a dotted name. */
  readonly name: string | null;
  /** `step` for `x.step()`, whatever `x` is; null when the callee is not an attribute. */
  readonly method: string | null;
  /** `x` for `x.step()`. */
  readonly receiver: SyntaxNode | null;
}

const callees = new WeakMap<SyntaxTree, Map<number, Callee>>();

/** The callee of a call, memoised per tree (every rule asks about every call). */
function callee(call: SyntaxNode): Callee {
  let cache = callees.get(call.tree);
  if (!cache) callees.set(call.tree, (cache = new Map()));
  let info = cache.get(call.id);
  if (!info) {
    const fn = call.childForFieldName('function');
    if (fn?.type === 'attribute') {
      const receiver = fn.childForFieldName('object');
      const method = fn.childForFieldName('attribute')?.text ?? null;
      const object = dottedName(receiver);
      info = { name: object !== null && method !== null ? `${object}.${method}` : null, method, receiver };
    } else {
      info = { name: fn?.type === 'identifier' ? fn.text : null, method: null, receiver: null };
    }
    cache.set(call.id, info);
  }
  return info;
}

/** The dotted name of a call's callee (`optimizer.step` for `optimizer.step()`), or `null`. */
export function calleeName(call: SyntaxNode): string | null {
  return callee(call).name;
}

/** For `a.b.method(...)`: the receiver node `a.b`; `null` when the callee is not an attribute. */
export function methodReceiver(call: SyntaxNode): SyntaxNode | null {
  return callee(call).receiver;
}

/** For `x.method(...)`: `method`; `null` when the callee is not an attribute. */
export function methodName(call: SyntaxNode): string | null {
  return callee(call).method;
}

/** Positional arguments of a call (keyword arguments, `*args` and `**kwargs` excluded). */
export function positionalArguments(call: SyntaxNode): SyntaxNode[] {
  const args = call.childForFieldName('arguments');
  if (!args || args.type !== 'argument_list') return [];
  return namedChildren(args).filter(
    (a) => a.type !== 'keyword_argument' && a.type !== 'list_splat' && a.type !== 'dictionary_splat' && a.type !== 'comment',
  );
}

/** The value of keyword argument `name=` of a call, or `null`. */
export function keywordArgument(call: SyntaxNode, name: string): SyntaxNode | null {
  const args = call.childForFieldName('arguments');
  if (!args) return null;
  for (const a of namedChildren(args)) {
    if (a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name) return a.childForFieldName('value');
  }
  return null;
}

/** Calls under `root` whose callee's dotted name satisfies `match`. */
export function findCalls(root: SyntaxNode, match: (name: string, call: SyntaxNode) => boolean): SyntaxNode[] {
  return descendants(root, 'call').filter((call) => {
    const name = calleeName(call);
    return name !== null && match(name, call);
  });
}

/** Calls of method `method` under `root`, whatever the receiver (`scaler.scale(loss).backward()` included). */
export function findMethodCalls(root: SyntaxNode, method: string): SyntaxNode[] {
  return descendants(root, 'call').filter((call) => methodName(call) === method);
}

const parents = new WeakMap<SyntaxTree, Map<number, SyntaxNode | null>>();

/**
 * `node.parent`, memoised per tree. Tree-sitter finds a parent by descending from the root, which costs a scan
 * of every sibling on the way: with hundreds of top-level functions, unmemoised ancestor walks dominated the
 * analysis time.
 */
export function parentOf(node: SyntaxNode): SyntaxNode | null {
  let cache = parents.get(node.tree);
  if (!cache) parents.set(node.tree, (cache = new Map()));
  let parent = cache.get(node.id);
  if (parent === undefined) {
    parent = node.parent;
    cache.set(node.id, parent);
  }
  return parent;
}

/** The children (named and anonymous, comments included) that follow `node` under its parent. */
export function followingSiblings(node: SyntaxNode): SyntaxNode[] {
  const parent = parentOf(node);
  if (!parent) return [];
  const children = parent.children.filter((n): n is SyntaxNode => n !== null);
  const at = children.findIndex((c) => c.id === node.id);
  return at === -1 ? [] : children.slice(at + 1);
}

const STATEMENT_CONTAINERS = new Set(['block', 'module']);

/** The statement that contains `node` directly in a block or the module (`loss.backward()` → its expression statement). */
export function enclosingStatement(node: SyntaxNode): SyntaxNode | null {
  for (let current = node, parent = parentOf(node); parent; current = parent, parent = parentOf(parent)) {
    if (STATEMENT_CONTAINERS.has(parent.type)) return current;
  }
  return null;
}

const SCOPE_TYPES = new Set(['function_definition', 'class_definition', 'lambda', 'module']);
const LOOP_TYPES = new Set(['for_statement', 'while_statement']);

/** The innermost `for`/`while` around `node` within its own function; `null` when there is none. */
export function enclosingLoop(node: SyntaxNode): SyntaxNode | null {
  for (let p = parentOf(node); p; p = parentOf(p)) {
    if (LOOP_TYPES.has(p.type)) return p;
    if (SCOPE_TYPES.has(p.type)) return null;
  }
  return null;
}

/** The innermost function definition around `node`, or `null` at module level. */
export function enclosingFunction(node: SyntaxNode): SyntaxNode | null {
  for (let p = parentOf(node); p; p = parentOf(p)) if (p.type === 'function_definition') return p;
  return null;
}

/** The innermost class definition around `node`, or `null`. */
export function enclosingClass(node: SyntaxNode): SyntaxNode | null {
  for (let p = parentOf(node); p; p = parentOf(p)) if (p.type === 'class_definition') return p;
  return null;
}

/** Whether `inner` lies within `outer` (same node included). */
export function contains(outer: SyntaxNode, inner: SyntaxNode): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

/** Offset of the start of the line holding `offset`. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset just past the line break that ends the line holding `offset` (text length on the last line). */
export function nextLineStart(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

/**
 * The whitespace before a statement when it opens its line (tabs and spaces exactly as written), or `null`
 * when something else precedes it on that line (`a = 1; optimizer.step()`).
 */
export function statementIndentation(text: string, statement: SyntaxNode): string | null {
  const indent = text.slice(lineStart(text, statement.startIndex), statement.startIndex);
  for (const ch of indent) if (ch !== ' ' && ch !== '\t') return null;
  return indent;
}

/** The line break used by the line holding `offset` (`\r\n` or `\n`); the file's first one when that line has none. */
export function lineEnding(text: string, offset: number): string {
  let nl = text.indexOf('\n', offset);
  if (nl === -1) nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
}

/** ERROR and MISSING nodes of a tree: empty when the source parsed cleanly. */
export function syntaxProblems(root: SyntaxNode): SyntaxNode[] {
  if (!root.hasError) return [];
  const problems: SyntaxNode[] = [];
  const cursor = root.walk();
  try {
    let descend = true;
    for (;;) {
      if (descend) {
        const node = cursor.currentNode;
        if (node.isError || node.isMissing) problems.push(node);
        if (node.hasError && cursor.gotoFirstChild()) continue;
      }
      if (cursor.gotoNextSibling()) {
        descend = true;
        continue;
      }
      if (!cursor.gotoParent()) break;
      descend = false;
    }
  } finally {
    cursor.delete();
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Imports

/** What the names a file imports stand for: local name → fully qualified name. */
export interface ImportTable {
  /** `nn` → `torch.nn` (`import torch.nn as nn`), `GRU` → `torch.nn.GRU`, `torch` → `torch` (`import torch.nn`). */
  readonly names: ReadonlyMap<string, string>;
  /** Modules imported with `from M import *`. */
  readonly starModules: readonly string[];
}

/** Reads every `import` and `from ... import` in the file (at any depth; conditional imports count). */
export function readImports(root: SyntaxNode): ImportTable {
  const names = new Map<string, string>();
  const starModules: string[] = [];
  for (const stmt of descendants(root, ['import_statement', 'import_from_statement'])) {
    if (stmt.type === 'import_statement') {
      for (const item of stmt.childrenForFieldName('name')) {
        if (!item) continue;
        if (item.type === 'aliased_import') {
          const module = item.childForFieldName('name')?.text;
          const alias = item.childForFieldName('alias')?.text;
          if (module && alias) names.set(alias, module);
        } else {
          // `import torch.nn` binds `torch`.
          const first = item.firstNamedChild?.text;
          if (first) names.set(first, first);
        }
      }
      continue;
    }
    const moduleNode = stmt.childForFieldName('module_name');
    if (!moduleNode || moduleNode.type !== 'dotted_name') continue; // relative imports are the project's own
    const module = moduleNode.text;
    if (namedChildren(stmt).some((c) => c.type === 'wildcard_import')) starModules.push(module);
    for (const item of stmt.childrenForFieldName('name')) {
      if (!item) continue;
      if (item.type === 'aliased_import') {
        const name = item.childForFieldName('name')?.text;
        const alias = item.childForFieldName('alias')?.text;
        if (name && alias) names.set(alias, `${module}.${name}`);
      } else {
        names.set(item.text, `${module}.${item.text}`);
      }
    }
  }
  return { names, starModules };
}

/**
 * Expands the first segment of a dotted name through the imports: `nn.GRU` → `torch.nn.GRU` after
 * `from torch import nn`. Names that were not imported come back unchanged.
 */
export function resolveName(name: string, imports: ImportTable): string {
  const dot = name.indexOf('.');
  const head = dot === -1 ? name : name.slice(0, dot);
  const target = imports.names.get(head);
  return target === undefined ? name : target + (dot === -1 ? '' : name.slice(dot));
}

/** The local name under which `qualified` (`torch.nn.utils.clip_grad_norm_`) can be written, or `null`. */
export function localNameFor(qualified: string, imports: ImportTable): string | null {
  let best: string | null = null;
  for (const [local, target] of imports.names) {
    let candidate: string | null = null;
    if (target === qualified) candidate = local;
    else if (qualified.startsWith(`${target}.`)) candidate = local + qualified.slice(target.length);
    if (candidate !== null && (best === null || candidate.length < best.length)) best = candidate;
  }
  return best;
}

/** The text of a string literal without its quotes and prefixes, or null for anything else (f-strings included). */
export function stringValue(node: SyntaxNode | null): string | null {
  if (!node || node.type !== 'string') return null;
  const parts = node.namedChildren.filter((c) => c !== null);
  if (parts.some((c) => c.type === 'interpolation')) return null;
  return parts.filter((c) => c.type === 'string_content').map((c) => c.text).join('');
}

const assignmentIndexes = new WeakMap<SyntaxTree, { plain: Map<string, SyntaxNode[]>; patterns: Map<string, SyntaxNode[]> }>();

function assignmentIndex(tree: SyntaxTree): { plain: Map<string, SyntaxNode[]>; patterns: Map<string, SyntaxNode[]> } {
  let index = assignmentIndexes.get(tree);
  if (!index) {
    index = { plain: new Map(), patterns: new Map() };
    const add = (map: Map<string, SyntaxNode[]>, name: string, node: SyntaxNode): void => {
      const list = map.get(name);
      if (list) list.push(node);
      else map.set(name, [node]);
    };
    for (const a of descendants(tree.rootNode, 'assignment')) {
      const left = a.childForFieldName('left');
      const name = dottedName(left);
      if (name !== null) add(index.plain, name, a);
      else if (left) for (const id of descendants(left, 'identifier')) add(index.patterns, id.text, a);
    }
    assignmentIndexes.set(tree, index);
  }
  return index;
}

/**
 * The assignments `name = value` of a file (plain or annotated; `self.x` and other dotted targets included),
 * in document order, indexed once per tree: rules ask about a name at every use.
 */
export function assignmentsTo(tree: SyntaxTree, name: string): readonly SyntaxNode[] {
  return assignmentIndex(tree).plain.get(name) ?? [];
}

/** Assignments that bind `name` inside a pattern (`a, name = ...`), in document order. */
export function patternAssignmentsTo(tree: SyntaxTree, name: string): readonly SyntaxNode[] {
  return assignmentIndex(tree).patterns.get(name) ?? [];
}

/** The right-hand sides of `name = value` anywhere in the file (plain, annotated or dotted targets like `self.x`). */
export function assignedValues(tree: SyntaxTree, name: string): SyntaxNode[] {
  return assignmentsTo(tree, name).flatMap((a) => a.childForFieldName('right') ?? []);
}

/** Whether any of `nodes` (in document order, as tree queries return them) lies inside `node`: a binary search. */
export function containsAnyOf(nodes: readonly SyntaxNode[], node: SyntaxNode): boolean {
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (nodes[mid].startIndex < node.startIndex) lo = mid + 1;
    else hi = mid;
  }
  return lo < nodes.length && nodes[lo].endIndex <= node.endIndex;
}
