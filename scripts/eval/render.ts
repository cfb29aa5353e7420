/**
 * Renders a run back to log text, so the harness can check that the same run read through a parser gives
 * the same findings. Keras `model.fit` verbose 2 is the format the engine reads today.
 */
import type { Run } from '../../src/engine/types';

/** Keras' progress bar prints `%.4f` above 1e-3 and `%.4e` below. */
function kerasNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return Math.abs(v) > 1e-3 ? v.toFixed(4) : v.toExponential(4).replace(/e([-+])(\d)$/, 'e$10$2');
}

/** Keras' own spelling of a canonical series name. */
function kerasName(name: string): string {
  return name === 'lr' ? 'learning_rate' : name;
}

/**
 * The run as Keras verbose-2 output, or undefined when it has no integer epochs (step-level runs are not
 * something Keras prints). Series missing at an epoch are left out of that epoch's line.
 */
export function renderKeras(run: Run): string | undefined {
  const byEpoch = new Map<number, string[]>();
  for (const s of run.series) {
    for (let i = 0; i < s.length; i++) {
      const e = s.epoch[i];
      if (!Number.isInteger(e)) return undefined;
      let parts = byEpoch.get(e);
      if (!parts) byEpoch.set(e, (parts = []));
      parts.push(`${kerasName(s.name)}: ${kerasNumber(s.value[i])}`);
    }
  }
  const epochs = [...byEpoch.keys()].sort((a, b) => a - b);
  if (epochs.length === 0 || epochs[0] < 1) return undefined;
  const total = run.totalEpochs ?? epochs[epochs.length - 1];
  const lines: string[] = [];
  for (const e of epochs) {
    lines.push(`Epoch ${e}/${total}`);
    lines.push(`98/98 - 3s - ${byEpoch.get(e)!.join(' - ')}`);
  }
  return lines.join('\n') + '\n';
}
