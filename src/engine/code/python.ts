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
import { TreeCache } from './tree-cache';

export type SyntaxNode = TreeSitter.Node;
export type SyntaxTree = TreeSitter.Tree;

/**
 * A Python parser. It keeps the trees of the last few texts it parsed (`tree-cache.ts`): the same text asked for
 * again is not parsed again, and a text close to a kept one is parsed from it incrementally.
 */
export interface PythonParser {
  /** A tree the caller owns: call `tree.delete()` when done (or use `withTree`). */
  parse(text: string): SyntaxTree;
  /** Runs `fn` on the tree of `text`. The tree is the parser's: `fn` must not delete it or keep it after returning. */
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

/** How a parser keeps trees: `keptTrees: 0` parses every text afresh (benchmarks of the first analysis). */
export interface PythonParserOptions {
  readonly keptTrees?: number;
}

/** Builds a Python parser from the grammar bytes. The runtime is initialised once; each call loads the language. */
export async function createPythonParser(wasm: GrammarWasm, options: PythonParserOptions = {}): Promise<PythonParser> {
  await initRuntime(wasm.runtime);
  const language = await TreeSitter.Language.load(wasm.python);
  const parser = new TreeSitter.Parser();
  parser.setLanguage(language);
  const trees = new TreeCache<SyntaxTree>((text, old) => {
    const tree = parser.parse(text, old);
    if (!tree) throw new Error('tree-sitter returned no tree for the Python source');
    sources.set(tree, text);
    return tree;
  }, options.keptTrees);
  return {
    parse(text: string): SyntaxTree {
      const tree = trees.take(text);
      sources.set(tree, text);
      return tree;
    },
    withTree: (text, fn) => trees.use(text, fn),
  };
}

/** The text each tree was parsed from (what its offsets index), for `writtenCallee` and `writtenAssignment`. */
const sources = new WeakMap<SyntaxTree, string>();

// ---------------------------------------------------------------------------------------------------------------
// Tree helpers
//
// Every property read on a web-tree-sitter node (`type`, `parent`, `childForFieldName`, ...) is a call into wasm
// that allocates a fresh wrapper; the rules ask the same questions about the same nodes many times (every rule
// about every call, every use of a name about every assignment to it). Answers are therefore memoised per tree,
// by node id, and trees are walked once per node type.

/** A memo of answers about the nodes of one tree, by node id. */
export type NodeMemo<V> = WeakMap<SyntaxTree, Map<number, V>>;

/** `compute(node)`, memoised per tree by node id in `store`. */
export function memoised<V>(store: NodeMemo<V>, node: SyntaxNode, compute: (node: SyntaxNode) => V): V {
  let cache = store.get(node.tree);
  if (!cache) store.set(node.tree, (cache = new Map()));
  let value = cache.get(node.id);
  if (value === undefined && !cache.has(node.id)) {
    value = compute(node);
    cache.set(node.id, value);
  }
  return value as V;
}

/**
 * The node types rules ask about, collected for the whole tree in one walk on first use. Other types (say
 * `identifier`, which is most of a tree) are searched in the asked subtree only, with a walk of that subtree
 * each time: a type asked of the whole file, or of large parts of it, belongs here. Every node listed costs
 * its wrapper and a type read in that walk, so types nobody asks about stay out (`expression_statement` is a
 * third of the statements of a file).
 */
const INDEXED_TYPES = [
  'call', 'assignment', 'augmented_assignment', 'function_definition', 'class_definition', 'lambda', 'comment',
  'import_statement', 'import_from_statement', 'for_statement', 'while_statement', 'with_statement',
  'return_statement', 'dictionary', 'keyword_argument', 'yield', 'await',
];
const INDEXED = new Set(INDEXED_TYPES);
/** The nodes of one indexed type, in document order, and their end offsets as far as they have been read. */
interface TypeList {
  readonly nodes: SyntaxNode[];
  /** `nodes[i].endIndex`, or -1 until read (a start is a plain property; an end is a call into wasm). */
  ends: Int32Array;
}

const byType = new WeakMap<SyntaxTree, Map<string, TypeList>>();
const NO_NODES: TypeList = { nodes: [], ends: new Int32Array(0) };

/** Every node of an indexed type in the whole tree, in document order. */
function allOfType(tree: SyntaxTree, type: string): TypeList {
  let index = byType.get(tree);
  if (!index) {
    const lists = new Map<string, SyntaxNode[]>(INDEXED_TYPES.map((t) => [t, []]));
    for (const node of tree.rootNode.descendantsOfType(INDEXED_TYPES)) if (node) lists.get(node.type)?.push(node);
    index = new Map([...lists].map(([t, nodes]) => [t, { nodes, ends: new Int32Array(nodes.length).fill(-1) }]));
    byType.set(tree, index);
  }
  return index.get(type) ?? NO_NODES;
}

/**
 * Descendants of `node` (itself included) of the given types, in document order. The per-type lists of the
 * whole tree are collected once and sliced by offsets, so rules may ask for the calls of every loop they meet.
 * The answer for one indexed type under the root is the index's own list: read it, never change it.
 */
export function descendants(node: SyntaxNode, types: string | readonly string[]): readonly SyntaxNode[] {
  const result: SyntaxNode[] = [];
  let end = -1;
  const single = typeof types === 'string';
  for (let t = 0; t < (single ? 1 : types.length); t++) {
    const type = single ? types : types[t];
    if (!INDEXED.has(type)) {
      for (const n of node.descendantsOfType(type)) if (n) result.push(n);
      continue;
    }
    const list = allOfType(node.tree, type);
    const { nodes, ends } = list;
    if (isRoot(node)) {
      // The root holds them all: skip the per-node offset reads (each one a call into wasm).
      if (single) return nodes;
      result.push(...nodes);
      continue;
    }
    // Lists are in pre-order, so sorted by start.
    const start = node.startIndex;
    if (end === -1) end = node.endIndex;
    let lo = 0;
    let hi = nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nodes[mid].startIndex < start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < nodes.length; i++) {
      const s = nodes[i].startIndex;
      if (s > end || (s === end && s !== start)) break;
      // Ranges nest: what starts strictly inside `node` lies inside it. One that starts where it starts may be
      // an ancestor: its end decides.
      if (s > start || nodes[i].id === node.id) {
        result.push(nodes[i]);
        continue;
      }
      if (ends[i] === -1) ends[i] = nodes[i].endIndex;
      if (ends[i] <= end && s < end) result.push(nodes[i]);
    }
  }
  if (!single && types.length > 1) result.sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
  return result;
}

