import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeNotebook, parseNotebook } from '../../src/engine/notebook/index';
import { fixture } from './fixtures';

const notebook = (cells: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5, ...extra });

describe('parseNotebook', () => {
  it('reads source and stream text given as a string or as a list of strings, and skips rich outputs', () => {
    const parsed = parseNotebook(notebook([
      { cell_type: 'markdown', metadata: {}, source: ['# Title\n', 'text'] },
      {
        cell_type: 'code', execution_count: 7, metadata: {}, source: ['import torch\n', 'x = 1'],
        outputs: [
          { output_type: 'stream', name: 'stdout', text: ['a\n', 'b'] },
          { output_type: 'display_data', data: { 'image/png': 'iVBORw0KGgo=' }, metadata: {} },
          { output_type: 'stream', name: 'stderr', text: 'c\r' },
          { output_type: 'execute_result', data: { 'text/plain': ['1'] }, execution_count: 7, metadata: {} },
          { output_type: 'error', ename: 'ValueError', evalue: 'x', traceback: [] },
        ],
      },
      { cell_type: 'raw', metadata: {}, source: 'raw text' },
    ]));
    assert.ok(parsed.ok);
    assert.equal(parsed.notebook.language, 'python');
    assert.deepEqual(parsed.notebook.cells, [
      { index: 0, kind: 'markdown', source: '# Title\ntext', executionCount: null, streams: [] },
      { index: 1, kind: 'code', source: 'import torch\nx = 1', executionCount: 7, streams: [{ name: 'stdout', text: 'a\nb' }, { name: 'stderr', text: 'c\r' }] },
      { index: 2, kind: 'raw', source: 'raw text', executionCount: null, streams: [] },
    ]);
  });

  it('takes the language from the kernelspec, then from language_info', () => {
    const r = parseNotebook(notebook([], { metadata: { kernelspec: { name: 'ir', language: 'R' } } }));
    assert.ok(r.ok);
    assert.equal(r.notebook.language, 'r');
    const julia = parseNotebook(notebook([], { metadata: { language_info: { name: 'julia' } } }));
    assert.ok(julia.ok);
    assert.equal(julia.notebook.language, 'julia');
  });

  it('reads the Jupyter, VS Code and Colab fixtures', () => {
    const shapes = [
      ['keras_seed000_collapse.ipynb', 6, 'code,code,code,code,code'],
      ['pytorch_gru_tqdm_noclip.ipynb', 4, 'code,code,code,code'],
      ['colab_keras_progress.ipynb', 3, 'code,code,code'],
    ] as const;
    for (const [file, count, kinds] of shapes) {
      const r = parseNotebook(fixture(`notebooks/${file}`));
      assert.ok(r.ok, file);
      assert.equal(r.notebook.cells.length, count, file);
      assert.equal(r.notebook.cells.filter((c) => c.kind === 'code').map((c) => c.kind).join(','), kinds, file);
    }
    const colab = parseNotebook(fixture('notebooks/colab_keras_progress.ipynb'));
    assert.ok(colab.ok);
    assert.equal(colab.notebook.cells[2].streams.length, 20, 'the fit output is split into many chunks');
    assert.equal(colab.notebook.cells[2].source, '%%time\nhistory = model.fit(x_train, y_train, epochs=5, validation_data=(x_test, y_test))');
  });

  it('gives a reason, not an exception, for invalid JSON, a truncated file, JSON that is not a notebook, and nbformat 3', () => {
    const cases: [string, string][] = [
      ['{"cells": [', 'is not valid JSON (Unexpected end of JSON input); the file looks truncated'],
      ['not json', `is not valid JSON (${jsonError('not json')})`],
      ['[1, 2]', 'is JSON but not a Jupyter notebook (not an object)'],
      ['{"name": "package"}', 'is JSON but not a Jupyter notebook (no "cells" list)'],
      ['{"nbformat": 3, "worksheets": []}', 'uses nbformat 3; TrainDx reads nbformat 4 (save it again from Jupyter to upgrade it)'],
    ];
    for (const [text, reason] of cases) assert.deepEqual(parseNotebook(text), { ok: false, reason }, text);
    const truncated = analyzeNotebook(fixture('notebooks/truncated.ipynb'), 'truncated.ipynb', undefined);
    assert.equal(truncated.ok, false);
    assert.match(!truncated.ok ? truncated.reason : '', /^is not valid JSON \(.*\); the file looks truncated$/);
  });

  it('accepts a byte-order mark and cells of a bad shape', () => {
    const r = parseNotebook('\ufeff' + notebook([42, { cell_type: 'code', source: 5, outputs: 'x' }]));
    assert.ok(r.ok);
    assert.deepEqual(r.notebook.cells.map((c) => [c.kind, c.source, c.streams.length]), [['raw', '', 0], ['code', '', 0]]);
  });

  it('reads a notebook with a huge image output in little more than JSON.parse time', () => {
    const base = JSON.parse(fixture('notebooks/rich_outputs_image.ipynb'));
    // 40 MB of base64 in one PNG output, and 200 smaller images.
    const outputs = base.cells[0].outputs;
    outputs[1].data['image/png'] = 'A'.repeat(40 << 20);
    for (let i = 0; i < 200; i++) outputs.push({ output_type: 'display_data', metadata: {}, data: { 'image/png': 'B'.repeat(50_000) } });
    const text = JSON.stringify(base);
    const parseOnly = bestOf(5, () => JSON.parse(text));
    let result: ReturnType<typeof analyzeNotebook> | undefined;
    const whole = bestOf(5, () => (result = analyzeNotebook(text, 'big.ipynb', undefined)));
    assert.ok(result?.ok);
    assert.equal(result.runs.length, 1);
    assert.ok(whole < parseOnly * 2 + 50, `analysis took ${whole.toFixed(1)} ms, JSON.parse alone ${parseOnly.toFixed(1)} ms`);
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

function bestOf(n: number, fn: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
