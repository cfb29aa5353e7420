import { applyFixes, parses } from '../engine/code/fix-all';
import type { PythonParser } from '../engine/code/python';
import type { CodeFinding } from '../engine/types';

export { parses };

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

/**
 * `traindx fix`: the engine's one bulk-fix implementation (`applyFixes`), one fix at a time with re-analysis;
 * a fix whose result does not parse is refused.
 */
export function fixText(parser: PythonParser, text: string, file: string, options: FixOptions): FixResult {
  return applyFixes(parser, text, file, { rules: options.rules, unsafe: options.unsafe });
}
