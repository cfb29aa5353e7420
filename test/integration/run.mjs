#!/usr/bin/env node
// Runs the integration tests (out/integration/index.js, built by `npm run build`) in a real VS Code.
//
// Hosts (TRAINDX_TEST_HOST):
//   code-server (default)  offline: code-server (VS Code OSS server + web workbench, installed from npm by
//                          scripts/install-code-server.sh) driven by Debian's Chromium through playwright-core.
//                          After the Mocha suite, browser-level checks run on the still-open workbench.
//   electron               @vscode/test-electron: downloads VS Code desktop (needs the internet).
// The recipe is the design note TEST-HOST.md (verified on Node 20 / Debian 12).
//
// Environment:
//   TRAINDX_EXT_PATH           extension under development (default: repo root)
//   TRAINDX_TESTS_PATH         extensionTestsPath, without .js (default: out/integration/index)
//   TRAINDX_WORKSPACE          fixture workspace, copied to a temp dir first (default: test/fixtures/workspace)
//   TRAINDX_RESULTS            where the suite writes its results JSON (default: test-results/integration.json)
//   TRAINDX_TIMEOUT_MS         hard limit for the run once the host is installed (default: 300000)
//   TRAINDX_UPDATE_SCREENSHOT  1: also save the workbench screenshot to media/screenshot.png
//   TRAINDX_CHROMIUM           browser binary (default: /usr/bin/chromium)
//   TRAINDX_CODE_SERVER_DIR    code-server install (default: .vscode-test/code-server)
//   TRAINDX_KEEP_TMP           1: keep the temp dir (workspace copy, user data, logs)
//   TRAINDX_VERBOSE            1: echo the whole page console (workbench noise included)
//
// Prints exactly one final line `integration: N passed, M failed`; exits non-zero on any failure.
import { spawn, spawnSync } from 'node:child_process';
import { runWorkbenchChecks } from '../e2e/workbench-checks.mjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = process.env;
const host = env.TRAINDX_TEST_HOST || 'code-server';
const extPath = path.resolve(env.TRAINDX_EXT_PATH || root);
const testsPath = path.resolve(env.TRAINDX_TESTS_PATH || path.join(root, 'out/integration/index')).replace(/\.js$/, '');
const fixture = path.resolve(env.TRAINDX_WORKSPACE || path.join(root, 'test/fixtures/workspace'));
const resultsDir = path.join(root, 'test-results');
const resultsFile = path.resolve(env.TRAINDX_RESULTS || path.join(resultsDir, 'integration.json'));
const timeoutMs = Number(env.TRAINDX_TIMEOUT_MS || 300_000);
const chromiumPath = env.TRAINDX_CHROMIUM || '/usr/bin/chromium';
const verbose = env.TRAINDX_VERBOSE === '1';
const codeServerDir = env.TRAINDX_CODE_SERVER_DIR || path.join(root, '.vscode-test/code-server');
const codeServerEntry = path.join(codeServerDir, 'node_modules/code-server/out/node/entry.js');

const log = (msg) => console.log(`[integration] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Tests counted in the final line: the Mocha suite's (from the results file) plus the browser checks. */
const tally = { passed: 0, failed: 0, failures: [] };
function fail(title, error) {
  tally.failed++;
  tally.failures.push({ title, error: String(error) });
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup: whatever happens, code-server (its whole process group) and the browser go.
const cleanups = [];
let cleanedUp = false;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (e) {
      log(`cleanup: ${e.message}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, async () => {
    log(`${signal}: stopping`);
    await cleanup();
    process.exit(130);
  });
}

function finish() {
  if (tally.failures.length) {
    console.log('\nfailures:');
    tally.failures.forEach((f, i) => {
      console.log(`  ${i + 1}) ${f.title}`);
      console.log(`     ${String(f.error).split('\n').join('\n     ')}`);
    });
    console.log('');
  }
  console.log(`integration: ${tally.passed} passed, ${tally.failed} failed`);
  return tally.failed > 0 ? 1 : 0;
}

