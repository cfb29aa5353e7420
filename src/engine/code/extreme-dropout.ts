/**
 * `extreme-dropout`: a dropout rate of 0.8 or more (seed 004: "dropout 0.99", "Dropout = 0.95" on a
 * bidirectional LSTM whose validation accuracy never moved past 76%). At such rates most units are zeroed on
 * every step; the network learns from noise. Reported on dropout layers and functions (`nn.Dropout(p=0.9)`,
 * `Dropout(0.8)`, `F.dropout(x, p=0.9)`) and on dropout keywords of layer constructors (`dropout=0.85`,
 * `recurrent_dropout=0.9`). No fix: the right rate is a modelling choice (0.1 to 0.5 is usual).
 */

import type { CodeFinding } from '../types';
import { qualifiedCallee } from './activations';
import { kerasClass } from './keras-model';
import type { Rule } from './rule';
import {
  assignmentsTo,
  descendants,
  enclosingFunction,
  keywordArgument,
  keywordName,
  lastSegment,
  parentOf,
  positionalArguments,
  type SyntaxNode,
} from './python';

const THRESHOLD = 0.8;
/** Layers whose first argument (or `rate=`/`p=`) is the fraction of units dropped. */
const DROPOUT_LAYERS = new Set([
  'Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d', 'AlphaDropout', 'FeatureAlphaDropout',
  'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D',
]);
/** PyTorch dropout functions: `F.dropout(input, p=0.5)`; the rate is `p=` or the second argument. */
const TORCH_DROPOUT_FUNCTIONS = new Set(['dropout', 'dropout1d', 'dropout2d', 'dropout3d', 'alpha_dropout', 'feature_alpha_dropout']);
/** Constructor keywords that set a drop probability (`nn.LSTM(..., dropout=)`, Keras `recurrent_dropout=`, transformers' configs). */
const DROPOUT_KEYWORDS = new Set([
  'dropout', 'recurrent_dropout', 'dropout_rate', 'drop_rate', 'attention_dropout', 'dropout_p', 'hidden_dropout_prob',
  'attention_probs_dropout_prob', 'drop_prob',
]);
const TORCH_RECURRENT = new Set(['torch.nn.LSTM', 'torch.nn.GRU', 'torch.nn.RNN']);

export const extremeDropout: Rule = {
  id: 'extreme-dropout',
  docs: 'docs/rules/extreme-dropout.md',
  severity: 'warning',
  fixable: false,
  check(ctx) {
    const findings: CodeFinding[] = [];
    const report = (value: SyntaxNode, rate: number, what: string): void => {
      findings.push(ctx.report({
        node: value,
        message:
          `${what} drops ${Math.round(rate * 100)}% of the units on every training step; ` +
          'at 0.8 and above the network mostly learns from noise, and validation accuracy stalls; rates of 0.1 to 0.5 are usual',
      }));
    };
    for (const call of descendants(ctx.root, 'call')) {
      const qualified = qualifiedCallee(call);
      if (qualified === null) continue;
      const last = lastSegment(qualified);
      const isTorch = qualified.startsWith('torch.');
      let value: SyntaxNode | null = null;
      if (DROPOUT_LAYERS.has(last) && (isTorch || kerasClass(call) !== null)) {
        value = keywordArgument(call, isTorch ? 'p' : 'rate') ?? positionalArguments(call)[0] ?? null;
      } else if (isTorch && TORCH_DROPOUT_FUNCTIONS.has(last) && (qualified.startsWith('torch.nn.functional.') || qualified === `torch.${last}`)) {
        value = keywordArgument(call, 'p') ?? positionalArguments(call)[1] ?? null;
      }
      const rate = rateOf(value, ctx.root);
      if (value && rate !== null) report(value, rate, `\`${describe(call)}\``);
    }
    // Dropout keywords of any constructor, found from the keywords (far fewer than calls).
    for (const arg of descendants(ctx.root, 'keyword_argument')) {
      const keyword = keywordName(arg);
      if (keyword === null || !DROPOUT_KEYWORDS.has(keyword)) continue;
      const call = parentOf(parentOf(arg) ?? arg);
      if (call?.type !== 'call') continue;
      // `nn.LSTM(..., dropout=0.9)` with one layer applies no dropout at all (PyTorch warns); nothing to say.
      if (keyword === 'dropout' && TORCH_RECURRENT.has(qualifiedCallee(call) ?? '') && singleLayer(call)) continue;
      const value = arg.childForFieldName('value');
      const rate = rateOf(value, ctx.root);
      if (value && rate !== null) report(value, rate, `\`${keyword}=\` in \`${describe(call)}\``);
    }
    return findings;
  },
};

/**
 * The rate a value stands for when it is at least the threshold (and at most 1): a number literal, or a name
 * assigned exactly one number literal at module level (`DROPOUT = 0.95`). Null otherwise.
 */
function rateOf(value: SyntaxNode | null, root: SyntaxNode): number | null {
  if (!value) return null;
  let literal: SyntaxNode | null = value;
  if (value.type === 'identifier') {
    const assigned = assignmentsTo(root.tree, value.text);
    literal = assigned.length === 1 && enclosingFunction(assigned[0]) === null ? assigned[0].childForFieldName('right') : null;
  }
  if (!literal || (literal.type !== 'float' && literal.type !== 'integer')) return null;
  const rate = Number(literal.text);
  return Number.isFinite(rate) && rate >= THRESHOLD && rate <= 1 ? rate : null;
}

/** `nn.LSTM(8, 16)` or `num_layers=1`: one layer. Unknown layer counts are not single. */
function singleLayer(call: SyntaxNode): boolean {
  const layers = keywordArgument(call, 'num_layers') ?? positionalArguments(call)[2] ?? null;
  return layers === null || (layers.type === 'integer' && Number(layers.text) === 1);
}

function describe(call: SyntaxNode): string {
  const text = call.text;
  if (text.length <= 40 && !text.includes('\n')) return text;
  const fn = call.childForFieldName('function');
  return `${fn ? fn.text : 'call'}(...)`;
}
