import { analyzeCode } from '../engine/code';
import type { PythonParser } from '../engine/code/python';
import { applyEdits } from '../engine/text';
import type { CodeFinding, Fix } from '../engine/types';

export interface FixOptions {
  /** Only fixes of these rules (all rules when empty). */
  readonly rules: readonly string[];
  /** Also apply fixes that change training behaviour. */
  readonly unsafe: boolean;
}

export interface FixResult {
  readonly text: string;
  readonly applied: { id: string; title: string }[];
  /** Findings left after fixing (including those whose fixes were not allowed). */
  readonly remaining: CodeFinding[];
}

/** Upper bound on fix rounds: each round applies one fix and re-analyses, so fixes never collide. */
const MAX_ROUNDS = 50;

/**
 * Applies the allowed fixes one at a time, re-analysing after each so that every edit applies to the
 * text it was computed for. A fix whose result does not parse is refused and the loop stops there.
 */
export function fixText(parser: PythonParser, text: string, file: string, options: FixOptions): FixResult {
  const applied: { id: string; title: string }[] = [];
  const refused = new Set<string>();
  let current = text;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const findings = analyzeCode(parser, current, file);
    const next = findings
      .filter((f) => options.rules.length === 0 || options.rules.includes(f.id))
      .flatMap((f) => f.fixes.filter((fix) => allowed(fix, options) && !refused.has(key(f, fix))).map((fix) => ({ finding: f, fix })))[0];
    if (!next) return { text: current, applied, remaining: findings };
    const patched = applyEdits(current, next.fix.edits);
    if (parses(parser, patched)) {
      current = patched;
      applied.push({ id: next.finding.id, title: next.fix.title });
    } else {
      refused.add(key(next.finding, next.fix));
    }
  }
  return { text: current, applied, remaining: analyzeCode(parser, current, file) };
}

function allowed(fix: Fix, options: FixOptions): boolean {
  return fix.safe || options.unsafe;
}

function key(finding: CodeFinding, fix: Fix): string {
  return `${finding.id}@${finding.start}:${fix.title}`;
}

/** Whether the text parses without ERROR or MISSING nodes. */
export function parses(parser: PythonParser, text: string): boolean {
  return parser.withTree(text, (tree) => !tree.rootNode.hasError);
}