const rootIds = new WeakMap<SyntaxTree, number>();

/**
 * Whether `node` is its tree's root, from the root's id (read once per tree). Asking for the node's parent
 * instead costs a descent from the root that scans the root's children: linear in the file's top-level
 * statements, for every node asked.
 */
function isRoot(node: SyntaxNode): boolean {
  let id = rootIds.get(node.tree);
  if (id === undefined) rootIds.set(node.tree, (id = node.tree.rootNode.id));
  return node.id === id;
}

/** Named children, without the nulls the typings allow for. */
export function namedChildren(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((n): n is SyntaxNode => n !== null);
}

const dottedNames: NodeMemo<string | null> = new WeakMap();

/** `torch.nn.GRU` for an identifier/attribute chain; `null` for anything else (calls, subscripts, ...). Memoised per tree. */
export function dottedName(node: SyntaxNode | null): string | null {
  return node ? memoised(dottedNames, node, readDottedName) : null;
}

function readDottedName(node: SyntaxNode): string | null {
  const type = node.type;
  if (type === 'identifier') return node.text;
  if (type === 'attribute') {
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

/** The first segment of a dotted name: `self` for `self.losses`. */
export function firstSegment(name: string): string {
  const dot = name.indexOf('.');
  return dot === -1 ? name : name.slice(0, dot);
}

/** A call's callee, taken apart once. */
interface Callee {
  /** `optimizer.step` for `optimizer.step()`; null when the callee is not a dotted name. */
  readonly name: string | null;
  /** `step` for `x.step()`, whatever `x` is; null when the callee is not an attribute. */
  readonly method: string | null;
  /** `x` for `x.step()`. */
  readonly receiver: SyntaxNode | null;
  /** The receiver's dotted name (`self.optimizer` for `self.optimizer.step()`); null when it is not one. */
  readonly receiverName: string | null;
}

const callees = new WeakMap<SyntaxTree, Map<number, Callee>>();

/** The callee of a call, memoised per tree (every rule asks about every call). */
function callee(call: SyntaxNode): Callee {
  let cache = callees.get(call.tree);
  if (!cache) callees.set(call.tree, (cache = new Map()));
  let info = cache.get(call.id);
  if (!info) cache.set(call.id, (info = readCallee(call)));
  return info;
}

function readCallee(call: SyntaxNode): Callee {
  // Most callees are written as a plain dotted name right before their `(`: read it from the source. Not when a
  // call starts at the same place inside this one (`f(x)(y)`, `a.b(x).c(y)`), whose own `(` that would be.
  const written = compoundCalls(call.tree).has(call.id) ? null : writtenCallee(call);
  if (written !== null) {
    const dot = written.lastIndexOf('.');
    return dot === -1
      ? { name: written, method: null, receiver: null, receiverName: null }
      : new WrittenMethodCallee(written, written.slice(dot + 1), written.slice(0, dot), call);
  }
  const fn = call.childForFieldName('function');
  const type = fn?.type;
  if (fn && type === 'attribute') {
    const receiver = fn.childForFieldName('object');
    const method = fn.childForFieldName('attribute')?.text ?? null;
    const object = dottedName(receiver);
    return { name: object !== null && method !== null ? `${object}.${method}` : null, method, receiver, receiverName: object };
  }
  return { name: fn && type === 'identifier' ? fn.text : null, method: null, receiver: null, receiverName: null };
}

/** A `receiver.method(...)` callee read from the source: the receiver node is looked up only when asked for. */
class WrittenMethodCallee implements Callee {
  private receiverNode: SyntaxNode | null | undefined;
  constructor(
    readonly name: string,
    readonly method: string,
    readonly receiverName: string,
    private readonly call: SyntaxNode,
  ) {}
  get receiver(): SyntaxNode | null {
    if (this.receiverNode === undefined) this.receiverNode = this.call.childForFieldName('function')?.childForFieldName('object') ?? null;
    return this.receiverNode;
  }
}

const compoundCallSets = new WeakMap<SyntaxTree, Set<number>>();

/**
 * Ids of the calls with another call starting at the same offset inside them (`f(x)` in `f(x)(y)`). The calls
 * are listed in pre-order, so such a call is the one right before its inner call.
 */
function compoundCalls(tree: SyntaxTree): Set<number> {
  let set = compoundCallSets.get(tree);
  if (!set) {
    set = new Set();
    const { nodes } = allOfType(tree, 'call');
    for (let i = 0; i + 1 < nodes.length; i++) if (nodes[i + 1].startIndex === nodes[i].startIndex) set.add(nodes[i].id);
    compoundCallSets.set(tree, set);
  }
  return set;
}

/** Heads that read as names but are literals to the grammar (`None.x` is no dotted name). */
const LITERAL_HEADS = new Set(['None', 'True', 'False']);

/**
 * Where the dotted name written at `at` in `text` ends (`self.optimizer.step` in `self.optimizer.step(`): ASCII
 * identifiers joined by dots with nothing between them; -1 when the source there is not that.
 */
function dottedNameEnd(text: string, at: number): number {
  for (;;) {
    at = identifierEnd(text, at);
    if (at === -1 || text.charCodeAt(at) !== 0x2e /* . */) return at;
    at++;
  }
}

/** Where the ASCII identifier written at `at` ends; -1 when none starts there. */
function identifierEnd(text: string, at: number): number {
  if (!isIdentifierStart(text.charCodeAt(at))) return -1;
  at++;
  while (at < text.length && isIdentifierPart(text.charCodeAt(at))) at++;
  return at;
}

/** `at` moved past the spaces and tabs written there. */
function skipBlanks(text: string, at: number): number {
  while (text.charCodeAt(at) === 0x20 || text.charCodeAt(at) === 0x09) at++;
  return at;
}

/** Whether a lone `=` stands at `at` (not `==`). */
function isSingleEquals(text: string, at: number): boolean {
  return text.charCodeAt(at) === 0x3d /* = */ && text.charCodeAt(at + 1) !== 0x3d;
}

/**
 * The dotted name written at the start of a call, read from the source when its `(` follows it directly
 * (`self.optimizer.step(`); null otherwise (a space before `(`, a subscript, a string prefix, a non-ASCII name,
 * `None.x`), and the caller asks the tree. This reads characters of a node tree-sitter has delimited, and only
 * where they can mean one thing; it spares the calls into wasm that taking a name apart node by node costs,
 * thousands per file. The caller rules out calls whose callee starts with another call (`f(x)(y)`).
 */
function writtenCallee(call: SyntaxNode): string | null {
  const text = sources.get(call.tree);
  if (text === undefined) return null;
  const start = call.startIndex;
  const end = dottedNameEnd(text, start);
  if (end === -1 || text.charCodeAt(end) !== 0x28 /* ( */) return null;
  return plainName(text.slice(start, end));
}

/** `name` unless its head is a literal (`None.x`). */
function plainName(name: string): string | null {
  return LITERAL_HEADS.has(firstSegment(name)) ? null : name;
}

/** An assignment or augmented assignment as written on its line: `total += loss`, `self.opt = make(...)`. */
export interface WrittenAssignment {
  /** The target's dotted name (`total`, `self.opt`). */
  readonly target: string;
  /** `=`, `+=`, `-=`, ... */
  readonly operator: string;
  /**
   * The first name of the value (`total` in `total = total + loss`, `torch` in `x = torch.zeros(1)`), `''` when
   * the value starts with anything but a name (a number, a bracket, a string), or null when the source cannot
   * say (a line continuation, a non-ASCII name).
   */
  readonly valueHead: string | null;
}

const writtenAssignments: NodeMemo<WrittenAssignment | null> = new WeakMap();

/**
 * An `assignment` or `augmented_assignment` node read from the source when its target is a plain dotted name
 * followed by spaces and the operator (see `writtenCallee` for why); null when the tree must be asked (a tuple,
 * a subscript or an annotation as target, a line continuation before the operator).
 */
export function writtenAssignment(node: SyntaxNode): WrittenAssignment | null {
  return memoised(writtenAssignments, node, readWrittenAssignment);
}

function readWrittenAssignment(node: SyntaxNode): WrittenAssignment | null {
  const text = sources.get(node.tree);
  if (text === undefined) return null;
  const start = node.startIndex;
  const end = dottedNameEnd(text, start);
  if (end === -1) return null;
  let at = skipBlanks(text, end);
  const opStart = at;
  while (at - opStart < 3 && AUGMENTED_OPERATOR_CHARS.includes(text[at])) at++;
  if (!isSingleEquals(text, at)) return null;
  at++;
  const operator = text.slice(opStart, at);
  if (operator !== '=' && !AUGMENTED_OPERATORS.has(operator)) return null;
  const target = plainName(text.slice(start, end));
  if (target === null) return null;
  at = skipBlanks(text, at);
  const first = text.charCodeAt(at);
  const stop = identifierEnd(text, at);
  let valueHead: string | null = '';
  if (stop !== -1) {
    valueHead = text.charCodeAt(stop) > 0x7f ? null : text.slice(at, stop);
  } else if (first > 0x7f || first === 0x5c /* \ */ || first === 0x0a || first === 0x0d || first === 0x23 /* # */ || Number.isNaN(first)) {
    valueHead = null;
  }
  return { target, operator, valueHead };
}

const AUGMENTED_OPERATOR_CHARS = '+-*/%@&|^<>';
const AUGMENTED_OPERATORS = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '@=', '&=', '|=', '^=', '>>=', '<<=', '**=']);

function isIdentifierStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isIdentifierPart(c: number): boolean {
  return isIdentifierStart(c) || (c >= 0x30 && c <= 0x39);
}

/** The dotted name of a call's callee (`optimizer.step` for `optimizer.step()`), or `null`. */
export function calleeName(call: SyntaxNode): string | null {
  return callee(call).name;
}

/** For `a.b.method(...)`: the receiver node `a.b`; `null` when the callee is not an attribute. */
export function methodReceiver(call: SyntaxNode): SyntaxNode | null {
  return callee(call).receiver;
}

/** For `a.b.method(...)`: `a.b`, the receiver's dotted name; `null` when the receiver is no dotted name. */
export function methodReceiverName(call: SyntaxNode): string | null {
  return callee(call).receiverName;
}

/** For `x.method(...)`: `method`; `null` when the callee is not an attribute. */
export function methodName(call: SyntaxNode): string | null {
  return callee(call).method;
}

/** A call's arguments, taken apart once. */
interface CallArguments {
  /** Positional arguments, in order. */
  readonly positional: readonly SyntaxNode[];
  /** Keyword name → the `keyword_argument` node (the first `name=` when repeated). */
  readonly keywords: ReadonlyMap<string, SyntaxNode>;
  /** Whether the arguments are a parenthesised list (not `f(x for x in y)`), whether it holds `*a` or `**k`. */
  readonly list: boolean;
  readonly splat: boolean;
  /** The last argument, comments aside. */
  readonly last: SyntaxNode | null;
}

