import type { CodeFinding, CurveFinding, Fix, Related, Run } from '../engine/types';

/** A number as JSON can hold it: NaN and the infinities become the strings `NaN`, `Infinity`, `-Infinity`. */
export function jsonNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/**
 * One run of the JSON document (ARCHITECTURE.md, version 1), for a log or for a notebook cell's output: a
 * notebook run carries the 1-based `cell` beside its source and beside each finding's line.
 */
export function runJson<R extends Related>(
  source: string,
  format: string,
  notes: readonly string[],
  run: Run,
  findings: readonly (CurveFinding & { readonly related: readonly R[] })[],
  related: (r: R) => object,
  cell?: number,
) {
  const at = cell === undefined ? {} : { cell };
  return {
    source,
    ...at,
    format,
    segment: run.segment,
    notes,
    series: run.series.map((s) => ({ name: s.name, split: s.split, points: s.length, last: s.length > 0 ? jsonNumber(s.value[s.length - 1]) : null })),
    findings: findings.map((f) => ({
      id: f.id,
      severity: f.severity,
      metric: f.metric,
      epoch: f.epoch,
      step: f.step,
      ...at,
      line: f.line,
      message: f.message,
      related: f.related.map(related),
    })),
  };
}

type At = (offset: number) => { line: number; column: number };

/** One fix of the JSON document: its edits as 1-based line/column ranges (`at` turns offsets into them). */
export function fixJson(fix: Fix, at: At, cell?: number) {
  return {
    title: fix.title,
    safe: fix.safe,
    ...(cell === undefined ? {} : { cell }),
    edits: fix.edits.map((edit) => {
      const start = at(edit.start);
      const end = at(edit.end);
      return { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column, newText: edit.newText };
    }),
  };
}

/**
 * One code finding of the JSON document, for a script or a notebook cell (`cell`, 1-based, beside its line); a
 * notebook fix may edit another cell than its finding's, so each fix brings its own place.
 */
export function codeFindingJson<R extends Related, F extends Fix>(
  f: CodeFinding & { readonly related: readonly R[]; readonly fixes: readonly F[] },
  at: At,
  related: (r: R) => object,
  fix: (fix: F) => object,
  cell?: number,
) {
  const start = at(f.start);
  const end = at(f.end);
  return {
    id: f.id,
    severity: f.severity,
    ...(cell === undefined ? {} : { cell }),
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    message: f.message,
    related: f.related.map(related),
    fixes: f.fixes.map(fix),
  };
}
