import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root, from the bundled test in `out/unit/` or the source in `test/unit/`. */
export const ROOT = join(__dirname, '..', '..');

/** Reads a file under `test/fixtures/` as UTF-8 text. */
export function fixture(path: string): string {
  return readFileSync(join(ROOT, 'test', 'fixtures', path), 'utf8');
}
