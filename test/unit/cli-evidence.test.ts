/**
 * `traindx analyze` on fixture projects (a log beside the script that wrote it): the evidence rules show up on
 * the script, and `rnn-no-grad-clip` takes its severity from the log. Each log's findings are first computed
 * here with the detectors, so the test checks the CLI against them rather than against copied numbers.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeLogText } from '../../src/engine/analyze-log';
import { evidenceClause } from '../../src/engine/code/no-lr-scheduler';
import type { CurveFinding } from '../../src/engine/types';
import { fixture, ROOT } from './fixtures';

/** The built CLI (`npm test` builds `dist/cli.js`); `TRAINDX_CLI` points at another build. */
const CLI = process.env.TRAINDX_CLI ?? join(ROOT, 'dist', 'cli.js');

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface JsonFinding {
  id: string;
  severity: string;
  line: number;
  column: number;
  message: string;
  related: { file: string; line: number; column: number | null; message: string }[];
  fixes: { title: string; safe: boolean; edits: { startLine: number; startColumn: number; endLine: number; endColumn: number; newText: string }[] }[];
}

/** `analyze FOLDER --format json`: the exit code, the run's findings and the script's findings by id. */
function analyzeFolder(folder: string) {
  const { code, stdout, stderr } = cli('analyze', `test/fixtures/evidence/${folder}`, '--format', 'json');
  assert.equal(stderr, '');
  const doc = JSON.parse(stdout);
  assert.equal(doc.runs.length, 1);
  assert.equal(doc.code.length, 1);
  assert.equal(doc.code[0].file, `test/fixtures/evidence/${folder}/train.py`);
  const byId = (list: JsonFinding[], id: string): JsonFinding => {
    const found = list.filter((f) => f.id === id);
    assert.equal(found.length, 1, `${id} in ${JSON.stringify(list.map((f) => f.id))}`);
    return found[0];
  };
  return {
    code,
    curve: (id: string) => byId(doc.runs[0].findings, id),
    script: (id: string) => byId(doc.code[0].findings, id),
    scriptIds: (doc.code[0].findings as JsonFinding[]).map((f) => f.id),
  };
}

/** What the detectors find in a fixture log. */
function detected(folder: string, id: string): CurveFinding {
  const analysis = analyzeLogText(fixture(`evidence/${folder}/train.log`), 'train.log');
  assert.ok(analysis.ok);
  const found = analysis.runs.flatMap((r) => r.findings).filter((f) => f.id === id);
  assert.equal(found.length, 1, `the detectors flag ${id} in evidence/${folder}/train.log`);
  return found[0];
}

const at = (line: number, column: number, newText: string) => ({ startLine: line, startColumn: column, endLine: line, endColumn: column, newText });

describe('traindx analyze: evidence from the linked log', () => {
  it('a plateau puts no-lr-scheduler on the optimizer, with the ReduceLROnPlateau fix; both info, exit 0', () => {
    const plateau = detected('plateau-torch', 'plateau');
    const { code, curve, script } = analyzeFolder('plateau-torch');
    assert.equal(code, 0);
    const finding = script('no-lr-scheduler');
    assert.deepEqual([finding.severity, finding.line, finding.column], ['info', 43, 13]);
    assert.ok(finding.message.includes(`the linked log \`train.log\` shows ${evidenceClause(plateau.message)}.`), finding.message);
    assert.deepEqual(finding.related.map((r) => [r.file, r.line]), [['test/fixtures/evidence/plateau-torch/train.log', plateau.line]]);
    assert.deepEqual(finding.fixes.map((f) => f.safe), [false]);
    assert.deepEqual(finding.fixes[0].edits, [
      at(44, 1, 'scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=5)\n'),
      at(56, 1, '    scheduler.step(val_loss)\n'),
    ]);
    assert.deepEqual(curve('plateau').related.map((r) => [r.file, r.line, r.column]), [['test/fixtures/evidence/plateau-torch/train.py', 43, 13]]);
  });

  it('an oscillation offers a cosine decay over `num_epochs`, stepped at the end of the epoch loop', () => {
    const oscillation = detected('oscillation-torch', 'oscillation');
    const { code, script } = analyzeFolder('oscillation-torch');
    assert.equal(code, oscillation.severity === 'warning' ? 1 : 0);
    const finding = script('no-lr-scheduler');
    assert.deepEqual([finding.severity, finding.line, finding.column], ['info', 18, 13]);
    assert.ok(finding.message.includes(`shows ${evidenceClause(oscillation.message)}.`), finding.message);
    assert.deepEqual(finding.fixes[0].edits, [
      at(19, 1, 'scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)\n'),
      at(44, 1, '    scheduler.step()\n'),
    ]);
  });

  it('overfitting in a Keras run: no-early-stopping on `model.fit`, EarlyStopping appended to the callbacks', () => {
    const overfitting = detected('overfit-keras', 'overfitting');
    const { code, curve, script } = analyzeFolder('overfit-keras');
    assert.equal(code, 1);
    const finding = script('no-early-stopping');
    assert.deepEqual([finding.severity, finding.line, finding.column], ['warning', 16, 1]);
    assert.ok(finding.message.includes(`shows ${evidenceClause(overfitting.message)}: `), finding.message);
    assert.ok(finding.message.endsWith(`not the best one (epoch ${overfitting.epoch}).`), finding.message);
    assert.deepEqual(finding.fixes[0].edits, [at(21, 62, ', keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)')]);
    assert.match(curve('overfitting').related[0].message, /^possible cause \(no-early-stopping\): /);
  });

  it('a GRU run that collapsed: rnn-no-grad-clip is a warning that cites the collapse', () => {
    const collapse = detected('gru-collapse', 'collapse');
    const { code, script } = analyzeFolder('gru-collapse');
    assert.equal(code, 1);
    const finding = script('rnn-no-grad-clip');
    assert.deepEqual([finding.severity, finding.line, finding.column], ['warning', 16, 25]);
    assert.ok(finding.message.endsWith(` The linked log \`train.log\` shows it: ${evidenceClause(collapse.message)}.`), finding.message);
    assert.deepEqual(finding.fixes[0].edits, [at(16, 68, ', clipnorm=1.0')]);
  });

  it('the same scripts alone: no evidence rules, and rnn-no-grad-clip is info', () => {
    for (const folder of ['plateau-torch', 'oscillation-torch', 'overfit-keras', 'gru-collapse']) {
      const { stdout } = cli('analyze', `test/fixtures/evidence/${folder}/train.py`, '--format', 'json');
      const findings: JsonFinding[] = JSON.parse(stdout).code.flatMap((c: { findings: JsonFinding[] }) => c.findings);
      assert.deepEqual(findings.filter((f) => f.id === 'no-lr-scheduler' || f.id === 'no-early-stopping').map((f) => f.id), [], folder);
      for (const f of findings.filter((x) => x.id === 'rnn-no-grad-clip')) assert.equal(f.severity, 'info');
    }
    const gru = cli('analyze', 'test/fixtures/evidence/gru-collapse/train.py');
    assert.equal(gru.code, 0, 'an info finding alone does not fail the run');
  });
});
