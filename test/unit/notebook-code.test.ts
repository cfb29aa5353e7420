import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { syntaxProblems, type PythonParser } from '../../src/engine/code/python';
import { analyzeNotebook, blankMagics, buildNotebookScript, cellAt, cellFindings, parseNotebook, trainingLine, type NotebookCell } from '../../src/engine/notebook/index';
import type { CodeFinding } from '../../src/engine/types';
import { applyEdits, LineIndex } from '../../src/engine/text';
import { loadPythonParser } from '../../src/node/grammar';
import { fixture } from './fixtures';

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser();
});

const code = (index: number, source: string): NotebookCell => ({ index, kind: 'code', source, executionCount: null, streams: [] });
const markdown = (index: number, source: string): NotebookCell => ({ index, kind: 'markdown', source, executionCount: null, streams: [] });

function notebookText(sources: (string | { markdown: string })[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', language: 'python' } },
    cells: sources.map((s) => (typeof s === 'string'
      ? { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: s }
      : { cell_type: 'markdown', metadata: {}, source: s.markdown })),
  });
}

const GRU_MODEL = [
  'import torch',
  'import torch.nn as nn',
  '',
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.rnn = nn.GRU(8, 16, batch_first=True)',
  '        self.out = nn.Linear(16, 1)',
].join('\n');
const LOOP = [
  'model = Net()',
  'optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)',
  'for x, y in loader:',
  '    optimizer.zero_grad()',
  '    loss = loss_fn(model(x), y)',
  '    loss.backward()',
  '    optimizer.step()',
].join('\n');

describe('IPython magics', () => {
  const table: [string, string, string][] = [
    ['line magic', '%matplotlib inline\nimport torch\n', '                  \nimport torch\n'],
    ['shell line', '!pip install torch\nx = 1\n', '                  \nx = 1\n'],
    ['shell line continued with a backslash', '!pip install \\\n  torch\nx = 1\n', '              \n       \nx = 1\n'],
    ['assigned shell output', 'files = !ls\nprint(files)\n', '           \nprint(files)\n'],
    ['magic in a block becomes pass', 'for i in range(3):\n    !echo hi\n    y = 2\n', 'for i in range(3):\n    pass    \n    y = 2\n'],
    ['cell magic with a Python body', '%%time\nmodel.fit(x)\n', '      \nmodel.fit(x)\n'],
    ['line magic timing a statement', '%time model.fit(x)\nx = 1\n', '      model.fit(x)\nx = 1\n'],
    ['timing magic with options', 'a = 1\n%timeit -n 10 -q f(a)\n', 'a = 1\n' + ' '.repeat(17) + 'f(a)\n'],
    ['timing magic with nothing to time', '%time\n', '     \n'],
    ['cell magic with another language', '%%bash\nls -l\necho hi\n', '      \n     \n       \n'],
    ['`%` continuing an expression', 'x = (a\n% b)\n', 'x = (a\n% b)\n'],
    ['`!` and `%` inside a string', 's = """\n!not\n%not\n"""\n', 's = """\n!not\n%not\n"""\n'],
    ['CRLF', '%matplotlib inline\r\nimport torch\r\n', '                  \r\nimport torch\r\n'],
  ];
  for (const [name, source, expected] of table) {
    it(name, () => {
      const blanked = blankMagics(parser, source);
      assert.equal(blanked, expected);
      assert.equal(blanked.length, source.length);
      assert.deepEqual(parser.withTree(blanked, (tree) => syntaxProblems(tree.rootNode).length), 0);
    });
  }
});

describe('the virtual script', () => {
  it('joins code cells in order, each followed by a newline, and maps offsets back to cells', () => {
    const script = buildNotebookScript(parser, [code(0, 'a = 1'), markdown(1, '# not code'), code(2, '%time b = 2\n'), code(3, 'c = 3')]);
    assert.equal(script.text, 'a = 1\n      b = 2\n\nc = 3\n');
    assert.deepEqual(script.spans, [{ cell: 0, start: 0, length: 5 }, { cell: 2, start: 6, length: 12 }, { cell: 3, start: 19, length: 5 }]);
    assert.deepEqual([0, 5, 6, 18, 19, 24].map((o) => { const at = cellAt(script, o); return at && [at.span.cell, at.offset]; }), [
      [0, 0], [0, 5], [2, 0], [2, 12], [3, 0], [3, 5],
    ]);
    assert.equal(cellAt(script, 25), undefined);
  });
});

