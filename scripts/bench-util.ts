// What the bench sections share: timing a function (best of `repeat`) and printing milliseconds.

/** Runs `fn` `repeat` times; the best time in ms and the last value. */
export function time<T>(fn: () => T, repeat = 1): { ms: number; value: T } {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    value = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: best, value };
}

/** `time` for an async function. */
export async function timeAsync<T>(fn: () => Promise<T>, repeat = 1): Promise<{ ms: number; value: T }> {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    value = await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: best, value };
}

export const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
