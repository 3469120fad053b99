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
