// Browser-level checks on the VS Code workbench the integration suite leaves open (code-server host, driven
// by Playwright in headless Chromium): what a user sees, checked in pixels and DOM rows. Each counts as a test.
import fs from 'node:fs';
import path from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the checks on `page`. `passed()` and `fail(title, error)` record each outcome in the runner's tally;
 * the screenshots go to `resultsDir/workbench.png` (dark) and `workbench-light.png`, and when asked to
 * `root/media/screenshot.png`, `screenshot-dark.png` and `screenshot-light.png`.
 */
export async function runWorkbenchChecks(page, { passed, fail, resultsDir, root, updateScreenshot }) {
  console.log('\n  browser checks (code-server host)');
  const check = async (title, body) => {
    try {
      const note = await body();
      passed();
      console.log(`    ✔ ${title}${note ? ` (${note})` : ''}`);
    } catch (e) {
      const message = e instanceof Skip ? `SKIPPED (counted as a failure): ${e.message}` : (e?.message ?? String(e)).split('\n')[0];
      console.log(`    ✖ ${title}: ${message}`);
      fail(`browser: ${title}`, e instanceof Skip ? message : (e?.stack ?? e));
    }
  };

  await check('the curve panel webview draws its chart on a canvas', () => curveCanvas(page));
  await check('the Problems view lists the collapse problem and its code rnn-no-grad-clip', () => problems(page));
  // The workbench starts in the browser's preferred scheme (light, headless); the theme check switches to the other.
  let first = 'light';
  await check('screenshot of the workbench', async () => {
    first = (await workbenchKind(page)) ?? first;
    await screenshot(page, resultsDir, 'workbench.png', updateScreenshot ? root : undefined, ['screenshot.png', `screenshot-${first}.png`]);
    return `${first} theme: test-results/workbench.png${updateScreenshot ? `, media/screenshot.png, media/screenshot-${first}.png` : ''}`;
  });
  await check('a theme change recolours the chart', async () => {
    const note = await themeRecolours(page);
    const now = (await workbenchKind(page)) ?? 'other';
    await screenshot(page, resultsDir, `workbench-${now}.png`, updateScreenshot ? root : undefined, [`screenshot-${now}.png`]);
    return `${note}; test-results/workbench-${now}.png${updateScreenshot ? `, media/screenshot-${now}.png` : ''}`;
  });
  await check('a click on the collapse marker reveals its log line and the linked script line', async () => {
    try {
      return await markerClick(page);
    } finally {
      await page.screenshot({ path: path.join(resultsDir, 'marker-click.png') }).catch(() => {});
    }
  });
  await check('the chart is redrawn for a high-contrast theme', async () => {
    const note = await highContrast(page);
    await screenshot(page, resultsDir, 'workbench-high-contrast.png');
    return `${note}; test-results/workbench-high-contrast.png`;
  });
  console.log('');
}

class Skip extends Error {}

async function curveCanvas(page) {
  // Webviews are an iframe (class "webview ready") holding the content iframe #active-frame.
  const webviews = page.locator('iframe.webview.ready');
  const deadline = Date.now() + 15_000;
  let best = { pixels: 0 };
  for (;;) {
    const count = await webviews.count();
    if (count === 0 && Date.now() > deadline) throw new Skip('no webview is open (the suite should leave the curve panel open)');
    for (let i = 0; i < count; i++) {
      const canvases = webviews.nth(i).contentFrame().locator('#active-frame').contentFrame().locator('canvas');
      const n = await canvases.count().catch(() => 0);
      for (let j = 0; j < n; j++) {
        const stats = await canvases.nth(j).evaluate(inkedPixels, undefined, { timeout: 5000 }).catch(() => undefined);
        if (stats && stats.pixels > best.pixels) best = stats;
      }
    }
    // A chart has axes, labels and at least one line: far more than 500 inked pixels.
    if (best.pixels > 500) return `${best.pixels} of ${best.width}x${best.height} pixels drawn`;
    if (Date.now() > deadline) {
      if (best.width === undefined) throw new Skip(`${count} webview(s) open, but none has a canvas`);
      throw new Error(`the canvas is blank: ${best.pixels} of ${best.width}x${best.height} pixels drawn`);
    }
    await sleep(500);
  }
}

