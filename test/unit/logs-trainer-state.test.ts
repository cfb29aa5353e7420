import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { trainerState } from '../../src/engine/logs/trainer-state';
import { fixture } from './fixtures';
import { assertChunkingInvariant, parseAs, render, seriesOf, valuesOf } from './logs-structured-helpers';

const state = fixture('corpus/hf_lora_distilbert_imdb_healthy_trainer_state.json');
const INCOMPLETE = 'incomplete JSON, will retry on the next change';

/** A compact trainer_state.json with a NaN gradient norm, a test evaluation and the end-of-training summary. */
const FINISHED = `{
  "epoch": 2.0,
  "log_history": [
    {"epoch": 0.5, "grad_norm": NaN, "learning_rate": 2e-05, "loss": 0.69, "step": 10},
    {"epoch": 1.0, "eval_accuracy": 0.61, "eval_loss": 0.66, "eval_runtime": 3.2, "eval_samples_per_second": 150.1, "step": 20},
    {"epoch": 2.0, "step": 40, "test_loss": 0.7, "test_steps_per_second": 9.9},
    {"epoch": 2.0, "step": 40, "total_flos": 1e15, "train_loss": 0.6, "train_runtime": 100.5, "train_samples_per_second": 40.0}
  ],
  "num_train_epochs": 2
}
`;

describe('Hugging Face trainer_state.json', () => {
  it('reads log_history: train entries, evaluations in the val split, each point on its entry line', () => {
    const { runs, notes } = parseAs(state, 'trainer_state.json', 'hf-trainer-state');
    assert.deepEqual(notes, []);
    assert.equal(runs.length, 1);
    const [run] = runs;
    assert.equal(run.totalEpochs, 3);
    assert.deepEqual(run.series.map((s) => [s.name, s.split, s.length]), [
      ['grad_norm', 'train', 18], ['lr', 'train', 18], ['loss', 'train', 18], ['val_loss', 'val', 3],
    ]);
    const loss = seriesOf(run, 'loss');
    assert.deepEqual([loss.epoch[0], loss.step[0], loss.line[0], loss.value[0]], [0.16, 20, 12, 0.6899]);
    assert.deepEqual([loss.epoch[16], loss.step[16], loss.line[16]], [2.7199999999999998, 340, 140]);
    const val = seriesOf(run, 'val_loss');
    assert.deepEqual(Array.from(val.epoch), [1, 2, 3]);
    assert.deepEqual(Array.from(val.step), [125, 250, 375]);
    assert.deepEqual(Array.from(val.line), [54, 104, 154]);
    assert.deepEqual(Array.from(val.value), [0.3951033353805542, 0.4154859483242035, 0.3891691565513611]);
    assert.equal(valuesOf(run, 'lr')[17], 8.533333333333334e-6);
  });

  it('reads NaN, drops runtime and throughput keys, and never takes the end-of-training summary for a point', () => {
    const [run] = parseAs(FINISHED, 'trainer_state.json', 'hf-trainer-state').runs;
    assert.deepEqual(run.series.map((s) => [s.name, s.split]), [
      ['grad_norm', 'train'], ['lr', 'train'], ['loss', 'train'], ['val_accuracy', 'val'], ['val_loss', 'val'], ['test_loss', 'test'],
    ]);
    assert.ok(Number.isNaN(valuesOf(run, 'grad_norm')[0]));
    assert.deepEqual(valuesOf(run, 'loss'), [0.69]);
    assert.deepEqual(Array.from(seriesOf(run, 'val_loss').line), [5]);
    assert.deepEqual(Array.from(seriesOf(run, 'test_loss').line), [6]);
  });

  it('yields nothing but a note for a half-written file, then the whole result once it is complete', () => {
    const parser = trainerState.create('trainer_state.json');
    const half = state.indexOf('"eval_loss"');
    parser.feed(state.slice(0, half));
    assert.deepEqual(parser.runs(), []);
    assert.deepEqual(parser.notes(), [INCOMPLETE]);
    parser.feed(state.slice(half));
    assert.deepEqual(parser.notes(), []);
    assert.equal(seriesOf(parser.runs()[0], 'loss').length, 18);
  });

  it('keeps the last good result, with the note, when the text stops parsing', () => {
    const parser = trainerState.create('trainer_state.json');
    parser.feed(FINISHED);
    const good = parser.runs();
    parser.feed('{\n  "epoch": 3.0,');
    assert.deepEqual(parser.notes(), [INCOMPLETE]);
    const runs = parser.runs();
    assert.equal(render(runs.map((r) => ({ ...r, notes: [] }))), render(good));
    assert.deepEqual(runs[0].notes, [INCOMPLETE]);
  });

  it('is sniffed by content, not by name', () => {
    assert.equal(trainerState.sniff(state.slice(0, 400), 'copy.json', new Uint8Array()), true);
    assert.equal(trainerState.sniff('{"log_history": "none"}', 'trainer_state.json', new Uint8Array()), false);
    assert.equal(trainerState.sniff('{"step": 1, "loss": 0.5}\n', 'trainer_state.json', new Uint8Array()), false);
  });

  it('gives exactly the whole-file result for any chunking of the input', () => {
    assertChunkingInvariant(trainerState, state);
    assertChunkingInvariant(trainerState, FINISHED);
  });
});
