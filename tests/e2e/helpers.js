// Shared set-up for the page tests: the dist/ site on a local port and headless Chromium
// (Debian's, never a downloaded one) in a fresh profile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './server.js';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const DIST = path.join(ROOT, 'dist');
export const ARTIFACTS = path.join(HERE, 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Serves dist/ and starts Chromium. Returns {url, context, requests, close}. */
export async function start({ viewport = { width: 1400, height: 1000 }, deviceScaleFactor = 1 } = {}) {
  if (!fs.existsSync(path.join(DIST, 'metapool.html'))) {
    throw new Error('dist/ is missing: run ./build.sh dist first');
  }
  const requests = [];
  const { server, url } = await serve(DIST, 0, (u) => requests.push(u));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'metapool-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    deviceScaleFactor,
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // The page keeps the table in localStorage. Each new tab starts as a first visit (nothing
  // kept), as the tests expect; a reload in the same tab keeps it (sessionStorage marks the tab).
  await context.addInitScript(() => {
    try {
      if (!sessionStorage.getItem('e2e:tab')) {
        sessionStorage.setItem('e2e:tab', '1');
        localStorage.clear();
      }
    } catch { /* storage not available here */ }
  });
  return {
    url,
    context,
    requests,
    async close() {
      await context.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens a page and fails the test on any console error or uncaught exception. */
export async function open(context, url, { allowErrors = false } = {}) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.problems = problems;
  await page.goto(url);
  if (!allowErrors) page.on('close', () => {});
  return page;
}

/** Waits until the page has analysed something (a summary or an error is showing). */
export async function settled(page) {
  await page.waitForFunction(() => document.documentElement.classList.contains('ready')
    && (!document.getElementById('results').hidden || !document.getElementById('error-state').hidden
      || !document.getElementById('empty-state').hidden));
}

export async function shot(page, name, options = {}) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), ...options });
}

// ---- driving the page (shared by the test files) ----

/** Waits until the results show and the summary matches `re`; returns the summary. */
export async function waitSummary(page, re) {
  await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('summary').textContent)
    && !document.getElementById('results').hidden, re.source);
  return page.textContent('#summary');
}

/** Text of an element with no-break spaces as plain ones. */
export async function text(page, selector) {
  return (await page.textContent(selector)).replace(/\u00a0/g, ' ');
}

/** The body rows of a table as lists of cell texts (no-break spaces as plain ones). */
export function rows(page, selector) {
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.replace(/\u00a0/g, ' '))));
}

/** The header cells of a table's last header row. */
export function headers(page, selector) {
  return page.$$eval(`${selector} thead tr:last-child th`, (ths) => ths.map((t) => t.textContent));
}

/** Waits until the element with this id is shown. */
export const shown = (page, id) => page.waitForSelector(`#${id}:not([hidden])`);

/** Non-white pixels on a canvas. */
export function ink(page, id) {
  return page.evaluate((canvasId) => {
    const c = document.getElementById(canvasId);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] < 600) n++;
    return n;
  }, id);
}

/** The input of a grid cell (data rows and columns from 0). */
export function cell(page, row, col) {
  return page.locator(`#grid tbody input[data-row="${row}"][data-col="${col}"]`);
}

/** Pastes text into a grid cell as the browser does for Ctrl+V (a paste event with the text). */
export async function paste(page, row, col, data) {
  await page.evaluate(({ row, col, data }) => {
    const target = document.querySelector(`#grid tbody input[data-row="${row}"][data-col="${col}"]`);
    target.focus();
    const transfer = new DataTransfer();
    transfer.setData('text/plain', data);
    target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, { row, col, data });
}

/** Clicks a download button; returns the file's {name, bytes, body} (body: the bytes as text). */
export async function download(page, button) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  const chunks = [];
  for await (const c of await d.createReadStream()) chunks.push(c);
  const bytes = Buffer.concat(chunks);
  return { name: d.suggestedFilename(), bytes, body: bytes.toString() };
}

/** Encodes a document as the page does: base64url(deflate-raw(UTF-8 JSON)). */
export function encode(page, doc) {
  return page.evaluate(async (d) => {
    const json = new TextEncoder().encode(JSON.stringify(d));
    const stream = new Blob([json]).stream().pipeThrough(new CompressionStream('deflate-raw'));
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  }, doc);
}

