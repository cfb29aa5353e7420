/**
 * What feeds a loss: PyTorch loss calls, and the output activation (softmax, sigmoid) that produced their
 * input, traced through local variables, `self.<module>` attributes, `nn.Sequential` and a model class's
 * `forward` (in this file or, through the project, in the file it was imported from). Shared by
 * `softmax-before-ce` and `sigmoid-bce`.
 */

import type { TextEdit } from '../types';
import type { Project, SourceFile } from './project';
import {
  assignmentsTo,
  calleeName,
  descendants,
  dottedName,
  enclosingClass,
  enclosingFunction,
  keywordArgument,
  lastSegment,
  methodName,
  methodReceiver,
  parentOf,
  patternAssignmentsTo,
  positionalArguments,
  type SyntaxNode,
  type SyntaxTree,
} from './python';
import { readImports, resolveName, type ImportTable } from './imports';
import { peelModuleChain } from './torch';

export type ActivationKind = 'softmax' | 'sigmoid' | 'log_softmax';

const ACTIVATION_FUNCTIONS: ReadonlyMap<string, ActivationKind> = new Map([
  ['torch.softmax', 'softmax'], ['torch.nn.functional.softmax', 'softmax'], ['torch.special.softmax', 'softmax'],
  ['torch.sigmoid', 'sigmoid'], ['torch.nn.functional.sigmoid', 'sigmoid'], ['torch.special.expit', 'sigmoid'],
  ['torch.log_softmax', 'log_softmax'], ['torch.nn.functional.log_softmax', 'log_softmax'],
]);
const ACTIVATION_METHODS: ReadonlyMap<string, ActivationKind> = new Map([
  ['softmax', 'softmax'], ['sigmoid', 'sigmoid'], ['log_softmax', 'log_softmax'],
]);
const ACTIVATION_MODULES: ReadonlyMap<string, ActivationKind> = new Map([
  ['torch.nn.Softmax', 'softmax'], ['torch.nn.Sigmoid', 'sigmoid'], ['torch.nn.LogSoftmax', 'log_softmax'],
]);
/** Methods that return the module they are called on: `Net().to(device)` is still the `Net`. */
const MAX_DEPTH = 12;

const importTables = new WeakMap<SyntaxTree, ImportTable>();

/** `readImports` of a file, once per tree. */
export function importsOf(source: SourceFile): ImportTable {
  return importsOfTree(source.tree);
}

/** `readImports` of the file a tree was parsed from, once per tree. */
export function importsOfTree(tree: SyntaxTree): ImportTable {
  let table = importTables.get(tree);
  if (!table) importTables.set(tree, (table = readImports(tree.rootNode)));
  return table;
}

/**
 * The fully qualified PyTorch name of a callee: through the imports, and with the conventional aliases `nn`
 * and `F` (snippets use them without the import) read as `torch.nn` and `torch.nn.functional`.
 */
export function torchName(name: string, imports: ImportTable): string {
  const resolved = resolveName(name, imports);
  if (resolved !== name) return resolved;
  if (name.startsWith('nn.')) return `torch.${name}`;
  if (name.startsWith('F.')) return `torch.nn.functional.${name.slice(2)}`;
  if (!name.includes('.') && imports.starModules.includes('torch.nn')) return `torch.nn.${name}`;
  return name;
}

const qualifiedMemo = new WeakMap<SyntaxTree, Map<number, string | null>>();

/** `torchName` of a call's callee, memoised per tree (several rules ask it of every call); null when not a dotted name. */
export function qualifiedCallee(call: SyntaxNode): string | null {
  let memo = qualifiedMemo.get(call.tree);
  if (!memo) qualifiedMemo.set(call.tree, (memo = new Map()));
  let qualified = memo.get(call.id);
  if (qualified === undefined) {
    const name = calleeName(call);
    qualified = name === null ? null : torchName(name, importsOfTree(call.tree));
    memo.set(call.id, qualified);
  }
  return qualified;
}

// ---------------------------------------------------------------------------------------------------------------
// Losses

export type LossKind = 'cross-entropy' | 'nll' | 'bce' | 'bce-with-logits';

