import { RunBuilder } from '../../src/engine/logs/series-builder';
import type { Run } from '../../src/engine/types';

/** Columns that are x or bookkeeping, not metrics. */
const NOT_METRICS = new Set(['epoch', 'step', 'time', 'epoch_time_s', 'final f1 score']);

/**
 * A run from a metrics CSV (Keras CSVLogger, ultralytics results.csv, Lightning metrics.csv, hand-written
 * per-epoch CSVs): the `epoch` column (and `step` when present) gives x, every other numeric cell a point.
 * Empty cells are no point (Lightning writes train and validation rows separately). Line n + 1 for row n.
 */
export function csvRun(text: string, source: string): Run {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',').map((h) => h.trim());
  const epochCol = header.findIndex((h) => h.toLowerCase() === 'epoch');
  const stepCol = header.findIndex((h) => h.toLowerCase() === 'step');
  const builder = new RunBuilder(source, 'csv', 0);
  lines.slice(1).forEach((line, r) => {
    const cells = line.split(',');
    const epoch = epochCol >= 0 && cells[epochCol].trim() !== '' ? Number(cells[epochCol]) : NaN;
    const step = stepCol >= 0 && cells[stepCol].trim() !== '' ? Number(cells[stepCol]) : NaN;
    header.forEach((name, c) => {
      if (NOT_METRICS.has(name.toLowerCase()) || cells[c] === undefined || cells[c].trim() === '') return;
      const lower = cells[c].trim().toLowerCase();
      const value = lower === 'nan' ? NaN : lower === 'inf' ? Infinity : Number(cells[c]);
      if (lower !== 'nan' && Number.isNaN(value)) return;
      builder.add(name, epoch, step, value, r + 2);
    });
  });
  return builder.snapshot([]);
}
