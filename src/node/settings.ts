/**
 * Defaults shared by the CLI and the extension, written once. `package.json` repeats them for the
 * settings UI; a unit test keeps the two in step.
 */

/** Files that may be training logs. Each candidate is still sniffed before it counts. */
export const DEFAULT_LOG_INCLUDE: readonly string[] = ['**/*.log', '**/*.out', '**/logs/**/*.txt', '**/*train*.txt'];

/** Folders never searched: dependencies, environments, VCS data, checkpoints and tracker caches. */
export const DEFAULT_LOG_EXCLUDE: readonly string[] = [
  '**/node_modules/**',
  '**/.git/**',
  '**/.venv/**',
  '**/venv/**',
  '**/site-packages/**',
  '**/__pycache__/**',
  '**/checkpoints/**',
  '**/wandb/**',
  '**/.vscode-test/**',
];

/** The finding severities a user can choose for a rule, plus `off`. */
export const RULE_SEVERITIES = ['error', 'warning', 'info', 'hint', 'off'] as const;
export type RuleSeverity = (typeof RULE_SEVERITIES)[number];
