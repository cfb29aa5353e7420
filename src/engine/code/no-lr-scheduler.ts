/**
 * `no-lr-scheduler`: the script trains with one learning rate for the whole run, and the log it wrote shows a
 * `plateau` or an `oscillation`, the two curves a decaying learning rate addresses. A script without a scheduler
 * is normal on its own: this rule runs only through `analyzeEvidence`, with a linked log.
 *
 * PyTorch: an optimizer built from `torch.optim`, stepped in a loop, and no scheduler anywhere in the file
 * (`torch.optim.lr_scheduler.*`, transformers' `get_*_schedule*`, a `param_group['lr'] = ...` update, a helper
 * like `adjust_learning_rate(...)`). Keras: `model.fit(...)` without a `ReduceLROnPlateau` or
 * `LearningRateScheduler` callback and an optimizer whose learning rate is a plain number.
 *
 * The helpers the evidence rules share (the evidence itself, Keras `fit` and its callbacks) live here
 * and are exported for `no-early-stopping`.
 */

import type { CodeFinding, CurveFinding, Fix, Related, Run, TextEdit } from '../types';
import type { EvidenceRule } from './evidence';
import { appendKeyword, assignedCall, compileCalls, isKerasFile, kerasClass } from './keras-model';
import { displayPath } from './project';
import {
  assignmentsTo,
  calleeName,
  contains,
  descendants,
  dottedName,
  enclosingFunction,
  enclosingLoop,
  enclosingStatement,
  findMethodCalls,
  followingSiblings,
  keywordArgument,
  lastSegment,
  lineEnding,
  methodName,
  methodReceiverName,
  namedChildren,
  nextLineStart,
  patternAssignmentsTo,
  positionalArguments,
  statementIndentation,
  stringValue,
  type SyntaxNode,
} from './python';
import { localNameFor, resolveName, type ImportTable } from './imports';
import type { RuleContext } from './rule';
import { enclosingLoops, loopFacts, peelIterWrappers, statementsOf, type LoopFacts } from './training-loop';

/** `ReduceLROnPlateau`'s patience in epochs: PyTorch's default of 10 waits a long time on short runs. */
const PATIENCE = 5;
const SCHEDULER = 'scheduler';