const NO_ARGUMENTS: CallArguments = { positional: [], keywords: new Map(), list: false, splat: false, last: null };
const callArguments: NodeMemo<CallArguments> = new WeakMap();

/** The arguments of a call, memoised per tree (rules ask for `lr=`, `p=`, the first argument of most calls). */
function argumentsOf(call: SyntaxNode): CallArguments {
  return memoised(callArguments, call, readArguments);
}

const keywordSets = new WeakMap<SyntaxTree, Set<number>>();

/** Ids of the `keyword_argument` nodes of a tree (from the index: telling them apart costs no call into wasm). */
function keywordIds(tree: SyntaxTree): Set<number> {
  let ids = keywordSets.get(tree);
  if (!ids) keywordSets.set(tree, (ids = new Set(allOfType(tree, 'keyword_argument').nodes.map((n) => n.id))));
  return ids;
}

function readArguments(call: SyntaxNode): CallArguments {
  const args = call.childForFieldName('arguments');
  if (!args) return NO_ARGUMENTS;
  const positional: SyntaxNode[] = [];
  let keywords: Map<string, SyntaxNode> | undefined;
  const isList = args.type === 'argument_list';
  const keywordNodes = keywordIds(call.tree);
  const text = sources.get(call.tree);
  let splat = false;
  let last: SyntaxNode | null = null;
  for (const a of namedChildren(args)) {
    if (keywordNodes.has(a.id)) {
      const name = keywordName(a);
      keywords ??= new Map();
      if (name !== null && !keywords.has(name)) keywords.set(name, a);
      last = a;
      continue;
    }
    if (!isList) continue;
    // `*args`, `**kwargs` and comments are not positional; only they start with `*` or `#`.
    const first = text === undefined ? a.type : text[a.startIndex];
    if (first === '#' || first === 'comment') continue;
    last = a;
    if (first === '*' || first === 'list_splat' || first === 'dictionary_splat') splat = true;
    else positional.push(a);
  }
  return { positional, keywords: keywords ?? NO_ARGUMENTS.keywords, list: isList, splat, last };
}