function readResults() {
  if (!fs.existsSync(resultsFile)) return undefined;
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  tally.passed += results.passed;
  tally.failed += results.failed;
  tally.failures.push(...results.failures);
  return results;
}

function checkInputs() {
  const problems = [];
  if (!fs.existsSync(`${testsPath}.js`)) problems.push(`no test bundle at ${testsPath}.js (run \`npm run build\` first)`);
  const manifest = path.join(extPath, 'package.json');
  if (!fs.existsSync(manifest)) problems.push(`no extension at ${extPath} (no package.json)`);
  else {
    const main = JSON.parse(fs.readFileSync(manifest, 'utf8')).main;
    if (main && !fs.existsSync(path.resolve(extPath, main)) && !fs.existsSync(path.resolve(extPath, `${main}.js`))) {
      problems.push(`the extension's main ${path.resolve(extPath, main)} does not exist (run \`npm run build\` first)`);
    }
  }
  if (!fs.existsSync(fixture)) problems.push(`no fixture workspace at ${fixture}`);
  return problems;
}

/** A fresh temp dir with a copy of the fixture workspace: tests may edit files, the fixture stays pristine. */
function makeTemp() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'traindx-integration-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(fixture, workspace, { recursive: true });
  if (env.TRAINDX_KEEP_TMP === '1') log(`temp dir (kept): ${tmp}`);
  else cleanups.unshift(() => fs.rmSync(tmp, { recursive: true, force: true })); // runs last
  return { tmp, workspace };
}

// ---------------------------------------------------------------------------------------------------------
async function runElectron() {
  const { tmp, workspace } = makeTemp();
  const { runTests } = await import('@vscode/test-electron');
  let exitCode;
  try {
    exitCode = await runTests({
      version: env.TRAINDX_VSCODE_VERSION || undefined,
      extensionDevelopmentPath: extPath,
      extensionTestsPath: testsPath,
      launchArgs: [workspace, '--disable-workspace-trust', '--disable-extensions', `--user-data-dir=${path.join(tmp, 'ud')}`],
      extensionTestsEnv: { TRAINDX_RESULTS: resultsFile },
    });
  } catch (e) {
    exitCode = e;
  }
  const results = readResults();
  if (!results) fail('integration suite (electron host)', `no results file was written; runTests: ${exitCode?.message ?? exitCode}`);
  else if (exitCode !== 0 && results.failed === 0) fail('integration suite (electron host)', `VS Code exited with ${exitCode?.message ?? exitCode}`);
  log('browser-level checks run only on the code-server host');
}