/** In the page: how many pixels of the canvas are not transparent (copied first, so WebGL canvases work too). */
function inkedPixels(canvas) {
  const { width, height } = canvas;
  if (!width || !height) return { pixels: 0, width, height };
  const copy = document.createElement('canvas');
  copy.width = width;
  copy.height = height;
  const ctx = copy.getContext('2d');
  ctx.drawImage(canvas, 0, 0);
  const data = ctx.getImageData(0, 0, width, height).data;
  let pixels = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) pixels++;
  return { pixels, width, height };
}

async function problems(page) {
  const panel = page.locator('.markers-panel');
  // Focus the workbench, then the Problems view: its keybinding, or the command palette.
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 5 } }).catch(() => {});
  await page.keyboard.press('Control+Shift+M');
  let via = 'Ctrl+Shift+M';
  if (!(await panel.isVisible().catch(() => false))) {
    await panel.waitFor({ state: 'visible', timeout: 3000 }).catch(async () => {
      via = 'command palette';
      await page.keyboard.press('F1');
      await page.locator('.quick-input-widget input').fill('>Focus on Problems View');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Problems' }).first().waitFor({ timeout: 5000 });
      await page.keyboard.press('Enter');
    });
  }
  await panel.waitFor({ state: 'visible', timeout: 10_000 });
  const rows = panel.locator('.monaco-list-row');
  const collapse = rows.filter({ hasText: 'collapse' }).first();
  const code = rows.filter({ hasText: 'rnn-no-grad-clip' }).first();
  try {
    await collapse.waitFor({ state: 'visible', timeout: 15_000 });
  } catch {
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    if (texts.length === 0) throw new Skip('the Problems view is empty: no diagnostics were published');
    throw new Error(`no problem mentions "collapse"; rows: ${JSON.stringify(texts)}`);
  }
  await code.waitFor({ state: 'visible', timeout: 5000 }).catch(async () => {
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    throw new Error(`no problem shows the code "rnn-no-grad-clip"; rows: ${JSON.stringify(texts)}`);
  });
  return `opened with ${via}: "${(await collapse.innerText()).replace(/\s+/g, ' ').trim()}"`;
}

async function screenshot(page, resultsDir, name, root, copies) {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, name);
  // No hover tooltip over the tabs; the panel scrolled to the chart with the collapse marker.
  await page.mouse.move(150, 650);
  const accuracy = (await curvePanel(page).catch(() => undefined))?.locator('.chart-card[data-chart="accuracy"]');
  await accuracy?.scrollIntoViewIfNeeded({ timeout: 3000 }).catch(() => {});
  // The panel draws on the next frames after a change: let them land.
  await sleep(500);
  await page.screenshot({ path: file });
  if (root) {
    fs.mkdirSync(path.join(root, 'media'), { recursive: true });
    for (const copy of copies) fs.copyFileSync(file, path.join(root, 'media', copy));
  }
}

/** The curve panel's content frame (the webview whose page has chart cards). */
async function curvePanel(page) {
  const webviews = page.locator('iframe.webview.ready');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const count = await webviews.count();
    for (let i = 0; i < count; i++) {
      const frame = webviews.nth(i).contentFrame().locator('#active-frame').contentFrame();
      if ((await frame.locator('.chart-card').count().catch(() => 0)) > 0) return frame;
    }
    if (Date.now() > deadline) throw new Skip(`none of the ${count} webview(s) shows the curve panel`);
    await sleep(250);
  }
}