/** The name of a `keyword_argument` (`p` of `p=0.5`), read from the source where it is written plainly (see `writtenCallee`). */
export function keywordName(argument: SyntaxNode): string | null {
  const text = sources.get(argument.tree);
  if (text !== undefined) {
    const start = argument.startIndex;
    const end = identifierEnd(text, start);
    if (end !== -1 && isSingleEquals(text, skipBlanks(text, end))) return text.slice(start, end);
  }
  return argument.childForFieldName('name')?.text ?? null;
}

const keywordValues: NodeMemo<SyntaxNode | null> = new WeakMap();

/** The value of a `keyword_argument` node (`0.5` of `p=0.5`), memoised per tree. */
function keywordValue(argument: SyntaxNode): SyntaxNode | null {
  return memoised(keywordValues, argument, (a) => a.childForFieldName('value'));
}

/** A call's argument list as a whole: whether it is one (`f(x for x in y)` is not), holds `*a`/`**k`, and its last argument. */
export function argumentList(call: SyntaxNode): { readonly list: boolean; readonly splat: boolean; readonly last: SyntaxNode | null } {
  return argumentsOf(call);
}

/** Positional arguments of a call (keyword arguments, `*args` and `**kwargs` excluded). */
export function positionalArguments(call: SyntaxNode): SyntaxNode[] {
  return argumentsOf(call).positional.slice();
}

