import { LineIndex } from '../text';
import { analyzeEvidence } from '../code/evidence';
import type { AnalyzeCodeOptions } from '../code/index';
import { evidenceClause } from '../code/no-lr-scheduler';
import { displayPath } from '../code/project';
import type { PythonParser } from '../code/python';
import { namesLog } from './named-logs';
import type { CodeFinding, CurveFinding, Related, Run, Severity } from '../types';

/**
 * Which code problems can explain which curve problems. A recurrent model trained without clipping
 * is the classic cause of sudden collapses, loss spikes and NaNs; a learning rate that never changes, of
 * plateaus and oscillations; training to the last epoch, of a model that overfits.
 */
const EXPLAINS: Readonly<Record<string, readonly string[]>> = {
  'rnn-no-grad-clip': ['collapse', 'divergence', 'non-finite', 'oscillation'],
  'no-lr-scheduler': ['plateau', 'oscillation'],
  'no-early-stopping': ['overfitting'],
};

/**
 * Code problems that are hints on their own and warnings once the linked log shows what they cause: an
 * unclipped RNN is worth a warning when its run collapsed, diverged, went non-finite or oscillates.
 */
const RAISED_BY: Readonly<Record<string, readonly string[]>> = {
  'rnn-no-grad-clip': ['collapse', 'divergence', 'non-finite', 'oscillation'],
};

const RANK: Readonly<Record<Severity, number>> = { error: 3, warning: 2, info: 1, hint: 0 };
const EVIDENCE_SENTENCE = 'The linked log ';

export interface LoggedRun {
  /** The log's path as the caller names files. */
  readonly file: string;
  readonly findings: readonly CurveFinding[];
  /** The run the findings came from, when the caller has it: evidence rules read its series (the logged `lr`). */
  readonly run?: Run;
}

export interface AnalysedScript {
  readonly file: string;
  readonly text: string;
  readonly findings: readonly CodeFinding[];
}

/**
 * Links the curve findings of a log to the code findings of the script that wrote it, both ways,
 * through related locations. Returns new arrays; the inputs are not changed.
 */
export function linkRunToScript(
  log: LoggedRun,
  script: AnalysedScript,
): { curve: CurveFinding[]; code: CodeFinding[] } {
  const lines = new LineIndex(script.text);
  const code = script.findings.map((finding) => {
    const explained = EXPLAINS[finding.id];
    if (!explained) return finding;
    const raised = raiseSeverity(finding, log, script.file);
    const evidence = log.findings.filter((f) => explained.includes(f.id) && f.line !== null);
    // Evidence rules point at their log lines themselves; a line is listed once.
    const listed = new Set(raised.related.map((r) => `${r.location.file}:${r.location.line}`));
    const related: Related[] = evidence
      .filter((f) => !listed.has(`${log.file}:${f.line}`))
      .map((f) => ({
        location: { file: log.file, line: f.line! },
        message: `${f.id}: ${firstSentence(f.message)}`,
      }));
    return related.length === 0 ? raised : { ...raised, related: [...raised.related, ...related] };
  });
  const curve = log.findings.map((finding) => {
    const causes = script.findings.filter((f) => EXPLAINS[f.id]?.includes(finding.id));
    if (causes.length === 0) return finding;
    const related: Related[] = causes.map((f) => {
      const start = lines.positionAt(f.start);
      const end = lines.positionAt(f.end);
      return {
        location: { file: script.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column },
        message: `possible cause (${f.id}): ${firstSentence(f.message)}`,
      };
    });
    return { ...finding, related: [...finding.related, ...related] };
  });
  return { curve, code };
}

/**
 * A code finding at the severity its evidence calls for: `rnn-no-grad-clip` (info on its own) becomes a warning
 * when the log shows a collapse, divergence, non-finite values or oscillation, and says so in one more sentence
 * (``The linked log `train.log` shows it: train `accuracy` collapsed from 0.99 (epoch 25) to 0.51 at epoch 27.``).
 */
function raiseSeverity(finding: CodeFinding, log: LoggedRun, scriptFile: string): CodeFinding {
  const ids = RAISED_BY[finding.id];
  const shown = ids ? log.findings.find((f) => ids.includes(f.id)) : undefined;
  if (!shown) return finding;
  const severity = RANK[finding.severity] < RANK.warning ? 'warning' : finding.severity;
  // Linking again (another run of the log, another log, the next publish) cites one piece of evidence, once.
  if (finding.message.includes(EVIDENCE_SENTENCE)) return severity === finding.severity ? finding : { ...finding, severity };
  const sentence = `${EVIDENCE_SENTENCE}\`${displayPath(log.file, scriptFile)}\` shows it: ${evidenceClause(shown.message)}.`;
  const message = /[.!?]$/.test(finding.message) ? `${finding.message} ${sentence}` : `${finding.message}. ${sentence}`;
  return { ...finding, severity, message };
}

/**
 * `linkRunToScript` with the evidence rules first: the findings `analyzeEvidence` draws from this log's curves
 * (`no-lr-scheduler` on a plateau, `no-early-stopping` on overfitting) join the script's findings (once each),
 * then both sides are linked. What the extension's publish loop and the CLI call for each linked run.
 */
export function linkRunWithEvidence(
  parser: PythonParser,
  log: LoggedRun,
  script: AnalysedScript,
  options: AnalyzeCodeOptions = {},
): { curve: CurveFinding[]; code: CodeFinding[] } {
  const found = analyzeEvidence(parser, script, log, options);
  if (found.length === 0) return linkRunToScript(log, script);
  const unique = new Map<string, CodeFinding>();
  for (const f of [...script.findings, ...found]) {
    const key = `${f.id}@${f.start}:${f.end}`;
    if (!unique.has(key)) unique.set(key, f);
  }
  const findings = [...unique.values()].sort((a, b) => a.start - b.start || a.end - b.end);
  return linkRunToScript(log, { ...script, findings });
}

function firstSentence(message: string): string {
  const end = message.search(/\.(\s|$)/);
  return end === -1 ? message : message.slice(0, end + 1);
}

/** Splits a `/`- or `\`-separated path into its folder and base name. */
function splitPath(path: string): { folder: string; base: string } {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return { folder: cut === -1 ? '' : path.slice(0, cut), base: path.slice(cut + 1) };
}

/**
 * Picks the script that most likely wrote a log: the one script that names the log (`CSVLogger('x.csv')`,
 * `SummaryWriter('runs/x')`, see `namedLogPaths`), else the only Python file in the log's folder, else
 * the only one there whose name starts with `train`. Undefined when it is not clear.
 */
export function scriptForLog(log: string, scripts: readonly string[], named?: ReadonlyMap<string, readonly string[]>): string | undefined {
  if (named) {
    const naming = scripts.filter((s) => namesLog(named.get(s) ?? [], log));
    if (naming.length === 1) return naming[0];
  }
  const folder = splitPath(log).folder;
  const beside = scripts.filter((s) => splitPath(s).folder === folder);
  if (beside.length === 1) return beside[0];
  const training = beside.filter((s) => splitPath(s).base.toLowerCase().startsWith('train'));
  return training.length === 1 ? training[0] : undefined;
}