/** The document inside a #doc= link. */
export function decode(page, link) {
  return page.evaluate(async (url) => {
    const b64 = url.split('#doc=')[1].replaceAll('-', '+').replaceAll('_', '/');
    const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return JSON.parse(await new Response(stream).text());
  }, link);
}

/** "Copy link", and the link it gives. */
export async function copyLink(page) {
  await page.click('#copy-link');
  await page.waitForSelector('#share-status:not([hidden])');
  return page.inputValue('#share-url');
}

/** Opens a page on the example `name` (chosen in the menu) once the first analysis is done. */
export async function openExample(context, url, name) {
  const page = await open(context, url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  if (name !== 'bcg') {
    await page.selectOption('#example', name);
    await page.waitForFunction(() => !/k = 13,/.test(document.getElementById('summary').textContent)
      && !document.getElementById('results').hidden);
  }
  return page;
}

// ---- large tables, long tasks, the worker (reliability tests) ----

/** A CSV of k studies (study, yi, vi) from a fixed pseudo-random sequence: the same every run. */
export function studiesCsv(k, { seed = 12345 } = {}) {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const lines = ['study,yi,vi'];
  for (let i = 1; i <= k; i++) lines.push(`S${i},${(next() - 0.5).toFixed(4)},${(0.01 + next() * 0.1).toFixed(4)}`);
  return lines.join('\n') + '\n';
}

/** Opens a CSV text as a file, as "Open CSV…" does. */
export async function openCsv(page, csv, name = 'studies.csv') {
  await page.setInputFiles('#file-input', { name, mimeType: 'text/csv', buffer: Buffer.from(csv) });
}

/** Starts recording the page's long tasks (main-thread tasks over 50 ms) afresh into window.longTasks. */
export function watchLongTasks(page) {
  return page.evaluate(() => {
    window.longTasks = [];
    window.longTaskObserver?.disconnect();
    window.longTaskObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longTasks.push(Math.round(e.duration));
    });
    window.longTaskObserver.observe({ type: 'longtask' });
  });
}

/**
 * Runs `fn` while Chromium traces the page, and returns the main thread's tasks as
 * {wall, cpu} in ms (wall clock, and the thread's own CPU time, which another program's load on
 * the machine does not stretch).
 */
export async function mainThreadTasks(page, fn) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents',
  });
  await fn();
  await cdp.send('Tracing.end');
  await done;
  await cdp.detach();
  // The page's main thread: the renderer's main thread that dispatched the input events.
  const mains = events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const main = mains.find((m) => events.some((x) => x.pid === m.pid && x.tid === m.tid && x.name === 'EventDispatch'));
  const tasks = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.name === 'RunTask')
    .map((e) => ({ wall: e.dur / 1000, cpu: (e.tdur ?? e.dur) / 1000 }));
  if (tasks.length === 0) throw new Error('the trace has no tasks of the page\'s main thread');
  return tasks;
}

/**
 * Waits until the newest analysis asked for is on the screen (nothing is pending). An edit asks
 * at the next animation frame, so this first lets a frame pass.
 */
export async function idle(page) {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
  await page.waitForFunction(() => !document.getElementById('computing').dataset.pending
    && document.getElementById('computing').hidden);
}

/**
 * A parent page on another origin (a second local server), with the calculator at
 * `calculatorUrl` in an iframe #f of `width` × `height` pixels: window.got collects what the
 * calculator posts (with `origins`, as {origin, data}), window.send(m) posts to it. `files` puts
 * more files beside parent.html.
 * Returns {url (the folder of parent.html, ending in /), close()}.
 */
export async function parentSite(calculatorUrl, { width = 1000, height = 700, files = {}, origins = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metapool-parent-'));
  fs.writeFileSync(path.join(dir, 'parent.html'), `<!doctype html><meta charset="utf-8">
<iframe id="f" src="${calculatorUrl}index.html" style="width:${width}px;height:${height}px"></iframe>
<script>
  window.got = [];
  addEventListener('message', (e) => {
    if (e.source === document.getElementById('f').contentWindow) window.got.push(${origins ? '{ origin: e.origin, data: e.data }' : 'e.data'});
  });
  window.send = (m) => document.getElementById('f').contentWindow.postMessage(m, '*');
</script>`);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const { server, url } = await serve(dir, 0);
  return {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
