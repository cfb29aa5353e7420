import type { CurveFinding, Related, Run } from '../engine/types';

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