const LOSS_CLASSES: ReadonlyMap<string, LossKind> = new Map([
  ['torch.nn.CrossEntropyLoss', 'cross-entropy'], ['torch.nn.NLLLoss', 'nll'], ['torch.nn.BCELoss', 'bce'],
  ['torch.nn.BCEWithLogitsLoss', 'bce-with-logits'],
]);
const LOSS_FUNCTIONS: ReadonlyMap<string, LossKind> = new Map([
  ['torch.nn.functional.cross_entropy', 'cross-entropy'], ['torch.nn.functional.nll_loss', 'nll'],
  ['torch.nn.functional.binary_cross_entropy', 'bce'],
  ['torch.nn.functional.binary_cross_entropy_with_logits', 'bce-with-logits'],
]);

/** One call that computes a loss. */
export interface LossCall {
  readonly kind: LossKind;
  /** The call computing the loss: `criterion(out, y)`, `F.cross_entropy(out, y)`. */
  readonly call: SyntaxNode;
  /** Its input (the prediction), the first positional argument or `input=`. */
  readonly input: SyntaxNode;
  /** Where the loss is named: the `nn.BCELoss` callee of its construction, or the functional callee. */
  readonly lossName: SyntaxNode;
  /** The construction `nn.BCELoss(...)` when the loss is a module; null for functional losses. */
  readonly construction: SyntaxNode | null;
  /** The variable holding the module (`criterion`, `self.loss_fn`); null when called in place. */
  readonly variable: string | null;
}

const lossCallMemo = new WeakMap<SyntaxTree, readonly LossCall[]>();

/** Every PyTorch loss call of the given kinds in a file, in document order. */
export function lossCalls(source: SourceFile, kinds: ReadonlySet<LossKind>): LossCall[] {
  // Found once per tree, of every kind, then filtered: the softmax and the sigmoid rules each ask for theirs. A
  // called name is resolved to the nearest scope that assigns it a loss of any kind (a function's own `crit`
  // shadows the module's, whichever kinds are asked for).
  let all = lossCallMemo.get(source.tree);
  if (!all) lossCallMemo.set(source.tree, (all = findLossCalls(source)));
  return all.filter((loss) => kinds.has(loss.kind));
}

function findLossCalls(source: SourceFile): LossCall[] {
  const calls = descendants(source.root, 'call');
  const modules = new Map<string, { kind: LossKind; construction: SyntaxNode }[]>();
  const moduleNames = new Set<string>();
  const direct: LossCall[] = [];
  for (const call of calls) {
    const qualified = qualifiedCallee(call);
    if (qualified === null) continue;
    const fnKind = LOSS_FUNCTIONS.get(qualified);
    const input = fnKind ? lossInput(call) : null;
    if (fnKind && input) {
      direct.push({ kind: fnKind, call, input, lossName: call.childForFieldName('function')!, construction: null, variable: null });
      continue;
    }
    const classKind = LOSS_CLASSES.get(qualified);
    if (!classKind) continue;
    const parent = parentOf(call);
    if (parent?.type === 'call' && parent.childForFieldName('function')?.id === call.id) {
      const inputInPlace = lossInput(parent);
      if (inputInPlace) direct.push({ kind: classKind, call: parent, input: inputInPlace, lossName: call.childForFieldName('function')!, construction: call, variable: null });
    } else if (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === call.id) {
      const variable = dottedName(parent.childForFieldName('left'));
      const key = variable === null ? null : `${scopeKey(parent, variable)}:${variable}`;
      if (key !== null) modules.set(key, [...(modules.get(key) ?? []), { kind: classKind, construction: call }]);
      if (variable !== null) moduleNames.add(variable);
    }
  }
  if (modules.size > 0) {
    for (const call of calls) {
      const name = calleeName(call);
      if (name === null || !moduleNames.has(name)) continue;
      // The module the name holds where it is called: `self.x` in the class; a plain name in the function, else
      // at module level. One construction, and no other assignment there, or it might hold another loss.
      const scopes = name.startsWith('self.') ? [scopeKey(call, name)] : [scopeKey(call, name), 'module'];
      const scope = scopes.find((key) => modules.has(`${key}:${name}`));
      const held = scope === undefined ? undefined : modules.get(`${scope}:${name}`);
      if (scope === undefined || !held || held.length !== 1) continue;
      const others = scope.startsWith('class ')
        ? assignmentsTo(source.tree, name).filter((a) => scopeKey(a, name) === scope)
        : assignmentsIn(source.tree, name, scope === 'module' ? null : functionOf(call));
      if (others.length !== 1) continue;
      const input = lossInput(call);
      if (input) {
        direct.push({
          kind: held[0].kind, call, input, lossName: held[0].construction.childForFieldName('function')!,
          construction: held[0].construction, variable: name,
        });
      }
    }
  }
  return direct.sort((a, b) => a.call.startIndex - b.call.startIndex);
}