/** In the page: the opaque pixels' mean luminance (0-255) and how many distinct colours they use. */
function inkStats(canvas) {
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const ctx = copy.getContext('2d');
  ctx.drawImage(canvas, 0, 0);
  const data = ctx.getImageData(0, 0, copy.width, copy.height).data;
  let n = 0;
  let sum = 0;
  const colours = new Map();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] < 200) continue; // solid ink only: anti-aliased edges blend with whatever is behind
    n++;
    sum += 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
    const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    colours.set(key, (colours.get(key) ?? 0) + 1);
  }
  const top = [...colours.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c]) => `#${c.toString(16).padStart(6, '0')}`);
  return { pixels: n, luminance: n ? sum / n : 0, top, bodyClass: document.body.className };
}

/** Runs a command from the palette (F1), picking the entry whose label matches `label`. */
async function runCommand(page, label) {
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 5 } }).catch(() => {});
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill(`>${label}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: 5000 });
  await row.click();
}

/** 'light' or 'dark', from the workbench's theme class (`vs` or `vs-dark`); undefined for high contrast. */
async function workbenchKind(page) {
  const classes = (await page.locator('.monaco-workbench').first().getAttribute('class').catch(() => '')) ?? '';
  if (/\bhc-(black|light)\b/.test(classes)) return undefined;
  if (/\bvs-dark\b/.test(classes)) return 'dark';
  return /\bvs\b/.test(classes) ? 'light' : undefined;
}

/** Picks a colour theme by name through **Preferences: Color Theme**. */
async function pickTheme(page, target) {
  await runCommand(page, 'Preferences: Color Theme');
  // The palette gives way to the theme picker.
  const input = page.locator('.quick-input-widget input[placeholder*="Color Theme"]');
  await input.waitFor({ timeout: 5000 });
  await input.fill(target);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: target }).first();
  await row.waitFor({ timeout: 5000 }).catch(async () => {
    const rows = await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
    throw new Error(`no theme "${target}" in the picker: ${JSON.stringify(rows.slice(0, 10))}`);
  });
  await row.click();
}

/**
 * Switches to Dark High Contrast: the chart is redrawn for it, with ink at least as bright as on the dark theme and
 * solid grid lines (drawn faint on the other themes), so more of the chart is solid ink.
 */
async function highContrast(page) {
  const frame = await curvePanel(page);
  const canvas = frame.locator('.chart-card[data-chart="loss"] canvas');
  const before = await canvas.evaluate(inkStats);
  await pickTheme(page, 'Dark High Contrast');
  const deadline = Date.now() + 10_000;
  let after;
  for (;;) {
    after = await canvas.evaluate(inkStats).catch(() => undefined);
    if (after && after.bodyClass.includes('vscode-high-contrast') && after.pixels > before.pixels && after.top.join() !== before.top.join()) break;
    if (Date.now() > deadline) throw new Error(`the chart was not redrawn for high contrast: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    await sleep(250);
  }
  if (!/vscode-dark/.test(before.bodyClass) || after.luminance < before.luminance - 5) {
    throw new Error(`high-contrast ink luminance ${after.luminance.toFixed(0)} vs ${before.luminance.toFixed(0)} on ${before.bodyClass}`);
  }
  return `solid ink ${before.pixels} → ${after.pixels} pixels, luminance ${before.luminance.toFixed(0)} → ${after.luminance.toFixed(0)}, main colours ${after.top.join(' ')}`;
}

