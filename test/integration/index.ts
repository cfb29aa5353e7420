// Entry point of the integration suite inside the VS Code extension host: the module named by
// `extensionTestsPath`, for both hosts (@vscode/test-electron and code-server, see run.mjs). The contract
// is `run(): Promise<void>`: resolve when every test passed, reject otherwise.
//
// This file is bundled into one file by esbuild (scripts/build.mjs; `vscode` and `mocha` stay external),
// so Mocha cannot load test files from disk. Instead each suite is a module that calls `describe`/`it`
// at import time: `pre-require` puts Mocha's BDD globals on globalThis, then the suite modules are
// imported. esbuild turns each `import()` below into a lazily evaluated module of the bundle, so they run
// only after the globals exist, in the order listed.
import Mocha from 'mocha';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The suites, in order. Add new suite files here. */
const SUITES: readonly Suite[] = [
  { name: 'smoke.test', load: () => import('./smoke.test') },
  { name: 'extension.test', load: () => import('./extension.test') },
  { name: 'notebook.test', load: () => import('./notebook.test') },
  { name: 'shell-link.test', load: () => import('./shell-link.test') },
];

export interface Suite {
  readonly name: string;
  readonly load: () => Promise<unknown>;
}

/** What the runner (run.mjs) reads back, from the file named by TRAINDX_RESULTS. */
export interface Results {
  passed: number;
  failed: number;
  failures: { title: string; error: string }[];
}

export function run(): Promise<void> {
  return runSuites(SUITES);
}

export async function runSuites(suites: readonly Suite[]): Promise<void> {
  // TRAINDX_GREP runs only the tests whose full title matches (while working on one test).
  const grep = process.env.TRAINDX_GREP || undefined;
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', grep });
  for (const suite of suites) {
    // Define describe/it/before/... globally for this "file", as Mocha's own loader does.
    mocha.suite.emit('pre-require', globalThis, suite.name, mocha);
    mocha.suite.emit('require', await suite.load(), suite.name, mocha);
    mocha.suite.emit('post-require', globalThis, suite.name, mocha);
  }

  const results: Results = { passed: 0, failed: 0, failures: [] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', () => { results.passed++; });
    runner.on('fail', (test: Mocha.Runnable, err: unknown) => {
      results.failed++;
      results.failures.push({ title: test.fullTitle(), error: describeError(err) });
    });
  });

  const resultsFile = process.env.TRAINDX_RESULTS;
  if (resultsFile) {
    fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
    // Write then rename, so the runner never reads a half-written file.
    fs.writeFileSync(`${resultsFile}.tmp`, JSON.stringify(results, null, 2));
    fs.renameSync(`${resultsFile}.tmp`, resultsFile);
  }

  // On the code-server host, the runner does browser-level checks on the open workbench after the suite.
  // Returning ends the extension host (and with it our diagnostics and webviews), so wait until the
  // runner says it is done.
  const holdUntil = process.env.TRAINDX_HOLD_UNTIL;
  if (holdUntil) await waitForFile(holdUntil, Number(process.env.TRAINDX_HOLD_TIMEOUT_MS ?? 120_000));

  if (results.failed > 0) throw new Error(`${results.failed} integration test(s) failed`);
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) {
      console.error(`[traindx] gave up waiting for ${file} after ${timeoutMs} ms`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
