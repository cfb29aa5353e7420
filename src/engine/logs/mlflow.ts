import type { Run } from '../types';
import { RunBuilder } from './series-builder';

/**
 * The MLflow file store (`mlruns/<experiment>/<run>/metrics/<key>`): one file per metric key, one line
 * per logged value, `timestamp value step` (timestamp in milliseconds; stores older than MLflow 1.0
 * write `timestamp value` with no step). Keys containing `/` are nested folders under `metrics/`; the
 * caller passes them joined with `/`.
 *
 * A point's `line` is its 1-based line number inside its own metric file.
 */

export const MLFLOW_FORMAT = 'mlflow';

export interface MlflowOptions {
  /**
   * Whether the files are complete. A live store may be read while MLflow appends: a last line without
   * its newline is then left for the next read. With `final`, such a line is read when it has all three
   * fields.
   */
  readonly final?: boolean;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** MLflow writes Python's `repr(float)`: `nan`, `inf`, `-inf` appear in real stores. */
function parseValue(text: string): number | undefined {
  if (NUMBER.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  return undefined;
}

/**
 * Builds the run of one MLflow run folder from its metric files (`key` → file text). Series come in
 * key order; malformed lines are skipped and counted in the run's notes. `source` names the run folder.
 */
export function parseMlflowMetrics(
  source: string,
  files: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  options: MlflowOptions = {},
): Run {
  const entries = files instanceof Map ? [...files] : Object.entries(files);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const run = new RunBuilder(source, MLFLOW_FORMAT, 0);
  const notes: string[] = [];
  for (const [key, text] of entries) {
    let bad = 0;
    let firstBad = 0;
    const lines = text.split('\n');
    // After a final newline `split` leaves an empty string; without one, the last line may be half written.
    const unterminated = lines.pop() ?? '';
    if (options.final && unterminated.trim() !== '') lines.push(unterminated);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      const fields = line.split(/\s+/);
      const isUnterminatedLast = options.final === true && i === lines.length - 1 && unterminated.trim() !== '';
      const timestamp = fields.length >= 2 ? parseValue(fields[0]) : undefined;
      const value = fields.length >= 2 ? parseValue(fields[1]) : undefined;
      const step = fields.length === 3 ? parseValue(fields[2]) : fields.length === 2 && !isUnterminatedLast ? 0 : undefined;
      if (timestamp === undefined || !Number.isFinite(timestamp) || value === undefined || step === undefined || !Number.isFinite(step) || fields.length > 3) {
        if (bad++ === 0) firstBad = i + 1;
        continue;
      }
      run.add(key, NaN, step, value, i + 1, timestamp / 1000);
    }
    if (bad > 0) notes.push(`metrics/${key}: skipped ${bad} malformed line${bad === 1 ? '' : 's'} (first at line ${firstBad})`);
  }
  return run.snapshot(notes);
}
