import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunBuilder } from '../../src/engine/logs/series-builder';
import type { Run } from '../../src/engine/types';
import { csvRun } from './csv-run';
import { ROOT } from './fixtures';

/**
 * A run logged `perEpoch` times an epoch (seed 001 evaluates 4 times an epoch): point i is step i + 1 at
 * epoch (i + 1) / perEpoch, on line i + 2.
 */
export function phasedRun(series: Record<string, readonly number[]>, perEpoch: number): Run {
  const builder = new RunBuilder('synthetic.log', 'test', 0);
  for (const [name, values] of Object.entries(series)) values.forEach((value, i) => builder.add(name, (i + 1) / perEpoch, i + 1, value, i + 2));
  return builder.snapshot([]);
}

/** A run read from a CSV under test/fixtures/<folder>/ (named `source` when given). */
export function csvFixture(folder: string, file: string, source = file): Run {
  return csvRun(readFileSync(join(ROOT, 'test', 'fixtures', folder, file), 'utf8'), source);
}
