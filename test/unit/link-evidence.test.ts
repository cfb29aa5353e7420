/**
 * Linking a log to its script with the evidence rules: severity raised from the log's evidence, evidence findings
 * merged once, and links both ways. The curve findings are the detectors' own on the fixture logs.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeLogText } from '../../src/engine/analyze-log';
import { analyzeCode } from '../../src/engine/code/index';
import { evidenceClause } from '../../src/engine/code/no-lr-scheduler';
import type { PythonParser } from '../../src/engine/code/python';
import { linkRunToScript, linkRunWithEvidence, type LoggedRun } from '../../src/engine/link/link';
import { LineIndex } from '../../src/engine/text';
import type { CodeFinding, CurveFinding } from '../../src/engine/types';
import { loadPythonParser } from '../../src/node/grammar';
import { fixture } from './fixtures';

function linkedLog(path: string, file: string, only?: string): LoggedRun {
  const analysis = analyzeLogText(fixture(path), path);
  assert.ok(analysis.ok, `${path} must parse`);
  return { file, findings: analysis.runs.flatMap((r) => r.findings).filter((f) => only === undefined || f.id === only) };
}

const COLLAPSE = linkedLog('evidence/gru-collapse/train.log', 'runs/gru/train.log', 'collapse');
const PLATEAU_ONLY = linkedLog('evidence/gru-collapse/train.log', 'runs/gru/train.log', 'plateau');
const GRU_SCRIPT = fixture('code/seed000_gru_train.py');
const PLATEAU_SCRIPT = fixture('evidence/plateau-torch/train.py');
const PLATEAU_LOG = linkedLog('evidence/plateau-torch/train.log', 'runs/cnn/train.log');

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser();
});

function rnnFinding(findings: readonly CodeFinding[]): CodeFinding {
  const found = findings.filter((f) => f.id === 'rnn-no-grad-clip');
  assert.equal(found.length, 1);
  return found[0];
}

function only<T extends { id: string }>(list: readonly T[], id: string): T {
  const found = list.filter((f) => f.id === id);
  assert.equal(found.length, 1, `${id}: ${found.length} findings`);
  return found[0];
}

describe('rnn-no-grad-clip severity from the linked log', () => {
  test('info on the script alone', () => {
    assert.equal(rnnFinding(analyzeCode(parser, GRU_SCRIPT, 'runs/gru/train.py')).severity, 'info');
  });

  test('a warning citing the collapse once the log is linked, the log line related', () => {
    const alone = rnnFinding(analyzeCode(parser, GRU_SCRIPT, 'runs/gru/train.py'));
    const collapse: CurveFinding = only(COLLAPSE.findings, 'collapse');
    const { code } = linkRunToScript(COLLAPSE, { file: 'runs/gru/train.py', text: GRU_SCRIPT, findings: [alone] });
    const linked = rnnFinding(code);
    assert.equal(linked.severity, 'warning');
    assert.equal(linked.message, `${alone.message}. The linked log \`train.log\` shows it: ${evidenceClause(collapse.message)}.`);
    assert.match(linked.message, /shows it: train `accuracy` collapsed from 0\.99 \(epoch \d+\) to 0\.51 at epoch 27\.$/);
    assert.deepEqual(linked.related.slice(alone.related.length).map((r) => [r.location.file, r.location.line]), [['runs/gru/train.log', collapse.line]]);
  });

  test('the log is named relative to the script', () => {
    const alone = rnnFinding(analyzeCode(parser, GRU_SCRIPT, 'runs/gru/src/train.py'));
    const { code } = linkRunToScript(COLLAPSE, { file: 'runs/gru/src/train.py', text: GRU_SCRIPT, findings: [alone] });
    assert.match(rnnFinding(code).message, /The linked log `\.\.\/train\.log` shows it: /);
  });

  test('linking again (another run, the next publish) adds nothing', () => {
    const alone = rnnFinding(analyzeCode(parser, GRU_SCRIPT, 'runs/gru/train.py'));
    const script = { file: 'runs/gru/train.py', text: GRU_SCRIPT, findings: [alone] };
    const once = linkRunToScript(COLLAPSE, script).code;
    const twice = linkRunToScript(COLLAPSE, { ...script, findings: once }).code;
    assert.deepEqual(twice, once);
  });

  test('a second log with evidence keeps the first citation: one sentence', () => {
    const alone = rnnFinding(analyzeCode(parser, GRU_SCRIPT, 'runs/gru/train.py'));
    const script = { file: 'runs/gru/train.py', text: GRU_SCRIPT, findings: [alone] };
    const once = rnnFinding(linkRunToScript(COLLAPSE, script).code);
    const other = { ...COLLAPSE, file: 'runs/gru/second.log' };
    const twice = rnnFinding(linkRunToScript(other, { ...script, findings: [once] }).code);
    assert.equal(twice.message, once.message);
    assert.equal(twice.severity, 'warning');
  });

  test('a plateau is not evidence for clipping: stays info, message unchanged', () => {
    const alone = rnnFinding(analyzeCode(parser, GRU_SCRIPT, 'runs/gru/train.py'));
    const { code } = linkRunToScript(PLATEAU_ONLY, { file: 'runs/gru/train.py', text: GRU_SCRIPT, findings: [alone] });
    assert.equal(rnnFinding(code).severity, 'info');
    assert.equal(rnnFinding(code).message, alone.message);
  });
});

describe('linkRunWithEvidence', () => {
  const script = (findings: CodeFinding[]) => ({ file: 'runs/cnn/train.py', text: PLATEAU_SCRIPT, findings });

  test('adds no-lr-scheduler to the script and links the plateau to it both ways', () => {
    const own = analyzeCode(parser, PLATEAU_SCRIPT, 'runs/cnn/train.py');
    assert.deepEqual(own.filter((f) => f.id === 'no-lr-scheduler'), []);
    const { code, curve } = linkRunWithEvidence(parser, PLATEAU_LOG, script(own));
    const plateau = only(curve, 'plateau');
    const finding = only(code, 'no-lr-scheduler');
    const at = new LineIndex(PLATEAU_SCRIPT).positionAt(finding.start);
    assert.deepEqual([at.line, at.column], [43, 13]);
    assert.deepEqual(finding.related.map((r) => [r.location.file, r.location.line]), [['runs/cnn/train.log', plateau.line]]);
    assert.deepEqual(plateau.related.map((r) => [r.location.file, r.location.line, r.location.column]), [['runs/cnn/train.py', 43, 13]]);
    assert.match(plateau.related[0].message, /^possible cause \(no-lr-scheduler\): `optimizer` \(`torch\.optim\.SGD`\) keeps one learning rate/);
    assert.equal(code.length, own.length + 1);
  });

  test('twice (several runs of one log): each finding once, related not repeated', () => {
    const own = analyzeCode(parser, PLATEAU_SCRIPT, 'runs/cnn/train.py');
    const first = linkRunWithEvidence(parser, PLATEAU_LOG, script(own)).code;
    const second = linkRunWithEvidence(parser, PLATEAU_LOG, script(first)).code;
    assert.deepEqual(second, first);
  });

  test('the ignore option keeps the evidence rules out', () => {
    const { code } = linkRunWithEvidence(parser, PLATEAU_LOG, script([]), { ignore: ['no-lr-scheduler'] });
    assert.deepEqual(code, []);
  });

  test('a log without their evidence: the same as linkRunToScript', () => {
    const own = analyzeCode(parser, GRU_SCRIPT, 'runs/gru/train.py');
    const gru = { file: 'runs/gru/train.py', text: GRU_SCRIPT, findings: own };
    assert.deepEqual(linkRunWithEvidence(parser, COLLAPSE, gru), linkRunToScript(COLLAPSE, gru));
  });
});
