import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './fixtures';

/** Runs the built CLI (`npm test` builds `dist/cli.js` first; `TRAINDX_CLI` points at another build). */
function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [process.env.TRAINDX_CLI ?? join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const KERAS = 'test/fixtures/notebooks/keras_seed000_collapse.ipynb';
const TORCH = 'test/fixtures/notebooks/pytorch_gru_tqdm_noclip.ipynb';

describe('traindx analyze NOTEBOOK.ipynb', () => {
  it('prints code findings per cell and curve findings per cell output, linked, in text', () => {
    const { code, stdout, stderr } = cli('analyze', KERAS);
    assert.equal(stderr, '');
    assert.equal(code, 1);
    const lines = stdout.split('\n');
    // Info-level findings (a plateau of validation accuracy) are left out: the warnings are the point here.
    assert.deepEqual(lines.filter((l) => !l.startsWith('  ') && !l.includes(': info [')).map((l) => l.replace(/\] .*/, ']').replace(/^\d+ problems \((\d+ infos?, )?/, 'N problems (')), [
      `${KERAS} cell 4, line 7: warning [rnn-no-grad-clip]`,
      `${KERAS} cell 5 output: keras-progress, 50 points, loss, accuracy, val_loss, val_accuracy`,
      `${KERAS} cell 5 output, line 54: warning [collapse]`,
      'N problems (2 warnings) in 1 run, 0 scripts and 1 notebook',
      '',
    ]);
    assert.ok(lines[0].endsWith('The linked log `cell 5 output` shows it: train `accuracy` collapsed from 0.99 (epoch 24) to 0.51 at epoch 27.'), lines[0]);
    assert.deepEqual(lines.filter((l) => l.startsWith('  ') && !l.includes('possible cause') || l.includes(`${KERAS} cell 4, line 7 possible cause`)).map((l) => l.slice(0, 90)), [
      `  related: ${KERAS} cell 4, line 3 recurrent layer \`layers.GRU\``,
      `  related: ${KERAS} cell 5 output, line 54 collapse: train \`accuracy\` collapsed f`,
      '  fix (unsafe: changes training): Clip gradients in the optimizer (clipnorm=1.0)',
      `  related: ${KERAS} cell 4, line 7 possible cause (rnn-no-grad-clip): the model h`,
    ].map((l) => l.slice(0, 90)));
    assert.ok(lines.includes(`  related: ${KERAS} cell 4, line 7 possible cause (rnn-no-grad-clip): the model has a recurrent layer (\`layers.GRU\`, cell 4, line 3) but the optimizer \`keras.optimizers.Adam(learning_rate=1e-3)\` is built without \`clipnorm\`; exploding gradients in RNNs cause sudden loss spikes and accuracy collapses`), stdout);
  });

  it('adds `cell` (1-based) next to `line` in JSON, for runs, code findings, related locations and fixes', () => {
    const { code, stdout } = cli('analyze', TORCH, '--format', 'json');
    // Unclipped, but the run in cell 4 shows no collapse: a hint at info level, exit 0.
    assert.equal(code, 0);
    const doc = JSON.parse(stdout);
    assert.deepEqual(doc.runs.map((r: Record<string, unknown>) => [r.source, r.cell, r.format, r.segment]), [[TORCH, 4, 'text-metrics', 0]]);
    assert.deepEqual(doc.runs[0].series, [{ name: 'loss', split: 'train', points: 8, last: doc.runs[0].series[0].last }]);
    assert.equal(doc.code.length, 1);
    assert.equal(doc.code[0].file, TORCH);
    const [finding] = doc.code[0].findings;
    assert.deepEqual([finding.id, finding.severity, finding.cell, finding.line, finding.column, finding.endLine, finding.endColumn], ['rnn-no-grad-clip', 'info', 4, 9, 9, 9, 25]);
    assert.deepEqual(finding.related, [{ file: TORCH, cell: 2, output: false, line: 5, column: 20, message: 'recurrent layer `nn.GRU`' }]);
    assert.deepEqual(finding.fixes, [{
      title: 'Clip gradients before optimizer.step() (max_norm=1.0)',
      safe: false,
      cell: 4,
      edits: [{ startLine: 9, startColumn: 1, endLine: 9, endColumn: 1, newText: '        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n' }],
    }]);
  });

  it('writes SARIF results with the cell in their properties and the cell\'s lines in their region', () => {
    const { code, stdout } = cli('analyze', KERAS, '--format', 'sarif');
    assert.equal(code, 1);
    const results = JSON.parse(stdout).runs[0].results.filter((r: { level: string }) => r.level === 'warning');
    assert.deepEqual(results.map((r: { ruleId: string; properties: unknown; locations: { physicalLocation: { artifactLocation: { uri: string }; region: unknown } }[] }) => [
      r.ruleId, r.properties, r.locations[0].physicalLocation.artifactLocation.uri, r.locations[0].physicalLocation.region,
    ]), [
      ['rnn-no-grad-clip', { cell: 4, output: false }, KERAS, { startLine: 7, startColumn: 25, endLine: 7, endColumn: 66 }],
      ['collapse', { cell: 5, output: true }, KERAS, { startLine: 54 }],
    ]);
    assert.match(results[1].message.text, /^cell 5 output: train `accuracy` collapsed from 0\.99/);
  });

  it('finds notebooks in a folder, skipping .ipynb_checkpoints and listing a broken notebook as skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traindx-nb-'));
    mkdirSync(join(dir, '.ipynb_checkpoints'));
    copyFileSync(join(ROOT, TORCH), join(dir, 'train.ipynb'));
    copyFileSync(join(ROOT, TORCH), join(dir, '.ipynb_checkpoints', 'train-checkpoint.ipynb'));
    copyFileSync(join(ROOT, 'test/fixtures/notebooks/truncated.ipynb'), join(dir, 'broken.ipynb'));
    const { code, stdout } = cli('analyze', dir, '--format', 'json');
    assert.equal(code, 0);
    const doc = JSON.parse(stdout);
    assert.deepEqual(doc.code.map((c: { file: string }) => c.file), [join(dir, 'train.ipynb')]);
    assert.deepEqual(doc.runs.map((r: { source: string; cell: number }) => [r.source, r.cell]), [[join(dir, 'train.ipynb'), 4]]);
    assert.deepEqual(doc.skipped, [join(dir, 'broken.ipynb')]);
  });

  it('exits 2 with one clear line for a named notebook that is not valid JSON or not a notebook', () => {
    const truncated = cli('analyze', 'test/fixtures/notebooks/truncated.ipynb');
    assert.equal(truncated.code, 2);
    assert.equal(truncated.stdout, '');
    assert.match(truncated.stderr, /^traindx: test\/fixtures\/notebooks\/truncated\.ipynb is not valid JSON \(.+\); the file looks truncated\n$/);
    const dir = mkdtempSync(join(tmpdir(), 'traindx-nb-'));
    writeFileSync(join(dir, 'x.ipynb'), '{"name": "not a notebook"}');
    const other = cli('analyze', join(dir, 'x.ipynb'));
    assert.equal(other.code, 2);
    assert.equal(other.stderr, `traindx: ${join(dir, 'x.ipynb')} is JSON but not a Jupyter notebook (no "cells" list)\n`);
  });

  it('exits 0 on a notebook of healthy runs, and counts its runs', () => {
    const { code, stdout } = cli('analyze', 'test/fixtures/notebooks/prints_three_runs.ipynb');
    assert.equal(code, 0);
    assert.match(stdout, /^test\/fixtures\/notebooks\/prints_three_runs\.ipynb cell 4 output \(run 2 of 2\): text-metrics, 6 points, loss, val_loss, val_accuracy$/m);
    assert.match(stdout, /^no problems found in 3 runs, 0 scripts and 1 notebook$/m);
  });
});
