/**
 * `rnn-no-grad-clip`: a script that builds a recurrent network and trains it without clipping gradients.
 * RNN gradients can explode on a single long sequence; unclipped, one such step throws the weights far
 * from where they were (seed 000: a GRU at 0.99 train accuracy fell to 0.51 in one epoch).
 *
 * PyTorch (`checkPyTorch`: clip between `backward()` and `step()`), Keras (`checkKeras`: `clipnorm=` on the
 * optimizer given to `compile`) and Lightning (`checkLightning`: `gradient_clip_val=` on the `Trainer`).
 */

import type { CodeFinding, Fix } from '../types';
import {
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
  enclosingStatement,
  findCalls,
  findMethodCalls,
  followingSiblings,
  keywordArgument,
  lastSegment,
  lineEnding,
  lineStart,
  methodName,
  methodReceiver,
  methodReceiverName,
  namedChildren,
  nextLineStart,
  parentOf,
  positionalArguments,
  statementIndentation,
  stringValue,
  type SyntaxNode,
} from './python';
import { localNameFor, readImports, resolveName, type ImportTable } from './imports';
import { appendKeyword, assignedCall, compileCalls, isKerasFile, kerasClass } from './keras-model';
import { checkSingleFile, displayPath, type Project, type ProjectRule, type SourceFile } from './project';
import type { RuleContext } from './rule';
import { isOptimizerConstructor, peelModuleChain } from './torch';

const TORCH_RECURRENT = new Set(['GRU', 'LSTM', 'RNN', 'GRUCell', 'LSTMCell', 'RNNCell'].map((n) => `torch.nn.${n}`));
const CLIP_FUNCTIONS = new Set(['clip_grad_norm_', 'clip_grad_value_', 'clip_grad_norm']);
const CLIP_QUALIFIED = 'torch.nn.utils.clip_grad_norm_';
const MAX_NORM = '1.0';

export const rnnNoGradClip: ProjectRule = {
  id: 'rnn-no-grad-clip',
  docs: 'docs/rules/rnn-no-grad-clip.md',
  severity: 'info',
  fixable: true,
  check: (ctx) => checkSingleFile(rnnNoGradClip, ctx),
  checkProject(project) {
    const ctx = project.entry.context(rnnNoGradClip);
    const facts = new FileFacts(ctx.root);
    const local = firstTorchRecurrentLayer(facts);
    const layer = local ? { ...local, source: project.entry } : importedRecurrentLayer(project, facts);
    const findings = [...checkPyTorch(ctx, facts, layer, project), ...checkKeras(ctx, project), ...checkLightning(ctx, facts, project)];
    return findings.map((finding) => ({ file: ctx.file, finding }));
  },
};

/** A recurrent layer and the file it is in (the model may be imported from `model.py`). */
interface LayerRef {
  readonly node: SyntaxNode;
  readonly name: string;
  readonly source: SourceFile;
}

/**
 * For a script that builds its model from a class of another project file (`model = LSTMClassifier(...)`
 * after `from model import LSTMClassifier`): the first PyTorch recurrent layer of that class.
 */
function importedRecurrentLayer(project: Project, facts: FileFacts): LayerRef | null {
  for (const assignment of descendants(facts.root, 'assignment')) {
    const value = assignment.childForFieldName('right');
    if (value?.type !== 'call') continue;
    const ctor = calleeName(peelModuleChain(value));
    const cls = ctor === null ? null : project.resolveClass(project.entry, ctor);
    if (!cls || cls.source === project.entry) continue;
    const imports = readImports(cls.source.root);
    const call = descendants(cls.node, 'call').find((c) => isTorchRecurrent(calleeName(c) ?? '', imports));
    const node = call?.childForFieldName('function');
    if (node) return { node, name: node.text, source: cls.source };
  }
  return null;
}

/** What the rule looks up repeatedly, computed once per file. */
class FileFacts {
  readonly imports: ImportTable;
  private helpers: Set<string> | undefined;
  private clips: SyntaxNode[] | undefined;
  private backwards: SyntaxNode[] | undefined;
  private readonly calls = new Map<string, readonly SyntaxNode[]>();
  private readonly constructorNames = new Map<string, readonly string[]>();
  private readonly projectClippers = new Map<string, boolean>();
  /** `optimizerParams` by optimizer name and the function of the step (what the answer depends on). */
  readonly optimizerParams = new Map<string, string | null>();

