// Runs every check in order: lint, type-check, build, unit tests, integration tests (a real VS Code).
// Each check's output streams through; the last line totals them: `N passed, M failed`.
// A check with no test count (lint, type-check, build) counts as one test.
import { spawn } from 'node:child_process';

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const stages = [
  { name: 'lint', command: npx, args: ['eslint', '.'] },
  { name: 'type-check', command: npx, args: ['tsc', '-p', '.'] },
  { name: 'type-check webview', command: npx, args: ['tsc', '-p', 'webview'] },
  { name: 'build', command: process.execPath, args: ['scripts/build.mjs'] },
  { name: 'unit', command: process.execPath, args: ['--require', './scripts/fc-seed.cjs', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', '--test-reporter-destination=out/unit-results.tap', 'out/unit/'], counts: 'tap' },
  { name: 'integration', command: process.execPath, args: ['test/integration/run.mjs'], counts: 'summary' },
];

function run(stage) {
  return new Promise((resolve) => {
    const child = spawn(stage.command, stage.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const tee = (stream, target) => stream.on('data', (chunk) => {
      output += chunk;
      target.write(chunk);
    });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on('error', (error) => resolve({ code: 1, output: String(error) }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

let passed = 0;
let failed = 0;
const failures = [];
for (const stage of stages) {
  console.log(`\n=== ${stage.name} ===`);
  const { code, output } = await run(stage);
  let counts;
  if (stage.counts === 'tap') {
    const { readFileSync } = await import('node:fs');
    let tap = '';
    try { tap = readFileSync('out/unit-results.tap', 'utf8'); } catch { /* no report: counted below */ }
    const pass = /^# pass (\d+)$/m.exec(tap);
    const fail = /^# fail (\d+)$/m.exec(tap);
    if (pass && fail) counts = { passed: Number(pass[1]), failed: Number(fail[1]) };
  } else if (stage.counts === 'summary') {
    const match = /(\d+) passed, (\d+) failed\s*$/m.exec(output.trimEnd().split('\n').filter((l) => /passed, \d+ failed/.test(l)).pop() ?? '');
    if (match) counts = { passed: Number(match[1]), failed: Number(match[2]) };
  }
  if (!counts) counts = code === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
  // A runner that failed without reporting a failing test still fails the run.
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  passed += counts.passed;
  failed += counts.failed;
  if (counts.failed > 0) failures.push(stage.name);
  // Without a build there is nothing to test.
  if (stage.name === 'build' && code !== 0) break;
}

console.log(`\n${failures.length > 0 ? `failed: ${failures.join(', ')}\n` : ''}${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
