/**
 * Table-driven tests for code rules (the loop-side rules use it): inputs that must report with the exact
 * message, range and fixed text; inputs that must not report; and, for every fix, idempotence (re-analysis
 * finds nothing, applying again changes nothing), a clean tree-sitter parse, a clean `ast.parse` by
 * python3 (tree-sitter does not flag bad indentation), and the file's line endings kept.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { applyFixes } from '../../src/engine/code/fix-all';
import type { PythonParser } from '../../src/engine/code/python';
import { applyEdits, LineIndex } from '../../src/engine/text';
import type { CodeFinding, Severity } from '../../src/engine/types';
import { findingsOf, sharedParser, syntaxProblemsOf } from './code-rule-tables';
import { ROOT } from './fixtures';

export { crlf, py } from './code-rule-tables';
export const codeFixture = (name: string): string => readFileSync(join(ROOT, 'test/fixtures/code', name), 'utf8');

export interface ExpectedFix {
  readonly title: string;
  readonly safe: boolean;
  /** The whole file after applying the fix. */
  readonly fixed: string;
}

export interface ReportCase {
  readonly name: string;
  readonly text: string;
  /** The exact source text the finding covers. */
  readonly at: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly severity: Severity;
  /** `null`: the finding must come without a fix. */
  readonly fix: ExpectedFix | null;
}

export interface QuietCase {
  readonly name: string;
  readonly text: string;
}

export function ruleFindings(p: PythonParser, rule: string, text: string): CodeFinding[] {
  return findingsOf(p, text, rule);
}

/** Python's own parser on a text: the guard against bad indentation, which tree-sitter accepts. */
export function assertPythonParses(text: string): void {
  const result = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: text, encoding: 'utf8' });
  assert.equal(result.status, 0, `python3 could not parse the fixed text: ${result.stderr}\n${text}`);
}

/** Registers the tables as node:test suites. */
export function ruleTable(rule: string, mustReport: readonly ReportCase[], mustNotReport: readonly QuietCase[]): void {
  let parser: PythonParser | undefined;
  before(async () => {
    parser = await sharedParser();
  });
  const p = (): PythonParser => {
    assert.ok(parser);
    return parser;
  };

  describe(`${rule}: must report`, () => {
    for (const c of mustReport) {
      test(c.name, () => {
        const found = ruleFindings(p(), rule, c.text);
        assert.equal(found.length, 1, `findings: ${JSON.stringify(found.map((f) => f.message))}`);
        const [f] = found;
        assert.equal(c.text.slice(f.start, f.end), c.at);
        assert.deepEqual(new LineIndex(c.text).positionAt(f.start), { line: c.line, column: c.column });
        assert.equal(f.message, c.message);
        assert.equal(f.severity, c.severity);
        if (c.fix === null) {
          assert.deepEqual(f.fixes, []);
          return;
        }
        assert.equal(f.fixes.length, 1);
        assert.equal(f.fixes[0].title, c.fix.title);
        assert.equal(f.fixes[0].safe, c.fix.safe);
        assert.equal(applyEdits(c.text, f.fixes[0].edits), c.fix.fixed);
      });
    }
  });

  describe(`${rule}: after the fix`, () => {
    for (const c of mustReport) {
      if (c.fix === null) continue;
      const expected = c.fix;
      test(`re-analysis is quiet, a second fix changes nothing, the result parses: ${c.name}`, () => {
        const fixed = expected.fixed;
        assert.deepEqual(ruleFindings(p(), rule, fixed).map((f) => f.message), []);
        const again = applyFixes(p(), fixed, 'train.py', { rules: [rule], unsafe: true });
        assert.deepEqual(again.applied, []);
        assert.equal(again.text, fixed);
        assert.deepEqual(syntaxProblemsOf(p(), fixed), []);
        assertPythonParses(fixed);
        if (c.text.includes('\r\n')) assert.equal(fixed.replace(/\r\n/g, '').includes('\n'), false, 'CRLF kept throughout');
      });
    }
  });

  describe(`${rule}: must not report`, () => {
    for (const c of mustNotReport) {
      test(c.name, () => {
        assert.deepEqual(ruleFindings(p(), rule, c.text).map((f) => f.message), []);
      });
    }
  });
}
