/**
 * `sigmoid-bce`: a sigmoid output fed to `nn.BCELoss`/`F.binary_cross_entropy` (numerically fragile: the
 * same loss is computed stably by `BCEWithLogitsLoss` on the logits), or to `BCEWithLogitsLoss`, which
 * applies the sigmoid a second time. Found next to the loss or in the model's `forward`, in this file or
 * the one the model was imported from; the finding goes where the sigmoid is.
 */

import type { Fix, Related, TextEdit } from '../types';
import {
  activationsFeeding,
  lossCalls,
  modelCalls,
  onlyReadByLossOrArgmax,
  type Activation,
  type LossCall,
} from './activations';
import { checkSingleFile, displayPath, type Project, type ProjectFinding, type ProjectRule, type SourceFile } from './project';
import type { SyntaxNode } from './python';

const SIGMOID = new Set(['sigmoid'] as const);
const MAX_RELATED = 5;
const LOSS_KINDS = new Set(['bce', 'bce-with-logits'] as const);
const WITH_LOGITS: Readonly<Record<string, string>> = {
  BCELoss: 'BCEWithLogitsLoss',
  binary_cross_entropy: 'binary_cross_entropy_with_logits',
};

export const sigmoidBce: ProjectRule = {
  id: 'sigmoid-bce',
  docs: 'docs/rules/sigmoid-bce.md',
  severity: 'warning',
  fixable: true,
  check: (ctx) => checkSingleFile(sigmoidBce, ctx),
  checkProject,
};

function checkProject(project: Project): ProjectFinding[] {
  const entry = project.entry;
  const losses = lossCalls(entry, LOSS_KINDS);
  const bySigmoid = new Map<string, { activation: Activation; losses: LossCall[] }>();
  for (const loss of losses) {
    for (const activation of activationsFeeding(project, entry, loss.input, SIGMOID)) {
      const key = `${activation.source.file}:${activation.node.startIndex}:${loss.kind}`;
      const seen = bySigmoid.get(key);
      if (seen) seen.losses.push(loss);
      else bySigmoid.set(key, { activation, losses: [loss] });
    }
  }
  const findings: ProjectFinding[] = [];
  for (const { activation, losses: fed } of bySigmoid.values()) {
    const loss = fed[0];
    const ctx = activation.source.context(sigmoidBce);
    const lossName = entry.text.slice(loss.lossName.startIndex, loss.lossName.endIndex);
    const where = `${activation.source === entry ? '' : `${displayPath(entry.file, activation.source.file)} `}line ${entry.lineOf(loss.call)}`;
    const sigmoid = describe(activation.node);
    const message = loss.kind === 'bce'
      ? `\`${lossName}\` (${where}) receives the output of \`${sigmoid}\`; computing the log of a saturated sigmoid ` +
        'loses precision (outputs round to 0 or 1 and the loss clamps), while `BCEWithLogitsLoss` on the logits computes the same loss stably'
      : `the output of \`${sigmoid}\` is passed to \`${lossName}\` (${where}), which applies the sigmoid itself; ` +
        'the double sigmoid squashes the logits into (0.5, 0.73) and the model cannot fit its targets';
    // The first few loss calls are evidence enough; a script with hundreds of loops would drown the finding.
    const related: Related[] = fed.slice(0, MAX_RELATED).map((l) => ({ location: entry.locationOf(l.call), message: `loss \`${describe(l.call)}\`` }));
    const fix = sigmoidFix(activation, fed, losses, entry);
    findings.push({ file: activation.source.file, finding: ctx.report({ node: activation.node, message, related, fixes: fix ? [fix] : [] }) });
  }
  return findings;
}

/**
 * `BCELoss`: drop the sigmoid and switch to the `WithLogits` loss, both in one file (no fix when the model is
 * in another file, since one fix edits one file). `BCEWithLogitsLoss`: drop the sigmoid. Safe when the
 * sigmoid sits next to the loss and only the loss (or an `argmax`) reads it: the loss is mathematically the
 * same. Unsafe when the sigmoid is in the model (its callers get logits), and only when this file reads the
 * model's output for the loss (or an `argmax`) alone.
 */
function sigmoidFix(activation: Activation, fed: readonly LossCall[], all: readonly LossCall[], entry: SourceFile): Fix | null {
  if (!activation.removal) return null;
  const edits: TextEdit[] = [activation.removal];
  if (fed[0].kind === 'bce') {
    if (activation.source !== entry) return null;
    // Every call of a renamed loss module must be one this fix feeds logits to.
    const constructions = new Set(fed.map((l) => l.construction?.id).filter((id) => id !== undefined));
    if (all.some((l) => l.construction && constructions.has(l.construction.id) && !fed.includes(l))) return null;
    const renamed = new Set<number>();
    for (const loss of fed) {
      if (renamed.has(loss.lossName.id)) continue;
      renamed.add(loss.lossName.id);
      const edit = renameToWithLogits(loss.lossName);
      if (!edit) return null;
      edits.push(edit);
    }
  }
  const inputs = new Set(all.map((l) => l.input.id));
  const title = fed[0].kind === 'bce' ? 'Use `BCEWithLogitsLoss` on the logits' : 'Pass the logits to the loss (remove the sigmoid)';
  if (!activation.inModel) {
    return onlyReadByLossOrArgmax(activation.node, inputs, true) ? { title, safe: true, edits } : null;
  }
  if (activation.modelVariable === null) return null;
  const calls = modelCalls(entry, activation.modelVariable);
  if (calls.length === 0 || !calls.every((call) => onlyReadByLossOrArgmax(call, inputs, true))) return null;
  return { title: `${title}; the model returns logits`, safe: false, edits };
}

/** `nn.BCELoss` → `nn.BCEWithLogitsLoss`, `F.binary_cross_entropy` → `F.binary_cross_entropy_with_logits`; null for bare imported names. */
function renameToWithLogits(name: SyntaxNode): TextEdit | null {
  if (name.type !== 'attribute') return null;
  const attribute = name.childForFieldName('attribute');
  const renamed = attribute ? WITH_LOGITS[attribute.text] : undefined;
  return attribute && renamed ? { start: attribute.startIndex, end: attribute.endIndex, newText: renamed } : null;
}

function describe(call: SyntaxNode): string {
  const text = call.text;
  if (text.length <= 40 && !text.includes('\n')) return text;
  const fn = call.childForFieldName('function');
  return `${fn ? fn.text : 'call'}(...)`;
}
