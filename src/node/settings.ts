/**
 * Defaults shared by the CLI and the extension, written once. `package.json` repeats them for the
 * settings UI; a unit test keeps the two in step.
 */

/** Files that may be training logs. Each candidate is still sniffed before it counts. */
export const DEFAULT_LOG_INCLUDE: readonly string[] = [
  '**/*.log',
  '**/*.out',
  '**/logs/**/*.txt',
  '**/*train*.txt',
  '**/*.csv',
  '**/*.tsv',
  '**/*.jsonl',
  '**/metrics.json',
  '**/trainer_state.json',
  '**/events.out.tfevents.*',
  '**/mlruns/*/*/metrics/*',
];

/**
 * Where the extension activates: the unmistakable training artefacts only, so that a repository of
 * plain CSV data does not wake TrainDx up. Python files activate it too (`onLanguage:python`).
 */
export const ACTIVATION_GLOBS: readonly string[] = [
  '**/*.log',
  '**/trainer_state.json',
  '**/events.out.tfevents.*',
  '**/metrics.csv',
  '**/results.csv',
  '**/mlruns/*/*/metrics/*',
];

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
