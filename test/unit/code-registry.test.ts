import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { RULES, runRules } from '../../src/engine/code/index';
import { descendants, syntaxProblems, type PythonParser } from '../../src/engine/code/python';
import type { Rule } from '../../src/engine/code/rule';
import { findGrammarFiles, loadPythonParser } from '../../src/node/grammar';

/** The code ids listed in docs/ARCHITECTURE ("Code ids (from Python)"); a new rule is added there first. */
const ARCHITECTURE_CODE_IDS = new Set([
  'rnn-no-grad-clip', 'no-grad-inside-loop', 'empty-range-loop', 'softmax-before-ce', 'sigmoid-bce',
  'single-unit-softmax', 'missing-zero-grad', 'eval-mode-leak', 'extreme-dropout', 'loss-accumulates-graph',
  'train-loader-no-shuffle', 'no-lr-scheduler',
  // Added by TrainDx (the vocabulary allows ids a real problem needs): a run that overfits and is trained to the
  // last epoch, keeping the last weights rather than the best.
  'no-early-stopping',
]);
const SECTIONS = ['What it detects', 'Why it matters', 'How to fix', 'Example'];

describe('code rule registry', () => {
  test('rule ids are unique', () => {
    assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
  });

  for (const rule of RULES) {
    describe(rule.id, () => {
      test('id is kebab-case and listed in the architecture', () => {
        assert.match(rule.id, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
        assert.ok(ARCHITECTURE_CODE_IDS.has(rule.id), `${rule.id} is not an architecture code id`);
      });

      test('its doc page exists with the four sections', () => {
        assert.equal(rule.docs, `docs/rules/${rule.id}.md`);
        const path = join(process.cwd(), rule.docs);
        assert.ok(existsSync(path), `missing ${rule.docs}`);
        const doc = readFileSync(path, 'utf8');
        for (const section of SECTIONS) assert.match(doc, new RegExp(`^## ${section}\\b`, 'm'), `${rule.docs}: no "## ${section}"`);
        if (rule.fixable) assert.match(doc, /Fix safety/, `${rule.docs}: a fixable rule says whether its fix is safe`);
      });
    });
  }
});

describe('code engine', () => {
  let parser: PythonParser;
  before(async () => {
    parser = await loadPythonParser();
  });
  const text = 'a = f(1)\nb = g(2)  # traindx: ignore[stand-in]\nc = h(3)\n';
  /** Reports every call, last first, each with a fix that renames it. */
  const standIn = (fixable: boolean, id = 'stand-in'): Rule => ({
    id,
    docs: `docs/rules/${id}.md`,
    severity: 'info',
    fixable,
    check: (ctx) => [...descendants(ctx.root, 'call')].reverse().map((call) => ctx.report({
      node: call,
      message: `call \`${call.text}\``,
      fixes: [{ title: 'rename', safe: true, edits: [{ start: call.startIndex, end: call.startIndex + 1, newText: 'z' }] }],
    })),
  });

  test('findings come sorted by position, ignore comments apply to their line and rule only', () => {
    const found = runRules([standIn(true), standIn(true, 'other')], parser, text, 't.py');
    assert.deepEqual(found.map((f) => `${f.id}:${text.slice(f.start, f.end)}`), [
      'other:f(1)', 'stand-in:f(1)', 'other:g(2)', 'other:h(3)', 'stand-in:h(3)',
    ]);
  });

  test('fixes from a rule not declared fixable are dropped', () => {
    const found = runRules([standIn(false)], parser, text, 't.py');
    assert.equal(found.length, 2);
    assert.ok(found.every((f) => f.fixes.length === 0));
  });

  test('a fix whose edits fall outside the text is dropped', () => {
    const rule: Rule = {
      ...standIn(true),
      check: (ctx) => [ctx.report({ start: 0, end: 1, message: 'm', fixes: [{ title: 't', safe: true, edits: [{ start: 0, end: 999, newText: '' }] }] })],
    };
    assert.deepEqual(runRules([rule], parser, text, 't.py')[0].fixes, []);
  });

  test('syntaxProblems finds ERROR and MISSING nodes, and nothing in clean code', () => {
    const problems = (source: string): string[] =>
      parser.withTree(source, (tree) => syntaxProblems(tree.rootNode).map((n) => (n.isMissing ? `MISSING ${n.type}` : n.type)));
    assert.deepEqual(problems('x = f(1)\nif x:\n    y = 2\n'), []);
    assert.ok(problems('x = f(\n').length > 0);
    assert.deepEqual(problems('x = a[]\n'), ['MISSING identifier']);
    assert.deepEqual(problems('print(1 2)\n'), ['ERROR']);
  });

  test('the grammar files are found from a folder without them (via dist/ or node_modules)', () => {
    const paths = findGrammarFiles(join(process.cwd(), 'no-such-folder'));
    assert.ok(existsSync(paths.runtime) && existsSync(paths.python));
  });
});
