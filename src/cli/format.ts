import { LineIndex } from '../engine/text';
import type { CodeFinding, CurveFinding, Related, Severity } from '../engine/types';
import type { Report } from '../node/workspace-analysis';
import { notebookCodeJson, notebookFindings, notebookRunsJson, notebookSarif, notebookText } from './notebook-format';
import { codeFindingJson, fixJson, runJson } from './run-json';

/** Severities at or above which the CLI exits with 1. */
export function isProblem(severity: Severity): boolean {
  return severity === 'error' || severity === 'warning';
}

/** Every finding of a report with the file it belongs to. */
function allFindings(report: Report): { file: string; finding: CurveFinding | CodeFinding }[] {
  return [
    ...report.logs.flatMap((log) => log.runs.flatMap((run) => run.findings.map((finding) => ({ file: log.source, finding })))),
    ...report.scripts.flatMap((script) => script.findings.map((finding) => ({ file: script.file, finding }))),
    ...notebookFindings(report.notebooks ?? []),
  ];
}

export function hasProblems(report: Report): boolean {
  return allFindings(report).some(({ finding }) => isProblem(finding.severity));
}

// --------------------------------------------------------------------------------------------------------------
// JSON: the contract in ARCHITECTURE.md (version 1). Fields beyond it (segment, related, end positions) are additive.

export function toJson(report: Report): string {
  const document = {
    version: 1,
    runs: report.logs
      .flatMap((log) => log.runs.map(({ run, findings }) => runJson(log.source, log.format, log.notes, run, findings, relatedJson)))
      .concat(notebookRunsJson(report.notebooks ?? [])),
    code: report.scripts.map((script) => {
      const lines = new LineIndex(script.text);
      return {
        file: script.file,
        findings: script.findings.map((f) => {
          const at = (offset: number) => lines.positionAt(offset);
          return codeFindingJson(f, at, relatedJson, (fix) => fixJson(fix, at));
        }),
      };
    }).concat(notebookCodeJson(report.notebooks ?? [])),
    skipped: report.skipped,
  };
  return JSON.stringify(document, null, 2);
}

function relatedJson(related: Related) {
  return { file: related.location.file, line: related.location.line, column: related.location.column ?? null, message: related.message };
}

// --------------------------------------------------------------------------------------------------------------
// Text: one line per finding, `file:line[:column]: severity [id] message`, clickable in terminals and editors.

export function toText(report: Report): string {
  const out: string[] = [];
  for (const log of report.logs) {
    for (const { run, findings } of log.runs) {
      const segment = log.runs.length > 1 ? ` (run ${run.segment + 1} of ${log.runs.length})` : '';
      const epochs = run.series.reduce((n, s) => Math.max(n, s.length), 0);
      out.push(`${log.source}${segment}: ${log.format}, ${epochs} points, ${run.series.map((s) => s.name).join(', ')}`);
      for (const note of log.notes) out.push(`  note: ${note}`);
      for (const f of findings) {
        out.push(`${log.source}:${f.line ?? 1}: ${f.severity} [${f.id}] ${f.message}`);
        for (const r of f.related) out.push(`  related: ${location(r)} ${r.message}`);
      }
    }
  }
  for (const script of report.scripts) {
    const lines = new LineIndex(script.text);
    for (const f of script.findings) {
      const at = lines.positionAt(f.start);
      out.push(`${script.file}:${at.line}:${at.column}: ${f.severity} [${f.id}] ${f.message}`);
      for (const r of f.related) out.push(`  related: ${location(r)} ${r.message}`);
      for (const fix of f.fixes) out.push(`  fix${fix.safe ? '' : ' (unsafe: changes training, apply with --unsafe)'}: ${fix.title}`);
    }
  }
  out.push(...notebookText(report.notebooks ?? []));
  if (report.skipped.length > 0) {
    out.push(`skipped ${report.skipped.length} file${report.skipped.length === 1 ? '' : 's'} that are not training logs in a format TrainDx reads`);
  }
  out.push(summary(report));
  return out.join('\n');
}

function location(related: Related): string {
  const { file, line, column } = related.location;
  return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

function summary(report: Report): string {
  const findings = allFindings(report);
  const notebooks = report.notebooks ?? [];
  const runs = report.logs.reduce((n, log) => n + log.runs.length, 0) + notebooks.reduce((n, nb) => n + nb.runs.length, 0);
  const scope = `${runs} run${runs === 1 ? '' : 's'}${notebooks.length > 0 ? ', ' : ' and '}${report.scripts.length} script${report.scripts.length === 1 ? '' : 's'}` +
    (notebooks.length > 0 ? ` and ${notebooks.length} notebook${notebooks.length === 1 ? '' : 's'}` : '');
  if (findings.length === 0) return `no problems found in ${scope}`;
  const counts = new Map<Severity, number>();
  for (const { finding } of findings) counts.set(finding.severity, (counts.get(finding.severity) ?? 0) + 1);
  const parts = [...counts].map(([severity, n]) => `${n} ${severity}${n === 1 || severity === 'info' ? '' : 's'}`);
  return `${findings.length} problem${findings.length === 1 ? '' : 's'} (${parts.join(', ')}) in ${scope}`;
}

// --------------------------------------------------------------------------------------------------------------
// SARIF 2.1.0, for code-scanning uploads in CI.

const SARIF_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export function toSarif(report: Report): string {
  const results = [
    ...report.logs.flatMap((log) =>
      log.runs.flatMap(({ findings }) => findings.map((f) => sarifResult(f.id, f.severity, f.message, log.source, { startLine: f.line ?? 1 }, f.related))),
    ),
    ...report.scripts.flatMap((script) => {
      const lines = new LineIndex(script.text);
      return script.findings.map((f) => {
        const start = lines.positionAt(f.start);
        const end = lines.positionAt(f.end);
        return sarifResult(f.id, f.severity, f.message, script.file, {
          startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column,
        }, f.related);
      });
    }),
    ...notebookSarif(report.notebooks ?? [], toUri),
  ];
  const ids = [...new Set(results.map((r) => r.ruleId))].sort();
  return JSON.stringify({
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [{
      tool: { driver: { name: 'traindx', rules: ids.map((id) => ({ id })) } },
      results,
    }],
  }, null, 2);
}

function sarifResult(ruleId: string, severity: Severity, text: string, file: string, region: Record<string, number>, related: readonly Related[]) {
  return {
    ruleId,
    level: SARIF_LEVEL[severity],
    message: { text },
    locations: [{ physicalLocation: { artifactLocation: { uri: toUri(file) }, region } }],
    relatedLocations: related.map((r, i) => ({
      id: i,
      message: { text: r.message },
      physicalLocation: { artifactLocation: { uri: toUri(r.location.file) }, region: { startLine: r.location.line } },
    })),
  };
}

function toUri(path: string): string {
  return path.split('\\').join('/').split('/').map(encodeURIComponent).join('/');
}