/** The value of keyword argument `name=` of a call, or `null`. */
export function keywordArgument(call: SyntaxNode, name: string): SyntaxNode | null {
  const argument = argumentsOf(call).keywords.get(name);
  return argument ? keywordValue(argument) : null;
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
 * analysis time. (Redoing that descent here with `childWithDescendant` and a binary search over the root's
 * children was measured slower: each step is a call into wasm, where tree-sitter's own descent is one.)
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

const loops: NodeMemo<SyntaxNode | null> = new WeakMap();
const functions: NodeMemo<SyntaxNode | null> = new WeakMap();
const classes: NodeMemo<SyntaxNode | null> = new WeakMap();

/**
 * Definitions and loops of a tree in document order, with their ends and nesting, so that "which function (loop,
 * class) is this node in" is answered from offsets: a binary search and a few steps out, where walking up
 * the parents costs a call into wasm per ancestor (each one a descent from the root in tree-sitter).
 */
interface Regions {
  readonly nodes: readonly SyntaxNode[];
  readonly types: readonly string[];
  readonly ends: Int32Array;
  /** Index of the innermost region around region `i`, or -1. */
  readonly outer: Int32Array;
}

const REGION_TYPES = {
  function: ['function_definition'],
  class: ['class_definition'],
  loopOrScope: ['for_statement', 'while_statement', 'function_definition', 'class_definition', 'lambda'],
} as const;
const regionSets = new WeakMap<SyntaxTree, Map<keyof typeof REGION_TYPES, Regions>>();

function regionsOf(tree: SyntaxTree, kind: keyof typeof REGION_TYPES): Regions {
  let sets = regionSets.get(tree);
  if (!sets) regionSets.set(tree, (sets = new Map()));
  let set = sets.get(kind);
  if (!set) {
    const entries: { node: SyntaxNode; type: string; end: number }[] = [];
    for (const type of REGION_TYPES[kind]) {
      const { nodes, ends } = allOfType(tree, type);
      for (let i = 0; i < nodes.length; i++) {
        if (ends[i] === -1) ends[i] = nodes[i].endIndex;
        entries.push({ node: nodes[i], type, end: ends[i] });
      }
    }
    entries.sort((a, b) => a.node.startIndex - b.node.startIndex || b.end - a.end);
    // Sorted by start, a region lies in the one before it when that one ends no earlier; else in that one's outer.
    const outer = new Int32Array(entries.length);
    const open: number[] = [];
    for (let i = 0; i < entries.length; i++) {
      while (open.length > 0 && entries[open[open.length - 1]].end < entries[i].end) open.pop();
      outer[i] = open.length > 0 ? open[open.length - 1] : -1;
      open.push(i);
    }
    set = {
      nodes: entries.map((e) => e.node),
      types: entries.map((e) => e.type),
      ends: Int32Array.from(entries, (e) => e.end),
      outer,
    };
    sets.set(kind, set);
  }
  return set;
}

/**
 * Index of the innermost region strictly around `node` (an ancestor of it), -1 when there is none, or
 * undefined when offsets cannot tell: an empty node, or one with the same range as a region (a block holding
 * one function is as long as the function, but its parent, not its child).
 */
function innermostRegion(set: Regions, node: SyntaxNode): number | undefined {
  const start = node.startIndex;
  const end = node.endIndex;
  if (start === end) return undefined;
  const { nodes, ends, outer } = set;
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (nodes[mid].startIndex <= start) lo = mid + 1;
    else hi = mid;
  }
  // The last region starting at or before `node` either holds it or lies before it inside the regions that do.
  for (let i = lo - 1; i >= 0; i = outer[i]) {
    if (nodes[i].id === node.id || ends[i] < end) continue;
    if (nodes[i].startIndex === start && ends[i] === end) return undefined;
    return i;
  }
  return -1;
}

/**
 * The nearest ancestor of `node` that `classify` calls a match, or null when it meets a stop (or the root)
 * first, by walking up the parents: for what offsets cannot tell (see `innermostRegion`).
 */
function nearestAncestor(node: SyntaxNode, classify: (type: string) => 'match' | 'stop' | 'pass'): SyntaxNode | null {
  for (let parent = parentOf(node); parent; parent = parentOf(parent)) {
    const kind = classify(parent.type);
    if (kind !== 'pass') return kind === 'match' ? parent : null;
  }
  return null;
}

const loopOrScope = (type: string) => (LOOP_TYPES.has(type) ? 'match' : SCOPE_TYPES.has(type) ? 'stop' : 'pass');
const functionDefinition = (type: string) => (type === 'function_definition' ? 'match' : 'pass');
const classDefinition = (type: string) => (type === 'class_definition' ? 'match' : 'pass');

/** The innermost `for`/`while` around `node` within its own function; `null` when there is none. */
export function enclosingLoop(node: SyntaxNode): SyntaxNode | null {
  return memoised(loops, node, findLoop);
}

function findLoop(node: SyntaxNode): SyntaxNode | null {
  const set = regionsOf(node.tree, 'loopOrScope');
  const i = innermostRegion(set, node);
  if (i === undefined) return nearestAncestor(node, loopOrScope);
  return i !== -1 && LOOP_TYPES.has(set.types[i]) ? set.nodes[i] : null;
}

/** The innermost function definition around `node`, or `null` at module level. */
export function enclosingFunction(node: SyntaxNode): SyntaxNode | null {
  return memoised(functions, node, (n) => findDefinition(n, 'function', functionDefinition));
}

/** The innermost class definition around `node`, or `null`. */
export function enclosingClass(node: SyntaxNode): SyntaxNode | null {
  return memoised(classes, node, (n) => findDefinition(n, 'class', classDefinition));
}

/** The innermost definition of one kind around `node`: from offsets, else by walking up the parents. */
function findDefinition(node: SyntaxNode, kind: 'function' | 'class', classify: (type: string) => 'match' | 'pass'): SyntaxNode | null {
  const set = regionsOf(node.tree, kind);
  const i = innermostRegion(set, node);
  if (i === undefined) return nearestAncestor(node, classify);
  return i === -1 ? null : set.nodes[i];
}

/** Whether `inner` lies within `outer` (same node included). */
export function contains(outer: SyntaxNode, inner: SyntaxNode): boolean {
  const start = inner.startIndex;
  const outerStart = outer.startIndex;
  if (start < outerStart) return false;
  const outerEnd = outer.endIndex;
  // Ranges of one tree nest: a node that starts strictly inside another lies inside it (no end to read).
  if (start > outerStart && start < outerEnd && inner.tree === outer.tree) return true;
  return inner.endIndex <= outerEnd;
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
      if (!list) map.set(name, [node]);
      else if (list[list.length - 1] !== node) list.push(node); // `_, _ = pair` binds `_` once
    };
    for (const a of descendants(tree.rootNode, 'assignment')) {
      const written = writtenAssignment(a);
      if (written !== null && written.operator === '=') {
        add(index.plain, written.target, a);
        continue;
      }
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

const rightHandSides = new WeakMap<SyntaxTree, Map<string, readonly SyntaxNode[]>>();

/** The right-hand sides of `name = value` anywhere in the file (plain, annotated or dotted targets like `self.x`). */
export function assignedValues(tree: SyntaxTree, name: string): SyntaxNode[] {
  let cache = rightHandSides.get(tree);
  if (!cache) rightHandSides.set(tree, (cache = new Map()));
  let values = cache.get(name);
  if (!values) cache.set(name, (values = assignmentsTo(tree, name).flatMap((a) => a.childForFieldName('right') ?? [])));
  return values.slice();
}

/**
 * The `nodes` that lie inside `scope` (as `contains` says), in their order: a binary search when they are sorted
 * by start, as lists from `descendants` and `assignedValues` are, so that asking it for every loop of a
 * file does not cost a pass over every node for each.
 */
export function nodesWithin(nodes: readonly SyntaxNode[], scope: SyntaxNode): SyntaxNode[] {
  for (let i = 1; i < nodes.length; i++) {
    if (nodes[i].startIndex < nodes[i - 1].startIndex) return nodes.filter((n) => contains(scope, n));
  }
  const start = scope.startIndex;
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (nodes[mid].startIndex < start) lo = mid + 1;
    else hi = mid;
  }
  const result: SyntaxNode[] = [];
  if (lo === nodes.length) return result;
  const end = scope.endIndex;
  for (let i = lo; i < nodes.length && nodes[i].startIndex <= end; i++) {
    const s = nodes[i].startIndex;
    // Nested ranges, as in `contains`: only a node starting at either end of the scope needs its end read.
    if ((s > start && s < end && nodes[i].tree === scope.tree) || nodes[i].endIndex <= end) result.push(nodes[i]);
  }
  return result;
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
  if (lo === nodes.length) return false;
  const s = nodes[lo].startIndex;
  const end = node.endIndex;
  // Nested ranges, as in `contains`.
  return (s > node.startIndex && s < end && nodes[lo].tree === node.tree) || nodes[lo].endIndex <= end;
}
