// The GOSH plot on the page: "GOSH plot" under "More analyses" fits every subset of the studies in
// a worker of its own, with a progress bar and a Stop button; the plot is drawn from the binned
// density the worker sends, downloads as SVG and PNG, and travels in links. A long run can be
// stopped, is stopped by unticking the option, and never holds up an analysis.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  start, open, settled, shot, waitSummary, ink, download, decode, studiesCsv, openCsv, cell, idle, DIST, ARTIFACTS,
} from './helpers.js';

let s;
before(async () => { s = await start(); });
after(async () => { await s?.close(); });

/** Records every text of the GOSH status line, and the progress bar's value at each, in window.goshSeen. */
function watchProgress(page) {
  return page.evaluate(() => {
    window.goshSeen = [];
    const status = document.getElementById('gosh-status');
    const bar = document.getElementById('gosh-progress');
    new MutationObserver(() => window.goshSeen.push({ text: status.textContent, value: bar.value, max: bar.max }))
      .observe(status, { childList: true, characterData: true, subtree: true });
  });
}

/** The GOSH status line's text. */
const status = (page) => page.textContent('#gosh-status');

/** Waits until the GOSH status line matches `re`. */
function waitStatus(page, re, timeout = 60_000) {
  return page.waitForFunction((source) => new RegExp(source).test(document.getElementById('gosh-status').textContent),
    re.source, { timeout });
}

/** Counts the page's workers, and those that have ended. */
function countWorkers(page) {
  const counter = { started: 0, closed: 0 };
  page.on('worker', (w) => {
    counter.started++;
    w.on('close', () => { counter.closed++; });
  });
  return counter;
}

