/**
 * How the CLI prints notebooks. Cells are numbered from 1 in document order, markdown cells included (the
 * position Jupyter and VS Code show a cell at; not the `In [n]` execution count, which changes on every run
 * and is missing for cells never run). Lines are 1-based within the cell's source, or within the cell's
 * output (`cell 5 output, line 27`) for curve findings, with `\r` progress updates drawn over each other as
 * Jupyter shows them.
 */

import type { CellCodeFinding, CellRelated } from '../engine/notebook/index';
import { LineIndex } from '../engine/text';
import type { Severity } from '../engine/types';
import type { NotebookReport } from '../node/notebook-analysis';
import { codeFindingJson, fixJson, runJson } from './run-json';

/** Every finding of the notebooks, for counts and the exit code. */
export function notebookFindings(notebooks: readonly NotebookReport[]) {
  return notebooks.flatMap((nb) => [
    ...nb.runs.flatMap((run) => run.findings.map((finding) => ({ file: nb.file, finding }))),
    ...nb.code.map((finding) => ({ file: nb.file, finding })),
  ]);
}

/** Lines and columns of cell sources, computed once per cell. */
class CellLines {
  private readonly cache = new Map<number, LineIndex>();
  constructor(private readonly nb: NotebookReport) {}
  at(cell: number, offset: number) {
    let lines = this.cache.get(cell);
    if (!lines) {
      lines = new LineIndex(this.nb.notebook.cells[cell].source);
      this.cache.set(cell, lines);
    }
    return lines.positionAt(offset);
  }
}

// --------------------------------------------------------------------------------------------------------------
// Text: `notebook.ipynb cell 3, line 12: warning [id] message` for code, `cell 5 output, line 27` for curves.

function relatedText(r: CellRelated): string {
  const { file, line, column } = r.location;
  if (r.cell === undefined) return `${file}:${line}${column === undefined ? '' : `:${column}`}`;
  return `${file} cell ${r.cell + 1}${r.output ? ' output' : ''}, line ${line}`;
}

export function notebookText(notebooks: readonly NotebookReport[]): string[] {
  const out: string[] = [];
  for (const nb of notebooks) {
    const lines = new CellLines(nb);
    for (const note of nb.notes) out.push(`${nb.file}: note: ${note}`);
    for (const cell of nb.notebook.cells) {
      for (const f of nb.code.filter((c) => c.cell === cell.index)) {
        const at = lines.at(f.cell, f.start);
        out.push(`${nb.file} cell ${f.cell + 1}, line ${at.line}: ${f.severity} [${f.id}] ${f.message}`);
        for (const r of f.related) out.push(`  related: ${relatedText(r)} ${r.message}`);
        for (const fix of f.fixes) {
          const where = fix.cell === f.cell ? '' : ` in cell ${fix.cell + 1}`;
          out.push(`  fix${where}${fix.safe ? '' : ' (unsafe: changes training)'}: ${fix.title}`);
        }
      }
      const runs = nb.runs.filter((r) => r.cell === cell.index);
      for (const { run, format, findings } of runs) {
        const segment = runs.length > 1 ? ` (run ${run.segment + 1} of ${runs.length})` : '';
        const points = run.series.reduce((n, s) => Math.max(n, s.length), 0);
        out.push(`${nb.file} cell ${cell.index + 1} output${segment}: ${format}, ${points} points, ${run.series.map((s) => s.name).join(', ')}`);
        for (const f of findings) {
          out.push(`${nb.file} cell ${cell.index + 1} output, line ${f.line ?? 1}: ${f.severity} [${f.id}] ${f.message}`);
          for (const r of f.related) out.push(`  related: ${relatedText(r)} ${r.message}`);
        }
      }
    }
  }
  return out;
}

// --------------------------------------------------------------------------------------------------------------
// JSON: the entries of `runs` and `code` in the version-1 document, with `cell` (1-based) next to `line`.

function relatedJson(r: CellRelated) {
  return {
    file: r.location.file,
    ...(r.cell === undefined ? {} : { cell: r.cell + 1, output: r.output ?? false }),
    line: r.location.line,
    column: r.location.column ?? null,
    message: r.message,
  };
}

export function notebookRunsJson(notebooks: readonly NotebookReport[]) {
  return notebooks.flatMap((nb) =>
    nb.runs.map(({ cell, format, run, findings }) => runJson(nb.file, format, nb.notes, run, findings, relatedJson, cell + 1)),
  );
}

export function notebookCodeJson(notebooks: readonly NotebookReport[]) {
  return notebooks.map((nb) => {
    const lines = new CellLines(nb);
    return {
      file: nb.file,
      findings: nb.code.map((f: CellCodeFinding) =>
        codeFindingJson(f, (offset) => lines.at(f.cell, offset), relatedJson, (fix) => fixJson(fix, (offset) => lines.at(fix.cell, offset), fix.cell + 1), f.cell + 1),
      ),
    };
  });
}

// --------------------------------------------------------------------------------------------------------------
// SARIF has no cells: the region's lines are the cell's, and `properties` say which cell (1-based).

const SARIF_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export function notebookSarif(notebooks: readonly NotebookReport[], toUri: (path: string) => string) {
  const result = (id: string, severity: Severity, text: string, file: string, cell: number, output: boolean, region: Record<string, number>) => ({
    ruleId: id,
    level: SARIF_LEVEL[severity],
    message: { text: `cell ${cell + 1}${output ? ' output' : ''}: ${text}` },
    locations: [{ physicalLocation: { artifactLocation: { uri: toUri(file) }, region } }],
    properties: { cell: cell + 1, output },
  });
  return notebooks.flatMap((nb) => {
    const lines = new CellLines(nb);
    return [
      ...nb.code.map((f) => {
        const start = lines.at(f.cell, f.start);
        const end = lines.at(f.cell, f.end);
        return result(f.id, f.severity, f.message, nb.file, f.cell, false, { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column });
      }),
      ...nb.runs.flatMap((run) => run.findings.map((f) => result(f.id, f.severity, f.message, nb.file, run.cell, true, { startLine: f.line ?? 1 }))),
    ];
  });
}
