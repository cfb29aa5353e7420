import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeRuns } from '../../src/engine/analyze-log';
import { LogFile } from '../../src/node/log-file';
import { ROOT } from './fixtures';

/**
 * Every real log of test/fixtures/corpus/ end to end (sniffing, parsing, every detector), against what a
 * careful engineer sees in it (the corpus notes, in that folder's README): the healthy runs get no finding
 * at all, the sick ones exactly theirs. One entry per run segment: the finding ids and severities.
 */
const EXPECTED: Record<string, string[][] | 'no run'> = {
  // Four runs concatenated; run 4's loss sits near 39 while accuracy climbs: mis-scaled, not stuck.
  'cifar10_hparam_search_multirun.log': [[], [], [], []],
  'cifar10_pytorch_logging_healthy_training.log': [[]],
  'detectron2_medwaste_metrics.json': [[]],
  // Per-fold summaries only: there is no training curve here.
  'epilepsy_nohup_summary_only_no_series_Original_CNN.log': 'no run',
  // Validation better than training throughout (heavy augmentation and dropout), in each restarted run.
  'fer_emotion_pytorch_logging_training.log': [['val-better-than-train:info'], ['val-better-than-train:info'], ['val-better-than-train:info']],
  'hf_lora_distilbert_imdb_healthy_trainer_state.json': [[]],
  'imdb_bilstm_adamw_healthy_loss.csv': [[]],
  // A persistent gap and a late plateau without validation loss rising: not overfitting.
  'keras_csvlogger_lstm_attention_nmt_lrdecay_training_log.csv': [[]],
  'lightning_lstm_mnist_v17_healthy_metrics.csv': [[]],
  // Training loss falls for 12 epochs while mAP stays near zero: the annotations were broken.
  'mmdet2_maskrcnn_sockets_loss_falls_map_near_zero_mm.md': [['loss-metric-mismatch:warning']],
  'pytorch_wordlm_lstm_healthy.md': [[]],
  // Two pasted segments; the second: a frozen encoder's linear probe, validation above training.
  'tqdm_deeplense_linear_probe_LP.md': [[], ['val-better-than-train:info']],
  'ultralytics_padded_results.csv': [[]],
  'yolo11seg_gallstone_events.out.tfevents.1731030770.luaay.15908.0': [[]],
  'yolo11seg_gallstone_results.csv': [[]],
  'yolov8_helmet_150ep_healthy_results.csv': [[]],
};

describe('real logs, end to end', () => {
  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: ${expected === 'no run' ? 'no run' : expected.map((f) => f.join(', ') || 'nothing').join(' | ')}`, async () => {
      const state = await new LogFile(join(ROOT, 'test', 'fixtures', 'corpus', file), file).update(true);
      if (expected === 'no run') {
        assert.equal(state.kind, 'unrecognised');
        return;
      }
      assert.equal(state.kind, 'parsed', state.kind === 'parsed' ? '' : state.reason);
      if (state.kind !== 'parsed') return;
      const found = analyzeRuns(state.runs).map((r) => r.findings.map((f) => `${f.id}:${f.severity}`));
      assert.deepEqual(found, expected);
    });
  }
});
