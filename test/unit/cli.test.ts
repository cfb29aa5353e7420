import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './fixtures';

/** Runs the built CLI (`npm test` builds before the unit tests). */
function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const LOG = 'test/fixtures/logs/seed000_gru_collapse_keras_verbose1.log';
const SCRIPT = 'test/fixtures/code/seed000_gru_train.py';

describe('traindx analyze', () => {
  it('reports the collapse and the missing clipping, linked, in the JSON contract, exit 1', () => {
    const { code, stdout, stderr } = cli('analyze', 'test/fixtures/workspace/gru-run', '--format', 'json');
    assert.equal(stderr, '');
    assert.equal(code, 1);
    const doc = JSON.parse(stdout);
    assert.equal(doc.version, 1);
    assert.equal(doc.runs.length, 1);
    const [run] = doc.runs;
    assert.equal(run.source, 'test/fixtures/workspace/gru-run/train.log');
    assert.equal(run.format, 'keras-progress');
    assert.deepEqual(run.series.map((s: { name: string; split: string; points: number }) => [s.name, s.split, s.points]), [
      ['loss', 'train', 50], ['accuracy', 'train', 50], ['val_loss', 'val', 50], ['val_accuracy', 'val', 50],
    ]);
    assert.deepEqual(
      run.findings.map((f: Record<string, unknown>) => [f.id, f.severity, f.metric, f.epoch, f.step, f.line]),
      [['plateau', 'info', 'val_accuracy', 10, null, 131], ['collapse', 'warning', 'accuracy', 27, null, 352]],
    );
    const collapse = run.findings[1];
    assert.equal(collapse.related[0].file, 'test/fixtures/workspace/gru-run/train.py');
    assert.equal(collapse.related[0].line, 69);

    assert.equal(doc.code.length, 1);
    const [finding] = doc.code[0].findings.filter((f: { id: string }) => f.id === 'rnn-no-grad-clip');
    assert.deepEqual([finding.id, finding.severity, finding.line, finding.column], ['rnn-no-grad-clip', 'warning', 69, 9]);
    assert.equal(finding.fixes[0].safe, false);
    assert.deepEqual(finding.fixes[0].edits, [
      { startLine: 69, startColumn: 1, endLine: 69, endColumn: 1, newText: '        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n' },
    ]);
  });

  it('prints file:line findings in text, and exits 0 on a healthy run', () => {
    const sick = cli('analyze', LOG);
    assert.equal(sick.code, 1);
    assert.match(sick.stdout, new RegExp(`^${LOG}:352: warning \\[collapse\\] train \`accuracy\` collapsed from 0\\.99`, 'm'));
    assert.match(sick.stdout, /^2 problems \(1 info, 1 warning\) in 1 run and 0 scripts$/m);
    const healthy = cli('analyze', 'test/fixtures/logs/keras3_verbose1_healthy.log');
    assert.equal(healthy.code, 0);
    assert.match(healthy.stdout, /^no problems found in 1 run and 0 scripts$/m);
  });

  it('follows a script\'s local imports: the softmax is reported in model.py, where its fix belongs', () => {
    const { code, stdout } = cli('analyze', 'test/fixtures/code/lstm_softmax_project/train.py', '--format', 'json');
    assert.equal(code, 1);
    const files = JSON.parse(stdout).code.map((c: { file: string; findings: { id: string; line: number }[] }) => [c.file, c.findings.map((f) => `${f.id}@${f.line}`)]);
    assert.deepEqual(files, [
      ['test/fixtures/code/lstm_softmax_project/train.py', ['rnn-no-grad-clip@25']],
      ['test/fixtures/code/lstm_softmax_project/model.py', ['softmax-before-ce@18']],
    ]);
  });

  it('links a log to the script that names it, even in another folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traindx-link-'));
    mkdirSync(join(dir, 'logs'));
    mkdirSync(join(dir, 'src'));
    copyFileSync(join(ROOT, LOG), join(dir, 'logs', 'train.log'));
    const script = readFileSync(join(ROOT, SCRIPT), 'utf8').replace('import torch\n', "import logging\nimport torch\nlogging.basicConfig(filename='logs/train.log')\n");
    writeFileSync(join(dir, 'src', 'fit.py'), script);
    writeFileSync(join(dir, 'src', 'other.py'), 'print("not a training script")\n');
    const { stdout } = cli('analyze', dir, '--format', 'json');
    const [collapse] = JSON.parse(stdout).runs[0].findings.filter((f: { id: string }) => f.id === 'collapse');
    assert.deepEqual(collapse.related.map((r: { file: string; line: number }) => [r.file, r.line]), [[join(dir, 'src', 'fit.py'), 71]]);
  });

  it('compares the runs of a folder: the same final validation accuracy across models (seed 004)', () => {
    const { stdout } = cli('analyze', 'test/fixtures/seed004-runs', '--format', 'json');
    const stuck = JSON.parse(stdout).runs.flatMap((r: { source: string; findings: { id: string; metric: string }[] }) =>
      r.findings.filter((f) => f.id === 'stuck-metric').map((f) => [r.source, f.metric]));
    assert.deepEqual(stuck, [['test/fixtures/seed004-runs/cnn.log', 'val_accuracy']]);
  });

  it('writes SARIF 2.1.0', () => {
    const { code, stdout } = cli('analyze', LOG, SCRIPT, '--format', 'sarif');
    assert.equal(code, 1);
    const sarif = JSON.parse(stdout);
    assert.equal(sarif.version, '2.1.0');
    assert.deepEqual(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId).sort(), ['collapse', 'no-grad-inside-loop', 'plateau', 'rnn-no-grad-clip']);
  });

  it('refuses bad input with one line on stderr and exit 2, never a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traindx-cli-'));
    const junk = join(dir, 'junk.log');
    writeFileSync(junk, Buffer.from([0, 1, 2, 3, 255, 254, 0, 0, 7, 8]));
    const prose = join(dir, 'notes.log');
    writeFileSync(prose, 'nothing to see here\n');
    const latin1 = join(dir, 'latin1.py');
    writeFileSync(latin1, Buffer.from('x = "caf\xe9"\n', 'latin1'));
    for (const [args, pattern] of [
      [['analyze', join(dir, 'missing.log')], /cannot read .*missing\.log: no such file/],
      [['analyze', junk], /looks like binary data/],
      [['analyze', prose], /has no training metrics/],
      [['analyze', latin1], /is not valid UTF-8/],
      [['analyze', LOG, '--format', 'xml'], /unknown format 'xml'/],
      [['analyze'], /analyze needs at least one PATH/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['fix', LOG], /fix works on Python files/],
    ] as const) {
      const { code, stderr } = cli(...args);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr.split('\n')[0], new RegExp(`^traindx: .*${pattern.source}`));
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    }
  });
});