/** Switches the workbench to the other of Light Modern and Dark Modern and compares the loss chart's ink. */
async function themeRecolours(page) {
  const frame = await curvePanel(page);
  const canvas = frame.locator('.chart-card[data-chart="loss"] canvas');
  const before = await canvas.evaluate(inkStats);
  const fromLight = /vscode-light/.test(before.bodyClass);
  if (!fromLight && !/vscode-dark/.test(before.bodyClass)) throw new Error(`neither light nor dark: the webview's body is "${before.bodyClass}"`);
  const target = fromLight ? 'Dark Modern' : 'Light Modern';
  await pickTheme(page, target);
  const deadline = Date.now() + 10_000;
  let after;
  for (;;) {
    after = await canvas.evaluate(inkStats).catch(() => undefined);
    // The charts are rebuilt for the new theme: wait for the new one to be drawn.
    const drawn = after && after.pixels > before.pixels / 2;
    if (drawn && after.bodyClass.includes(fromLight ? 'vscode-dark' : 'vscode-light') && after.top.join() !== before.top.join()) break;
    if (Date.now() > deadline) {
      throw new Error(`the chart did not recolour: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    }
    await sleep(250);
  }
  // Dark themes draw light ink (labels, grid, lines) and light themes dark ink.
  const [dark, light] = fromLight ? [after, before] : [before, after];
  if (!(light.luminance < dark.luminance - 30)) {
    throw new Error(`ink luminance ${dark.luminance.toFixed(0)} (dark) vs ${light.luminance.toFixed(0)} (light): expected darker ink on the light theme`);
  }
  return `to ${target}: ink luminance ${before.luminance.toFixed(0)} → ${after.luminance.toFixed(0)}, main colours ${before.top.join(' ')} → ${after.top.join(' ')}`;
}

/**
 * In the page: where the label of the marker drawn in `colour` sits, in CSS pixels of the canvas: the
 * topmost band of pixels of exactly that colour (the label's solid box), its centre.
 */
function labelAt(canvas, colour) {
  const probe = document.createElement('canvas').getContext('2d');
  probe.fillStyle = colour;
  probe.fillRect(0, 0, 1, 1);
  const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const ctx = copy.getContext('2d');
  ctx.drawImage(canvas, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, copy.width, copy.height);
  const xs = [];
  let firstRow = -1;
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (data[i + 3] === 255 && data[i] === r && data[i + 1] === g && data[i + 2] === b) {
        row++;
        if (firstRow >= 0) xs.push(x);
      }
    }
    if (firstRow < 0 && row >= 8) firstRow = y - 1;
    if (firstRow >= 0 && y > firstRow + 8) break;
  }
  if (xs.length === 0) return undefined;
  const scale = canvas.width / canvas.clientWidth;
  const x = (Math.min(...xs) + Math.max(...xs)) / 2 / scale;
  return { x, y: (firstRow + 6) / scale };
}

/** Clicks the collapse marker's label on the accuracy chart; the script becomes the active editor at the linked line. */
async function markerClick(page) {
  const frame = await curvePanel(page);
  const finding = frame.locator('.finding-button', { hasText: 'collapse' }).first();
  const codeText = (await finding.locator('.finding-code').innerText({ timeout: 5000 })).trim(); // "→ train.py:69"
  const match = /→ (\S+):(\d+)$/.exec(codeText);
  if (!match) throw new Error(`the collapse finding names no script line: "${codeText}"`);
  const [, script, line] = match;
  const canvas = frame.locator('.chart-card[data-chart="accuracy"] canvas');
  const colour = await frame.locator('body').evaluate((body) => getComputedStyle(body).getPropertyValue('--vscode-charts-yellow').trim());
  const at = await canvas.evaluate(labelAt, colour);
  if (!at) throw new Error(`no marker label in ${colour} on the accuracy chart`);
  await canvas.click({ position: at });
  const status = page.locator('.statusbar-item', { hasText: new RegExp(`^Ln ${line}, Col \\d+`) });
  await status.first().waitFor({ state: 'visible', timeout: 10_000 }).catch(async () => {
    const items = (await page.locator('.statusbar-item').allInnerTexts()).filter((t) => /Ln \d+/.test(t));
    throw new Error(`the cursor is not on line ${line} after the click (status bar: ${JSON.stringify(items)})`);
  });
  const active = (await page.locator('.editor-group-container.active .tab.active').first().innerText()).trim();
  if (!active.startsWith(script)) throw new Error(`the active editor is "${active}", not ${script}`);
  const groups = await page.locator('.editor-group-container').count();
  const logOpen = await page.locator('.tab', { hasText: 'train.log' }).count();
  if (logOpen === 0) throw new Error('the log is not open');
  return `clicked at (${at.x.toFixed(0)}, ${at.y.toFixed(0)}): ${script} active at ${(await status.first().innerText()).trim()}, ${groups} editor groups`;
}

