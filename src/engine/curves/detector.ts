import type { CurveFinding, Run, Series } from '../types';

/** What every detector sees: the run, and helpers to find its series. */
export interface DetectorContext {
  readonly run: Run;
  series(name: string): Series | undefined;
}

/** One curve pathology. `id` is the finding id; `docs` the documentation page under `docs/`. */
export interface Detector {
  readonly id: string;
  readonly docs: string;
  detect(context: DetectorContext): CurveFinding[];
}

/** The x-position of a point as users read it: the epoch when the log has epochs, else the step. */
export function pointLabel(series: Series, index: number): string {
  const epoch = series.epoch[index];
  if (Number.isFinite(epoch)) return `epoch ${formatX(epoch)}`;
  const step = series.step[index];
  return Number.isFinite(step) ? `step ${formatX(step)}` : `point ${index + 1}`;
}

function formatX(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** Formats a metric value compactly for messages: 0.99, 0.016, 84.2, 1.2e-05. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs < 1e-3 || abs >= 1e5) return value.toExponential(1);
  return String(Number(value.toPrecision(abs < 1 ? 2 : 3)));
}

/** The finding's anchor fields (epoch, step, line) for point `index` of a series. */
export function anchorAt(series: Series, index: number): Pick<CurveFinding, 'epoch' | 'step' | 'line'> {
  const epoch = series.epoch[index];
  const step = series.step[index];
  return {
    epoch: Number.isFinite(epoch) ? epoch : null,
    step: Number.isFinite(step) ? step : null,
    line: series.line[index] > 0 ? series.line[index] : null,
  };
}
