/**
 * A Jupyter notebook analysed like a training project: each code cell's stream output is a log whose runs
 * go through the curve detectors, the code cells together are a script that goes through the code rules,
 * and the two are linked (a collapse in a cell's output points at the GRU trained without clipping in
 * another cell, and back). Every position is given per cell: code findings and fixes as offsets into their
 * cell's source, curve findings as 1-based lines of their cell's output.
 */

import { analyzeCode, type AnalyzeCodeOptions } from '../code/index';
import type { PythonParser } from '../code/python';
import { detectCurves, type DetectOptions } from '../curves';
import { linkRunToScript } from '../link/link';
import { LineIndex } from '../text';
import type { CodeFinding, CurveFinding, Fix, Location, Related, Run } from '../types';
import { parseNotebook, type Notebook, type NotebookCell } from './ipynb';
import { cellRuns } from './outputs';
import { buildNotebookScript, cellAt, type NotebookScript } from './script';

export { parseNotebook, CELL_KINDS, type CellKind, type Notebook, type NotebookCell, type NotebookParse, type StreamChunk } from './ipynb';
export { cellOutputText, cellRuns, type CellOutputText, type CellRun } from './outputs';
export { blankMagics, buildNotebookScript, cellAt, type CellSpan, type NotebookScript } from './script';
export { trainingLine } from './anchor';

/**
 * A related location inside the notebook: `cell` (0-based) says which cell, `output` whether the line is a
 * line of that cell's output rather than of its source. Locations in other files have no `cell`.
 */
export interface CellRelated extends Related {
  readonly cell?: number;
  readonly output?: boolean;
}

/** A fix whose edits all lie in one cell, as offsets into that cell's source. */
export interface CellFix extends Fix {
  readonly cell: number;
}

/** A code finding on a cell: `start`/`end` are offsets into the cell's source. */
export interface CellCodeFinding extends Omit<CodeFinding, 'related' | 'fixes'> {
  readonly cell: number;
  readonly related: readonly CellRelated[];
  readonly fixes: readonly CellFix[];
}

/** A curve finding on a cell's output: `line` is a 1-based line of that output. */
export interface CellCurveFinding extends Omit<CurveFinding, 'related'> {
  readonly related: readonly CellRelated[];
}

export interface CellRunAnalysis {
  /** 0-based index of the cell whose output holds the run. */
  readonly cell: number;
  readonly format: string;
  readonly run: Run;
  readonly findings: CellCurveFinding[];
}

export type NotebookAnalysis =
  | {
      readonly ok: true;
      readonly file: string;
      readonly notebook: Notebook;
      readonly runs: CellRunAnalysis[];
      /** Code findings in document order; empty when no parser was given or the kernel is not Python. */
      readonly code: CellCodeFinding[];
      readonly notes: string[];
    }
  | { readonly ok: false; readonly file: string; readonly reason: string };

export interface NotebookOptions extends DetectOptions, AnalyzeCodeOptions {}

/**
 * Analyses the text of an `.ipynb` file named `file`. Without a parser only the outputs are analysed.
 * A file that is not a readable notebook gives `ok: false` with the reason, never an exception.
 */
export function analyzeNotebook(
  text: string,
  file: string,
  parser: PythonParser | undefined,
  options: NotebookOptions = {},
): NotebookAnalysis {
  const parsed = parseNotebook(text);
  if (!parsed.ok) return { ok: false, file, reason: parsed.reason };
  return analyzeNotebookModel(parsed.notebook, file, parser, options);
}

/**
 * {@link analyzeNotebook} over a notebook already in memory (the editor's notebook document): the same
 * analysis, without the JSON.
 */
export function analyzeNotebookModel(
  notebook: Notebook,
  file: string,
  parser: PythonParser | undefined,
  options: NotebookOptions = {},
): NotebookAnalysis & { ok: true } {
  const notes: string[] = [];
  const runs: CellRunAnalysis[] = [];
  for (const cell of notebook.cells) {
    const found = cellRuns(cell, file);
    for (const note of found.notes) notes.push(`cell ${cell.index + 1}: ${note}`);
    for (const { run, format } of found.runs) {
      runs.push({ cell: cell.index, format, run, findings: detectCurves(run, { ignore: options.ignore }) });
    }
  }
  if (!parser || notebook.language !== 'python' || !notebook.cells.some((c) => c.kind === 'code')) {
    return { ok: true, file, notebook, runs, code: [], notes };
  }
  const script = buildNotebookScript(parser, notebook.cells);
  let findings = analyzeCode(parser, script.text, file, { ignore: options.ignore });
  // Link each run's curve findings with the code findings that explain them, through a name for the output.
  for (const run of runs) {
    const linked = linkRunToScript({ file: outputName(file, run.cell), findings: run.findings }, { file, text: script.text, findings });
    findings = linked.code;
    run.findings.splice(0, run.findings.length, ...linked.curve);
  }
  const mapper = new CellMapper(script, notebook.cells, file);
  for (const run of runs) {
    run.findings.splice(0, run.findings.length, ...run.findings.map((f) => ({ ...f, related: f.related.map((r) => mapper.related(r)) })));
  }
  return { ok: true, file, notebook, runs, code: cellFindings(script, notebook.cells, file, findings), notes };
}

