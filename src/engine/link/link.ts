import { LineIndex } from '../text';
import { namesLog } from './named-logs';
import type { CodeFinding, CurveFinding, Related } from '../types';

/**
 * Which code problems can explain which curve problems. A recurrent model trained without clipping
 * is the classic cause of sudden collapses, loss spikes and NaNs.
 */
const EXPLAINS: Readonly<Record<string, readonly string[]>> = {
  'rnn-no-grad-clip': ['collapse', 'divergence', 'non-finite', 'oscillation'],
};

export interface LoggedRun {
  /** The log's path as the caller names files. */
  readonly file: string;
  readonly findings: readonly CurveFinding[];
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
    const evidence = log.findings.filter((f) => explained.includes(f.id) && f.line !== null);
    if (evidence.length === 0) return finding;
    const related: Related[] = evidence.map((f) => ({
      location: { file: log.file, line: f.line! },
      message: `${f.id}: ${firstSentence(f.message)}`,
    }));
    return { ...finding, related: [...finding.related, ...related] };
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
