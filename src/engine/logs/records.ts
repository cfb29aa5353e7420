/**
 * What the structured formats (CSV, JSON Lines, `trainer_state.json`) share: which keys are the x-axis,
 * which are bookkeeping rather than metrics, wall-clock keys, nested keys flattened to `a/b`, and
 * JSON as Python writes it (`NaN`, `Infinity`).
 */

/** The epoch column or key. */
export const EPOCH_KEY = 'epoch';

/** Step-like keys, most specific first: the first one a record has is its step. */
export const STEP_KEYS: readonly string[] = ['global_step', 'step', 'iteration', 'iter'];

/**
 * Keys (compared on their last `/` segment, lower-cased) that are bookkeeping, not training metrics:
 * clock readings and durations of the loop itself (detectron2 `time`, `data_time`; ultralytics `time`,
 * elapsed seconds), forecasts (`eta`), throughput and counters of work done (`*_per_second`,
 * `total_flos`, `num_input_tokens_seen`), and memory use. They describe the machine, not the model, and a
 * detector fed with them would report noise. Custom columns we do not know (`epoch_time_s`) stay series:
 * silence about a real curve costs more than one harmless extra series.
 */
const NOT_METRICS = new Set([
  'eta', 'eta_seconds', 'time', 'data_time', 'rank_data_time', 'iter_time', 'batch_time',
  'timestamp', '_timestamp', 'wall_time', 'walltime', 'runtime', '_runtime',
  'total_flos', 'num_input_tokens_seen', 'memory', 'max_mem', 'gpu_mem',
]);
const NOT_METRIC_SUFFIXES: readonly string[] = ['_runtime', '_per_second', '_per_sec'];

/** Keys whose value, when it is a plausible Unix time, is the point's wall-clock time. */
const WALL_TIME_KEYS = new Set(['timestamp', '_timestamp', 'wall_time', 'walltime']);

function lastSegment(key: string): string {
  const lower = key.trim().toLowerCase();
  const slash = lower.lastIndexOf('/');
  return slash === -1 ? lower : lower.slice(slash + 1);
}

/** Whether a key is the x-axis (`epoch` or a step key). */
export function isXKey(key: string): boolean {
  const lower = key.trim().toLowerCase();
  return lower === EPOCH_KEY || STEP_KEYS.includes(lower);
}

/** Whether a key names bookkeeping (time, throughput, memory) rather than a metric. */
export function isNotMetric(key: string): boolean {
  const last = lastSegment(key);
  return NOT_METRICS.has(last) || NOT_METRIC_SUFFIXES.some((s) => last.endsWith(s));
}

/** Whether a key may hold the wall-clock time of its record. */
export function isWallTimeKey(key: string): boolean {
  return WALL_TIME_KEYS.has(lastSegment(key));
}

/** Unix seconds from a timestamp in seconds or milliseconds; NaN when the value is not a plausible date (2001-2286). */
export function unixSeconds(value: number): number {
  if (value >= 1e9 && value < 1e10) return value;
  if (value >= 1e12 && value < 1e13) return value / 1000;
  return NaN;
}

/**
 * Flattens a JSON object into `[key, number]` pairs in key order, nested objects as `a/b`. Strings,
 * booleans, nulls and arrays are not metrics and are left out.
 */
export function flattenNumbers(object: Record<string, unknown>, prefix = '', out: [string, number][] = []): [string, number][] {
  for (const key of Object.keys(object)) {
    const value = object[key];
    const name = prefix ? `${prefix}/${key}` : key;
    if (typeof value === 'number') out.push([name, value]);
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) flattenNumbers(value as Record<string, unknown>, name, out);
  }
  return out;
}

// A string literal (skipped as is) or one of Python's non-standard number literals.
const PYTHON_LITERALS = /"(?:[^"\\]|\\.)*"|-?\b(?:NaN|Infinity)\b/g;
// A private-use character: JSON strings may not hold raw control characters.
const SENTINEL = '\uE000traindx-number:';

/**
 * Parses JSON as Python's `json.dumps` writes it: standard JSON plus the bare literals `NaN`,
 * `Infinity` and `-Infinity`, which a diverged run writes and `JSON.parse` refuses. Returns undefined
 * for text that is not JSON (a half-written record, a corrupt line).
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Maybe Python's NaN; else not JSON.
  }
  if (!text.includes('NaN') && !text.includes('Infinity')) return undefined;
  const patched = text.replace(PYTHON_LITERALS, (token) => (token.charCodeAt(0) === 34 ? token : `"${SENTINEL}${token}"`));
  try {
    return JSON.parse(patched, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(SENTINEL) ? Number(value.slice(SENTINEL.length)) : value);
  } catch {
    return undefined;
  }
}

/** Whether a value is a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `n thing` or `n things`. */
export function plural(n: number, thing: string): string {
  return `${n} ${thing}${n === 1 ? '' : 's'}`;
}
