import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { chanceLevel, detectChanceLevel } from '../../src/engine/curves/chance-level';
import { decaying, detectWith, epochRun, jitter, rising } from './curve-runs';
import { csvFixture } from './pathology-runs';

const ADVICE =
  ' The model predicts no better than guessing: check that labels line up with their inputs, that the model\'s output reaches the ' +
  'loss (a frozen or detached layer, softmax over the wrong axis), and that the learning rate is neither near zero nor so high that ' +
  'training never starts.';

describe('chance-level', () => {
  it('finds a 10-class model at 1/10 accuracy and ln 10 loss, inferring C from the two together, as one finding', () => {
    const run = epochRun({
      loss: decaying(30, 2.31, 2.298, 5, 0.002),
      accuracy: jitter(30, 0.004, 3).map((e) => 0.1 + e),
      val_loss: decaying(30, 2.31, 2.301, 5, 0.002, 4),
      val_accuracy: jitter(30, 0.008, 5).map((e) => 0.1 + e),
    });
    const findings = detectWith(chanceLevel, run);
    assert.equal(findings.length, 1);
    const [f] = findings;
    assert.deepEqual([f.id, f.severity, f.metric, f.epoch, f.line], ['chance-level', 'warning', 'val_accuracy', 22, 23]);
    assert.equal(
      f.message,
      'by epoch 30 validation `accuracy` 0.096, training `accuracy` 0.1: chance for 10 classes (1/10 = 0.1), never above 0.1; ' +
        'validation `loss` 2.3, training `loss` 2.3: the loss of a uniform guess (ln 10 = 2.3) (10 classes, inferred: accuracy at 1/10 ' +
        'and `val_loss` at ln 10).' + ADVICE,
    );
    assert.deepEqual(f.evidence.map((e) => e.series), ['val_accuracy', 'accuracy', 'val_loss', 'loss']);
  });

  it('reads percent accuracies (a binary model at 50%)', () => {
    const [f] = detectWith(chanceLevel, epochRun({ loss: decaying(20, 0.7, 0.692, 5, 0.002), acc: jitter(20, 1, 3).map((e) => 50 + e) }));
    assert.match(f.message, /^by epoch 20 training `accuracy` 50\.4: chance for 2 classes \(1\/2 = 50\), never above 50\.6; training `loss` 0\.69/);
  });

  it('takes the number of classes as a hint, and then judges a loss alone', () => {
    const run = epochRun({ loss: decaying(30, 1.61, 1.6, 5, 0.003) });
    assert.deepEqual(detectWith(chanceLevel, run), []);
    const [f] = detectChanceLevel(run, { classes: 5 });
    assert.equal(f.message, 'training `loss` 1.6: the loss of a uniform guess (ln 5 = 1.61) (5 classes, as given).' + ADVICE);
  });

  const quiet: [string, () => ReturnType<typeof epochRun>][] = [
    ['corpus fer_emotion: a start at ln 7 that takes off', () => csvFixture('pathologies', 'fer_emotion_run3_val_better.csv')],
    ['corpus deeplense: 3 classes at 45%, loss 0.95 ln 3 (weak, but above chance)', () => csvFixture('pathologies', 'deeplense_linear_probe_seg2.csv')],
    ['a binary model that learned and collapsed back to 0.5 (collapse)', () => epochRun({
      loss: [...decaying(25, 0.69, 0.02, 5), 0.69, 0.69, 0.69, 0.69, 0.69, 0.69],
      accuracy: [...rising(25, 0.5, 0.99, 5), 0.5, 0.51, 0.5, 0.49, 0.5, 0.5],
    })],
    ['a 10-class model that learned up to 25% (1/4, but not chance for 10 classes)', () => epochRun({ loss: decaying(30, 2.3, 1.9, 8, 0.005), accuracy: rising(30, 0.1, 0.25, 8, 0.004) })],
    ['accuracy at 1/C with a falling loss (loss-metric-mismatch)', () => epochRun({ loss: decaying(30, 2.3, 1.0, 8, 0.005), accuracy: jitter(30, 0.004).map((e) => 0.1 + e) })],
    ['an accuracy frozen at exactly 0.5 (stuck-metric)', () => epochRun({ loss: decaying(30, 0.7, 0.693, 5, 0.002), accuracy: Array(30).fill(0.5) })],
    ['a 4-epoch run', () => epochRun({ loss: [2.31, 2.3, 2.3, 2.3], accuracy: [0.1, 0.1, 0.11, 0.1] })],
  ];
  for (const [name, make] of quiet) it(`stays quiet on ${name}`, () => assert.deepEqual(detectWith(chanceLevel, make()), []));
});
