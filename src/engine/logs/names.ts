import type { Split } from '../types';

/** A metric name as the contract spells it: canonical metric, split, and the prefixed series name. */
export interface MetricName {
  readonly name: string;
  readonly metric: string;
  readonly split: Split;
}

const SPLIT_PREFIXES: readonly (readonly [string, Split])[] = [
  ['validation_', 'val'], ['validation/', 'val'], ['valid_', 'val'], ['valid/', 'val'],
  ['val_', 'val'], ['val/', 'val'], ['eval_', 'val'], ['eval/', 'val'],
  ['test_', 'test'], ['test/', 'test'], ['train_', 'train'], ['train/', 'train'], ['training_', 'train'],
  // ultralytics computes its `metrics/` (precision, recall, mAP) on the validation set.
  ['metrics/', 'val'],
];

const ALIASES: Readonly<Record<string, string>> = {
  acc: 'accuracy',
  learning_rate: 'lr',
  grad_norm: 'grad_norm',
  gradient_norm: 'grad_norm',
};

const cache = new Map<string, MetricName>();

/** Normalises a metric name from a log: `acc` → `accuracy`, `val_acc` → `val_accuracy` (split val), `learning_rate` → `lr`. */
export function canonicalMetric(raw: string): MetricName {
  const hit = cache.get(raw);
  if (hit) return hit;
  let rest = raw.trim().toLowerCase();
  let split: Split = 'train';
  for (const [prefix, s] of SPLIT_PREFIXES) {
    if (rest.startsWith(prefix) && rest.length > prefix.length) {
      split = s;
      rest = rest.slice(prefix.length);
      break;
    }
  }
  const metric = ALIASES[rest] ?? rest;
  const result: MetricName = { metric, split, name: split === 'train' ? metric : `${split}_${metric}` };
  cache.set(raw, result);
  return result;
}

/** Whether higher values of the metric are better (accuracy-like), lower (loss-like), or unknown. */
export function metricDirection(metric: string): 'higher' | 'lower' | 'unknown' {
  if (/loss|perplexity|ppl|error|mse|mae|rmse/.test(metric)) return 'lower';
  if (/acc|f1|auc|precision|recall|map|iou|dice|bleu|rouge|hr@|ndcg|mrr/.test(metric)) return 'higher';
  return 'unknown';
}
