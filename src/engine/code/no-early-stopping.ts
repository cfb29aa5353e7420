/**
 * `no-early-stopping`: the linked log shows `overfitting` (validation loss rising from its best while training
 * loss falls) and the script keeps the last epoch's model instead of the best one. Runs only through
 * `analyzeEvidence`, with a linked log.
 *
 * Keras: `model.fit(...)` without an `EarlyStopping` callback (fix: add one that restores the best weights).
 * PyTorch: a `torch.save(...)` of the model in the epoch loop that is not under any `if`, so every epoch
 * overwrites the checkpoint and the last (overfit) one is what stays; no automatic fix. A PyTorch script that
 * saves nothing gets no finding: there is no checkpoint logic to point at.
 */

import type { CodeFinding, CurveFinding } from '../types';
import type { EvidenceRule } from './evidence';
import {
  addCallback,
  evidenceClause,
  evidenceFindings,
  evidenceRelated,
  fitCallbacks,
  fitCallee,
  fitValidates,
  kerasCallbackSpelling,
  kerasFitCalls,
  logLabel,
} from './no-lr-scheduler';
import { kerasClass } from './keras-model';
import { calleeName, descendants, dottedName, keywordArgument, lastSegment, methodName, parentOf, positionalArguments, type SyntaxNode } from './python';
import type { RuleContext } from './rule';
import { enclosingLoops, loopFacts, type LoopFacts } from './training-loop';

/** Epochs without improvement before stopping. */
const PATIENCE = 5;

export const noEarlyStopping: EvidenceRule = {
  id: 'no-early-stopping',
  docs: 'docs/rules/no-early-stopping.md',
  severity: 'warning',
  fixable: true,
  evidence: ['overfitting'],
  check(ctx) {
    const evidence = evidenceFindings(ctx, noEarlyStopping.evidence);
    if (evidence.length === 0) return [];
    return [...checkKeras(ctx, evidence), ...checkTorch(ctx, evidence)];
  },
};

/** `epoch 8` (or `step 1200`) for the best point of an overfitting finding. */
function bestPoint(finding: CurveFinding): string | null {
  if (finding.epoch !== null) return `epoch ${finding.epoch}`;
  return finding.step !== null ? `step ${finding.step}` : null;
}

function evidenceSentence(ctx: RuleContext, finding: CurveFinding): string {
  return `the linked log \`${logLabel(ctx)}\` shows ${evidenceClause(finding.message)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Keras

/** Whether the file stops training early in some way: an `EarlyStopping` built, or `model.stop_training = True` in a callback. */
function hasKerasEarlyStopping(root: SyntaxNode): boolean {
  if (descendants(root, 'call').some((call) => kerasClass(call) === 'EarlyStopping' || lastSegment(calleeName(call) ?? '') === 'EarlyStopping')) return true;
  return descendants(root, 'assignment').some((a) => (dottedName(a.childForFieldName('left')) ?? '').endsWith('stop_training'));
}

function checkKeras(ctx: RuleContext, evidence: readonly CurveFinding[]): CodeFinding[] {
  const fits = kerasFitCalls(ctx.root);
  if (fits.length === 0 || hasKerasEarlyStopping(ctx.root)) return [];
  const [first] = evidence;
  const best = bestPoint(first);
  const spelled = kerasCallbackSpelling('EarlyStopping', loopFacts(ctx.root).imports);
  const findings: CodeFinding[] = [];
  for (const fit of fits) {
    const callbacks = fitCallbacks(ctx.root, fit);
    if (!callbacks) continue;
    const callback = `${spelled}(monitor="val_loss", patience=${PATIENCE}, restore_best_weights=True)`;
    const edit = spelled !== null && fitValidates(fit) ? addCallback(ctx.text, fit, callbacks, callback) : null;
    findings.push(ctx.report({
      node: fitCallee(fit),
      message:
        `\`${fitCallee(fit).text}(...)\` runs every epoch it is given with no \`EarlyStopping\` callback, and ${evidenceSentence(ctx, first)}: ` +
        `the model it leaves behind is the last epoch's${best ? `, not the best one (${best})` : ''}.`,
      related: evidenceRelated(ctx, evidence),
      fixes: edit ? [{ title: `Stop when \`val_loss\` stops improving and keep the best weights (EarlyStopping, patience=${PATIENCE})`, safe: false, edits: [edit] }] : [],
    }));
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// PyTorch

/** `torch.save(...)` calls of the file. */
function saveCalls(facts: LoopFacts): SyntaxNode[] {
  return descendants(facts.root, 'call').filter((call) => facts.resolvedCallee(call) === 'torch.save');
}

/** The training loop around a call: the outermost enclosing loop that runs a backward pass (itself or through a function it calls). */
function trainingLoopAround(facts: LoopFacts, node: SyntaxNode): SyntaxNode | null {
  const loops = enclosingLoops(node).filter((loop) => facts.reaches(loop, (scope) => facts.containsBackward(scope)));
  return loops.at(-1) ?? null;
}

/** Whether an `if` (or a conditional expression) lies between `node` and `outer`. */
function conditionalWithin(node: SyntaxNode, outer: SyntaxNode): boolean {
  for (let p = parentOf(node); p && p.id !== outer.id; p = parentOf(p)) {
    if (p.type === 'if_statement' || p.type === 'conditional_expression') return true;
  }
  return false;
}

/** Whether what a `torch.save` writes is the model: a `state_dict()` or the module the optimizer trains. */
function savesModel(facts: LoopFacts, save: SyntaxNode): boolean {
  const saved = keywordArgument(save, 'obj') ?? positionalArguments(save)[0];
  if (!saved) return false;
  if (descendants(saved, 'call').some((call) => methodName(call) === 'state_dict')) return true;
  const modules = new Set(facts.optimizedModules());
  return descendants(saved, ['identifier', 'attribute']).some((n) => modules.has(dottedName(n) ?? ''));
}

function checkTorch(ctx: RuleContext, evidence: readonly CurveFinding[]): CodeFinding[] {
  const facts = loopFacts(ctx.root);
  const saves = saveCalls(facts);
  if (saves.length === 0) return [];
  const placed = saves.map((save) => ({ save, loop: trainingLoopAround(facts, save) }));
  // A checkpoint saved under a condition in the loop (`if val_loss < best: torch.save(...)`) is best-model logic.
  if (placed.some(({ save, loop }) => loop !== null && conditionalWithin(save, loop))) return [];
  const [first] = evidence;
  const best = bestPoint(first);
  return placed
    .filter(({ save, loop }) => loop !== null && savesModel(facts, save))
    .map(({ save }) => ctx.report({
      node: save,
      message:
        `\`${calleeName(save) ?? 'torch.save'}(...)\` runs every epoch and overwrites the checkpoint, and ${evidenceSentence(ctx, first)}: ` +
        `the saved model is the last epoch's${best ? `, not the best one (${best})` : ''}. Save when the validation loss improves, or keep one checkpoint per epoch.`,
      related: evidenceRelated(ctx, evidence),
    }));
}
