import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzeNotebook, cellOutputText, cellRuns, parseNotebook, type NotebookCell } from '../../src/engine/notebook/index';
import type { Run } from '../../src/engine/types';
import { fixture } from './fixtures';

function cells(file: string): readonly NotebookCell[] {
  const parsed = parseNotebook(fixture(`notebooks/${file}`));
  assert.ok(parsed.ok);
  return parsed.notebook.cells;
}

/** A run as comparable data: series names, points and lines. */
function shape(run: Run) {
  return {
    segment: run.segment,
    totalEpochs: run.totalEpochs,
    series: run.series.map((s) => ({ name: s.name, epoch: [...s.epoch], value: [...s.value], line: [...s.line] })),
  };
}

const streamCell = (streams: { name: string; text: string }[]): NotebookCell => ({ index: 0, kind: 'code', source: '', executionCount: 1, streams });

describe('cell outputs as logs', () => {
  it('finds the seed-000 collapse in the fit cell of the Keras notebook, on the line of the output that shows epoch 27', () => {
    const result = analyzeNotebook(fixture('notebooks/keras_seed000_collapse.ipynb'), 'nb.ipynb', undefined);
    assert.ok(result.ok);
    assert.deepEqual(result.runs.map((r) => [r.cell, r.format, r.run.series.map((s) => `${s.name}:${s.length}`).join(' ')]), [
      [4, 'keras-progress', 'loss:50 accuracy:50 val_loss:50 val_accuracy:50'],
    ]);
    const [run] = result.runs;
    // Other detectors (a plateau of validation accuracy) may speak too; the collapse is the point here.
    assert.deepEqual(run.findings.filter((f) => f.severity === 'warning').map((f) => [f.id, f.severity, f.metric, f.epoch, f.line]), [
      ['collapse', 'warning', 'accuracy', 27, 54],
    ]);
    // Output line 54 is epoch 27's final progress line (each epoch: its `Epoch n/50` line, then the bar).
    const output = cellOutputText(result.notebook.cells[4]).text.split('\n');
    assert.equal(output[52], 'Epoch 27/50');
    assert.equal(output[53], '98/98 [==============================] - 12s 118ms/step - loss: 0.6950 - accuracy: 0.5094 - val_loss: 0.7067 - val_accuracy: 0.4956');
    assert.deepEqual(result.code, [], 'no parser given: no code analysis');
  });

  it('turns editor lines into output lines where `\\r` progress updates are kept in the text (Colab)', () => {
    const fit = cells('colab_keras_progress.ipynb')[2];
    const { text } = cellOutputText(fit);
    assert.ok(text.includes('\b\r'), 'the fixture keeps Keras\' backspace-and-return updates');
    const { runs } = cellRuns(fit, 'colab.ipynb');
    assert.equal(runs.length, 1);
    const loss = runs[0].run.series.find((s) => s.name === 'loss')!;
    assert.deepEqual([...loss.epoch], [1, 2, 3, 4, 5]);
    // `Epoch n/5` on odd output lines, the bar (with its four earlier states overwritten) on even ones.
    assert.deepEqual([...loss.line], [2, 4, 6, 8, 10]);
  });

  it('keeps a tqdm bar on stderr from running into a print on stdout', () => {
    const cell = streamCell([
      { name: 'stderr', text: '\r 50%|#####     | 1/2' },
      { name: 'stdout', text: 'Epoch 1/3, Loss: 0.5000\n' },
      { name: 'stderr', text: '\r100%|##########| 2/2\n' },
      { name: 'stdout', text: 'Epoch 2/3, Loss: 0.4000\n' },
      { name: 'stdout', text: 'Epoch 3/3, Lo' },
      { name: 'stdout', text: 'ss: 0.3000\n' },
    ]);
    assert.equal(cellOutputText(cell).text, '\r 50%|#####     | 1/2\nEpoch 1/3, Loss: 0.5000\n\r100%|##########| 2/2\nEpoch 2/3, Loss: 0.4000\nEpoch 3/3, Loss: 0.3000\n');
    const { runs } = cellRuns(cell, 'nb.ipynb');
    assert.equal(runs.length, 1);
    const loss = runs[0].run.series.find((s) => s.name === 'loss')!;
    assert.deepEqual([...loss.value], [0.5, 0.4, 0.3]);
    assert.deepEqual([...loss.line], [2, 4, 5]);
  });

  it('gives one run per training, several in one cell when the epoch counter restarts', () => {
    const result = analyzeNotebook(fixture('notebooks/prints_three_runs.ipynb'), 'nb.ipynb', undefined);
    assert.ok(result.ok);
    assert.deepEqual(result.runs.map((r) => [r.cell, r.run.segment, r.run.series[0].length, r.run.series[0].line[0]]), [
      [1, 0, 10, 1],
      [3, 0, 6, 1],
      [3, 1, 6, 7],
    ]);
    assert.deepEqual(result.runs.flatMap((r) => r.findings.map((f) => f.id)), [], 'healthy runs: no finding');
  });

  it('finds no run in outputs that are not training logs, and skips rich outputs', () => {
    const keras = cells('keras_seed000_collapse.ipynb');
    assert.deepEqual(cellRuns(keras[1], 'nb.ipynb').runs, [], 'a pip note');
    assert.deepEqual(cellRuns(keras[5], 'nb.ipynb').runs, [], 'model.evaluate has no epochs');
    assert.deepEqual(cellRuns(keras[0], 'nb.ipynb').runs, [], 'a markdown cell');
    const rich = cells('rich_outputs_image.ipynb')[0];
    assert.equal(rich.streams.length, 1, 'the HTML table that looks like a log line is not read');
    assert.equal(cellRuns(rich, 'nb.ipynb').runs[0].run.series[0].length, 8);
  });

  it('gives the same runs however a cell\'s stream text is split into chunks', () => {
    for (const [file, index] of [['colab_keras_progress.ipynb', 2], ['pytorch_gru_tqdm_noclip.ipynb', 3], ['keras_seed000_collapse.ipynb', 4]] as const) {
      const cell = cells(file)[index];
      const expected = cellRuns(cell, 'nb.ipynb').runs.map((r) => shape(r.run));
      assert.ok(expected.length > 0, file);
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cutsRaw) => {
          // Re-split each stream chunk at random places, keeping every piece on its stream.
          const streams = cell.streams.flatMap((chunk) => {
            const cuts = [...new Set(cutsRaw.map((c) => c % (chunk.text.length + 1)))].sort((a, b) => a - b);
            const pieces: { name: string; text: string }[] = [];
            let at = 0;
            for (const cut of [...cuts, chunk.text.length]) {
              if (cut > at) pieces.push({ name: chunk.name, text: chunk.text.slice(at, cut) });
              at = Math.max(at, cut);
            }
            return pieces;
          });
          const actual = cellRuns({ ...cell, streams }, 'nb.ipynb').runs.map((r) => shape(r.run));
          assert.deepEqual(actual, expected);
        }),
        { numRuns: 60 },
      );
    }
  });
});
