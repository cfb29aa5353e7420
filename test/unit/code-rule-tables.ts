/** Table-driven tests for one code rule: must report (with the exact text after each fix), must not report. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeCode } from '../../src/engine/code/index';
import { syntaxProblems, type PythonParser, type SyntaxNode } from '../../src/engine/code/python';
import { applyEdits, LineIndex } from '../../src/engine/text';
import type { CodeFinding } from '../../src/engine/types';
import { loadPythonParser } from '../../src/node/grammar';

/** Lines joined with `\n`, with a final newline. */
export const py = (...lines: string[]): string => `${lines.join('\n')}\n`;

/** Every node of a tree (named and anonymous), in document order, by a recursive walk over `children`. */
export function allNodes(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visit = (node: SyntaxNode): void => {
    out.push(node);
    for (const child of node.children) if (child) visit(child);
  };
  visit(root);
  return out;
}
export const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');
export const tabs = (text: string): string => text.replace(/^( {4})+/gm, (m) => '\t'.repeat(m.length / 4));

export interface ExpectedFix {
  readonly title: string;
  readonly safe: boolean;
  /** The whole text after applying the fix. */
  readonly text: string;
}

export interface ReportCase {
  readonly name: string;
  readonly text: string;
  /** The text the finding covers. */
  readonly at: string;
  /** 1-based line of the finding's start. */
  readonly line: number;
  /** Exact message, when the case checks it. */
  readonly message?: string;
  /** The only fix, or null when none may be offered. */
  readonly fix: ExpectedFix | null;
}

export interface NoReportCase {
  readonly name: string;
  readonly text: string;
}

let parser: PythonParser | undefined;
export async function sharedParser(): Promise<PythonParser> {
  parser ??= await loadPythonParser();
  return parser;
}

export function findingsOf(p: PythonParser, text: string, id: string): CodeFinding[] {
  return analyzeCode(p, text, 'train.py').filter((f) => f.id === id);
}

export function syntaxProblemsOf(p: PythonParser, text: string): string[] {
  return p.withTree(text, (tree) => syntaxProblems(tree.rootNode).map((n) => `${n.type} at ${n.startIndex}`));
}

/** Registers the must-report, after-fix and must-not-report tables of a rule. */
export function ruleTables(id: string, severity: string, mustReport: readonly ReportCase[], mustNotReport: readonly NoReportCase[]): void {
  let p: PythonParser;
  before(async () => {
    p = await sharedParser();
  });

  describe(`${id}: must report`, () => {
    for (const c of mustReport) {
      test(c.name, () => {
        const found = findingsOf(p, c.text, id);
        assert.equal(found.length, 1, `findings: ${JSON.stringify(found.map((f) => f.message))}`);
        const [f] = found;
        assert.equal(f.severity, severity);
        assert.equal(c.text.slice(f.start, f.end), c.at);
        assert.equal(new LineIndex(c.text).positionAt(f.start).line, c.line);
        if (c.message !== undefined) assert.equal(f.message, c.message);
        if (c.fix === null) {
          assert.deepEqual(f.fixes, []);
          return;
        }
        assert.equal(f.fixes.length, 1);
        assert.equal(f.fixes[0].title, c.fix.title);
        assert.equal(f.fixes[0].safe, c.fix.safe);
        assert.equal(applyEdits(c.text, f.fixes[0].edits), c.fix.text);
      });
    }
  });

  describe(`${id}: after the fix`, () => {
    for (const c of mustReport) {
      if (c.fix === null) continue;
      test(`idempotent, parse-clean, line endings and indentation kept: ${c.name}`, () => {
        const [f] = findingsOf(p, c.text, id);
        const fixed = applyEdits(c.text, f.fixes[0].edits);
        assert.deepEqual(findingsOf(p, fixed, id), [], 're-analysing the fixed text must find nothing');
        assert.deepEqual(syntaxProblemsOf(p, fixed), []);
        if (c.text.includes('\r\n')) assert.equal(fixed.replace(/\r\n/g, '').includes('\n'), false, 'CRLF kept throughout');
        if (/^\t/m.test(c.text) && !/^ +\S/m.test(c.text)) assert.equal(/^ +\S/m.test(fixed), false, 'tab indentation kept');
      });
    }
  });

  describe(`${id}: must not report`, () => {
    for (const c of mustNotReport) {
      test(c.name, () => {
        assert.deepEqual(findingsOf(p, c.text, id).map((f) => f.message), []);
      });
    }
  });
}
