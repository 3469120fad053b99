// The calculator page as a person uses it: served from dist/ over http, in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, open, settled, shot, waitSummary, ink, cell, paste } from './helpers.js';

let s;
before(async () => { s = await start(); });
after(async () => { await s?.close(); });

test('opens with the BCG example analysed and says so in one sentence', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  const text = await waitSummary(page, /Pooled estimate/);
  assert.match(text, /^Pooled estimate −0\.71 \(95% CI −1\.07 to −0\.36\), random-effects REML, k = 13, p < 0\.001\./);
  assert.match(text, /τ² = 0\.313, I² = 92\.2%/);
  // The results table names each row's method; numbers use the Unicode minus.
  const table = await page.textContent('#results-table');
  assert.match(table, /−0\.7145/);
  assert.match(table, /Q-profile/);
  assert.match(table, /Cochran's Q, df = 12/);
  assert.equal(await page.locator('#studies-table tbody tr').count(), 13);
  // Column roles as detected by the core.
  const roles = await page.$$eval('#grid select.role', (els) => els.map((e) => e.options[e.selectedIndex].textContent));
  assert.deepEqual(roles.slice(0, 3), ['auto: study', 'auto: yi', 'auto: vi']);
  assert.ok(await ink(page, 'forest') > 2000, 'the forest plot has ink');
  assert.ok(await ink(page, 'funnel') > 1000, 'the funnel plot has ink');
  await shot(page, 'page-desktop', { fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('changing the method or the CI type recomputes at once', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /REML/);
  await page.selectOption('#method', 'DL');
  const dl = await waitSummary(page, /random-effects DL/);
  assert.match(dl, /Pooled estimate −0\.71 \(95% CI −1\.06 to −0\.36\)/);
  await page.selectOption('#ci', 'hksj');
  assert.match(await waitSummary(page, /Knapp–Hartung/), /random-effects DL, Knapp–Hartung CI/);
  await page.selectOption('#method', 'FE');
  assert.match(await waitSummary(page, /common-effect/), /Pooled estimate −0\.43 .*common-effect model/);
  await page.fill('#level', '0.9');
  assert.match(await waitSummary(page, /90% CI/), /\(90% CI/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a block pasted from a spreadsheet (TSV) or as CSV text becomes the table', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await page.click('#clear-data');
  await page.waitForSelector('#empty-state:not([hidden])');
  await shot(page, 'page-empty');
  // A whole table with its header, as copied from LibreOffice or Google Sheets.
  await paste(page, 0, 0, 'Trial\teffect\tSE\nA\t-0.5\t0.2\nB\t-0.1\t0.15\nC\t0,3\t0.25\n');
  const text = await waitSummary(page, /k = 3/);
  assert.match(text, /Pooled estimate/);
  // A decimal comma works in tab-separated data; names and roles came from the header.
  assert.equal(await page.inputValue('#grid thead input[data-col="1"]'), 'effect');
  const roles = await page.$$eval('#grid select.role', (els) => els.map((e) => e.options[e.selectedIndex].textContent));
  assert.deepEqual(roles, ['auto: study', 'auto: yi', 'auto: sei']);
  // CSV text pasted into a new row adds rows.
  await page.click('#add-row');
  await paste(page, 3, 0, 'D,0.2,0.3\nE,-0.4,0.1\n');
  await waitSummary(page, /k = 5/);
  assert.equal(await cell(page, 4, 0).inputValue(), 'E');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('typing, adding and deleting rows and choosing a column role', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await page.click('#clear-data');
  await page.fill('#grid thead input[data-col="0"]', 'name');
  await page.fill('#grid thead input[data-col="1"]', 'effect size');
  await page.fill('#grid thead input[data-col="2"]', 'precision');
  const rows = [['A', '0.1', '0.01'], ['B', '0.3', '0.02'], ['C', '0.2', '0.015']];
  await page.click('#add-row');
  for (const [i, r] of rows.entries()) {
    for (const [j, v] of r.entries()) await cell(page, i, j).fill(v);
  }
  // "precision" is not a name the core knows: say it is a variance.
  await page.waitForSelector('#error-state:not([hidden])');
  assert.match(await page.textContent('#error-message'), /vi|variance|precision|sei/i);
  await page.selectOption('#grid select.role[data-col="2"]', 'vi');
  await page.selectOption('#grid select.role[data-col="0"]', 'study');
  let text = await waitSummary(page, /k = 3/);
  assert.match(text, /Pooled estimate 0\.1/);
  assert.equal(await page.textContent('#studies-table tbody tr:first-child th'), 'A');
  // Delete the second row.
  await page.hover('#grid tbody tr[data-row="1"]');
  await page.click('#grid tbody tr[data-row="1"] button.delete-row');
  text = await waitSummary(page, /k = 2/);
  assert.equal(await cell(page, 1, 0).inputValue(), 'C');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a bad cell is marked where it is, with the message, and the data is kept', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await cell(page, 3, 1).fill('abc');
  await page.waitForSelector('#error-state:not([hidden])');
  assert.equal(await page.textContent('#error-message'), "Row 4, column yi: expected a number, found 'abc'");
  assert.equal(await page.getAttribute('#grid tbody input[data-row="3"][data-col="1"]', 'aria-invalid'), 'true');
  assert.match(await page.getAttribute('#grid tbody input[data-row="3"][data-col="1"]', 'title'), /found 'abc'/);
  assert.equal(await page.locator('#grid input.bad').count(), 1);
  assert.ok(await page.isHidden('#results'));
  await shot(page, 'page-error');
  // Everything the user typed is still there.
  assert.equal(await cell(page, 3, 1).inputValue(), 'abc');
  assert.equal(await cell(page, 12, 0).inputValue(), 'Comstock et al 1976');
  // A negative variance: the message names the row and column.
  await cell(page, 3, 1).fill('-1.441551');
  await cell(page, 5, 2).fill('-0.2');
  await page.waitForFunction(() => /row 6, column vi/i.test(document.getElementById('error-message').textContent));
  assert.equal(await page.getAttribute('#grid tbody input[data-row="5"][data-col="2"]', 'aria-invalid'), 'true');
  // Fixing it brings the results back.
  await cell(page, 5, 2).fill('0.006906');
  await waitSummary(page, /−0\.71 \(95% CI −1\.07 to −0\.36\)/);
  assert.equal(await page.locator('#grid input.bad').count(), 0);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('labels are shown as text, never run as markup', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  const evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
  await cell(page, 0, 0).fill(evil);
  await page.waitForFunction((label) => document.querySelector('#studies-table tbody th')?.textContent === label, evil);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('#studies-table script, #studies-table img, #results script, #results img').count(), 0);
  // The same in an error message that quotes the cell.
  await cell(page, 0, 1).fill('<b>bold</b>');
  await page.waitForSelector('#error-state:not([hidden])');
  assert.match(await page.textContent('#error-message'), /found '<b>bold<\/b>'/);
  assert.equal(await page.locator('#error-message b').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.close();
});

test('downloads: SVG and PNG of each plot, CSV of the results', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  const get = async (button) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    return { name: download.suggestedFilename(), body: Buffer.concat(chunks) };
  };
  const svg = await get('#forest-svg');
  assert.equal(svg.name, 'forest.svg');
  assert.match(svg.body.toString(), /^<svg[\s\S]*Aronson 1948[\s\S]*<\/svg>\s*$/);
  const funnel = await get('#funnel-svg');
  assert.match(funnel.body.toString(), /^<svg/);
  const png = await get('#forest-png');
  assert.equal(png.name, 'forest.png');
  assert.deepEqual([...png.body.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  const csv = await get('#download-csv');
  const lines = csv.body.toString().split('\r\n');
  assert.equal(lines[0], 'study,row,estimate,se,ci_lower,ci_upper,weight_percent');
  assert.match(lines[1], /^Aronson 1948,1,-0\.889311,/);
  assert.match(csv.body.toString(), /Pooled \(random effects; REML; z\),,-0\.714/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the mediation example: indirect effects with asymmetric limits, labelled illustrative', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  const label = await page.textContent('#example option[value="mediation_ie"]');
  assert.match(label, /illustrative/);
  await page.selectOption('#example', 'mediation_ie');
  await waitSummary(page, /Pooled estimate −0\.0/);
  const warnings = await page.textContent('#warnings');
  assert.match(warnings, /asymmetric|symmetric/i);
  assert.match(await page.textContent('#studies-table'), /illustrative/);
  await page.selectOption('#example', 'mediation_paths');
  await waitSummary(page, /k = 6/);
  const roles = await page.$$eval('#grid select.role', (els) => els.map((e) => e.options[e.selectedIndex].textContent));
  assert.deepEqual(roles.slice(0, 5), ['auto: study', 'auto: a', 'auto: sa', 'auto: b', 'auto: sb']);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a panic in the core while drawing is reported, the module restarts and the data stays', async () => {
  // Analyses run in a worker (tests/e2e/reliability.test.js covers a panic there); the page's own
  // instance draws the plots. Make its draw_plot trap once, as a Rust panic does (panic = abort).
  const page = await s.context.newPage();
  await page.addInitScript(() => {
    const instantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = async (...a) => {
      const instance = await instantiate(...a);
      if (!(instance instanceof WebAssembly.Instance)) return instance;
      // A copy of the exports (the real object is frozen) whose draw_plot can trap.
      const exports = { ...instance.exports };
      const draw = exports.draw_plot;
      exports.draw_plot = (...args) => {
        if (!globalThis.__panicNext) return draw(...args);
        globalThis.__panicNext = false;
        globalThis.metapoolPanic = 'panicked at crate/src/plot/forest.rs: simulated bug';
        throw new WebAssembly.RuntimeError('unreachable');
      };
      return Object.create(WebAssembly.Instance.prototype, { exports: { value: exports } });
    };
  });
  await page.goto(s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await page.evaluate(() => { globalThis.__panicNext = true; });
  await cell(page, 0, 1).fill('-0.9');
  await page.waitForSelector('#fatal:not([hidden])');
  assert.match(await page.textContent('#fatal-text'), /internal error.*simulated bug.*Your data is unchanged/);
  // The fresh instance drew the plot; the edit and the rest of the data are there.
  await waitSummary(page, /k = 13/);
  assert.ok(await ink(page, 'forest') > 2000);
  assert.equal(await page.locator('.plot-error').count(), 0);
  assert.equal(await cell(page, 0, 1).inputValue(), '-0.9');
  await cell(page, 0, 1).fill('-0.889311');
  await waitSummary(page, /−0\.71 \(95% CI −1\.07 to −0\.36\)/);
  await page.close();
});

test('crisp on a high-DPI screen and usable on a phone', async () => {
  const phone = await start({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  try {
    const page = await open(phone.context, phone.url);
    await settled(page);
    await waitSummary(page, /k = 13/);
    const size = await page.$eval('#forest', (c) => ({ w: c.width, h: c.height, cw: c.clientWidth, ch: c.clientHeight }));
    assert.equal(size.w, size.cw * 2);
    assert.equal(size.h, size.ch * 2);
    assert.ok(await ink(page, 'forest') > 2000);
    // Nothing is wider than the screen but the scrolling tables.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
    await shot(page, 'page-phone', { fullPage: true });
    await page.locator('.plot').first().screenshot({ path: new URL('./artifacts/forest-dpr2.png', import.meta.url).pathname });
    assert.deepEqual(page.problems, []);
  } finally {
    await phone.close();
  }
});

test('no request leaves the page\'s origin', async () => {
  const page = await s.context.newPage();
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  await page.goto(s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await page.selectOption('#example', 'mediation_ie');
  await waitSummary(page, /Pooled estimate −0\.0/);
  await page.click('#copy-link');
  await page.waitForSelector('#share-status:not([hidden])');
  const foreign = urls.filter((u) => !u.startsWith(s.url) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(foreign, []);
  const paths = new Set(urls.map((u) => new URL(u).pathname));
  assert.deepEqual([...paths].sort(), ['/', '/pkg/full/metapool.js', '/pkg/full/metapool_bg.wasm', '/pkg/metapool.js', '/pkg/metapool_bg.wasm', '/www/analyses.js', '/www/app.js',
    '/www/boot.js', '/www/csp.js', '/www/engine.js', '/www/examples/bcg.csv', '/www/examples/mediation_ie.csv', '/www/exports.js',
    '/www/format.js', '/www/gosh.js', '/www/mediation.js', '/www/pacing.js', '/www/persist.js', '/www/reproduce.js',
    '/www/share.js', '/www/steps.js', '/www/style.css', '/www/table.js', '/www/worker.js']);
  await page.close();
});

test('a .csv file opened or dropped on the data panel replaces the table', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await page.setInputFiles('#file-input', {
    name: 'trials.csv', mimeType: 'text/csv',
    buffer: Buffer.from('study;yi;vi\nA;0,10;0,01\nB;0,30;0,02\n'),
  });
  assert.match(await waitSummary(page, /k = 2/), /Pooled estimate 0\.1/);
  assert.equal(await cell(page, 1, 1).inputValue(), '0,30');
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(['study,yi,sei\nX,1,0.5\nY,2,0.5\nZ,3,0.5\n'], 'dropped.csv', { type: 'text/csv' }));
    const panel = document.querySelector('.data-panel');
    panel.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
    panel.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  assert.match(await waitSummary(page, /k = 3/), /Pooled estimate 2\.0/);
  assert.equal(await cell(page, 2, 0).inputValue(), 'Z');
  assert.deepEqual(page.problems, []);
  await page.close();
});