const functionMemo = new WeakMap<SyntaxTree, Map<number, SyntaxNode | null>>();

/** `enclosingFunction`, memoised per tree: the rules ask it for every assignment of a name at every use. */
export function functionOf(node: SyntaxNode): SyntaxNode | null {
  let memo = functionMemo.get(node.tree);
  if (!memo) functionMemo.set(node.tree, (memo = new Map()));
  let fn = memo.get(node.id);
  if (fn === undefined) {
    fn = enclosingFunction(node);
    memo.set(node.id, fn);
  }
  return fn;
}

/** Where a name lives: `self.x` in its class, a plain name in its function (or `module`). */
function scopeKey(node: SyntaxNode, name: string): string {
  if (name.startsWith('self.')) return `class ${enclosingClass(node)?.id ?? 'none'}`;
  const fn = functionOf(node);
  return fn ? `function ${fn.id}` : 'module';
}

const byFunction = new WeakMap<SyntaxTree, Map<string, Map<number | null, SyntaxNode[]>>>();

/** `assignmentsTo` restricted to those directly in function `fn` (module level when null), grouped once per name. */
export function assignmentsIn(tree: SyntaxTree, name: string, fn: SyntaxNode | null): readonly SyntaxNode[] {
  let cache = byFunction.get(tree);
  if (!cache) byFunction.set(tree, (cache = new Map()));
  let groups = cache.get(name);
  if (!groups) {
    groups = new Map();
    for (const a of assignmentsTo(tree, name)) {
      const key = functionOf(a)?.id ?? null;
      const list = groups.get(key);
      if (list) list.push(a);
      else groups.set(key, [a]);
    }
    cache.set(name, groups);
  }
  return groups.get(fn?.id ?? null) ?? [];
}