export const noLrScheduler: EvidenceRule = {
  id: 'no-lr-scheduler',
  docs: 'docs/rules/no-lr-scheduler.md',
  severity: 'info',
  fixable: true,
  evidence: ['plateau', 'oscillation'],
  check(ctx) {
    const evidence = evidenceFindings(ctx, noLrScheduler.evidence);
    // The log itself shows the rate changing: a scheduler exists somewhere this file does not show.
    if (evidence.length === 0 || learningRateVaries(ctx.evidence?.run)) return [];
    return [...checkTorch(ctx, evidence), ...checkKeras(ctx, evidence)];
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Evidence (shared with no-early-stopping)

/** The linked log's findings with one of `ids`, in log order. */
export function evidenceFindings(ctx: RuleContext, ids: readonly string[]): CurveFinding[] {
  return (ctx.evidence?.findings ?? []).filter((f) => ids.includes(f.id));
}

/** Whether the run logged a learning rate that takes more than one value. */
function learningRateVaries(run: Run | undefined): boolean {
  for (const series of run?.series ?? []) {
    if (series.metric !== 'lr') continue;
    let low = Infinity;
    let high = -Infinity;
    for (let i = 0; i < series.length; i++) {
      const v = series.value[i];
      if (!Number.isFinite(v)) continue;
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    if (high > low * (1 + 1e-6)) return true;
  }
  return false;
}

/** How the script's reader finds the log: relative to the script (`train.log`, `../logs/train.log`). */
export function logLabel(ctx: RuleContext): string {
  return ctx.evidence ? displayPath(ctx.evidence.log, ctx.file) : '';
}

/**
 * The evidence of a curve message in a few words: its first clause, up to the first `,` `;` `:` or sentence end
 * outside parentheses (`validation \`loss\` has not improved on 0.41 (epoch 14) for 20 epochs`).
 */
export function evidenceClause(message: string): string {
  let depth = 0;
  for (let i = 0; i < message.length; i++) {
    const c = message[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === ',' || c === ';' || c === ':' || c === '.') && (i + 1 === message.length || message[i + 1] === ' ')) {
      return message.slice(0, i);
    }
  }
  return message.endsWith('.') ? message.slice(0, -1) : message;
}

/** Related locations pointing at the log lines of the evidence. */
export function evidenceRelated(ctx: RuleContext, evidence: readonly CurveFinding[]): Related[] {
  const log = ctx.evidence?.log;
  if (log === undefined) return [];
  return evidence
    .filter((f) => f.line !== null)
    .map((f) => ({ location: { file: log, line: f.line! }, message: `${f.id}: ${evidenceClause(f.message)}` }));
}

// ---------------------------------------------------------------------------------------------------------------
// PyTorch

function checkTorch(ctx: RuleContext, evidence: readonly CurveFinding[]): CodeFinding[] {
  const facts = loopFacts(ctx.root);
  if (hasTorchScheduler(ctx.root, facts)) return [];
  const steps = new Map<string, SyntaxNode[]>();
  for (const call of findMethodCalls(ctx.root, 'step')) {
    if (!enclosingLoop(call)) continue;
    const optimizer = facts.optimizerOfStep(call);
    const name = optimizer ? dottedName(optimizer) : null;
    if (name !== null) steps.set(name, [...(steps.get(name) ?? []), call]);
  }
  const findings: CodeFinding[] = [];
  for (const [name, calls] of steps) {
    for (const assignment of assignmentsTo(ctx.tree, name)) {
      const value = assignment.childForFieldName('right');
      if (value?.type !== 'call' || !isTorchOptimizer(facts.resolvedCallee(value))) continue;
      const [first] = evidence;
      const fix = torchFix(ctx, facts, assignment, name, calls[0], first);
      findings.push(ctx.report({
        node: value,
        message:
          `\`${name}\` (\`${calleeName(value) ?? 'optimizer'}\`) keeps one learning rate for the whole run (no scheduler in this ` +
          `script), and the linked log \`${logLabel(ctx)}\` shows ${evidenceClause(first.message)}. ${advice(first)}`,
        related: evidenceRelated(ctx, evidence),
        fixes: fix ? [fix] : [],
      }));
    }
  }
  return findings;
}

function advice(evidence: CurveFinding): string {
  return evidence.id === 'plateau'
    ? 'Lowering the learning rate when progress stalls usually gets more out of the run.'
    : 'Decaying the learning rate over the run damps swings like these.';
}

function isTorchOptimizer(resolved: string | null): boolean {
  return resolved !== null && resolved.startsWith('torch.optim.') && !resolved.includes('lr_scheduler') && !resolved.includes('swa_utils');
}

/** Helpers that set the learning rate by hand: `adjust_learning_rate(optimizer, epoch)`, `set_lr(...)`, `lr_decay(...)`. */
const LR_HELPER = /(adjust|set|update|decay|change|warmup)_?(the_)?(lr|learning_rate)|(lr|learning_rate)_?(decay|schedule|update|step|warmup)/;

/**
 * Whether the file changes the learning rate in any way: a scheduler built or stepped (`torch.optim.lr_scheduler`,
 * `get_linear_schedule_with_warmup`, a name with `sched` in it), a `param_group['lr'] = ...` write or `update(lr=)`,
 * an LR helper call, or a Lightning `{"lr_scheduler": ...}`.
 */
function hasTorchScheduler(root: SyntaxNode, facts: LoopFacts): boolean {
  // Names only (memoised per call): this runs over every call of the file.
  for (const call of descendants(root, 'call')) {
    const name = calleeName(call);
    if (name === null) continue;
    const last = lastSegment(resolveName(name, facts.imports));
    // `sched` anywhere in the callee covers `lr_scheduler.StepLR(...)`, `get_cosine_schedule_with_warmup(...)`, `scheduler.step()`.
    if (/sched/i.test(name) || /sched/i.test(last) || /LR$/.test(last) || LR_HELPER.test(last.toLowerCase())) return true;
    if (last === 'update' && keywordArgument(call, 'lr')) return true;
  }
  for (const assignment of descendants(root, ['assignment', 'augmented_assignment'])) {
    const left = assignment.childForFieldName('left');
    if (!left) continue;
    if (left.type === 'subscript') {
      if (stringValue(left.childForFieldName('subscript')) === 'lr') return true;
    } else if (/sched/i.test(left.text)) {
      return true;
    }
  }
  return descendants(root, 'dictionary').some((d) =>
    namedChildren(d).some((pair) => pair.type === 'pair' && stringValue(pair.childForFieldName('key')) === 'lr_scheduler'));
}

/** The loop that runs once per epoch around an optimizer step, and the scope it lives in. */
interface EpochLoop {
  readonly loop: SyntaxNode;
  /** Its body's statements, comments left out. */
  readonly statements: SyntaxNode[];
}

/**
 * The epoch loop around a training step: the nearest `for` outside the step's own (batch) loop that does not go
 * over a data loader, in the same function (`for epoch in range(n): for x, y in loader: ... step()`), or, when the
 * step's loop goes over a data loader, the one such loop of the file that calls the function holding it
 * (`for epoch in range(n): train_one_epoch(...)`).
 */
function epochLoopOf(facts: LoopFacts, step: SyntaxNode): EpochLoop | null {
  const isEpochLoop = (loop: SyntaxNode): boolean => {
    const iterable = loop.type === 'for_statement' ? loop.childForFieldName('right') : null;
    return iterable !== null && !facts.isLoaderIterable(iterable);
  };
  const loops = enclosingLoops(step);
  let loop: SyntaxNode | undefined = loops.slice(1).find(isEpochLoop);
  // Through a call only when the step's own loop is a pass over a data loader: a step-count loop in a function
  // called from a loop is more likely a whole training run repeated (seeds, folds) than an epoch.
  const overLoader = (l: SyntaxNode | undefined): boolean => {
    const iterable = l?.type === 'for_statement' ? l.childForFieldName('right') : null;
    return iterable !== null && facts.isLoaderIterable(iterable);
  };
  if (!loop && overLoader(loops[0])) {
    const fn = enclosingFunction(step);
    const fnName = fn?.childForFieldName('name')?.text;
    if (!fn || !fnName) return null;
    const callers = descendants(facts.root, 'for_statement').filter((l) =>
      !contains(fn, l) && isEpochLoop(l) && descendants(l.childForFieldName('body') ?? l, 'call').some((c) => lastSegment(calleeName(c) ?? '') === fnName));
    // The outermost callers only (an inner loop of a caller calling it again is not the epoch loop).
    const outer = callers.filter((l) => !callers.some((o) => o.id !== l.id && contains(o, l)));
    if (outer.length !== 1) return null;
    loop = outer[0];
  }
  if (!loop) return null;
  const statements = statementsOf(loop.childForFieldName('body'));
  return statements.length > 0 ? { loop, statements } : null;
}

/** Statements after which a new last line would never run. */
const JUMPS = new Set(['return_statement', 'break_statement', 'continue_statement', 'raise_statement']);

/**
 * An edit adding `line` as the last statement of a loop body, indented like the body's first statement; null
 * when the body shares a line with its header or a statement.
 */
function appendToBody(text: string, body: EpochLoop, line: string): TextEdit | null {
  const indent = statementIndentation(text, body.statements[0]);
  const last = body.statements[body.statements.length - 1];
  if (indent === null || indent === '' || !endsItsLine(last) || JUMPS.has(last.type)) return null;
  const eol = lineEnding(text, last.endIndex);
  const at = nextLineStart(text, last.endIndex);
  // A body that ends the file without a final line break gets one before the new line, not after it.
  if (at === text.length && !text.endsWith('\n')) return { start: at, end: at, newText: `${eol}${indent}${line}` };
  return { start: at, end: at, newText: `${indent}${line}${eol}` };
}

/** An edit adding `line` right after `statement`, at its indentation; null when something follows it on its line. */
function insertAfter(text: string, statement: SyntaxNode, line: string): TextEdit | null {
  const indent = statementIndentation(text, statement);
  if (indent === null || !endsItsLine(statement)) return null;
  const eol = lineEnding(text, statement.endIndex);
  const at = nextLineStart(text, statement.endIndex);
  if (at === text.length && !text.endsWith('\n')) return { start: at, end: at, newText: `${eol}${indent}${line}` };
  return { start: at, end: at, newText: `${indent}${line}${eol}` };
}

/** Whether nothing but a comment follows the statement on its last line (no `; more()`). */
function endsItsLine(statement: SyntaxNode): boolean {
  const next = followingSiblings(statement).find((s) => s.isNamed || s.type === ';');
  return !next || next.type === 'comment' || next.startPosition.row > statement.endPosition.row;
}

const VAL_NAME = /(^|_)(val|valid|validation|dev|eval|test)(_|$)|^(val|valid|eval|test)[a-z]*loss/;

/** Statements that run once per pass of a block: its own, and those of the `with` blocks in it (never `if`/loop bodies). */
function unconditionalStatements(statements: readonly SyntaxNode[]): SyntaxNode[] {
  return statements.flatMap((s) => (s.type === 'with_statement' ? [s, ...unconditionalStatements(statementsOf(s.childForFieldName('body')))] : [s]));
}

/**
 * The variable holding the epoch's validation loss: the one name like `val_loss`/`valid_loss` assigned once per
 * epoch by the epoch loop's body (directly or in a `with` block; never a `best_*`). A running sum
 * (`val_loss += ...`) counts only when no other name qualifies (`valid_loss = valid_loss_acc / n` wins over
 * `valid_loss_acc`). Null when there is none or more than one.
 */
function validationLossName(epoch: EpochLoop): string | null {
  const accumulated = new Set(descendants(epoch.loop, 'augmented_assignment').map((a) => a.childForFieldName('left')?.text ?? ''));
  const plain = new Set<string>();
  const sums = new Set<string>();
  for (const statement of unconditionalStatements(epoch.statements)) {
    const assignment = statement.type === 'expression_statement' ? statement.firstNamedChild : null;
    if (assignment?.type !== 'assignment') continue;
    const left = assignment.childForFieldName('left');
    const targets = left?.type === 'identifier' ? [left] : left ? descendants(left, 'identifier') : [];
    for (const target of targets) {
      const name = target.text.toLowerCase();
      if (!name.includes('loss') || !VAL_NAME.test(name) || name.startsWith('best')) continue;
      (accumulated.has(target.text) ? sums : plain).add(target.text);
    }
  }
  const names = plain.size > 0 ? plain : sums;
  return names.size === 1 ? [...names][0] : null;
}

/** `T_max` for a cosine schedule over the epoch loop: `n` for `range(n)`, `range(0, n)`, `range(1, n + 1)`; literals subtracted. */
function epochCount(epoch: EpochLoop): string | null {
  const iterable = epoch.loop.childForFieldName('right');
  const call = iterable ? peelIterWrappers(iterable) : null;
  if (!call || call.type !== 'call' || calleeName(call) !== 'range') return null;
  const args = positionalArguments(call);
  const simple = (n: SyntaxNode | undefined): n is SyntaxNode => n !== undefined && (n.type === 'identifier' || n.type === 'integer');
  if (args.length === 1 && simple(args[0])) return args[0].text;
  if (args.length !== 2) return null;
  const [from, to] = args;
  if (from.type === 'integer' && to.type === 'integer') return String(Number(to.text) - Number(from.text));
  if (from.text === '0' && simple(to)) return to.text;
  if (from.text === '1' && to.type === 'binary_operator' && to.child(1)?.type === '+' && to.childForFieldName('right')?.text === '1') {
    const bound = to.childForFieldName('left') ?? undefined;
    return simple(bound) ? bound.text : null;
  }
  return null;
}

/**
 * Whether `scheduler` already means something where the fix would use it: an import, or a parameter of the
 * function holding the epoch loop. (An assignment to it is a scheduler, and the rule is silent then.)
 */
function nameTaken(facts: LoopFacts, loop: SyntaxNode): boolean {
  if (facts.imports.names.has(SCHEDULER) || patternAssignmentsTo(facts.root.tree, SCHEDULER).length > 0) return true;
  const params = enclosingFunction(loop)?.childForFieldName('parameters');
  return params ? descendants(params, 'identifier').some((id) => id.text === SCHEDULER) : false;
}

/**
 * The fix: a scheduler built right after the optimizer and stepped at the end of the epoch loop. Plateau:
 * `ReduceLROnPlateau` stepped with the epoch's validation loss; oscillation: `CosineAnnealingLR` over the epoch
 * count. Null unless the epoch loop, the optimizer's place before it (same function) and what the step needs
 * are all evident.
 */
function torchFix(ctx: RuleContext, facts: LoopFacts, assignment: SyntaxNode, optimizer: string, step: SyntaxNode, evidence: CurveFinding): Fix | null {
  const epoch = epochLoopOf(facts, step);
  const statement = enclosingStatement(assignment);
  if (!epoch || !statement || statement.endIndex > epoch.loop.startIndex) return null;
  if (enclosingFunction(statement)?.id !== enclosingFunction(epoch.loop)?.id) return null;
  if (nameTaken(facts, epoch.loop)) return null;
  const plateau = evidence.id === 'plateau';
  const cls = localNameFor(`torch.optim.lr_scheduler.${plateau ? 'ReduceLROnPlateau' : 'CosineAnnealingLR'}`, facts.imports);
  if (cls === null) return null;
  let build: string;
  let stepLine: string;
  let title: string;
  if (plateau) {
    const loss = validationLossName(epoch);
    if (loss === null) return null;
    build = `${SCHEDULER} = ${cls}(${optimizer}, mode="min", factor=0.5, patience=${PATIENCE})`;
    stepLine = `${SCHEDULER}.step(${loss})`;
    title = `Halve the learning rate when \`${loss}\` stops improving (ReduceLROnPlateau)`;
  } else {
    const count = epochCount(epoch);
    if (count === null) return null;
    build = `${SCHEDULER} = ${cls}(${optimizer}, T_max=${count})`;
    stepLine = `${SCHEDULER}.step()`;
    title = 'Decay the learning rate over the epochs (CosineAnnealingLR)';
  }
  const first = insertAfter(ctx.text, statement, build);
  const second = appendToBody(ctx.text, epoch, stepLine);
  return first && second ? { title, safe: false, edits: [first, second] } : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Keras (shared with no-early-stopping)

/** A Keras `model.fit(...)` call: on a model the file compiles. */
export function kerasFitCalls(root: SyntaxNode): SyntaxNode[] {
  if (!isKerasFile(root)) return [];
  const models = new Set(compileCalls(root).map((c) => c.model));
  return findMethodCalls(root, 'fit').filter((call) => {
    const receiver = methodReceiverName(call);
    return receiver !== null && models.has(receiver);
  });
}

/**
 * Keras's own callbacks, which do what their names say. Any other callback from outside the file (and
 * `LambdaCallback`) might change the learning rate or stop training: the rules stay silent then.
 */
const KNOWN_CALLBACKS = new Set([
  'ModelCheckpoint', 'EarlyStopping', 'TensorBoard', 'CSVLogger', 'ReduceLROnPlateau', 'LearningRateScheduler',
  'TerminateOnNaN', 'ProgbarLogger', 'History', 'BackupAndRestore', 'RemoteMonitor', 'SwapEMAWeights',
]);

/** What `fit(callbacks=...)` holds: the list literal to extend (null when absent or not a literal) and the classes in it. */
export interface FitCallbacks {
  readonly list: SyntaxNode | null;
  readonly present: boolean;
  readonly classes: readonly string[];
}

/**
 * The callbacks of a `fit` call, or null when they cannot be known (a function's result, a callback class
 * from elsewhere that might do anything).
 */
export function fitCallbacks(root: SyntaxNode, fit: SyntaxNode): FitCallbacks | null {
  const argument = keywordArgument(fit, 'callbacks');
  if (!argument) return { list: null, present: false, classes: [] };
  let list: SyntaxNode | null = argument.type === 'list' ? argument : null;
  if (!list && argument.type === 'identifier') {
    const values = assignmentsTo(root.tree, argument.text).map((a) => a.childForFieldName('right'));
    if (values.length === 1 && values[0]?.type === 'list') list = values[0];
  }
  if (!list) return null;
  const local = new Set(descendants(root, 'class_definition').map((c) => c.childForFieldName('name')?.text ?? ''));
  const classes: string[] = [];
  for (const item of namedChildren(list).filter((c) => c.type !== 'comment')) {
    const call = assignedCall(root, item);
    if (!call) return null;
    const name = calleeName(call) ?? '';
    const keras = kerasClass(call);
    const cls = keras !== null && KNOWN_CALLBACKS.has(keras) ? keras : local.has(name) ? name : null;
    if (cls === null) return null;
    classes.push(cls);
  }
  return { list: argument.type === 'list' ? argument : null, present: true, classes };
}

/** How this file names a Keras callback class (`keras.callbacks.EarlyStopping`, `tf.keras.callbacks...`, `EarlyStopping`), or null. */
export function kerasCallbackSpelling(cls: string, imports: ImportTable): string | null {
  for (const module of ['tensorflow.keras.callbacks', 'keras.callbacks', 'tf_keras.callbacks']) {
    const local = localNameFor(`${module}.${cls}`, imports);
    if (local !== null) return local;
  }
  return null;
}

/** An edit adding `callback` to `fit`'s `callbacks=[...]`, or a new `callbacks=[callback]` keyword; null when neither is safe. */
export function addCallback(text: string, fit: SyntaxNode, callbacks: FitCallbacks, callback: string): TextEdit | null {
  if (!callbacks.present) return appendKeyword(text, fit, `callbacks=[${callback}]`);
  const list = callbacks.list;
  if (!list) return null;
  const items = namedChildren(list).filter((c) => c.type !== 'comment');
  const last = items.at(-1);
  if (!last) return text[list.endIndex - 1] === ']' ? { start: list.endIndex - 1, end: list.endIndex - 1, newText: callback } : null;
  if (last.type === 'list_splat') return { start: last.endIndex, end: last.endIndex, newText: `, ${callback}` };
  const after = last.nextSibling;
  if (after?.type === ',') return { start: after.endIndex, end: after.endIndex, newText: ` ${callback}` };
  return { start: last.endIndex, end: last.endIndex, newText: `, ${callback}` };
}

/** Whether `fit` is given validation data (so `val_loss` exists to monitor). */
export function fitValidates(fit: SyntaxNode): boolean {
  return keywordArgument(fit, 'validation_data') !== null || keywordArgument(fit, 'validation_split') !== null;
}

/** The node a Keras finding sits on: `model.fit` of `model.fit(...)`. */
export function fitCallee(fit: SyntaxNode): SyntaxNode {
  return fit.childForFieldName('function') ?? fit;
}

const KERAS_LR_CLASSES = /ReduceLROnPlateau|LearningRateScheduler|Schedule|Decay|OneCycle|Cyclic|Warmup|WarmUp/;

/**
 * Whether the Keras file changes the learning rate anywhere: a schedule or LR callback built, a class deriving
 * from a schedule, an optimizer whose `learning_rate` is computed, or a write to an optimizer's `lr`.
 */
function hasKerasSchedule(root: SyntaxNode): boolean {
  for (const call of descendants(root, 'call')) {
    const name = calleeName(call);
    if (name !== null && KERAS_LR_CLASSES.test(lastSegment(name))) return true;
    for (const keyword of ['learning_rate', 'lr']) {
      const value = keywordArgument(call, keyword);
      if (value && kerasClass(call) !== null && (value.type === 'call' || (value.type === 'identifier' && assignedCall(root, value)))) return true;
    }
    const method = methodName(call);
    if ((method === 'set_value' || method === 'assign') && /(^|\.)(lr|learning_rate)$/.test(dottedName(positionalArguments(call)[0] ?? null) ?? methodReceiverName(call) ?? '')) return true;
  }
  for (const cls of descendants(root, 'class_definition')) {
    if (KERAS_LR_CLASSES.test(cls.childForFieldName('superclasses')?.text ?? '')) return true;
  }
  return descendants(root, 'assignment').some((a) => /\.(lr|learning_rate)$/.test(dottedName(a.childForFieldName('left')) ?? ''));
}

function checkKeras(ctx: RuleContext, evidence: readonly CurveFinding[]): CodeFinding[] {
  const fits = kerasFitCalls(ctx.root);
  if (fits.length === 0 || hasKerasSchedule(ctx.root)) return [];
  const [first] = evidence;
  const findings: CodeFinding[] = [];
  for (const fit of fits) {
    const callbacks = fitCallbacks(ctx.root, fit);
    if (!callbacks) continue;
    const spelled = kerasCallbackSpelling('ReduceLROnPlateau', loopFacts(ctx.root).imports);
    const callback = `${spelled}(monitor="val_loss", factor=0.5, patience=${PATIENCE})`;
    const edit = spelled !== null && fitValidates(fit) ? addCallback(ctx.text, fit, callbacks, callback) : null;
    findings.push(ctx.report({
      node: fitCallee(fit),
      message:
        `\`${fitCallee(fit).text}(...)\` keeps one learning rate for the whole run (no \`ReduceLROnPlateau\` or ` +
        `\`LearningRateScheduler\` callback, no schedule in the optimizer), and the linked log \`${logLabel(ctx)}\` shows ` +
        `${evidenceClause(first.message)}. ${advice(first)}`,
      related: evidenceRelated(ctx, evidence),
      fixes: edit ? [{ title: 'Halve the learning rate when `val_loss` stops improving (ReduceLROnPlateau callback)', safe: false, edits: [edit] }] : [],
    }));
  }
  return findings;
}
