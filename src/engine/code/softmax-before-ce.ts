/**
 * `softmax-before-ce`: probabilities fed to a loss that wants logits (`nn.CrossEntropyLoss`,
 * `F.cross_entropy`) or log-probabilities (`nn.NLLLoss`, `F.nll_loss`); in Keras, a softmax output layer
 * compiled with `from_logits=True`. The softmax is found next to the loss or in the model's `forward`, in this
 * file or in the file the model class was imported from; the finding goes where the softmax is.
 */

import type { CodeFinding, Fix, Related } from '../types';
import {
  activationsFeeding,
  lossCalls,
  modelCalls,
  onlyReadByLossOrArgmax,
  type Activation,
  type LossCall,
} from './activations';
import { assignedCall, compileCalls, kerasClass, layerActivation, modelLayers } from './keras-model';
import { checkSingleFile, displayPath, type Project, type ProjectFinding, type ProjectRule, type SourceFile } from './project';
import { keywordArgument, parentOf, type SyntaxNode } from './python';

const SOFTMAX = new Set(['softmax'] as const);
const MAX_RELATED = 5;
const LOSS_KINDS = new Set(['cross-entropy', 'nll'] as const);
const KERAS_CATEGORICAL = new Set(['CategoricalCrossentropy', 'SparseCategoricalCrossentropy']);

export const softmaxBeforeCe: ProjectRule = {
  id: 'softmax-before-ce',
  docs: 'docs/rules/softmax-before-ce.md',
  severity: 'warning',
  fixable: true,
  check: (ctx) => checkSingleFile(softmaxBeforeCe, ctx),
  checkProject(project) {
    return [...checkPyTorch(project), ...checkKeras(project)];
  },
};

function checkPyTorch(project: Project): ProjectFinding[] {
  const entry = project.entry;
  const losses = lossCalls(entry, LOSS_KINDS);
  // One finding per softmax, however many loss calls (train and validation) it feeds.
  const bySoftmax = new Map<string, { activation: Activation; losses: LossCall[] }>();
  for (const loss of losses) {
    for (const activation of activationsFeeding(project, entry, loss.input, SOFTMAX)) {
      const key = `${activation.source.file}:${activation.node.startIndex}`;
      const seen = bySoftmax.get(key);
      if (seen) seen.losses.push(loss);
      else bySoftmax.set(key, { activation, losses: [loss] });
    }
  }
  const inputs = new Set(losses.map((l) => l.input.id));
  const findings: ProjectFinding[] = [];
  for (const { activation, losses: fed } of bySoftmax.values()) {
    const loss = fed[0];
    const ctx = activation.source.context(softmaxBeforeCe);
    const sameFile = activation.source === entry;
    const lossName = entry.text.slice(loss.lossName.startIndex, loss.lossName.endIndex);
    const where = `${sameFile ? '' : `${displayPath(entry.file, activation.source.file)} `}line ${entry.lineOf(loss.call)}`;
    const softmax = describe(activation.node);
    const message = loss.kind === 'nll'
      ? `\`${lossName}\` (${where}) expects log-probabilities but receives the output of \`${softmax}\`; ` +
        'use `log_softmax`, or the loss is computed on probabilities and its gradients vanish'
      : `the output of \`${softmax}\` is passed to \`${lossName}\` (${where}), which applies log-softmax itself; ` +
        'the double softmax squashes the logits and flattens the gradients, so training stalls';
    // The first few loss calls are evidence enough; a script with hundreds of loops would drown the finding.
    const related: Related[] = fed.slice(0, MAX_RELATED).map((l) => ({ location: entry.locationOf(l.call), message: `loss \`${describe(l.call)}\`` }));
    const fix = softmaxFix(activation, loss, entry, inputs);
    findings.push({ file: activation.source.file, finding: ctx.report({ node: activation.node, message, related, fixes: fix ? [fix] : [] }) });
  }
  return findings;
}

/**
 * Cross-entropy: remove the softmax; NLL: turn it into `log_softmax`. Safe when the softmax sits next to the
 * loss and only the loss (or an `argmax`) reads it; unsafe when it is in the model, since every caller of
 * the model then gets logits (offered only when this file reads the model's output for the loss or an
 * `argmax` alone, which the change leaves correct). No fix otherwise.
 */
function softmaxFix(activation: Activation, loss: LossCall, entry: SourceFile, inputs: ReadonlySet<number>): Fix | null {
  const edit = loss.kind === 'nll' ? activation.toLogSoftmax : activation.removal;
  if (!edit) return null;
  if (!activation.inModel) {
    if (!onlyReadByLossOrArgmax(activation.node, inputs, true)) return null;
    return {
      title: loss.kind === 'nll' ? 'Use `log_softmax` before `NLLLoss`' : 'Pass the logits to the loss (remove the softmax)',
      safe: true,
      edits: [edit],
    };
  }
  if (activation.modelVariable === null) return null;
  const calls = modelCalls(entry, activation.modelVariable);
  if (calls.length === 0 || !calls.every((call) => onlyReadByLossOrArgmax(call, inputs, true))) return null;
  return {
    title: loss.kind === 'nll'
      ? 'Return log-probabilities from the model (`log_softmax`)'
      : 'Return logits from the model (remove the softmax; callers get logits)',
    safe: false,
    edits: [edit],
  };
}

/** `model.compile(loss=CategoricalCrossentropy(from_logits=True))` on a model whose last layer is a softmax. */
function checkKeras(project: Project): ProjectFinding[] {
  const entry = project.entry;
  const ctx = entry.context(softmaxBeforeCe);
  const findings: CodeFinding[] = [];
  for (const { call, model } of compileCalls(entry.root)) {
    const lossArg = keywordArgument(call, 'loss');
    const loss = lossArg ? assignedCall(entry.root, lossArg) : null;
    if (!loss || !KERAS_CATEGORICAL.has(kerasClass(loss) ?? '')) continue;
    const fromLogits = keywordArgument(loss, 'from_logits');
    if (fromLogits?.type !== 'true') continue;
    const last = modelLayers(entry.root, model).at(-1);
    const activation = last ? layerActivation(last) : null;
    if (!last || activation?.name !== 'softmax') continue;
    findings.push(ctx.report({
      node: parentOf(fromLogits) ?? fromLogits,
      message:
        `\`${describe(loss)}\` is told the model outputs logits, but its last layer \`${describe(last)}\` ` +
        `(line ${entry.lineOf(last)}) applies softmax; the loss applies softmax a second time and the gradients flatten`,
      related: [{ location: entry.locationOf(last), message: 'softmax output layer' }],
      fixes: [{
        title: 'Set `from_logits=False` (the model already outputs probabilities)',
        safe: true,
        edits: [{ start: fromLogits.startIndex, end: fromLogits.endIndex, newText: 'False' }],
      }],
    }));
  }
  return findings.map((finding) => ({ file: entry.file, finding }));
}

/** The call as written when short, else `callee(...)`. */
function describe(call: SyntaxNode): string {
  const text = call.text;
  if (text.length <= 40 && !text.includes('\n')) return text;
  const fn = call.childForFieldName('function');
  return `${fn ? fn.text : 'call'}(...)`;
}