/**
 * Code findings over the virtual script of `file` as findings on cells, in the same order. A finding that
 * spans two cells is dropped, and so is a fix whose edits are not all in one cell.
 */
export function cellFindings(script: NotebookScript, cells: readonly NotebookCell[], file: string, findings: readonly CodeFinding[]): CellCodeFinding[] {
  const mapper = new CellMapper(script, cells, file);
  return findings.map((f) => mapper.finding(f)).filter((f): f is CellCodeFinding => f !== undefined);
}

/**
 * The name a cell's output goes by while curve and code findings are linked: a file next to the notebook, so
 * that messages naming the linked log relative to the script read `cell 5 output`.
 */
function outputName(file: string, cell: number): string {
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return `${file.slice(0, slash + 1)}cell ${cell + 1} output`;
}

const OUTPUT_NAME = /cell (\d+) output$/;

/** `line N` after `(` or `, `: how rule messages refer to a line of the analysed file. */
const SCRIPT_LINE = /(\(|, )line (\d+)\b/g;

/** Turns positions in the virtual script (and output names) into positions in cells. */
class CellMapper {
  private readonly scriptLines: LineIndex;
  private readonly cellLines = new Map<number, LineIndex>();

  constructor(
    private readonly script: NotebookScript,
    private readonly cells: readonly NotebookCell[],
    private readonly file: string,
  ) {
    this.scriptLines = new LineIndex(script.text);
  }

  /** The finding on its cell, or undefined when it spans two cells. Fixes that span two cells are dropped. */
  finding(f: CodeFinding): CellCodeFinding | undefined {
    const start = cellAt(this.script, f.start);
    const end = cellAt(this.script, f.end);
    if (!start || !end || start.span !== end.span) return undefined;
    const fixes: CellFix[] = [];
    for (const fix of f.fixes) {
      const mapped = this.fix(fix);
      if (mapped) fixes.push(mapped);
    }
    return {
      kind: 'code',
      id: f.id,
      severity: f.severity,
      message: this.message(f.message, start.span.cell),
      cell: start.span.cell,
      start: start.offset,
      end: end.offset,
      related: f.related.map((r) => this.related(r)),
      fixes,
    };
  }

  private fix(fix: Fix): CellFix | undefined {
    let cell: number | undefined;
    const edits = [];
    for (const edit of fix.edits) {
      const start = cellAt(this.script, edit.start);
      const end = cellAt(this.script, edit.end);
      if (!start || !end || start.span !== end.span || (cell !== undefined && cell !== start.span.cell)) return undefined;
      cell = start.span.cell;
      edits.push({ start: start.offset, end: end.offset, newText: edit.newText });
    }
    return cell === undefined ? undefined : { title: fix.title, safe: fix.safe, edits, cell };
  }

  /** A related location in the script or in a cell's output, given per cell; other files unchanged. */
  related(r: Related): CellRelated {
    const { location } = r;
    const named = OUTPUT_NAME.exec(location.file);
    if (named) {
      const cell = Number(named[1]) - 1;
      if (location.file === outputName(this.file, cell)) {
        return { message: r.message, cell, output: true, location: { file: this.file, line: location.line } };
      }
    }
    if (location.file !== this.file) return r;
    const start = this.toCell(location.line, location.column ?? 1);
    if (!start) return { ...r, message: this.message(r.message, undefined) };
    const lines = this.linesOf(start.cell);
    const at = lines.positionAt(start.offset);
    const mapped: { -readonly [K in keyof Location]: Location[K] } = { file: this.file, line: at.line, column: at.column };
    if (location.endLine !== undefined) {
      const end = this.toCell(location.endLine, location.endColumn ?? 1);
      if (end && end.cell === start.cell) {
        const endAt = lines.positionAt(end.offset);
        mapped.endLine = endAt.line;
        mapped.endColumn = endAt.column;
      }
    }
    return { message: this.message(r.message, undefined), cell: start.cell, location: mapped };
  }

  /**
   * Rules name other lines of the script in their messages (`(\`nn.GRU\`, line 8)`): those become lines of
   * their cell, with the cell named when it is not `own`.
   */
  message(text: string, own: number | undefined): string {
    return text.replace(SCRIPT_LINE, (whole, before: string, line: string) => {
      const at = this.toCell(Number(line), 1);
      if (!at) return whole;
      const cellLine = this.linesOf(at.cell).positionAt(at.offset).line;
      return `${before}${at.cell === own ? '' : `cell ${at.cell + 1}, `}line ${cellLine}`;
    });
  }

  private toCell(line: number, column: number): { cell: number; offset: number } | undefined {
    const found = cellAt(this.script, this.scriptLines.offsetOfLine(line) + column - 1);
    return found && { cell: found.span.cell, offset: found.offset };
  }

  private linesOf(cell: number): LineIndex {
    let lines = this.cellLines.get(cell);
    if (!lines) {
      lines = new LineIndex(this.cells[cell].source);
      this.cellLines.set(cell, lines);
    }
    return lines;
  }
}