// ---------------------------------------------------------------------------------------------------------
async function runCodeServer() {
  // 1. The host (instant when already installed).
  const install = spawnSync('bash', [path.join(root, 'scripts/install-code-server.sh')], { stdio: 'inherit' });
  if (install.status !== 0) {
    fail('install code-server', `scripts/install-code-server.sh exited with ${install.status ?? install.signal}`);
    return;
  }
  const { chromium } = await import('playwright-core');
  if (!fs.existsSync(chromiumPath)) {
    fail('launch chromium', `no browser at ${chromiumPath} (apt-get install chromium, or set TRAINDX_CHROMIUM)`);
    return;
  }

  const started = Date.now();
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
  cleanups.push(() => clearTimeout(timer));

  const { tmp, workspace } = makeTemp();
  const holdFile = path.join(tmp, 'e2e-done');
  const userData = path.join(tmp, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User/settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
  }, null, 2));
  fs.writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\ncert: false\n');

  // 2. code-server, in its own process group so that its extension host and helpers die with it.
  fs.mkdirSync(resultsDir, { recursive: true });
  const serverLogPath = path.join(resultsDir, 'code-server.log');
  const serverLog = fs.createWriteStream(serverLogPath);
  const server = spawn(process.execPath, [
    codeServerEntry,
    '--config', path.join(tmp, 'config.yaml'),
    '--auth', 'none',
    '--bind-addr', '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', userData,
    '--extensions-dir', path.join(tmp, 'extensions'),
    workspace,
  ], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      // Inherited by the extension host: where the suite writes its results, and what it waits for.
      TRAINDX_RESULTS: resultsFile,
      TRAINDX_HOLD_UNTIL: holdFile,
      TRAINDX_HOLD_TIMEOUT_MS: String(timeoutMs),
      // code-server keeps logs and state under these; not in $HOME.
      XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
      XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
    },
  });
  let serverExited = false;
  const serverExit = new Promise((resolve) => server.on('exit', (code, signal) => {
    serverExited = true;
    resolve(`code-server exited (${code ?? signal})`);
  }));
  cleanups.push(async () => {
    if (serverExited) return;
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
    if (await Promise.race([serverExit.then(() => true), sleep(5000).then(() => false)])) return;
    try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  process.on('exit', () => { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } });

  const listening = new Promise((resolve) => {
    let buffered = '';
    const scan = (chunk) => {
      serverLog.write(chunk);
      buffered = (buffered + chunk.toString()).slice(-4096);
      const m = /HTTP server listening on (http:\/\/[^\s/]+)/.exec(buffered);
      if (m) resolve(m[1]);
    };
    server.stdout.on('data', scan);
    server.stderr.on('data', scan);
  });
  const serverLogTail = () => {
    try {
      return fs.readFileSync(serverLogPath, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  };
  const origin = await Promise.race([listening, serverExit, timeout, sleep(60_000).then(() => 'no "HTTP server listening" within 60 s')]);
  if (!origin.startsWith('http')) {
    fail('start code-server', `${origin === 'timeout' ? 'timed out' : origin}; log ${serverLogPath}:\n${serverLogTail()}`);
    return;
  }
  log(`code-server ${origin} (log: ${path.relative(root, serverLogPath)})`);

  // 3. Chromium on the workbench with the test payload.
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Our signal handlers close everything in order (Playwright's would exit before code-server is gone).
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    // Chromium keeps crash reports and caches under these; not in $HOME.
    env: { ...env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_CACHE_HOME: path.join(tmp, 'xdg-cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  cleanups.push(() => Promise.race([browser.close(), sleep(5000)]));
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

  let exitCode;
  const automationExit = new Promise((resolve) => {
    page.exposeFunction('codeAutomationExit', (code) => {
      exitCode = code;
      resolve(`extension host exited with code ${code}`);
    });
  });
  // Chained, so that the console keeps its order although formatting awaits the arguments.
  page.on('console', (msg) => { consoleDone = consoleDone.then(() => printConsole(msg)).catch(() => {}); });
  page.on('pageerror', (err) => verbose && console.log(`[page error] ${err.message}`));
  const pageClosed = new Promise((resolve) => {
    page.on('crash', () => resolve('the browser page crashed'));
    browser.on('disconnected', () => resolve('the browser disconnected'));
  });

  const remote = (p) => `vscode-remote://${new URL(origin).host}${p}`;
  const payload = [['extensionDevelopmentPath', remote(extPath)], ['extensionTestsPath', remote(testsPath)]];
  const url = `${origin}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  log(`opening the workbench on ${workspace}`);
  await page.goto(url);

  // 4. Wait for the suite: its results file (then the browser checks), or the extension host's exit.
  const resultsWritten = (async () => {
    while (!fs.existsSync(resultsFile)) await sleep(250);
    return 'results';
  })();
  const outcome = await Promise.race([resultsWritten, automationExit, serverExit, pageClosed, timeout]);
  if (outcome === 'timeout') {
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`\n[integration] TIMEOUT: the test suite did not finish within ${seconds} s (TRAINDX_TIMEOUT_MS=${timeoutMs}); `
      + 'a test or hook is probably hung. Screenshot: test-results/workbench.png');
    await screenshot(page, false).catch(() => {});
    const partial = readResults();
    if (!partial) fail('integration suite', `timed out after ${seconds} s`);
    return;
  }

  // Let Mocha's last lines (its summary, written after the results) reach the console first.
  await sleep(500);
  await consoleDone;
  const results = readResults();
  if (outcome === 'results') {
    await runWorkbenchChecks(page, { passed: () => tally.passed++, fail, resultsDir, root, updateScreenshot: env.TRAINDX_UPDATE_SCREENSHOT === '1' });
    fs.writeFileSync(holdFile, 'done\n');
    // The suite's run() resolves now and the extension host reports its exit code.
    await Promise.race([automationExit, sleep(30_000)]);
    if (exitCode === undefined) log('warning: no exit code from the workbench within 30 s');
    else if (exitCode !== 0 && results.failed === 0) fail('integration suite', `the extension host exited with code ${exitCode}`);
  } else if (!results) {
    fail('integration suite', `${outcome} before the suite wrote its results (see the output above; code-server log: ${serverLogPath})`);
  } else {
    fail('browser checks', `SKIPPED (counted as a failure): ${outcome} before they could run (TRAINDX_HOLD_UNTIL not honoured?)`);
  }
}

// Page console. The extension host's console (Mocha's spec reporter, our extension's logs) reaches the page
// through the workbench's log service, as `console.log('%c INFO', 'color: ...', format, ...args)`; that is
// printed formatted. Without TRAINDX_VERBOSE=1, the workbench's own chatter (start-up, offline network
// errors) is left out.
let consoleDone = Promise.resolve();
let lastPrinted;
const NOISE = new RegExp([
  'ENOTFOUND', 'ERR_NAME_NOT_RESOLVED', 'open-vsx', 'marketplace', 'telemetry', 'Failed to load resource',
  '^Resolv(ing|ed) connection token', '^Creating a socket', '^Updating additional builtin extensions cache',
  '^\\[Service Worker\\]', '^ChatSessionStore', 'service worker controller', 'allow-scripts and allow-same-origin',
  '^The web worker extension host', '^Overwriting extension', 'Long running operations',
].join('|'), 'i');

async function printConsole(msg) {
  let args;
  try {
    args = await Promise.all(msg.args().map((a) => a.jsonValue()));
  } catch {
    args = [];
  }
  if (args.length === 0) args = [msg.text()];
  const level = typeof args[0] === 'string' && /^%c\s*(TRACE|DEBUG|INFO|WARN|ERR)\s*$/.exec(args[0]);
  const text = level ? format(...args.slice(2)) : format(...args);
  if (verbose) {
    console.log(level ? `${level[1].padEnd(5)} ${text}` : text);
    return;
  }
  if (NOISE.test(text)) return;
  if (level) {
    if (level[1] === 'INFO') console.log(text);
    else if (level[1] === 'WARN' || level[1] === 'ERR') console.log(`[${level[1]}] ${text}`);
  } else if (msg.type() === 'error' && text !== lastPrinted) {
    console.log(`[workbench] ${text}`);
  }
  lastPrinted = text;
}

// ---------------------------------------------------------------------------------------------------------
let code = 1;
try {
  const problemsFound = checkInputs();
  if (problemsFound.length) {
    fail('integration prerequisites', problemsFound.join('\n'));
  } else {
    log(`host: ${host}; extension: ${extPath}; tests: ${testsPath}`);
    fs.rmSync(resultsFile, { force: true }); // never read a previous run's results
    if (host === 'electron') await runElectron();
    else if (host === 'code-server') await runCodeServer();
    else fail('integration host', `unknown TRAINDX_TEST_HOST=${host} (code-server or electron)`);
  }
} catch (e) {
  fail('integration runner', e?.stack ?? e);
} finally {
  await cleanup();
  code = finish();
}
process.exit(code);