  constructor(readonly root: SyntaxNode) {
    this.imports = readImports(root);
  }

  /** Right-hand sides of `name = value` (plain or annotated) anywhere in the file. */
  assignedValues(name: string): readonly SyntaxNode[] {
    return assignedValues(this.root.tree, name);
  }

  /** Right-hand sides of `name = <call>`, when they are calls (every step asks about its optimizer's). */
  assignedCalls(name: string): readonly SyntaxNode[] {
    let calls = this.calls.get(name);
    if (!calls) this.calls.set(name, (calls = this.assignedValues(name).filter((v) => v.type === 'call')));
    return calls;
  }

  /** What `name` was built with, through the imports: `torch.optim.Adam` for `optimizer = optim.Adam(...)`. */
  constructors(name: string): readonly string[] {
    let names = this.constructorNames.get(name);
    if (!names) {
      names = this.assignedCalls(name).map((c) => resolveName(calleeName(c) ?? '', this.imports));
      this.constructorNames.set(name, names);
    }
    return names;
  }

  /** Calls under `node` that clip gradients. */
  clipCalls(node: SyntaxNode): SyntaxNode[] {
    this.clips ??= descendants(this.root, 'call').filter((call) => isClipCall(call, this.imports));
    return this.clips.filter((call) => contains(node, call));
  }

  /** Every `x.backward()` call of the file, in document order. */
  backwardCalls(): readonly SyntaxNode[] {
    this.backwards ??= findMethodCalls(this.root, 'backward');
    return this.backwards;
  }

  /** Whether a `.backward()` call lies inside `node`. */
  containsBackward(node: SyntaxNode): boolean {
    return containsAnyOf(this.backwardCalls(), node);
  }

  /** {@link clipsInProjectFunction}, once per name (every unclipped step asks about the calls of its loop). */
  clipsInProjectFunction(project: Project, name: string): boolean {
    let clips = this.projectClippers.get(name);
    if (clips === undefined) this.projectClippers.set(name, (clips = clipsInProjectFunction(project, name)));
    return clips;
  }

  /** Names of the functions of this file that clip gradients (`def clip(model): clip_grad_norm_(...)`). */
  clippingHelpers(): Set<string> {
    this.helpers ??= new Set(
      this.clipCalls(this.root)
        .map((call) => enclosingFunction(call)?.childForFieldName('name')?.text)
        .filter((n): n is string => n !== undefined),
    );
    return this.helpers;
  }
}

/** `clip_grad_norm_(...)`, `torch.nn.utils.clip_grad_value_(...)`, `accelerator.clip_grad_norm_(...)`, aliases. */
function isClipCall(call: SyntaxNode, imports: ImportTable): boolean {
  const name = calleeName(call);
  if (name !== null && CLIP_FUNCTIONS.has(lastSegment(resolveName(name, imports)))) return true;
  const method = methodName(call);
  return method !== null && CLIP_FUNCTIONS.has(method);
}

/** One `backward()` … `step()` pair. */
interface TrainingStep {
  readonly backward: SyntaxNode; // the statement
  readonly step: SyntaxNode; // the `optimizer.step()` / `scaler.step(optimizer)` call
  readonly stepStatement: SyntaxNode;
  /** The optimizer expression: the receiver of `.step()`, or the argument of `scaler.step(...)`. */
  readonly optimizer: SyntaxNode | null;
  /** The GradScaler expression when the step goes through one. */
  readonly scaler: SyntaxNode | null;
  /** Whether the step statement sits directly after the backward in the same block (not inside an `if`). */
  readonly sibling: boolean;
}

