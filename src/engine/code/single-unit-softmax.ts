/**
 * `single-unit-softmax`: a softmax over one unit, which outputs 1.0 whatever the input, so the model
 * cannot learn (seed 004: `Dense(1)` then `Activation("softmax")` suggested for a binary task). Keras:
 * `Dense(1, activation="softmax")`, or a `Dense(1)` followed by an `Activation("softmax")`/`Softmax()` layer.
 * PyTorch: `nn.Linear(n, 1)` followed by `nn.Softmax(dim=-1)` in an `nn.Sequential`, or `softmax(..., dim=-1)`
 * applied to a `self.<layer>(...)` that is an `nn.Linear(n, 1)`.
 */

import type { CodeFinding, Fix, TextEdit } from '../types';
import { importsOfTree, qualifiedCallee, torchName } from './activations';
import { compileCalls, isKerasFile, kerasClass, layerActivation, modelLayers, replaceStringContent } from './keras-model';
import { checkSingleFile, type Project, type ProjectFinding, type ProjectRule, type SourceFile } from './project';
import {
  assignmentsTo,
  calleeName,
  descendants,
  dottedName,
  enclosingClass,
  keywordArgument,
  methodName,
  methodReceiver,
  methodReceiverName,
  positionalArguments,
  stringValue,
  type SyntaxNode,
} from './python';

const CATEGORICAL_LOSSES = new Set(['categorical_crossentropy', 'sparse_categorical_crossentropy']);

export const singleUnitSoftmax: ProjectRule = {
  id: 'single-unit-softmax',
  docs: 'docs/rules/single-unit-softmax.md',
  severity: 'error',
  fixable: true,
  check: (ctx) => checkSingleFile(singleUnitSoftmax, ctx),
  checkProject(project: Project): ProjectFinding[] {
    const entry = project.entry;
    return [...checkKeras(entry), ...checkTorch(entry)].map((finding) => ({ file: entry.file, finding }));
  },
};

const MESSAGE_TAIL = 'a softmax over a single unit always outputs 1.0, so the prediction never depends on the input and the model cannot learn';

function checkKeras(source: SourceFile): CodeFinding[] {
  if (!isKerasFile(source.root)) return [];
  const ctx = source.context(singleUnitSoftmax);
  const findings: CodeFinding[] = [];
  const reported = new Set<number>();
  const report = (dense: SyntaxNode, softmaxLayer: SyntaxNode, activation: SyntaxNode | null): void => {
    if (reported.has(softmaxLayer.id)) return;
    reported.add(softmaxLayer.id);
    const same = dense.id === softmaxLayer.id;
    const message = same
      ? `\`${describe(dense)}\` has one unit and a softmax activation; ${MESSAGE_TAIL}`
      : `\`${describe(softmaxLayer)}\` follows \`${describe(dense)}\` (line ${source.lineOf(dense)}), a single unit; ${MESSAGE_TAIL}`;
    const fix = activation ? kerasFix(source, softmaxLayer, activation) : null;
    findings.push(ctx.report({
      node: activation ?? softmaxLayer,
      message,
      related: same ? [] : [{ location: source.locationOf(dense), message: 'single-unit layer' }],
      fixes: fix ? [fix] : [],
    }));
  };
  for (const call of descendants(source.root, 'call')) {
    if (kerasClass(call) !== 'Dense' || !hasOneUnit(call, 'units', 0)) continue;
    const activation = layerActivation(call);
    if (activation?.name === 'softmax') report(call, call, activation.node);
  }
  // `Dense(1)` then `Activation("softmax")` in a Sequential list or a run of `model.add(...)`.
  const models = new Set(descendants(source.root, 'call').flatMap((c) => {
    const receiver = methodName(c) === 'add' ? methodReceiverName(c) : null;
    return receiver === null ? [] : [receiver];
  }));
  for (const assignment of descendants(source.root, 'assignment')) {
    const value = assignment.childForFieldName('right');
    const name = dottedName(assignment.childForFieldName('left'));
    if (name !== null && value?.type === 'call' && kerasClass(value) === 'Sequential') models.add(name);
  }
  for (const model of models) {
    const layers = modelLayers(source.root, model);
    for (let i = 1; i < layers.length; i++) {
      const previous = layers[i - 1];
      const activation = layerActivation(layers[i]);
      const cls = kerasClass(layers[i]);
      if ((cls !== 'Activation' && cls !== 'Softmax') || activation?.name !== 'softmax') continue;
      if (kerasClass(previous) !== 'Dense' || !hasOneUnit(previous, 'units', 0) || layerActivation(previous)) continue;
      report(previous, layers[i], activation.node);
    }
  }
  return findings;
}

/**
 * `softmax` → `sigmoid` on the layer and, when that layer ends a compiled model whose loss is a categorical
 * string, `binary_crossentropy`. Unsafe: the model's outputs change meaning (a probability of class 1 instead
 * of a constant), and the binary loss expects 0/1 labels, which the rule cannot see.
 */