function lossInput(call: SyntaxNode): SyntaxNode | null {
  return keywordArgument(call, 'input') ?? positionalArguments(call)[0] ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Activations

/** An output activation found upstream of a loss input. */
export interface Activation {
  readonly kind: ActivationKind;
  readonly source: SourceFile;
  /** The activation call (`F.softmax(x, dim=1)`, `x.sigmoid()`, `self.softmax(x)`) or `nn.Softmax(...)` in a Sequential. */
  readonly node: SyntaxNode;
  /** Inside the model (its `forward`, a module attribute, a Sequential) rather than next to the loss. */
  readonly inModel: boolean;
  /** Replaces the activation by its input; null when that cannot be done in place. */
  readonly removal: TextEdit | null;
  /** Renames softmax to log_softmax (`F.softmax` → `F.log_softmax`, `nn.Softmax` → `nn.LogSoftmax`); null when not spelled so that this works. */
  readonly toLogSoftmax: TextEdit | null;
  /** The model variable whose call led here (`model` in `criterion(model(x), y)`), when it went through one. */
  readonly modelVariable: string | null;
}

interface Trace {
  readonly project: Project;
  readonly kinds: ReadonlySet<ActivationKind>;
  modelVariable: string | null;
  inModel: boolean;
}

/**
 * The activations of the given kinds that produce `expression` (in `source`): every path must end in one,
 * or the result is empty (a forward with one softmax return and one logits return proves nothing).
 */
export function activationsFeeding(
  project: Project,
  source: SourceFile,
  expression: SyntaxNode,
  kinds: ReadonlySet<ActivationKind>,
): Activation[] {
  return trace({ project, kinds, modelVariable: null, inModel: false }, source, expression, 0);
}

function trace(t: Trace, source: SourceFile, expression: SyntaxNode, depth: number): Activation[] {
  if (depth > MAX_DEPTH) return [];
  const node = unparenthesize(expression);
  if (node.type === 'identifier') {
    const value = lastAssignmentBefore(source, node.text, node);
    return value ? trace(t, source, value, depth + 1) : [];
  }
  if (node.type !== 'call') return [];
  const direct = directActivation(t, source, node);
  if (direct) return t.kinds.has(direct.kind) ? [direct] : [];
  const fn = node.childForFieldName('function');
  const name = dottedName(fn);
  if (name === null) return [];
  if (name.startsWith('self.') && name.split('.').length === 2) return traceSelfModule(t, source, node, name.slice(5), depth);
  // `model(x)` or `model.forward(x)`: what was `model` built as?
  const variable = name.endsWith('.forward') ? name.slice(0, -'.forward'.length) : name;
  if (variable.includes('(')) return [];
  const built = constructionOf(source, variable, node);
  if (!built) return [];
  if (!t.inModel) t.modelVariable = variable;
  return traceModule(t, source, built, depth);
}

/** An activation spelled as a call: `F.softmax(x)`, `torch.sigmoid(x)`, `x.softmax(1)`. */
function directActivation(t: Trace, source: SourceFile, call: SyntaxNode): Activation | null {
  const imports = importsOf(source);
  const fn = call.childForFieldName('function');
  const name = calleeName(call);
  const qualified = name === null ? null : torchName(name, imports);
  const fnKind = qualified === null ? undefined : ACTIVATION_FUNCTIONS.get(qualified);
  if (fnKind) {
    const input = positionalArguments(call)[0] ?? keywordArgument(call, 'input');
    const renamable = fn?.type === 'attribute' && fnKind === 'softmax' ? fn.childForFieldName('attribute') : null;
    return {
      kind: fnKind, source, node: call, inModel: t.inModel, modelVariable: t.modelVariable,
      removal: input ? replaceWith(source, call, input) : null,
      toLogSoftmax: renamable ? { start: renamable.startIndex, end: renamable.endIndex, newText: 'log_softmax' } : null,
    };
  }
  const method = methodName(call);
  const receiver = methodReceiver(call);
  const methodKind = method === null ? undefined : ACTIVATION_METHODS.get(method);
  // `x.softmax(dim=1)`, but not `torch.softmax(...)`/`F.softmax(...)` with unusual spellings, handled above.
  // `self.softmax(x)` calls a module attribute, traced by `traceSelfModule`.
  if (methodKind && receiver && !isModuleName(receiver, imports) && receiver.text !== 'self') {
    const attribute = fn?.childForFieldName('attribute');
    return {
      kind: methodKind, source, node: call, inModel: t.inModel, modelVariable: t.modelVariable,
      removal: replaceWith(source, call, receiver),
      toLogSoftmax: methodKind === 'softmax' && attribute ? { start: attribute.startIndex, end: attribute.endIndex, newText: 'log_softmax' } : null,
    };
  }
  return null;
}

function isModuleName(receiver: SyntaxNode, imports: ImportTable): boolean {
  const name = dottedName(receiver);
  if (name === null) return false;
  const qualified = torchName(name, imports);
  return qualified === 'torch' || qualified.startsWith('torch.') || name === 'F';
}

/** `self.head(x)` inside a class: what `self.head` was assigned in the class. */
function traceSelfModule(t: Trace, source: SourceFile, call: SyntaxNode, attribute: string, depth: number): Activation[] {
  const cls = enclosingClass(call);
  if (!cls) return [];
  const values = assignmentsTo(source.tree, `self.${attribute}`)
    .filter((a) => enclosingClass(a)?.id === cls.id)
    .map((a) => a.childForFieldName('right'))
    .filter((v): v is SyntaxNode => v !== null);
  if (values.length !== 1 || values[0].type !== 'call') return [];
  const wasInModel = t.inModel;
  t.inModel = true;
  const module = activationModule(source, values[0]);
  if (module) {
    t.inModel = wasInModel;
    if (!t.kinds.has(module.kind)) return [];
    const input = positionalArguments(call)[0];
    return [{
      kind: module.kind, source, node: call, inModel: true, modelVariable: t.modelVariable,
      removal: input ? replaceWith(source, call, input) : null,
      toLogSoftmax: module.rename,
    }];
  }
  const found = traceModule(t, source, values[0], depth + 1);
  t.inModel = wasInModel;
  return found;
}

/** What a module construction outputs through its last activation: a Sequential's last element, a class's forward. */
function traceModule(t: Trace, source: SourceFile, construction: SyntaxNode, depth: number): Activation[] {
  if (depth > MAX_DEPTH) return [];
  const imports = importsOf(source);
  const ctor = calleeName(construction);
  if (ctor === null) return [];
  const wasInModel = t.inModel;
  t.inModel = true;
  try {
    if (torchName(ctor, imports) === 'torch.nn.Sequential') return sequentialOutput(t, source, construction);
    const cls = t.project.resolveClass(source, ctor);
    const forward = cls ? t.project.method(cls, 'forward') : null;
    if (!forward) return [];
    const returns = descendants(forward.node, 'return_statement').filter((r) => functionOf(r)?.id === forward.node.id);
    const found: Activation[] = [];
    for (const ret of returns) {
      const value = ret.firstNamedChild;
      const activations = value ? trace(t, forward.source, value, depth + 1) : [];
      if (activations.length === 0) return [];
      found.push(...activations);
    }
    return found;
  } finally {
    t.inModel = wasInModel;
  }
}

/** The activation ending an `nn.Sequential(...)`, with the edit that drops it from the list. */
function sequentialOutput(t: Trace, source: SourceFile, sequential: SyntaxNode): Activation[] {
  const layers = positionalArguments(sequential);
  const last = layers.at(-1);
  const module = last && last.type === 'call' ? activationModule(source, last) : null;
  if (!last || !module || !t.kinds.has(module.kind)) return [];
  const previous = layers.at(-2);
  return [{
    kind: module.kind, source, node: last, inModel: true, modelVariable: t.modelVariable,
    removal: previous ? { start: previous.endIndex, end: last.endIndex, newText: '' } : null,
    toLogSoftmax: module.rename,
  }];
}

/** `nn.Softmax(dim=1)`, `nn.Sigmoid()`: the activation it is, and the rename to `LogSoftmax`. */
function activationModule(source: SourceFile, call: SyntaxNode): { kind: ActivationKind; rename: TextEdit | null } | null {
  const name = calleeName(call);
  const kind = name === null ? undefined : ACTIVATION_MODULES.get(torchName(name, importsOf(source)));
  if (!kind) return null;
  const fn = call.childForFieldName('function');
  const attribute = fn?.type === 'attribute' ? fn.childForFieldName('attribute') : null;
  const rename = kind === 'softmax' && attribute ? { start: attribute.startIndex, end: attribute.endIndex, newText: 'LogSoftmax' } : null;
  return { kind, rename };
}

/** The construction call a model variable holds (`Net(...)` from `model = Net(...).to(device)`), in sight of `use`. */
export function constructionOf(source: SourceFile, variable: string, use: SyntaxNode): SyntaxNode | null {
  const useFn = functionOf(use);
  const values = [...assignmentsIn(source.tree, variable, null), ...(useFn ? assignmentsIn(source.tree, variable, useFn) : [])]
    .map((a) => a.childForFieldName('right'))
    .filter((v): v is SyntaxNode => v?.type === 'call')
    .map(peelModuleChain);
  const names = new Set(values.map((v) => calleeName(v)));
  return values.length > 0 && names.size === 1 && !names.has(null) ? values[values.length - 1] : null;
}


/**
 * The value of the last plain `name = value` before `use` in the same function (or at module level when
 * `use` is there). Null when the name is bound otherwise in between (a loop target, a tuple assignment).
 */
function lastAssignmentBefore(source: SourceFile, name: string, use: SyntaxNode): SyntaxNode | null {
  const scope = functionOf(use)?.id ?? null;
  const at = use.startIndex;
  const plain = lastBefore(assignmentsIn(source.tree, name, functionOf(use)), at);
  const pattern = patternAssignmentsTo(source.tree, name).filter((a) => a.startIndex < at && (functionOf(a)?.id ?? null) === scope).at(-1);
  if (!plain || (pattern && pattern.startIndex > plain.startIndex)) return null;
  return plain.childForFieldName('right');
}

/** The last node of a document-ordered list that starts before `offset` (binary search: lists can be long). */
function lastBefore(list: readonly SyntaxNode[], offset: number): SyntaxNode | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].startIndex < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? list[lo - 1] : undefined;
}