describe('traindx fix', () => {
  const fixed = readFileSync(join(ROOT, 'test/fixtures/code/seed000_gru_train.fixed.py'), 'utf8');

  it('applies nothing without --unsafe (clipping changes training), and the fix with it', () => {
    const safe = cli('fix', SCRIPT, '--stdout', '--rule', 'rnn-no-grad-clip');
    assert.equal(safe.stdout, readFileSync(join(ROOT, SCRIPT), 'utf8'));
    assert.equal(safe.code, 0); // rnn-no-grad-clip is info without a linked log
    assert.match(safe.stderr, /0 fixes applied .* 0 problems left/);
    const unsafe = cli('fix', SCRIPT, '--unsafe', '--rule', 'rnn-no-grad-clip');
    assert.equal(unsafe.code, 0);
    assert.equal(unsafe.stdout, fixed);
    assert.match(unsafe.stderr, /^fixed \[rnn-no-grad-clip\] Clip gradients/m);
  });

  it('writes in place, and a second run changes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traindx-fix-'));
    const file = join(dir, 'train.py');
    copyFileSync(join(ROOT, SCRIPT), file);
    assert.equal(cli('fix', file, '--unsafe', '--write', '--rule', 'rnn-no-grad-clip').code, 0);
    assert.equal(readFileSync(file, 'utf8'), fixed);
    const again = cli('fix', file, '--unsafe', '--write', '--rule', 'rnn-no-grad-clip');
    assert.equal(again.code, 0);
    assert.match(again.stderr, /0 fixes applied/);
    assert.equal(readFileSync(file, 'utf8'), fixed);
  });
});
