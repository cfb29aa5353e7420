import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { lossMetricMismatch } from '../../src/engine/curves/loss-metric-mismatch';
import { decaying, detectWith, epochRun, rising } from './curve-runs';
import { csvFixture } from './pathology-runs';

describe('loss-metric-mismatch', () => {
  it('finds corpus mmdet2: training loss falling while bbox/segm mAP stay near zero for 12 epochs, as one finding', () => {
    const findings = detectWith(lossMetricMismatch, csvFixture('pathologies', 'mmdet2_maskrcnn_loss_falls_map_flat.csv'));
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.severity, f.metric, f.epoch, f.step, f.line], ['warning', 'val_bbox_map', 1, 930, 20]);
    assert.equal(
      f.message,
      'training `loss` fell from 0.45 to 0.31 while validation `bbox_map` went only from 0.011 to 0.028, validation `bbox_map_50` ' +
        'went only from 0.018 to 0.04, validation `segm_map` went only from 0.011 to 0.029, 1 more metric stayed as flat (epoch 1 to ' +
        'epoch 12). When the loss improves and the task metric does not, the metric is usually not measuring what the model learns: ' +
        'labels or annotations that do not match the inputs (a broken conversion, wrong class ids or box format), an evaluation on the ' +
        'wrong split or with the wrong post-processing, or a loss that rewards something other than the task.',
    );
    assert.deepEqual(
      f.evidence.map((e) => e.series),
      ['val_bbox_map', 'val_bbox_map_50', 'val_segm_map', 'val_segm_map_50', 'loss'],
    );
  });

  it('reports validation loss rising while validation accuracy still rises (over-confidence), at info, from the loss minimum', () => {
    const valLoss = decaying(40, 1.2, 0.35, 6, 0.01, 9).map((v, i) => (i < 15 ? v : v + 0.012 * (i - 14)));
    const valAccuracy = rising(40, 0.5, 0.86, 6, 0.003, 10).map((v, i) => (i < 15 ? v : v + 0.0012 * (i - 14)));
    const [f, ...rest] = detectWith(lossMetricMismatch, epochRun({ loss: decaying(40, 1.2, 0.1, 8, 0.01), val_loss: valLoss, val_accuracy: valAccuracy }));
    assert.equal(rest.length, 0);
    assert.deepEqual([f.severity, f.metric, f.epoch], ['info', 'val_loss', 15]);
    assert.equal(
      f.message,
      'validation `loss` rose from 0.43 (epoch 15) to 0.64 (epoch 40) while validation `accuracy` kept rising from 0.82 to 0.89: the ' +
        'model is growing over-confident on the examples it still gets wrong (cross-entropy punishes confident mistakes) while getting ' +
        'more of them right. Keep the checkpoint with the best `val_accuracy`, not the lowest `val_loss`, and consider label smoothing ' +
        'or calibration if you need the probabilities.',
    );
  });

  const quiet: [string, () => ReturnType<typeof epochRun>][] = [
    ['corpus cifar10 run 4: a mis-scaled loss near 39 barely moving while accuracy climbs', () => csvFixture('curves', 'cifar10_run4_misscaled_loss.csv')],
    ['a training accuracy saturated at 98–99% while the loss keeps falling', () => epochRun({ loss: decaying(30, 0.2, 0.005, 8, 0.01), accuracy: rising(30, 0.975, 0.995, 8, 0.001) })],
    ['plain overfitting: validation loss rising, validation accuracy sagging', () => epochRun({ loss: decaying(40, 1.2, 0.1, 8, 0.01), val_loss: decaying(40, 1.2, 0.35, 6, 0.01).map((v, i) => (i < 15 ? v : v + 0.012 * (i - 14))), val_accuracy: rising(40, 0.5, 0.86, 6, 0.003).map((v, i) => (i < 15 ? v : v - 0.001 * (i - 14))) })],
    ['a healthy run', () => epochRun({ loss: decaying(40, 2.3, 0.2, 8, 0.01), val_loss: decaying(40, 2.3, 0.3, 8, 0.01, 3), val_accuracy: rising(40, 0.1, 0.9, 8, 0.005) })],
    ['a healthy 150-epoch detection run', () => csvFixture('curves', 'yolov8_helmet_150ep_healthy_results.csv')],
  ];
  for (const [name, make] of quiet) it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(lossMetricMismatch, make()), []));
});