describe('code findings on cells', () => {
  it('follows the model from one cell into the loop in another, and puts the fix in the loop cell', () => {
    const text = notebookText([{ markdown: '# GRU' }, GRU_MODEL, LOOP]);
    const result = analyzeNotebook(text, 'nb.ipynb', parser);
    assert.ok(result.ok);
    assert.deepEqual(result.code.map((f) => f.id), ['rnn-no-grad-clip']);
    const [finding] = result.code;
    assert.equal(finding.cell, 2);
    assert.equal(LOOP.slice(finding.start, finding.end), 'optimizer.step()');
    assert.equal(finding.message.startsWith('the model has a recurrent layer (`nn.GRU`, cell 2, line 7) but `optimizer.step()`'), true, finding.message);
    assert.deepEqual(finding.related.map((r) => [r.cell, r.location.file, r.location.line, r.location.column, r.message]), [
      [1, 'nb.ipynb', 7, 20, 'recurrent layer `nn.GRU`'],
    ]);
    assert.equal(finding.fixes.length, 1);
    assert.equal(finding.fixes[0].cell, 2);
    assert.equal(applyEdits(LOOP, finding.fixes[0].edits), LOOP.replace(
      '    optimizer.step()',
      '    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n    optimizer.step()',
    ));
  });

  it('finds the same problem in the PyTorch fixture, with the fit output linked', () => {
    const result = analyzeNotebook(fixture('notebooks/pytorch_gru_tqdm_noclip.ipynb'), 'nb.ipynb', parser);
    assert.ok(result.ok);
    assert.deepEqual(result.code.map((f) => [f.id, f.cell, new LineIndex(result.notebook.cells[f.cell].source).positionAt(f.start).line]), [
      ['rnn-no-grad-clip', 3, 9],
    ]);
    assert.deepEqual(result.runs.map((r) => [r.cell, r.format, r.run.series.map((s) => s.name).join(), [...r.run.series[0].line].join()]), [
      [3, 'text-metrics', 'loss', '2,4,6,8,10,12,14,16'],
    ]);
  });

  it('links the collapse in a fit cell\'s output and the missing clipping in the model cell, both ways', () => {
    const result = analyzeNotebook(fixture('notebooks/keras_seed000_collapse.ipynb'), 'nb.ipynb', parser);
    assert.ok(result.ok);
    const [clip] = result.code;
    assert.deepEqual([result.code.length, clip.id, clip.cell], [1, 'rnn-no-grad-clip', 3]);
    assert.equal(result.notebook.cells[3].source.slice(clip.start, clip.end), 'keras.optimizers.Adam(learning_rate=1e-3)');
    assert.deepEqual(clip.related.map((r) => [r.cell, r.output ?? false, r.location.line]), [[3, false, 3], [4, true, 54]]);
    assert.deepEqual(clip.fixes.map((f) => [f.cell, f.safe, f.edits]), [[3, false, [{ start: 262, end: 262, newText: ', clipnorm=1.0' }]]]);
    const collapse = result.runs[0].findings.find((f) => f.id === 'collapse')!;
    assert.deepEqual(collapse.related.map((r) => [r.cell, r.output ?? false, r.location.line, r.location.column]), [[3, false, 7, 25]]);
    assert.match(collapse.related[0].message, /^possible cause \(rnn-no-grad-clip\): the model has a recurrent layer \(`layers\.GRU`, cell 4, line 3\)/);
  });

  it('drops a finding and a fix that would span two cells', () => {
    const cells = [code(0, 'a = 1'), code(1, 'b = 2\n'), code(2, 'c = 3')];
    const script = buildNotebookScript(parser, cells);
    assert.equal(script.text, 'a = 1\nb = 2\n\nc = 3\n');
    const finding = (start: number, end: number, fixes: CodeFinding['fixes'] = []): CodeFinding => ({
      kind: 'code', id: 'stand-in', severity: 'warning', message: 'uses `b` (line 2)', start, end, related: [], fixes,
    });
    const edit = (start: number, end: number, newText = 'x') => ({ start, end, newText });
    const mapped = cellFindings(script, cells, 'nb.ipynb', [
      finding(0, 9), // `a = 1\nb =`: two cells
      finding(6, 11, [
        { title: 'in its cell', safe: true, edits: [edit(6, 7), edit(10, 11)] },
        { title: 'across cells', safe: true, edits: [edit(4, 5), edit(6, 7)] },
        { title: 'in another cell', safe: true, edits: [edit(13, 14)] },
        { title: 'over the break between cells', safe: true, edits: [edit(12, 14, '')] },
        { title: 'at the end of a cell', safe: true, edits: [edit(5, 5, '\n')] },
      ]),
      finding(13, 18), // `c = 3`, up to its end
    ]);
    assert.deepEqual(mapped.map((f) => [f.cell, f.start, f.end, f.message]), [[1, 0, 5, 'uses `b` (line 1)'], [2, 0, 5, 'uses `b` (cell 2, line 1)']]);
    assert.deepEqual(mapped[0].fixes.map((f) => [f.title, f.cell, f.edits]), [
      ['in its cell', 1, [edit(0, 1), edit(4, 5)]],
      ['in another cell', 2, [edit(0, 1)]],
      ['at the end of a cell', 0, [edit(5, 5, '\n')]],
    ]);
  });

  it('analyses no code for a notebook whose kernel is not Python', () => {
    const text = JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'ir', language: 'R' } }, cells: [{ cell_type: 'code', source: GRU_MODEL + '\n' + LOOP, outputs: [], metadata: {} }] });
    const result = analyzeNotebook(text, 'nb.ipynb', parser);
    assert.ok(result.ok);
    assert.deepEqual(result.code, []);
  });

  it('keeps magics from hiding the code after them', () => {
    const result = analyzeNotebook(notebookText(['%load_ext autoreload\n%autoreload 2\n!nvidia-smi\n' + GRU_MODEL, LOOP]), 'nb.ipynb', parser);
    assert.ok(result.ok);
    assert.deepEqual(result.code.map((f) => [f.id, f.cell]), [['rnn-no-grad-clip', 1]]);
    assert.deepEqual(result.code[0].related.map((r) => [r.cell, r.location.line]), [[0, 10]]);
  });
});

