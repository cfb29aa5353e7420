import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { shellRuns } from '../engine/link/shell-runs';

/** Shell scripts bigger than this are not launch scripts. */
const MAX_SHELL_BYTES = 256 * 1024;

/**
 * The logs that shell scripts write with their training commands (`python train.py > logs/train.log`), as
 * absolute log path → absolute script path. Paths in a command are taken relative to the shell script's own
 * folder, where such scripts are usually run. A log two commands write from different scripts is left out:
 * which one wrote it is not clear.
 */
export async function shellLinks(shells: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, Set<string>>();
  for (const shell of shells) {
    let text: string;
    try {
      if ((await stat(shell)).size > MAX_SHELL_BYTES) continue;
      text = await readFile(shell, 'utf8');
    } catch {
      continue; // unreadable: no links from it
    }
    const folder = dirname(resolve(shell));
    for (const run of shellRuns(text)) {
      const log = resolve(folder, run.log);
      found.set(log, (found.get(log) ?? new Set()).add(resolve(folder, run.script)));
    }
  }
  const links = new Map<string, string>();
  for (const [log, scripts] of found) if (scripts.size === 1) links.set(log, [...scripts][0]);
  return links;
}