test('BCG: the GOSH plot of all 8,191 subsets, with its progress, downloads and link', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  // Off by default; the option says how many fits it will make.
  assert.equal(await page.isChecked('#gosh'), false);
  assert.equal(await page.isHidden('#gosh-section'), true);
  assert.equal(await page.textContent('#gosh-count'), '(2¹³ − 1 = 8,191 fits)');
  await watchProgress(page);
  await page.check('#gosh');
  await page.waitForSelector('#gosh-section:not([hidden])');
  await waitStatus(page, /^All 8,191 subsets fitted in \d/);
  const seen = await page.evaluate(() => window.goshSeen);
  // The bar went up step by step to the end.
  const fitting = seen.filter((x) => x.text.startsWith('Fitting:'));
  assert.ok(fitting.some((x) => x.value > 0 && x.value < 8191), JSON.stringify(seen));
  assert.ok(fitting.every((x, i) => x.max === 8191 && x.value > 0 && x.value <= 8191 && (i === 0 || x.value > fitting[i - 1].value)),
    JSON.stringify(fitting));
  assert.deepEqual(await page.$eval('#gosh-progress', (b) => [b.value, b.max]), [8191, 8191]);
  assert.equal(await page.isHidden('#gosh-cancel'), true);
  // The note names the model and how I² is computed.
  const note = await page.textContent('#gosh-method');
  assert.match(note, /All 2¹³ − 1 = 8,191 subsets of the 13 studies are each fitted with this analysis’ model, the random-effects model with τ² by REML/);
  assert.match(note, /metafor’s gosh\(\)/);
  assert.match(note, /I² from τ²/);
  // The plot, and a link to it among the further analyses.
  await page.waitForSelector('#gosh-figure:not([hidden])');
  assert.ok(await ink(page, 'gosh-canvas') > 5000, 'the GOSH plot has ink');
  assert.match(await page.textContent('#section-links'), /GOSH plot/);
  await page.$eval('#gosh-section', (e) => e.scrollIntoView());
  await shot(page, 'gosh-bcg', { fullPage: false });
  await page.locator('#gosh-section').screenshot({ path: path.join(ARTIFACTS, 'gosh-section.png') });

  // Downloads: the same plot as SVG (from the density: no fit on the page) and as PNG.
  const svg = await download(page, '#gosh-svg');
  assert.equal(svg.name, 'gosh.svg');
  assert.match(svg.body, /^<svg/);
  assert.match(svg.body, /REML fits of all 8191 subsets of the 13 studies/);
  assert.match(svg.body, /Effect \(yi\)/);
  const png = await download(page, '#gosh-png');
  assert.equal(png.name, 'gosh.png');
  assert.deepEqual([...png.bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');

  // DL: a new run (the method changed); the note says I² comes from Q.
  await page.selectOption('#method', 'DL');
  await waitSummary(page, /random-effects DL/);
  await waitStatus(page, /^All 8,191 subsets fitted/);
  assert.match(await page.textContent('#gosh-method'), /I² from Q, as metafor’s gosh\(\) computes it for FE and DL/);
  const dl = await download(page, '#gosh-svg');
  assert.match(dl.body, /DL fits of all 8191 subsets/);

  // The option travels in the link and comes back ticked, with its plot.
  await page.click('#copy-link');
  await page.waitForSelector('#share-status:not([hidden])');
  const link = await page.inputValue('#share-url');
  assert.equal((await decode(page, link)).options.gosh, true);
  const other = await open(s.context, link);
  await settled(other);
  await waitSummary(other, /random-effects DL, k = 13/);
  assert.equal(await other.isChecked('#gosh'), true);
  await waitStatus(other, /^All 8,191 subsets fitted/);
  assert.ok(await ink(other, 'gosh-canvas') > 5000);
  assert.deepEqual(other.problems, []);
  await other.close();

  // Unticking hides it; an edit that leaves the studies as they are does not fit again.
  await page.uncheck('#gosh');
  await page.waitForSelector('#gosh-section', { state: 'hidden' });
  assert.doesNotMatch(await page.textContent('#section-links'), /GOSH/);
  await page.check('#gosh');
  await waitStatus(page, /^All 8,191 subsets fitted/);
  await watchProgress(page);
  await page.fill('#level', '0.9');
  await waitSummary(page, /90% CI/);
  await idle(page);
  assert.deepEqual(await page.evaluate(() => window.goshSeen), [], 'no new run for the same studies and method');
  // Nor does a passing error: the finished plot comes back with the studies.
  await cell(page, 0, 1).fill('abc');
  await page.waitForSelector('#error-state:not([hidden])');
  await cell(page, 0, 1).fill('-0.889311');
  await waitSummary(page, /90% CI/);
  await idle(page);
  assert.equal(await page.isVisible('#gosh-figure'), true);
  assert.deepEqual(await page.evaluate(() => window.goshSeen), [], 'the same plot');
  assert.ok(await ink(page, 'gosh-canvas') > 5000);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a long run (k = 300: 10⁶ random subsets) can be stopped, and unticking ends its worker', async () => {
  const page = await open(s.context, s.url);
  const workers = countWorkers(page);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await openCsv(page, studiesCsv(20));
  await waitSummary(page, /k = 20/);
  assert.equal(await page.textContent('#gosh-count'), '(2²⁰ − 1 = 1,048,575 fits)');
  await openCsv(page, studiesCsv(300));
  await waitSummary(page, /k = 300/);
  assert.equal(await page.textContent('#gosh-count'), '(1,000,000 sampled subsets)');
  assert.equal(workers.started, 1, 'only the analyses\' worker so far');
  await page.check('#gosh');
  await waitStatus(page, /^Fitting: [\d,]+ of 1,000,000 subsets/);
  // The option loads the full core: the analyses' worker starts afresh with it, and the GOSH
  // plot has a worker of its own.
  assert.equal(workers.started, 3, 'the analyses\' worker again, with the full core, and the GOSH worker');
  assert.match(await page.textContent('#gosh-method'),
    /^1,000,000 random subsets of the 300 studies \(each study in a subset with probability ½, drawn from a fixed seed: the same plot every time\) are each fitted/);
  assert.equal(await page.isVisible('#gosh-cancel'), true);
  await waitStatus(page, /left$/);
  await page.locator('#gosh-section').screenshot({ path: path.join(ARTIFACTS, 'gosh-running.png') });
  await shot(page, 'gosh-controls', { clip: { x: 0, y: 0, width: 700, height: 1000 } });
  await page.click('#gosh-cancel');
  await waitStatus(page, /^Stopped after [\d,]+ of 1,000,000 subsets\.$/);
  await page.locator('#gosh-section').screenshot({ path: path.join(ARTIFACTS, 'gosh-stopped.png') });
  const stopped = await status(page);
  const value = await page.$eval('#gosh-progress', (b) => b.value);
  assert.ok(value > 0 && value < 1_000_000);
  assert.equal(await page.isHidden('#gosh-figure'), true);
  assert.equal(await page.isVisible('#gosh-restart'), true);
  // Nothing more comes from the stopped run.
  await page.waitForTimeout(800);
  assert.equal(await status(page), stopped);
  assert.equal(await page.$eval('#gosh-progress', (b) => b.value), value);
  // "Fit again" starts over; unticking the option stops it and ends the GOSH worker.
  await page.click('#gosh-restart');
  await waitStatus(page, /^Fitting:/);
  await page.uncheck('#gosh');
  await page.waitForSelector('#gosh-section', { state: 'hidden' });
  for (let i = 0; i < 50 && workers.closed < 2; i++) await page.waitForTimeout(100);
  assert.equal(workers.closed, 2, 'the GOSH worker has ended (and the first core\'s analyses worker before it)');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('analyses go on while GOSH fits: an edit is analysed at once; new studies start a new run', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await openCsv(page, studiesCsv(300));
  await waitSummary(page, /k = 300/);
  await page.check('#gosh');
  await waitStatus(page, /^Fitting: [\d,]+ of 1,000,000/);
  await page.waitForTimeout(500);
  // An option that leaves the studies alone: analysed while the same run goes on.
  const before = await page.$eval('#gosh-progress', (b) => b.value);
  await page.fill('#level', '0.9');
  await waitSummary(page, /90% CI/);
  assert.match(await status(page), /^Fitting:/, 'the run is still under way');
  assert.ok(await page.$eval('#gosh-progress', (b) => b.value) >= before, 'the same run, not a new one');
  // A changed effect: analysed at once, and the run starts again on the new studies.
  await page.waitForTimeout(300);
  const reached = await page.$eval('#gosh-progress', (b) => b.value);
  await cell(page, 0, 1).fill('0.9');
  await waitSummary(page, /90% CI/);
  await idle(page);
  assert.match(await status(page), /^(Starting…|Fitting:)/, 'a run under way when the analysis is shown');
  await page.waitForFunction((v) => document.getElementById('gosh-progress').value < v, reached);
  assert.ok(await page.$eval('#gosh-progress', (b) => b.value) < reached, 'started again');
  // An analysis that fails stops it and hides the section; fixing the data starts it again.
  await cell(page, 0, 1).fill('abc');
  await page.waitForSelector('#error-state:not([hidden])');
  assert.equal(await page.isHidden('#gosh-section'), true);
  await cell(page, 0, 1).fill('0.5');
  await waitSummary(page, /k = 300/);
  await waitStatus(page, /^Fitting:/);
  await page.uncheck('#gosh');
  assert.deepEqual(page.problems, []);
  await page.close();
});

/**
 * Serves www/worker.js with a prelude that makes the core's GoshRun.step panic at the first step
 * of the first GOSH run in the workers started `generations` (counted from 0; the first two
 * run the analyses, with the first core and then the full one, the GOSH workers come after).
 * Returns the count of workers started.
 */
async function panickyGosh(page, generations) {
  const started = { n: 0 };
  await page.route('**/www/worker.js', async (route) => {
    const response = await route.fetch();
    const prelude = `
      const generation = ${started.n++};
      const instantiate = WebAssembly.instantiate;
      WebAssembly.instantiate = async (...a) => {
        const instance = await instantiate(...a);
        if (!(instance instanceof WebAssembly.Instance)) return instance;
        const exports = { ...instance.exports };
        const step = exports.goshrun_step;
        exports.goshrun_step = (...args) => {
          if (!self.panicNow) return step(...args);
          self.panicNow = false;
          self.metapoolPanic = 'panicked at crate/src/gosh.rs: simulated bug';
          throw new WebAssembly.RuntimeError('unreachable');
        };
        return Object.create(WebAssembly.Instance.prototype, { exports: { value: exports } });
      };
      self.addEventListener('message', (e) => {
        if (e.data?.type === 'gosh' && ${JSON.stringify(generations)}.includes(generation) && !self.panicked) {
          self.panicked = true;
          self.panicNow = true;
        }
      });
    `;
    await route.fulfill({ response, body: prelude + await response.text() });
  });
  return started;
}

test('a panic while fitting: reported, a fresh GOSH worker fits again; twice in a row: an error', async () => {
  const page = await s.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  // Workers: 0 the analyses' (first core), 1 the analyses' again (the GOSH option loads the full
  // core), then the GOSH workers.
  const started = await panickyGosh(page, [2, 4, 5]);
  await page.goto(s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await page.check('#gosh');
  await page.waitForSelector('#fatal:not([hidden])');
  assert.match(await page.textContent('#fatal-text'), /internal error and was restarted \(panicked at crate\/src\/gosh\.rs: simulated bug\)/);
  await waitStatus(page, /^All 8,191 subsets fitted/);
  assert.ok(await ink(page, 'gosh-canvas') > 5000);
  assert.equal(started.n, 4, 'a fresh GOSH worker');
  // The analyses' worker was not touched.
  await page.selectOption('#method', 'DL');
  await waitSummary(page, /random-effects DL/);
  assert.equal(started.n, 4);
  // Unticked and ticked: a new GOSH worker, which panics, and so does the next: the run's error.
  await page.click('#fatal-close');
  await page.uncheck('#gosh');
  await page.check('#gosh');
  await waitStatus(page, /^The GOSH plot could not be computed: internal error: panicked at crate\/src\/gosh\.rs: simulated bug\.$/);
  assert.equal(await page.isHidden('#gosh-figure'), true);
  assert.equal(started.n, 6);
  await waitSummary(page, /random-effects DL/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('where no worker can start, GOSH fits on the page in short chunks', async () => {
  const page = await s.context.newPage();
  await page.route('**/www/worker.js', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto(s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.engine), 'page');
  await page.selectOption('#method', 'DL');
  await waitSummary(page, /random-effects DL/);
  await page.check('#gosh');
  await waitStatus(page, /^All 8,191 subsets fitted/);
  assert.ok(await ink(page, 'gosh-canvas') > 5000);
  await page.close();
});

test('the single file (file://) fits and draws the GOSH plot in its blob: worker', async () => {
  const file = pathToFileURL(path.join(DIST, 'metapool.html')).href;
  const page = await s.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  const workers = countWorkers(page);
  await page.goto(file);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await page.check('#gosh');
  await waitStatus(page, /^All 8,191 subsets fitted/);
  assert.ok(await ink(page, 'gosh-canvas') > 5000);
  assert.equal(workers.started, 2, 'the analyses\' worker and the GOSH worker');
  const svg = await download(page, '#gosh-svg');
  assert.match(svg.body, /REML fits of all 8191 subsets/);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.engine), 'worker');
  assert.deepEqual(problems, []);
  await page.close();
});