describe('parseNotebook and the virtual script agree on sources', () => {
  it('the Colab fixture: the `%%time` fit cell keeps its Python body', () => {
    const parsed = parseNotebook(fixture('notebooks/colab_keras_progress.ipynb'));
    assert.ok(parsed.ok);
    const script = buildNotebookScript(parser, parsed.notebook.cells);
    assert.equal(script.text.split('\n')[0], '           ');
    assert.ok(script.text.includes('\n      \nhistory = model.fit(x_train, y_train, epochs=5, validation_data=(x_test, y_test))\n'));
    assert.deepEqual(parser.withTree(script.text, (tree) => syntaxProblems(tree.rootNode).length), 0);
  });
});

describe('trainingLine', () => {
  const table: [string, string, number][] = [
    ['a Keras fit call', 'x = 1\nhistory = model.fit(x, y,\n    epochs=3)\n', 2],
    ['fit under %%time', '%%time\nmodel.fit(x)\n', 2],
    ['fit under %time', 'x = 1\n%time model.fit(x)\n', 2],
    ['a train() function', 'model = make()\n\ntrain(model, epochs=10)\n', 3],
    ['a Hugging Face trainer', 'trainer = Trainer(model=model)\ntrainer.train()\n', 2],
    ['the first loop when nothing is called fit or train', 'import torch\nwhile step < 10:\n    step += 1\nfor x in loader:\n    pass\n', 2],
    ['a fit call after a loop', 'for i in range(3):\n    pass\nmodel.fit(x)\n', 3],
    ['nothing that trains', 'print("hello")\n', 1],
  ];
  for (const [name, source, line] of table) {
    it(name, () => assert.equal(trainingLine(parser, source), line));
  }
});
