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