function checkPyTorch(ctx: RuleContext, facts: FileFacts, layer: LayerRef | null, project: Project): CodeFinding[] {
  if (!layer) return [];
  const elsewhere = layer.source.file !== ctx.file;
  const findings: CodeFinding[] = [];
  for (const step of trainingSteps(facts)) {
    if (isClipped(step, facts, project)) continue;
    const layerName = layer.name;
    const layerLine = `${elsewhere ? `${displayPath(layer.source.file, ctx.file)} ` : ''}line ${layer.source.lineOf(layer.node)}`;
    const stepText = describeCall(step.step);
    const fix = clipFix(ctx, step, facts);
    findings.push(
      ctx.report({
        node: step.step,
        message:
          `the model has a recurrent layer (\`${layerName}\`, ${layerLine}) but \`${stepText}\` runs without ` +
          'gradient clipping; exploding gradients in RNNs cause sudden loss spikes and accuracy collapses',
        related: [{ location: layer.source.locationOf(layer.node), message: `recurrent layer \`${layerName}\`` }],
        fixes: fix ? [fix] : [],
      }),
    );
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// Keras and Lightning

const KERAS_RECURRENT = new Set(['GRU', 'LSTM', 'SimpleRNN', 'CuDNNGRU', 'CuDNNLSTM']);
const KERAS_CLIP_KEYWORDS = ['clipnorm', 'clipvalue', 'global_clipnorm'];
/** `optimizer='adam'` → the class `tf.keras.optimizers.Adam` it stands for (same defaults). */
const KERAS_OPTIMIZER_STRINGS: Readonly<Record<string, string>> = {
  adam: 'Adam', sgd: 'SGD', rmsprop: 'RMSprop', adamw: 'AdamW', adagrad: 'Adagrad', adadelta: 'Adadelta',
  adamax: 'Adamax', nadam: 'Nadam',
};
const LIGHTNING_MODULES = new Set(['pytorch_lightning', 'lightning', 'lightning.pytorch', 'pl', 'L']);

/** `layerLine`: the line in this file, or `model.py line 11` for a layer in another. */
function recurrentMessage(layer: string, layerLine: number | string, what: string): string {
  const where = typeof layerLine === 'number' ? `line ${layerLine}` : layerLine;
  return `the model has a recurrent layer (\`${layer}\`, ${where}) but ${what}; exploding gradients in RNNs cause ` +
    'sudden loss spikes and accuracy collapses';
}

/** The first Keras recurrent layer (also inside `Bidirectional`) under a node, or null. */
function kerasRecurrentLayer(node: SyntaxNode): SyntaxNode | null {
  const call = descendants(node, 'call').find((c) => KERAS_RECURRENT.has(kerasClass(c) ?? ''));
  return call?.childForFieldName('function') ?? null;
}

/**
 * For a Keras script that compiles a model built by a function or class of another project file
 * (`model = build_model(...)` after `from model import build_model`): the first recurrent layer built there.
 */
function importedKerasLayer(ctx: RuleContext, project: Project): LayerRef | null {
  for (const { model } of compileCalls(ctx.root)) {
    for (const assignment of assignmentsTo(ctx.tree, model)) {
      const value = assignment.childForFieldName('right');
      const builder = value?.type === 'call' ? calleeName(value) : null;
      const definition = builder === null ? null : project.resolveDefinition(project.entry, builder);
      if (!definition || definition.source === project.entry || !isKerasFile(definition.source.root)) continue;
      const node = kerasRecurrentLayer(definition.node);
      if (node) return { node, name: node.text, source: definition.source };
    }
  }
  return null;
}

/** Keras: a recurrent layer (also inside `Bidirectional`) and `compile(optimizer=...)` with no `clipnorm`/`clipvalue`. */
function checkKeras(ctx: RuleContext, project: Project): CodeFinding[] {
  if (!isKerasFile(ctx.root)) return [];
  const local = kerasRecurrentLayer(ctx.root);
  const found = local ? { node: local, name: local.text, source: project.entry } : importedKerasLayer(ctx, project);
  if (!found) return [];
  const layer = found.node;
  const elsewhere = found.source !== project.entry;
  const layerLine: number | string = elsewhere ? `${displayPath(found.source.file, ctx.file)} line ${found.source.lineOf(layer)}` : ctx.locationOf(layer).line;
  const related = [{ location: found.source.locationOf(layer), message: `recurrent layer \`${layer.text}\`` }];
  const findings: CodeFinding[] = [];
  const seen = new Set<number>();
  for (const { call } of compileCalls(ctx.root)) {
    const argument = keywordArgument(call, 'optimizer');
    if (!argument) continue;
    const name = stringValue(argument);
    if (name !== null) {
      const cls = KERAS_OPTIMIZER_STRINGS[name.toLowerCase()];
      const spelled = cls ? kerasOptimizerSpelling(cls, readImports(ctx.root)) : null;
      findings.push(ctx.report({
        node: argument,
        message: recurrentMessage(layer.text, layerLine, `the optimizer \`${argument.text}\` is used without \`clipnorm\``),
        related,
        fixes: spelled ? [{
          title: `Clip gradients in the optimizer (\`${spelled}(clipnorm=${MAX_NORM})\`)`,
          safe: false,
          edits: [{ start: argument.startIndex, end: argument.endIndex, newText: `${spelled}(clipnorm=${MAX_NORM})` }],
        }] : [],
      }));
      continue;
    }
    const optimizer = assignedCall(ctx.root, argument);
    if (!optimizer || kerasClass(optimizer) === null || seen.has(optimizer.id)) continue;
    seen.add(optimizer.id);
    if (KERAS_CLIP_KEYWORDS.some((k) => keywordArgument(optimizer, k))) continue;
    const edit = appendKeyword(ctx.text, optimizer, `clipnorm=${MAX_NORM}`);
    findings.push(ctx.report({
      node: optimizer,
      message: recurrentMessage(layer.text, layerLine, `the optimizer \`${describeCall(optimizer)}\` is built without \`clipnorm\``),
      related,
      fixes: edit ? [{ title: `Clip gradients in the optimizer (clipnorm=${MAX_NORM})`, safe: false, edits: [edit] }] : [],
    }));
  }
  return findings;
}

/** How this file can name a Keras optimizer class (`tf.keras.optimizers.Adam`, `keras.optimizers.Adam`, `Adam`), or null. */
function kerasOptimizerSpelling(cls: string, imports: ImportTable): string | null {
  for (const module of ['tensorflow.keras.optimizers', 'keras.optimizers']) {
    const local = localNameFor(`${module}.${cls}`, imports);
    if (local !== null) return local;
  }
  return null;
}

/**
 * Lightning: a `LightningModule` with a recurrent layer in this file, and a `Trainer(...)` without
 * `gradient_clip_val`. Manual optimisation (`automatic_optimization = False`) ignores that argument, and a
 * `configure_gradient_clipping` or explicit clipping already decides; nothing is said then.
 */
/** Whether `name`, written in a file with these imports, is Lightning's class `cls` (`pl.Trainer`, `L.LightningModule`). */
function isLightning(name: string | null, cls: string, imports: ImportTable): boolean {
  if (name === null || lastSegment(name) !== cls) return false;
  const resolved = resolveName(name, imports);
  const module = resolved.slice(0, resolved.length - cls.length - 1);
  return LIGHTNING_MODULES.has(module) || (resolved === name && LIGHTNING_MODULES.has(name.split('.')[0]));
}

/**
 * The recurrent layer of a LightningModule of this file whose training clips nothing itself (no manual optimization,
 * no `configure_gradient_clipping`, no clipping call), or null.
 */
function unclippedLightningLayer(facts: FileFacts): { node: SyntaxNode; name: string } | null {
  const root = facts.root;
  const modules = descendants(root, 'class_definition').filter((cls) => {
    const bases = cls.childForFieldName('superclasses');
    return bases !== null && namedChildren(bases).some((b) => isLightning(dottedName(b), 'LightningModule', facts.imports));
  });
  if (modules.length === 0) return null;
  const layer = firstTorchRecurrentLayer(facts);
  if (!layer || !modules.some((m) => contains(m, layer.node))) return null;
  const manual = descendants(root, 'assignment').some((a) =>
    dottedName(a.childForFieldName('left'))?.endsWith('automatic_optimization') && a.childForFieldName('right')?.type === 'false');
  const custom = descendants(root, 'function_definition').some((f) => f.childForFieldName('name')?.text === 'configure_gradient_clipping');
  const clips = facts.clipCalls(root).length > 0 || findMethodCalls(root, 'clip_gradients').length > 0;
  return manual || custom || clips ? null : layer;
}

/**
 * For a script that trains a LightningModule of another project file (`model = LitRNN()` after
 * `from model import LitRNN`, then `trainer.fit(model)`): that module's unclipped recurrent layer.
 */
function importedLightningLayer(ctx: RuleContext, project: Project): LayerRef | null {
  for (const fit of findMethodCalls(ctx.root, 'fit')) {
    const [argument] = positionalArguments(fit);
    const name = argument ? dottedName(argument) : null;
    for (const assignment of name === null ? [] : assignmentsTo(ctx.tree, name)) {
      const value = assignment.childForFieldName('right');
      const ctor = value?.type === 'call' ? calleeName(value) : null;
      const cls = ctor === null ? null : project.resolveClass(project.entry, ctor);
      if (!cls || cls.source === project.entry) continue;
      const layer = unclippedLightningLayer(new FileFacts(cls.source.root));
      if (layer && contains(cls.node, layer.node)) return { ...layer, source: cls.source };
    }
  }
  return null;
}

/** Lightning: a LightningModule with a recurrent layer, trained by a `Trainer(...)` without `gradient_clip_val`. */
function checkLightning(ctx: RuleContext, facts: FileFacts, project: Project): CodeFinding[] {
  const local = unclippedLightningLayer(facts);
  const layer = local ? { ...local, source: project.entry } : importedLightningLayer(ctx, project);
  if (!layer) return [];
  const elsewhere = layer.source !== project.entry;
  const layerLine: number | string = elsewhere ? `${displayPath(layer.source.file, ctx.file)} line ${layer.source.lineOf(layer.node)}` : ctx.locationOf(layer.node).line;
  return descendants(ctx.root, 'call')
    .filter((call) => isLightning(calleeName(call), 'Trainer', facts.imports))
    .filter((call) => !keywordArgument(call, 'gradient_clip_val'))
    .map((call) => {
      const edit = appendKeyword(ctx.text, call, `gradient_clip_val=${MAX_NORM}`);
      return ctx.report({
        node: call,
        message: recurrentMessage(layer.name, layerLine, `\`${describeCall(call)}\` is built without \`gradient_clip_val\``),
        related: [{ location: layer.source.locationOf(layer.node), message: `recurrent layer \`${layer.name}\`` }],
        fixes: edit ? [{ title: `Clip gradients in the Trainer (gradient_clip_val=${MAX_NORM})`, safe: false, edits: [edit] }] : [],
      });
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Detection

/** The first `nn.GRU(...)`-like construction, or class deriving from one, in the file. */
function firstTorchRecurrentLayer(facts: FileFacts): { node: SyntaxNode; name: string } | null {
  const { root, imports } = facts;
  const call = descendants(root, 'call').find((c) => {
    const name = calleeName(c);
    return name !== null && isTorchRecurrent(name, imports);
  });
  let best = call?.childForFieldName('function') ?? null;
  for (const cls of descendants(root, 'class_definition')) {
    if (best && cls.startIndex > best.startIndex) break;
    const bases = cls.childForFieldName('superclasses');
    const base = bases ? namedChildren(bases).find((b) => isTorchRecurrent(dottedName(b) ?? '', imports)) : undefined;
    if (base) best = base;
  }
  return best ? { node: best, name: best.text } : null;
}

function isTorchRecurrent(name: string, imports: ImportTable): boolean {
  const resolved = resolveName(name, imports);
  if (TORCH_RECURRENT.has(resolved)) return true;
  // `nn` is PyTorch's conventional alias: snippets often use it without showing the import.
  if (resolved === name && name.startsWith('nn.') && TORCH_RECURRENT.has(`torch.${name}`)) return true;
  return !name.includes('.') && !imports.names.has(name) && imports.starModules.includes('torch.nn')
    && TORCH_RECURRENT.has(`torch.nn.${name}`);
}

/** Every `x.backward()` followed in its block by an optimizer step (directly, or inside a following `if`). */
function trainingSteps(facts: FileFacts): TrainingStep[] {
  const steps: TrainingStep[] = [];
  const seen = new Set<number>();
  const add = (backward: SyntaxNode, found: FoundStep, statement: SyntaxNode, sibling: boolean): void => {
    if (seen.has(found.call.startIndex)) return;
    seen.add(found.call.startIndex);
    const optimizer = found.scaler ? (positionalArguments(found.call)[0] ?? null) : methodReceiver(found.call);
    steps.push({ backward, step: found.call, stepStatement: statement, optimizer, scaler: found.scaler, sibling });
  };
  for (const backwardCall of facts.backwardCalls()) {
    const backward = enclosingStatement(backwardCall);
    if (!backward || backward.type !== 'expression_statement') continue;
    const scaler = scalerOfBackward(backwardCall);
    for (const s of followingSiblings(backward)) {
      if (!s.isNamed || s.type === 'comment') continue;
      if (facts.containsBackward(s)) break; // the next training step starts here
      const direct = stepCall(s, scaler, facts);
      if (direct) {
        add(backward, direct, s, true);
        break;
      }
      const body = s.type === 'if_statement' ? s.childForFieldName('consequence') : null;
      // Gradient accumulation: `if (i + 1) % k == 0: optimizer.step()`.
      const inner = body ? namedChildren(body).map((t) => ({ t, found: stepCall(t, scaler, facts) })).find((x) => x.found) : undefined;
      if (inner?.found) {
        add(backward, inner.found, inner.t, false);
        break;
      }
    }
  }
  return steps;
}

/** For `scaler.scale(loss).backward()`: the `scaler` node. */
function scalerOfBackward(backwardCall: SyntaxNode): SyntaxNode | null {
  const receiver = methodReceiver(backwardCall);
  return receiver?.type === 'call' && methodName(receiver) === 'scale' ? methodReceiver(receiver) : null;
}

/** A step call, and the GradScaler it goes through (`scaler.step(optimizer)`), if any. */
interface FoundStep {
  readonly call: SyntaxNode;
  readonly scaler: SyntaxNode | null;
}

/** The optimizer-step call a statement consists of (`optimizer.step()`, `scaler.step(optimizer)`), or null. */
function stepCall(statement: SyntaxNode, backwardScaler: SyntaxNode | null, facts: FileFacts): FoundStep | null {
  if (statement.type !== 'expression_statement') return null;
  const call = statement.firstNamedChild;
  if (!call || call.type !== 'call' || methodName(call) !== 'step') return null;
  const receiver = methodReceiver(call);
  const receiverName = dottedName(receiver);
  const args = positionalArguments(call);
  if (backwardScaler && sameExpression(receiver, backwardScaler)) return args.length > 0 ? { call, scaler: receiver } : null;
  if (receiverName === null) return null;
  const constructors = facts.constructors(receiverName);
  if (constructors.some((c) => lastSegment(c) === 'GradScaler')) return args.length > 0 ? { call, scaler: receiver } : null;
  if (isSchedulerName(receiverName) || constructors.some(isSchedulerConstructor)) return null;
  // `optimizer.step()` takes no positional argument, except LBFGS-style closures on a known optimizer.
  return args.length === 0 || constructors.some(isOptimizerConstructor) ? { call, scaler: null } : null;
}

function isSchedulerName(name: string): boolean {
  return lastSegment(name).toLowerCase().includes('sched');
}

function isSchedulerConstructor(resolved: string): boolean {
  const last = lastSegment(resolved);
  return resolved.includes('lr_scheduler') || last.endsWith('LR') || last.endsWith('Scheduler') || (last.startsWith('get_') && last.includes('schedule'));
}


/** Whether clipping happens in the loop around the step (or its function, or the module when there is neither). */
function isClipped(step: TrainingStep, facts: FileFacts, project: Project): boolean {
  const scope = stepScope(step.step, facts.root);
  if (facts.clipCalls(scope).length > 0) return true;
  // One level of indirection: the loop calls a helper that clips, of this file (`clip(model)`, `self._clip()`) or
  // of another project file (`from utils import clip_gradients`).
  const helpers = facts.clippingHelpers();
  return findCalls(scope, (name) => helpers.has(lastSegment(name)) || facts.clipsInProjectFunction(project, name)).length > 0;
}

/** Whether `name`, called in the entry script, is a function of another project file that clips gradients. */
function clipsInProjectFunction(project: Project, name: string): boolean {
  const definition = project.resolveDefinition(project.entry, name);
  if (!definition || definition.source === project.entry || definition.node.type !== 'function_definition') return false;
  const imports = readImports(definition.source.root);
  return descendants(definition.node, 'call').some((call) => isClipCall(call, imports));
}

/** The loop around a step; its function when there is no loop; the module when there is neither. */
function stepScope(node: SyntaxNode, root: SyntaxNode): SyntaxNode {
  return enclosingLoop(node) ?? enclosingFunction(node) ?? root;
}

// ---------------------------------------------------------------------------------------------------------------
// The fix

function clipFix(ctx: RuleContext, step: TrainingStep, facts: FileFacts): Fix | null {
  const { text } = ctx;
  const clip = clipFunctionName(facts.imports);
  const optimizerName = step.optimizer ? dottedName(step.optimizer) : null;
  if (!clip || !step.optimizer || optimizerName === null) return null;
  const params = optimizerParams(facts, optimizerName, step.step) ?? soleModelParams(facts, step.step);
  if (!params) return null;

  const indent = statementIndentation(text, step.stepStatement);
  if (indent === null || !endsItsLine(step.backward)) return null;
  const at = step.sibling ? nextLineStart(text, step.backward.endIndex) : lineStart(text, step.stepStatement.startIndex);
  const eol = lineEnding(text, step.backward.endIndex);

  const lines: string[] = [];
  if (step.scaler && !alreadyUnscaled(step)) lines.push(`${step.scaler.text}.unscale_(${step.optimizer.text})`);
  lines.push(`${clip}(${params}, max_norm=${MAX_NORM})`);
  return {
    title: `Clip gradients before ${describeCall(step.step)} (max_norm=${MAX_NORM})`,
    safe: false,
    edits: [{ start: at, end: at, newText: lines.map((l) => indent + l + eol).join('') }],
  };
}

/** `clip_grad_norm_` when imported bare, else `torch.nn.utils.clip_grad_norm_` (or via an `nn` alias), else null. */
function clipFunctionName(imports: ImportTable): string | null {
  for (const [local, target] of imports.names) if (target === CLIP_QUALIFIED) return local;
  if (imports.names.get('torch') === 'torch') return CLIP_QUALIFIED;
  return localNameFor(CLIP_QUALIFIED, imports);
}

/**
 * The source text of the parameters the optimizer was built with, when it can be reused at the step:
 * `model.parameters()` from `optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)`.
 */
function optimizerParams(facts: FileFacts, optimizerName: string, stepCallNode: SyntaxNode): string | null {
  // The answer depends on the step only through its function: a script with one loop per experiment asks once.
  const key = `${optimizerName}\0${enclosingFunction(stepCallNode)?.id ?? 'module'}`;
  let found = facts.optimizerParams.get(key);
  if (found === undefined) {
    found = reusedParams(facts, optimizerName, stepCallNode);
    facts.optimizerParams.set(key, found);
  }
  return found;
}

function reusedParams(facts: FileFacts, optimizerName: string, stepCallNode: SyntaxNode): string | null {
  const texts = new Set<string>();
  const calls = facts.assignedCalls(optimizerName);
  const constructors = facts.constructors(optimizerName);
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i];
    if (!isOptimizerConstructor(constructors[i])) continue;
    const params = keywordArgument(call, 'params') ?? positionalArguments(call)[0];
    if (!params || !reusableParams(facts, params, call) || !visibleFrom(call, stepCallNode, params)) return null;
    texts.add(params.text);
  }
  return texts.size === 1 ? [...texts][0] : null;
}

/**
 * Whether evaluating the params expression again gives the same parameters: not param groups (dicts), and a
 * bare name only when it holds a list (a `filter(...)`/`.parameters()` iterator was used up by the optimizer).
 */
function reusableParams(facts: FileFacts, params: SyntaxNode, at: SyntaxNode): boolean {
  if (hasParamGroups(params)) return false;
  if (params.type !== 'identifier') return true;
  const values = facts.assignedValues(params.text).filter((v) => enclosingFunction(v)?.id === enclosingFunction(at)?.id);
  return values.length > 0 && values.every((v) => {
    if (hasParamGroups(v)) return false;
    if (v.type === 'list' || v.type === 'list_comprehension' || v.type === 'tuple') return true;
    return v.type === 'call' && (calleeName(v) === 'list' || calleeName(v) === 'tuple');
  });
}

function hasParamGroups(node: SyntaxNode): boolean {
  return descendants(node, 'dictionary').length > 0 || findCalls(node, (name) => name === 'dict').length > 0;
}

/**
 * Whether the text of `expression` (found in `definition`) means the same at `use`: same function, or module
 * level, or two methods of one class when the expression only goes through `self`.
 */
function visibleFrom(definition: SyntaxNode, use: SyntaxNode, expression: SyntaxNode): boolean {
  const defFn = enclosingFunction(definition);
  const useFn = enclosingFunction(use);
  if (!defFn || defFn.id === useFn?.id) return true;
  const defClass = enclosingClass(defFn);
  if (!defClass || !useFn || enclosingClass(useFn)?.id !== defClass.id) return false;
  return freeNames(expression).every((n) => n === 'self');
}

/** Identifiers an expression reads from its scope (attribute names and keyword names excluded). */
function freeNames(expression: SyntaxNode): string[] {
  return descendants(expression, 'identifier')
    .filter((id) => {
      const parent = parentOf(id);
      if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === id.id) return false;
      if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === id.id) return false;
      return true;
    })
    .map((id) => id.text);
}

/** `<model>.parameters()` when exactly one model variable is in sight of the step; otherwise null. */
function soleModelParams(facts: FileFacts, stepCallNode: SyntaxNode): string | null {
  const { root, imports } = facts;
  const modelClasses = localModelClasses(root, imports);
  const names = new Set<string>();
  for (const assignment of descendants(root, 'assignment')) {
    const target = dottedName(assignment.childForFieldName('left'));
    const value = assignment.childForFieldName('right');
    if (target === null || !value || value.type !== 'call') continue;
    const fn = enclosingFunction(assignment);
    if (fn && fn.id !== enclosingFunction(stepCallNode)?.id) continue;
    const ctor = calleeName(peelModuleChain(value));
    if (ctor === null) continue;
    const resolved = resolveName(ctor, imports);
    if (modelClasses.has(ctor) || isTorchRecurrent(ctor, imports) || lastSegment(resolved) === 'Sequential') names.add(target);
  }
  const scope = stepScope(stepCallNode, root);
  for (const call of findMethodCalls(scope, 'train').filter((c) => positionalArguments(c).length === 0)) {
    const receiver = methodReceiverName(call);
    if (receiver !== null) names.add(receiver);
  }
  return names.size === 1 ? `${[...names][0]}.parameters()` : null;
}

/** Names of classes in this file that derive from `nn.Module` (directly or through another such class). */
function localModelClasses(root: SyntaxNode, imports: ImportTable): Set<string> {
  const classes = descendants(root, 'class_definition');
  const models = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const cls of classes) {
      const name = cls.childForFieldName('name')?.text;
      const bases = cls.childForFieldName('superclasses');
      if (!name || !bases || models.has(name)) continue;
      const isModel = namedChildren(bases).some((b) => {
        const base = dottedName(b);
        if (base === null) return false;
        const resolved = resolveName(base, imports);
        return models.has(base) || resolved === 'torch.nn.Module' || base === 'nn.Module' || isTorchRecurrent(base, imports);
      });
      if (isModel) {
        models.add(name);
        changed = true;
      }
    }
  }
  return models;
}


/** `scaler.unscale_(optimizer)` already between the backward and the step. */
function alreadyUnscaled(step: TrainingStep): boolean {
  const block = parentOf(step.backward);
  if (!block) return false;
  return findMethodCalls(block, 'unscale_')
    .some((call) => call.startIndex > step.backward.endIndex && call.endIndex < step.step.startIndex);
}

/** Whether nothing but a comment follows the statement on its last line (no `; more()`). */
function endsItsLine(statement: SyntaxNode): boolean {
  const next = followingSiblings(statement)[0];
  return !next || next.type === 'comment' || next.startPosition.row > statement.endPosition.row;
}

// ---------------------------------------------------------------------------------------------------------------
// Small shared bits

function sameExpression(a: SyntaxNode | null, b: SyntaxNode | null): boolean {
  return a !== null && b !== null && a.text === b.text;
}

/** The call as the user wrote it when short (`optimizer.step()`), else `optimizer.step(...)`. */
function describeCall(call: SyntaxNode): string {
  const text = call.text;
  if (text.length <= 60 && !text.includes('\n')) return text;
  const fn = call.childForFieldName('function');
  return `${fn ? fn.text : 'step'}(...)`;
}