/** `(x)` → `x`. */
function unparenthesize(node: SyntaxNode): SyntaxNode {
  let current = node;
  while (current.type === 'parenthesized_expression' && current.namedChildCount === 1) current = current.firstNamedChild!;
  return current;
}

const PRIMARY = new Set(['identifier', 'call', 'attribute', 'subscript', 'parenthesized_expression', 'integer', 'float', 'string']);

/** Replaces `node` by the text of `inner`, parenthesised unless it is a primary expression. */
function replaceWith(source: SourceFile, node: SyntaxNode, inner: SyntaxNode): TextEdit {
  const text = source.text.slice(inner.startIndex, inner.endIndex);
  return { start: node.startIndex, end: node.endIndex, newText: PRIMARY.has(inner.type) ? text : `(${text})` };
}

// ---------------------------------------------------------------------------------------------------------------
// Who else reads an output

/**
 * Whether every read of the value `producer` computes (a model call or an activation call whose result the
 * loss reads; `losses` holds the node ids of the loss inputs) is one the fix keeps correct: the loss itself, or (with `argmaxOk`) an `argmax`, which softmax
 * does not change (`max` is not: its values change). A value returned, printed, stored or thresholded is not.
 */
export function onlyReadByLossOrArgmax(producer: SyntaxNode, losses: ReadonlySet<number>, argmaxOk: boolean): boolean {
  const parent = parentOf(producer);
  if (!parent) return false;
  if (isLossInput(producer, losses) || (argmaxOk && isArgmaxOf(producer))) return true;
  if (parent.type === 'assignment' && parent.childForFieldName('right')?.id === producer.id) {
    const left = parent.childForFieldName('left');
    if (left?.type !== 'identifier') return false;
    const scope = functionOf(parent);
    // The reads of this value: from the assignment to the next plain assignment of the name in the same scope,
    // searched in that range of the tree only (a module-level script may assign `out` hundreds of times).
    const container = scope ?? producer.tree.rootNode;
    const later = assignmentsIn(producer.tree, left.text, scope);
    const next = later.find((a) => a.startIndex > parent.startIndex);
    const ids = container.descendantsOfType('identifier', parent.endPosition, next ? next.startPosition : container.endPosition);
    for (const id of ids) {
      if (!id || id.text !== left.text || id.startIndex < parent.endIndex || (next && id.startIndex >= next.startIndex)) continue;
      if ((functionOf(id)?.id ?? null) !== (scope?.id ?? null)) continue;
      if (isAssignedAgain(id)) break;
      if (!isLossInput(id, losses) && !(argmaxOk && isArgmaxOf(id))) return false;
    }
    return true;
  }
  return false;
}

