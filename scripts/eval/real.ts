/**
 * Real logs (copied from the shared corpus into test/fixtures/curves/, credited in its README) with what a
 * careful engineer sees in each: the findings that must appear, and those that may.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvRun } from '../../test/unit/csv-run';
import type { Run } from '../../src/engine/types';

export interface RealCase {
  readonly file: string;
  readonly note: string;
  readonly expect: readonly string[];
  readonly allow?: readonly string[];
}

export const REAL_CASES: readonly RealCase[] = [
  { file: 'keras_csvlogger_lstm_attention_nmt_lrdecay_training_log.csv', note: 'persistent gap, late val_loss plateau, no rise: not overfitting', expect: [] },
  { file: 'yolov8_helmet_150ep_healthy_results.csv', note: 'healthy 150 epochs, late flattening', expect: [] },
  { file: 'imdb_bilstm_adamw_healthy_loss.csv', note: 'healthy, 5 epochs', expect: [] },
  { file: 'lightning_lstm_mnist_v17_healthy_metrics.csv', note: 'healthy, sparse rows, mild late flattening', expect: [] },
  { file: 'cifar10_run4_misscaled_loss.csv', note: 'loss ~39 barely moving while test accuracy climbs: learning', expect: [] },
  { file: 'cifar10_35ep_healthy.csv', note: 'healthy, converges to ~85% from epoch 27', expect: [] },
  { file: 'cifar10_run1_healthy.csv', note: 'healthy with a plateau', expect: [], allow: ['plateau'] },
  { file: 'cifar10_run2_healthy.csv', note: 'healthy with a plateau', expect: [], allow: ['plateau'] },
  { file: 'cifar10_run3_healthy.csv', note: 'healthy with a plateau', expect: [], allow: ['plateau'] },
];

/** The run of a real case, read from the repository's fixtures. */
export function realRun(root: string, c: RealCase): Run {
  return csvRun(readFileSync(join(root, 'test', 'fixtures', 'curves', c.file), 'utf8'), c.file);
}
