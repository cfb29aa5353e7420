/**
 * Keras models as scripts build them: `Sequential([...])`, `model.add(...)` chains and functional
 * `Model(inputs, outputs)`; their layers, activations and `compile(...)` arguments. Shared by the rules that
 * look at Keras code (`softmax-before-ce`, `single-unit-softmax`, `rnn-no-grad-clip`).
 */

import type { TextEdit } from '../types';
import {
  assignmentsTo,
  calleeName,
  descendants,
  dottedName,
  keywordArgument,
  lastSegment,
  methodName,
  methodReceiverName,
  positionalArguments,
  stringValue,
  type SyntaxNode,
  type SyntaxTree,
} from './python';
import { readImports, resolveName, type ImportTable } from './imports';

const facts = new WeakMap<SyntaxTree, { imports: ImportTable; keras: boolean }>();

/** What the Keras helpers need of a file, once per tree (the root is asked of the tree only then: it is a call into wasm). */
function fileFacts(tree: SyntaxTree): { imports: ImportTable; keras: boolean } {
  let found = facts.get(tree);
  if (!found) {
    const root = tree.rootNode;
    const imports = readImports(root);
    const kerasImport = [...imports.names.values(), ...imports.starModules].some((q) => q.includes('keras') || q === 'tensorflow');
    // Snippets (seed 004) often show no imports: a `compile(...)` call with `optimizer=`/`loss=` is Keras enough.
    const compiles = descendants(root, 'call').some((c) => methodName(c) === 'compile' && (keywordArgument(c, 'loss') ?? keywordArgument(c, 'optimizer')));
    found = { imports, keras: kerasImport || compiles };
    facts.set(tree, found);
  }
  return found;
}

/** Whether the file uses Keras (a `keras` import, or a `compile(loss=/optimizer=)` call in an import-less snippet). */
export function isKerasFile(root: SyntaxNode): boolean {
  return fileFacts(root.tree).keras;
}

/**
 * The Keras class a call constructs (`Dense`, `LSTM`, `Adam`), or null: the callee must resolve into a
 * `keras` module, or be unimported in a file that uses Keras and does not import PyTorch's layers wholesale.
 */
export function kerasClass(call: SyntaxNode): string | null {
  const name = calleeName(call);
  if (name === null) return null;
  const { imports, keras } = fileFacts(call.tree);
  const resolved = resolveName(name, imports);
  if (resolved !== name) return resolved.includes('keras') ? lastSegment(resolved) : null;
  if (!keras || imports.starModules.some((m) => m.startsWith('torch'))) return null;
  const head = name.split('.')[0];
  return !name.includes('.') || ['layers', 'keras', 'optimizers', 'losses', 'tf'].includes(head) ? lastSegment(name) : null;
}

/** An edit replacing the content of a string literal, keeping its quotes. */
export function replaceStringContent(node: SyntaxNode, newContent: string): TextEdit | null {
  const start = node.namedChildren.find((c) => c?.type === 'string_start');
  const end = node.namedChildren.find((c) => c?.type === 'string_end');
  if (!start || !end) return null;
  return { start: start.endIndex, end: end.startIndex, newText: newContent };
}

/** The activation a layer applies: `Dense(..., activation='softmax')`, `Activation('softmax')`, `Softmax()`. */
export function layerActivation(layer: SyntaxNode): { name: string; node: SyntaxNode | null } | null {
  const cls = kerasClass(layer);
  if (cls === null) return null;
  if (cls === 'Softmax') return { name: 'softmax', node: null };
  const value = cls === 'Activation' ? (positionalArguments(layer)[0] ?? keywordArgument(layer, 'activation')) : keywordArgument(layer, 'activation');
  if (!value) return null;
  const text = stringValue(value) ?? dottedName(value);
  return text === null ? null : { name: lastSegment(text), node: value };
}

/** The layers of a Keras model variable in order: `Sequential([...])` then `model.add(...)`; functional models: the output layer only. */
export function modelLayers(root: SyntaxNode, model: string): SyntaxNode[] {
  const layers: SyntaxNode[] = [];
  for (const assignment of assignmentsTo(root.tree, model)) {
    const value = assignment.childForFieldName('right');
    if (value?.type !== 'call') continue;
    const cls = kerasClass(value);
    if (cls === 'Sequential') {
      const list = positionalArguments(value)[0] ?? keywordArgument(value, 'layers');
      layers.length = 0;
      if (list?.type === 'list') layers.push(...list.namedChildren.filter((c): c is SyntaxNode => c?.type === 'call'));
    } else if (cls === 'Model' || cls === 'Functional') {
      const outputs = keywordArgument(value, 'outputs') ?? positionalArguments(value)[1];
      const layer = outputs ? appliedLayer(root, outputs) : null;
      layers.length = 0;
      if (layer) layers.push(layer);
    }
  }
  for (const call of descendants(root, 'call')) {
    if (methodName(call) !== 'add' || methodReceiverName(call) !== model) continue;
    const layer = positionalArguments(call)[0];
    if (layer?.type === 'call') layers.push(layer);
  }
  return layers;
}

/** `Dense(10, activation='softmax')` for `out = Dense(10, activation='softmax')(x)`, through one variable. */
function appliedLayer(root: SyntaxNode, outputs: SyntaxNode): SyntaxNode | null {
  let value: SyntaxNode | null = outputs;
  if (value.type === 'identifier') {
    const name: string = value.text;
    const assigned = assignmentsTo(root.tree, name);
    value = assigned.length > 0 ? assigned[assigned.length - 1].childForFieldName('right') : null;
  }
  const layer = value?.type === 'call' ? value.childForFieldName('function') : null;
  return layer?.type === 'call' ? layer : null;
}

/** `model.compile(...)` calls of a file, with the model variable they compile. */
export function compileCalls(root: SyntaxNode): { call: SyntaxNode; model: string }[] {
  if (!fileFacts(root.tree).keras) return [];
  const found: { call: SyntaxNode; model: string }[] = [];
  for (const call of descendants(root, 'call')) {
    const model = methodName(call) === 'compile' ? methodReceiverName(call) : null;
    if (model !== null) found.push({ call, model });
  }
  return found;
}

/** The value an argument stands for: the call assigned to a name (`adam` → `Adam(...)`), else the argument itself. */
export function assignedCall(root: SyntaxNode, value: SyntaxNode): SyntaxNode | null {
  if (value.type === 'call') return value;
  const name = dottedName(value);
  if (name === null) return null;
  const values = assignmentsTo(root.tree, name).map((a) => a.childForFieldName('right'));
  return values.length === 1 && values[0]?.type === 'call' ? values[0] : null;
}

/**
 * An edit adding `keyword` (e.g. `clipnorm=1.0`) as the last argument of a call, after any trailing comma;
 * null when the arguments end in `*args`/`**kwargs` (a keyword after `**kwargs` would be a syntax error).
 */
export function appendKeyword(text: string, call: SyntaxNode, keyword: string): TextEdit | null {
  const args = call.childForFieldName('arguments');
  if (!args || args.type !== 'argument_list') return null;
  const items = args.namedChildren.filter((c): c is SyntaxNode => c !== null && c.type !== 'comment');
  const last = items.at(-1);
  if (!last) {
    const close = args.endIndex - 1;
    return text[close] === ')' ? { start: close, end: close, newText: keyword } : null;
  }
  if (last.type === 'dictionary_splat') return null;
  const after = last.nextSibling;
  if (after?.type === ',') return { start: after.endIndex, end: after.endIndex, newText: ` ${keyword}` };
  return { start: last.endIndex, end: last.endIndex, newText: `, ${keyword}` };
}
