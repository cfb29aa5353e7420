import type { CurveFinding, Run } from '../types';
import { anchorAt, pointLabel } from './detector';
import { median } from './stats';

/** Intervals needed before a run's rhythm is known. */
const MIN_INTERVALS = 4;
/** Silence this many times the usual interval counts as stalled... */
const STALL_FACTOR = 10;
/** ...and never less than this, so a fast logger pausing to evaluate is not a stall. */
const MIN_SILENCE_MS = 5 * 60_000;

/**
 * `stalled` (live runs only): the run stopped writing for much longer than its usual interval.
 * `arrivals` are the times (ms) at which the log was seen to gain points while it was being watched,
 * `now` the current time: the engine keeps no clock. A run that reached its announced last epoch has
 * finished, not stalled.
 */
export function detectStalled(run: Run, arrivals: readonly number[], now: number): CurveFinding | undefined {
  if (arrivals.length < MIN_INTERVALS + 1) return undefined;
  const intervals = arrivals.slice(1).map((t, i) => t - arrivals[i]).filter((d) => d > 0);
  if (intervals.length < MIN_INTERVALS) return undefined;
  const usual = median(intervals);
  const silence = now - arrivals[arrivals.length - 1];
  if (silence < Math.max(STALL_FACTOR * usual, MIN_SILENCE_MS)) return undefined;

  const series = run.series.reduce<Run['series'][number] | undefined>((longest, s) => (!longest || s.length > longest.length ? s : longest), undefined);
  if (!series || series.length === 0) return undefined;
  const last = series.length - 1;
  if (run.totalEpochs !== undefined && series.epoch[last] >= run.totalEpochs) return undefined;

  return {
    kind: 'curve',
    id: 'stalled',
    severity: 'info',
    message:
      `no new metrics for ${duration(silence)}, while the run usually logs every ${duration(usual)} ` +
      `(last: ${pointLabel(series, last)}${run.totalEpochs !== undefined ? ` of ${run.totalEpochs}` : ''}); ` +
      'the process may have hung, crashed or been stopped.',
    metric: series.name,
    ...anchorAt(series, last),
    evidence: [{ series: series.name, startIndex: last, endIndex: last }],
    related: [],
  };
}

function duration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 1) return `${Math.round(ms / 1000)} s`;
  if (minutes < 90) return `${minutes < 10 ? minutes.toFixed(1) : Math.round(minutes)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}