function kerasFix(source: SourceFile, layer: SyntaxNode, activation: SyntaxNode): Fix | null {
  if (stringValue(activation) !== 'softmax') return null;
  const edit = replaceStringContent(activation, 'sigmoid');
  if (!edit) return null;
  const edits: TextEdit[] = [edit];
  let title = 'Use a sigmoid for the single output unit';
  for (const { call, model } of compileCalls(source.root)) {
    if (modelLayers(source.root, model).at(-1)?.id !== layer.id) continue;
    const loss = keywordArgument(call, 'loss');
    const lossName = stringValue(loss);
    if (!loss || lossName === null || !CATEGORICAL_LOSSES.has(lossName)) continue;
    const lossEdit = replaceStringContent(loss, 'binary_crossentropy');
    if (lossEdit) {
      edits.push(lossEdit);
      title = 'Use a sigmoid for the single output unit and `binary_crossentropy`';
    }
  }
  return { title, safe: false, edits };
}

function checkTorch(source: SourceFile): CodeFinding[] {
  const ctx = source.context(singleUnitSoftmax);
  const qualified = (call: SyntaxNode): string => qualifiedCallee(call) ?? '';
  const findings: CodeFinding[] = [];
  for (const call of descendants(source.root, 'call')) {
    const name = qualified(call);
    if (name === 'torch.nn.Sequential') {
      const layers = positionalArguments(call);
      for (let i = 1; i < layers.length; i++) {
        const [previous, layer] = [layers[i - 1], layers[i]];
        if (previous.type !== 'call' || layer.type !== 'call' || qualified(layer) !== 'torch.nn.Softmax') continue;
        if (qualified(previous) !== 'torch.nn.Linear' || !hasOneUnit(previous, 'out_features', 1)) continue;
        if (!isLastDim(keywordArgument(layer, 'dim') ?? positionalArguments(layer)[0] ?? null)) continue;
        findings.push(ctx.report({
          node: layer,
          message: `\`${describe(layer)}\` follows \`${describe(previous)}\` (line ${source.lineOf(previous)}), a single output; ${MESSAGE_TAIL}`,
          related: [{ location: source.locationOf(previous), message: 'single-output layer' }],
        }));
      }
      continue;
    }
    // `F.softmax(self.fc(x), dim=-1)` / `self.fc(x).softmax(-1)` with `self.fc = nn.Linear(n, 1)`.
    let input: SyntaxNode | undefined;
    let dim: SyntaxNode | null = null;
    if (name === 'torch.softmax' || name === 'torch.nn.functional.softmax') {
      input = positionalArguments(call)[0];
      dim = keywordArgument(call, 'dim') ?? positionalArguments(call)[1] ?? null;
    } else if (methodName(call) === 'softmax' && methodReceiver(call)?.type === 'call') {
      input = methodReceiver(call)!;
      dim = keywordArgument(call, 'dim') ?? positionalArguments(call)[0] ?? null;
    }
    if (!input || input.type !== 'call' || !isLastDim(dim)) continue;
    const linear = selfLinear(input);
    if (!linear) continue;
    findings.push(ctx.report({
      node: call,
      message: `\`${describe(call)}\` is taken over the last dimension of \`${describe(input)}\`, whose layer \`${describe(linear)}\` ` +
        `(line ${source.lineOf(linear)}) has one output; ${MESSAGE_TAIL}`,
      related: [{ location: source.locationOf(linear), message: 'single-output layer' }],
    }));
  }
  return findings;
}

/** For `self.fc(x)` in a class where `self.fc = nn.Linear(n, 1)`: that construction. */
function selfLinear(call: SyntaxNode): SyntaxNode | null {
  const name = calleeName(call);
  const cls = enclosingClass(call);
  if (name === null || !name.startsWith('self.') || !cls) return null;
  const values = assignmentsTo(call.tree, name)
    .filter((a) => enclosingClass(a)?.id === cls.id)
    .map((a) => a.childForFieldName('right'));
  const value = values.length === 1 ? values[0] : null;
  if (value?.type !== 'call') return null;
  return torchName(calleeName(value) ?? '', importsOfTree(call.tree)) === 'torch.nn.Linear' && hasOneUnit(value, 'out_features', 1) ? value : null;
}

/** Whether the unit count (keyword `keyword`, or positional `position`) is the literal 1. */
function hasOneUnit(call: SyntaxNode, keyword: string, position: number): boolean {
  const units = keywordArgument(call, keyword) ?? positionalArguments(call)[position] ?? null;
  return units?.type === 'integer' && Number(units.text) === 1;
}

/** `-1`: the last dimension, the one a single-output layer makes size 1. Other dims depend on the shape. */
function isLastDim(dim: SyntaxNode | null): boolean {
  if (dim?.type !== 'unary_operator' || dim.childForFieldName('operator')?.type !== '-') return false;
  const argument = dim.childForFieldName('argument');
  return argument?.type === 'integer' && Number(argument.text) === 1;
}

function describe(call: SyntaxNode): string {
  const text = call.text;
  if (text.length <= 40 && !text.includes('\n')) return text;
  const fn = call.childForFieldName('function');
  return `${fn ? fn.text : 'call'}(...)`;
}
