import type { Detector } from '../../src/engine/curves';
import { RunBuilder } from '../../src/engine/logs/series-builder';
import type { CurveFinding, Run } from '../../src/engine/types';

/** A run with one point per epoch (1-based) for each named series; `undefined` is no point; epoch n is on line n + 1. */
export function epochRun(series: Record<string, readonly (number | undefined)[]>): Run {
  const builder = new RunBuilder('synthetic.log', 'test', 0);
  const n = Math.max(...Object.values(series).map((v) => v.length));
  for (let i = 0; i < n; i++) {
    for (const [name, values] of Object.entries(series)) {
      const v = values[i];
      if (v !== undefined) builder.add(name, i + 1, NaN, v, i + 2);
    }
  }
  return builder.snapshot([]);
}

/** A step-level run without epochs: point i is step (i + 1) × stride, on line i + 2. */
export function stepRun(series: Record<string, readonly (number | undefined)[]>, stride = 10): Run {
  const builder = new RunBuilder('synthetic.log', 'test', 0);
  const n = Math.max(...Object.values(series).map((v) => v.length));
  for (let i = 0; i < n; i++) {
    for (const [name, values] of Object.entries(series)) {
      const v = values[i];
      if (v !== undefined) builder.add(name, NaN, (i + 1) * stride, v, i + 2);
    }
  }
  return builder.snapshot([]);
}

/** Runs one detector over a run, as `detectCurves` would. */
export function detectWith(detector: Detector, run: Run): CurveFinding[] {
  const byName = new Map(run.series.map((s) => [s.name, s]));
  return detector.detect({ run, series: (name) => byName.get(name) });
}

/** Deterministic noise in [-amp, amp) (mulberry32 with a fixed seed): tests must give the same numbers every run. */
export function jitter(n: number, amp: number, seed = 1): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1) * amp;
  });
}

/** A curve decaying from `from` towards `to` with time constant `tau`, with relative noise `noise`. */
export function decaying(n: number, from: number, to: number, tau: number, noise = 0, seed = 1): number[] {
  const e = jitter(n, noise, seed);
  return Array.from({ length: n }, (_, i) => (to + (from - to) * Math.exp(-i / tau)) * (1 + e[i]));
}

/** A curve rising from `from` towards `to` with time constant `tau`, with absolute noise `noise`. */
export function rising(n: number, from: number, to: number, tau: number, noise = 0, seed = 2): number[] {
  const e = jitter(n, noise, seed);
  return Array.from({ length: n }, (_, i) => to + (from - to) * Math.exp(-i / tau) + e[i]);
}
