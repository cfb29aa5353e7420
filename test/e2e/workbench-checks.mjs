// Browser-level checks on the VS Code workbench the integration suite leaves open (code-server host, driven
// by Playwright in headless Chromium): what a user sees, checked in pixels and DOM rows. Each counts as a test.
import fs from 'node:fs';
import path from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the checks on `page`. `passed()` and `fail(title, error)` record each outcome in the runner's tally;
 * the screenshot goes to `resultsDir/workbench.png`, and to `root/media/screenshot.png` when asked.
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
  await check('screenshot of the workbench', async () => {
    await screenshot(page, resultsDir, updateScreenshot ? root : undefined);
    return updateScreenshot ? 'test-results/workbench.png, media/screenshot.png' : 'test-results/workbench.png';
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

async function screenshot(page, resultsDir, root) {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, 'workbench.png');
  await page.screenshot({ path: file });
  if (root) {
    fs.mkdirSync(path.join(root, 'media'), { recursive: true });
    fs.copyFileSync(file, path.join(root, 'media/screenshot.png'));
  }
}

