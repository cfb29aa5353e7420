/**
 * Applying fixes in bulk: the engine side of `TrainDx: Fix All Safe Problems` and of `traindx fix`. One fix is
 * applied at a time and the file is analysed again before the next, so every edit applies to the exact text it
 * was computed for and two fixes never collide.
 */

import { applyEdits } from '../text';
import type { CodeFinding, Fix } from '../types';
import { RULES, runRules } from './index';
import type { PythonParser } from './python';
import type { Rule } from './rule';

export interface ApplyFixesOptions {
  /** Only fixes of these rules (all rules when empty or absent). */
  readonly rules?: readonly string[];
  /** Also apply fixes that change training behaviour. Never set by "fix all safe problems". */
  readonly unsafe?: boolean;
  /** Rule ids not to run at all (the user's `traindx.rules.ignore`). */
  readonly ignore?: readonly string[];
  /** The rules to run: every registered rule unless given (tests pass stand-ins). */
  readonly registry?: readonly Rule[];
}

export interface ApplyFixesResult {
  /** The patched text (the input itself when nothing applied). */
  readonly text: string;
  /** The fixes applied, in order. */
  readonly applied: { id: string; title: string }[];
  /** Findings left after fixing (including those whose fixes were not allowed). */
  readonly remaining: CodeFinding[];
}

/** Upper bound on fix rounds: each round applies one fix and re-analyses. */
const MAX_ROUNDS = 50;

/**
 * Applies the allowed fixes one at a time, re-analysing after each. A fix whose result does not parse, or
 * that changes nothing, is refused (the finding stays) and the next allowed fix is tried.
 */
export function applyFixes(parser: PythonParser, text: string, file: string, options: ApplyFixesOptions = {}): ApplyFixesResult {
  const only = options.rules ?? [];
  const analyze = (source: string): CodeFinding[] => runRules(options.registry ?? RULES, parser, source, file, { ignore: options.ignore });
  const applied: { id: string; title: string }[] = [];
  const refused = new Set<string>();
  let current = text;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const findings = analyze(current);
    const next = findings
      .filter((f) => only.length === 0 || only.includes(f.id))
      .flatMap((f) => f.fixes.filter((fix) => (fix.safe || options.unsafe === true) && !refused.has(key(f, fix))).map((fix) => ({ finding: f, fix })))[0];
    if (!next) return { text: current, applied, remaining: findings };
    const patched = applyEdits(current, next.fix.edits);
    // A fix that changes nothing would be offered again forever; one that breaks the syntax is never applied.
    if (patched !== current && parses(parser, patched)) {
      current = patched;
      applied.push({ id: next.finding.id, title: next.fix.title });
    } else {
      refused.add(key(next.finding, next.fix));
    }
  }
  return { text: current, applied, remaining: analyze(current) };
}

/** Applies every safe fix (never one that changes training behaviour): `TrainDx: Fix All Safe Problems`. */
export function fixAllSafe(parser: PythonParser, text: string, file: string, ignore: readonly string[] = []): ApplyFixesResult {
  return applyFixes(parser, text, file, { unsafe: false, ignore });
}

function key(finding: CodeFinding, fix: Fix): string {
  return `${finding.id}@${finding.start}:${fix.title}`;
}

/** Whether the text parses without ERROR or MISSING nodes. */
export function parses(parser: PythonParser, text: string): boolean {
  return parser.withTree(text, (tree) => !tree.rootNode.hasError);
}