function isLossInput(node: SyntaxNode, losses: ReadonlySet<number>): boolean {
  return losses.has(node.id);
}

/** `x.argmax(...)`, `torch.argmax(x, ...)`. */
function isArgmaxOf(node: SyntaxNode): boolean {
  const parent = parentOf(node);
  if (parent?.type === 'attribute' && parent.childForFieldName('object')?.id === node.id) {
    const attribute = parent.childForFieldName('attribute')?.text;
    const call = parentOf(parent);
    if (call?.type !== 'call' || call.childForFieldName('function')?.id !== parent.id) return false;
    return attribute === 'argmax';
  }
  if (parent?.type === 'argument_list') {
    const call = parentOf(parent);
    const name = call ? calleeName(call) : null;
    return name !== null && lastSegment(name) === 'argmax' && positionalArguments(call!)[0]?.id === node.id;
  }
  return false;
}

/** `x = ...` later in the function: a new value, not a read of this one. */
function isAssignedAgain(id: SyntaxNode): boolean {
  const parent = parentOf(id);
  return parent?.type === 'assignment' && parent.childForFieldName('left')?.id === id.id;
}

const callIndexes = new WeakMap<SyntaxTree, Map<string, SyntaxNode[]>>();

/** The calls of a file whose callee is the dotted name `name`, in document order, indexed once per tree. */
export function callsTo(tree: SyntaxTree, name: string): readonly SyntaxNode[] {
  let index = callIndexes.get(tree);
  if (!index) {
    index = new Map();
    for (const call of descendants(tree.rootNode, 'call')) {
      const callee = calleeName(call);
      if (callee === null) continue;
      const list = index.get(callee);
      if (list) list.push(call);
      else index.set(callee, [call]);
    }
    callIndexes.set(tree, index);
  }
  return index.get(name) ?? [];
}

/** The calls of a model variable in a file (`model(x)`, `model.forward(x)`). */
export function modelCalls(source: SourceFile, variable: string): SyntaxNode[] {
  return [...callsTo(source.tree, variable), ...callsTo(source.tree, `${variable}.forward`)];
}
