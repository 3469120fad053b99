// Checking a published result on the page (issue 6): the "Reported result" box and the settings
// that reproduce it (each with "Use this setting"), the nearest misses, the core's words for a
// text it cannot read; the "Software defaults" menu with each program's source and its prediction
// interval and I²; the R script; the results as Markdown and CSV; the print sheet; and links and
// messages that carry `reproduce` and `preset`. Screenshots at desktop and phone width.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  start, open, settled, shot, ARTIFACTS, waitSummary, text, rows, download, decode, copyLink, idle, parentSite,
} from './helpers.js';

let s;
before(async () => {
  s = await start();
  await s.context.grantPermissions(['clipboard-read', 'clipboard-write']);
});
after(async () => { await s?.close(); });

const BCG = fs.readFileSync(new URL('../../www/examples/bcg.csv', import.meta.url), 'utf8');
/** The BCG trials' DerSimonian–Laird result as Colditz et al. (1994) print it, on the log scale. */
const PUBLISHED = '−0.71 (−1.06, −0.36)';

/** Opens the page on the BCG example, analysed. */
async function bcgPage(context = s.context) {
  const page = await open(context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  return page;
}

/** Types a published result and presses Enter; waits for the section. */
async function reproduce(page, textIn) {
  await page.fill('#reproduce', textIn);
  await page.press('#reproduce', 'Enter');
  await page.waitForFunction((t) => !document.getElementById('reproduce-section').hidden
    && document.querySelector('#reproduce-matches tbody tr.published th')?.textContent === `Published: ${t}`, textIn);
  await idle(page);
}

/** The first line (model and CI) of each setting listed in a table. */
function settings(page, id) {
  return page.$$eval(`#${id} tbody tr:not(.published) th .line.main`, (els) => els.map((e) => e.textContent));
}

const sectionShot = (page, selector, name) => page.locator(selector).screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

test('a published result: DL with z matches, REML does not; "Use this setting" switches the method', async () => {
  const page = await bcgPage();
  // Typing alone analyses nothing: the text goes to the core on Enter (or on leaving the box).
  await page.fill('#reproduce', '−0.71 (−1.06');
  await page.waitForTimeout(300);
  assert.equal(await page.isHidden('#reproduce-section'), true);
  assert.equal(await page.isHidden('#reproduce-error'), true);

  await reproduce(page, PUBLISHED);
  const matches = await settings(page, 'reproduce-matches');
  assert.deepEqual(matches, ['DerSimonian–Laird, Wald-type CI (z)']);
  const nearest = await settings(page, 'reproduce-nearest');
  assert.equal(nearest[0], 'REML (restricted maximum likelihood), Wald-type CI (z)');
  assert.ok(!matches.some((m) => m.startsWith('REML')));
  assert.match(await text(page, '#reproduce-verdict'), /^One setting reproduces every published number: DerSimonian–Laird, Wald-type CI \(z\)\.$/);
  assert.match(await text(page, '#reproduce-read'), /^Read as estimate −0\.71, 95% CI −1\.06 to −0\.36 .*18 settings were tried/);

  // The match: its numbers (two more decimals than printed), how close, the presets it is the default of.
  const [published, dl] = await rows(page, '#reproduce-matches');
  assert.deepEqual(published.slice(0, 3), [`Published: ${PUBLISHED}`, '−0.71', '−1.06 to −0.36']);
  assert.equal(dl[0], 'DerSimonian–Laird, Wald-type CI (z)the default of RevMan 5 (random effects); R meta ≤ 4 (metagen); Stata metan, randomUse this setting');
  assert.deepEqual(dl.slice(1, 4), ['−0.7141', '−1.0644 to −0.3638', '0.44']);
  // The nearest miss says which number is off, and marks it.
  const [, reml] = await rows(page, '#reproduce-nearest');
  assert.match(reml[0], /Furthest off: the lower CI limit, −1\.0669, which rounds to −1\.07; printed −1\.06$/);
  assert.deepEqual(reml.slice(1, 4), ['−0.7145', '−1.0669 to −0.3622', '0.69']);
  assert.equal(await page.textContent('#reproduce-nearest tbody tr:nth-child(2) td .bad-text'), '−1.0669');
  await sectionShot(page, '#reproduce-section', 'reproduce-section-desktop');

  // The main analysis is unchanged (REML) until the match is used.
  assert.equal(await page.inputValue('#method'), 'REML');
  await page.click('#reproduce-matches button[data-match="0"]');
  await waitSummary(page, /random-effects DL, k = 13/);
  assert.equal(await page.inputValue('#method'), 'DL');
  assert.equal(await page.inputValue('#ci'), 'z');
  await page.waitForSelector('#reproduce-matches tr.chosen .in-use');
  assert.equal(await page.$('#reproduce-matches button[data-match]'), null);
  assert.match(await text(page, '#summary'), /^Pooled estimate −0\.71 \(95% CI −1\.06 to −0\.36\), random-effects DL/);
  await shot(page, 'reproduce-desktop', { fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a text the core cannot read: its words under the box, the results stay', async () => {
  const page = await bcgPage();
  await page.fill('#reproduce', '-0.71 (-0.36, -1.06)');
  await page.press('#reproduce', 'Enter');
  await page.waitForSelector('#reproduce-error:not([hidden])');
  assert.equal(await text(page, '#reproduce-error'),
    "Cannot read '-0.71 (-0.36, -1.06)' as a pooled result: the lower limit -0.36 is above the upper limit -1.06. "
    + 'Write it as papers print it, for example −0.71 (−1.06 to −0.36), I² = 92%');
  assert.equal(await page.getAttribute('#reproduce', 'aria-invalid'), 'true');
  await idle(page);
  assert.equal(await page.isHidden('#results'), false, 'the results are still shown');
  assert.equal(await page.isHidden('#error-state'), true);
  assert.equal(await page.isHidden('#reproduce-section'), true);
  await sectionShot(page, '#reproduce-controls', 'reproduce-error');
  // Corrected, it is read.
  await reproduce(page, '-0.71 (-1.06, -0.36)');
  assert.equal(await page.isHidden('#reproduce-error'), true);
  assert.equal(await page.getAttribute('#reproduce', 'aria-invalid'), 'false');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('software defaults: the menu sets method and CI, shows its source, and the results its PI and I²', async () => {
  const page = await bcgPage();
  const codes = await page.$$eval('#preset option', (os) => os.map((o) => o.value));
  assert.deepEqual(codes, ['', 'revman5', 'metafor', 'meta8', 'meta5', 'meta4', 'jasp', 'stata', 'metan']);
  assert.match(await text(page, '#preset-source'), /^Choose a program/);

  await page.selectOption('#preset', 'revman5');
  assert.equal(await page.inputValue('#method'), 'DL');
  assert.equal(await page.inputValue('#ci'), 'z');
  assert.match(await text(page, '#preset-source'), /^RevMan 5 \(random effects\): DerSimonian–Laird, Wald-type CI \(z\); no prediction interval stated; I² from Q .*Source: Cochrane Handbook 5\.1, section 9\.4\.4/);
  await waitSummary(page, /random-effects DL/);
  await page.waitForSelector('#preset-result:not([hidden])');
  assert.equal(await text(page, '#preset-line'),
    'As RevMan 5 (random effects) reports it: no prediction interval stated in its documentation; I² = 92.12% (I² from Q (Higgins & Thompson; RevMan, R meta)).');
  assert.match(await text(page, '#preset-source-line'), /^Defaults of RevMan 5 \(random effects\): DerSimonian–Laird, Wald-type CI \(z\)\. Source: Cochrane Handbook/);

  await page.selectOption('#preset', 'meta8');
  assert.equal(await page.inputValue('#method'), 'REML');
  await page.waitForFunction(() => /R meta ≥ 8\.0/.test(document.getElementById('preset-line').textContent));
  assert.equal(await text(page, '#preset-line'),
    'As R meta ≥ 8.0 (metagen) reports it: 95% prediction interval −1.9953 to 0.5663 (PI t with k − 1 df (R meta ≥ 8)); I² = 92.12% (I² from Q (Higgins & Thompson; RevMan, R meta)).');
  await sectionShot(page, '#reproduce-controls', 'reproduce-preset-controls');

  // The document carries the preset and leaves out the method and CI it sets.
  const doc = await decode(page, await copyLink(page));
  assert.equal(doc.options.preset, 'meta8');
  assert.equal('method' in doc.options, false);
  assert.equal('ci' in doc.options, false);

  // A method chosen besides the preset overrides it, and the results say so.
  await page.selectOption('#method', 'PM');
  await page.waitForFunction(() => /PM, k = 13/.test(document.getElementById('summary').textContent)
    && /chosen instead of the preset/.test(document.getElementById('preset-line').textContent));
  assert.match(await text(page, '#preset-line'), /The analysis uses Paule–Mandel, Wald-type CI \(z\): the method chosen instead of the preset's \(REML, z\)\.$/);
  // A match that is not the preset's default unsets it.
  await reproduce(page, PUBLISHED);
  await page.click('#reproduce-matches button[data-match="0"]');
  await waitSummary(page, /random-effects DL/);
  assert.equal(await page.inputValue('#preset'), '');
  await page.waitForSelector('#preset-result', { state: 'hidden' });
  assert.deepEqual(page.problems, []);
  await page.close();
});

/** Runs an R script with Rscript; null where R or metafor is not installed. */
function runR(script) {
  const probe = spawnSync('Rscript', ['-e', 'suppressPackageStartupMessages(library(metafor))'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error || probe.status !== 0) return null;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'metapool-r-')), 'metapool-analysis.R');
  fs.writeFileSync(file, script);
  const run = spawnSync('Rscript', [file], { encoding: 'utf8', timeout: 120_000 });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  assert.equal(run.status, 0, run.stderr);
  return Object.fromEntries(run.stdout.split('\n').filter((l) => l.startsWith('METAPOOL\t')).map((l) => l.split('\t').slice(1)));
}

test('"R code": the script with rma() and the data inline, copied and downloaded', async (t) => {
  const page = await bcgPage();
  await page.selectOption('#method', 'DL');
  await waitSummary(page, /random-effects DL/);
  await page.click('#r-code');
  await page.waitForSelector('#export-view:not([hidden])');
  assert.equal(await page.textContent('#export-title'), 'R code');
  const script = await page.inputValue('#export-text');
  assert.match(script, /rma\(/);
  assert.match(script, /method = "DL"/);
  assert.match(script, /"Aronson 1948"/);
  assert.match(script, /-0\.889311/);
  assert.match(await text(page, '#export-status'), /R script using metafor/);
  await sectionShot(page, '#export-view', 'reproduce-r-code');
  const file = await download(page, '#export-download');
  assert.equal(file.name, 'metapool-analysis.R');
  assert.equal(file.body, script);
  await page.click('#export-copy');
  await page.waitForFunction(() => /^Copied/.test(document.getElementById('export-status').textContent));
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), script);
  await page.click('#export-close');
  assert.equal(await page.isHidden('#export-view'), true);
  // Where R and metafor are installed, the script gives the page's numbers (metafor's DL fit).
  const numbers = runR(script);
  if (numbers == null) {
    t.diagnostic('Rscript with metafor not found: the script was not run');
  } else {
    assert.ok(Math.abs(Number(numbers['overall.estimate']) - -0.7141171676898583) < 1e-6, numbers['overall.estimate']);
    assert.ok(Math.abs(Number(numbers['overall.ci_lower']) - -1.0644440115907527) < 1e-6, numbers['overall.ci_lower']);
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('results as Markdown and CSV: copied, shown and downloadable', async () => {
  const page = await bcgPage();
  await page.selectOption('#preset', 'revman5');
  await reproduce(page, PUBLISHED);

  await page.click('#copy-markdown');
  await page.waitForFunction(() => /^Copied/.test(document.getElementById('export-status').textContent));
  const md = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(md, await page.inputValue('#export-text'));
  assert.match(md, /^# metapool results\n\nPooled estimate −0\.71 \(95% CI −1\.06 to −0\.36\), random-effects DL, k = 13, p \\?< 0\.001\./);
  assert.match(md, /\nAs RevMan 5 \(random effects\) reports it: .*I² = 92\.12%/);
  assert.match(md, /\n## Reproducing the published result\n/);
  assert.match(md, /\n\| Setting \| Estimate \| 95% CI \| Off by \|\n\| --- \| --: \| --: \| --: \|\n/);
  assert.match(md, /\n\| DerSimonian–Laird, Wald-type CI \(z\); the default of RevMan 5 \(random effects\); .* \| −0\.7141 \| −1\.0644 to −0\.3638 \| 0\.44 \|\n/);
  assert.match(md, /\n## Pooled result and heterogeneity\n\n\| Quantity \| Value \| 95% CI \| Method \|\n/);
  assert.match(md, /\n\| Pooled estimate \| −0\.7141 \| −1\.0644 to −0\.3638 \| Wald-type \(normal\) CI \|\n/);
  assert.match(md, /\n## Studies\n\n\| Study \| Estimate \| SE \| 95% CI \| Weight \|\n/);
  assert.equal((md.match(/^\| (Aronson|Ferguson|Rosenthal|Hart|Frimodt|Stein|Vandiviere|TPT|Coetzee|Comstock)/gm) ?? []).length, 13);
  assert.doesNotMatch(md, /Use this setting|Download|Copy/);
  const mdFile = await download(page, '#export-download');
  assert.equal(mdFile.name, 'metapool-results.md');
  assert.equal(mdFile.body, md);
  await sectionShot(page, '#export-view', 'reproduce-markdown');

  await page.click('#copy-csv');
  await page.waitForFunction(() => document.getElementById('export-title').textContent === 'Results as CSV'
    && /^Copied/.test(document.getElementById('export-status').textContent));
  const csv = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(csv, (await download(page, '#download-csv')).body, 'the same as Download CSV');
  assert.match(csv, /^study,row,estimate,se,ci_lower,ci_upper,weight_percent\r\n/);
  assert.match(csv, /\r\nreproduce,method,ci,scale,ci_se_rule,ci_level_in,pi_type,i2_type,level,estimate,ci_lower,ci_upper,tau2,tau,I2_percent,pi_lower,pi_upper,distance,furthest,presets\r\n"?published: −0\.71 \(−1\.06, −0\.36\)"?,/);
  assert.match(csv, /\r\nmatch,DL,z,identity,,,,,0\.95,-0\.714117\d+,-1\.06444\d+,-0\.36379\d+,/);
  assert.match(csv, /\r\nnearest_miss,REML,z,identity,/);
  assert.match(csv, /\r\npreset,name,method,ci,pi_type,i2_type,pi_lower,pi_upper,I2_percent,overridden,source\r\nrevman5,RevMan 5 \(random effects\),DL,z,,Q,,,92\.117/);
  const csvFile = await download(page, '#export-download');
  assert.equal(csvFile.name, 'metapool-results.csv');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('every plot can be saved as SVG and PNG', () => {
  const html = fs.readFileSync(new URL('../../index.html', import.meta.url), 'utf8');
  const figures = [...html.matchAll(/<figure\b[\s\S]*?<\/figure>/g)].map((m) => m[0]).filter((f) => f.includes('<canvas'));
  assert.ok(figures.length >= 8, `${figures.length} plots`);
  for (const f of figures) {
    const id = /<canvas id="([^"]+)"/.exec(f)[1];
    assert.match(f, /<button type="button" id="[^"]+-svg"[^>]*>Download SVG<\/button>/, `${id}: SVG`);
    assert.match(f, /<button type="button" id="[^"]+-png"[^>]*>Download PNG<\/button>/, `${id}: PNG`);
  }
});

test('print: a one-page report without controls, with the summary, tables and forest plot', async () => {
  const page = await bcgPage();
  // The forest plot's width on screen, before printing redraws it sharper.
  const before = await page.$eval('#forest', (c) => c.width);
  await page.emulateMedia({ media: 'print' });
  const visible = (sel) => page.$eval(sel, (e) => getComputedStyle(e).display !== 'none' && !e.closest('[hidden]'));
  for (const sel of ['.data-panel', '.top-actions', '.export-toolbar', '#forest-svg', '#funnel-figure', '.foot']) {
    assert.equal(await visible(sel), false, `${sel} is not printed`);
  }
  for (const sel of ['#summary', '#results-table', '#studies-table', '#forest']) {
    assert.equal(await visible(sel), true, `${sel} is printed`);
  }
  // Nothing is cut off: the tables fit the page's width.
  const widths = await page.evaluate(() => ['results-table', 'studies-table'].map((id) => {
    const t = document.getElementById(id);
    return [t.scrollWidth, t.parentElement.clientWidth];
  }));
  for (const [w, box] of widths) assert.ok(w <= box, `table ${w} within ${box}`);
  await shot(page, 'reproduce-print-media', { fullPage: true });
  await page.emulateMedia({ media: null });
  // As a PDF (A4): one page, the plots drawn sharper for it and back afterwards.
  await page.waitForFunction((w) => document.getElementById('forest').width === w, before);
  const pdf = await page.pdf({ path: path.join(ARTIFACTS, 'reproduce-print.pdf'), format: 'A4' });
  assert.equal((pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length, 1, 'one page');
  await page.waitForFunction((w) => document.getElementById('forest').width === w, before);
  assert.equal(await page.$eval('#forest', (c) => c.width), before);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('links, kept tables and messages carry the published result and the preset', async () => {
  const page = await bcgPage();
  await page.selectOption('#preset', 'revman5');
  await reproduce(page, PUBLISHED);
  const link = await copyLink(page);
  const doc = await decode(page, link);
  assert.equal(doc.options.reproduce, PUBLISHED);
  assert.equal(doc.options.preset, 'revman5');

  const other = await open(s.context, link);
  await settled(other);
  await other.waitForSelector('#reproduce-section:not([hidden])');
  assert.equal(await other.inputValue('#reproduce'), PUBLISHED);
  assert.equal(await other.inputValue('#preset'), 'revman5');
  assert.equal(await other.inputValue('#method'), 'DL', 'the method the preset sets');
  await waitSummary(other, /random-effects DL/);
  assert.deepEqual(await settings(other, 'reproduce-matches'), ['DerSimonian–Laird, Wald-type CI (z)']);
  assert.match(await text(other, '#preset-line'), /^As RevMan 5/);
  // A reload keeps them.
  await other.reload();
  await settled(other);
  await other.waitForSelector('#reproduce-section:not([hidden])');
  assert.equal(await other.inputValue('#reproduce'), PUBLISHED);
  assert.equal(await other.inputValue('#preset'), 'revman5');
  assert.deepEqual(other.problems, []);

  // Undo takes the published result back like any other option.
  await page.click('#undo');
  await page.waitForFunction(() => document.getElementById('reproduce').value === '');
  await page.waitForSelector('#reproduce-section', { state: 'hidden' });
  assert.equal(await page.inputValue('#preset'), 'revman5');
  await page.click('#redo');
  await page.waitForSelector('#reproduce-section:not([hidden])');
  assert.equal(await page.inputValue('#reproduce'), PUBLISHED);

  // The checks of documents from outside accept them as text and refuse anything else.
  const checked = await page.evaluate(async () => {
    const { validateDoc } = await import('./www/share.js');
    const ok = validateDoc({ data: 'x', options: { reproduce: '0.5 (0.1, 0.9)', preset: 'metafor' } }).options;
    const bad = [];
    for (const options of [{ reproduce: 5 }, { preset: ['revman5'] }, { reproduce: 'x'.repeat(1001) }]) {
      try { validateDoc({ data: 'x', options }); } catch (e) { bad.push(e.message); }
    }
    return { ok, bad };
  });
  assert.deepEqual(checked.ok, { reproduce: '0.5 (0.1, 0.9)', preset: 'metafor' });
  assert.deepEqual(checked.bad, ['option "reproduce" must be a string', 'option "preset" must be a string', 'option "reproduce" is too long']);
  await page.close();
  await other.close();
});

test('postMessage: a parent loads a document with reproduce and preset, and hears the report', async () => {
  const parent = await parentSite(s.url);
  const page = await s.context.newPage();
  try {
    await page.goto(`${parent.url}parent.html`);
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:ready'));
    const send = (options) => page.evaluate(({ data, options }) => {
      window.got = [];
      document.getElementById('f').contentWindow.postMessage({ type: 'metapool:load', doc: { data, options } }, '*');
    }, { data: BCG, options });
    await send({ reproduce: '0.49 (0.34, 0.70)', preset: 'revman5' });
    const report = await page.waitForFunction(() => window.got.find((m) => m.type === 'metapool:report')?.report).then((h) => h.jsonValue());
    assert.equal(report.overall.method, 'DL');
    assert.equal(report.preset.code, 'revman5');
    assert.deepEqual(report.preset.overridden, []);
    assert.ok(report.reproduce.matches.some((m) => m.method === 'DL' && m.ci === 'z' && m.scale === 'exp'));
    // A text the core cannot read: the error, then the report of the rest.
    await send({ reproduce: 'no numbers here' });
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:report'));
    const got = await page.evaluate(() => window.got.map((m) => m.type));
    assert.deepEqual(got, ['metapool:error', 'metapool:report']);
    const error = await page.evaluate(() => window.got[0].error);
    assert.match(error.message, /^reproduce: cannot read 'no numbers here' as a pooled result/);
    const wrong = await page.evaluate(() => window.got[1].report);
    assert.equal(wrong.reproduce ?? null, null);
  } finally {
    await page.close();
    await parent.close();
  }
});

test('phone width: the box, the menu and the settings as cards', async () => {
  const phone = await start({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  try {
    const page = await bcgPage(phone.context);
    await page.selectOption('#preset', 'meta8');
    await reproduce(page, '0.49 (0.34, 0.70)');
    await sectionShot(page, '#reproduce-controls', 'reproduce-phone-controls');
    await sectionShot(page, '#reproduce-section', 'reproduce-phone-section');
    // Each setting's button is within the screen (the cards do not scroll sideways).
    const box = await page.locator('#reproduce-matches button[data-match]').first().boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `button at ${box.x}..${box.x + box.width}`);
    const scroll = await page.$eval('#reproduce-matches', (t) => t.parentElement.scrollWidth - t.parentElement.clientWidth);
    assert.ok(scroll <= 1, `no sideways scroll (${scroll})`);
    await page.click('#r-code');
    await page.waitForSelector('#export-view:not([hidden])');
    await sectionShot(page, '.results-panel .panel-head', 'reproduce-phone-toolbar');
    await sectionShot(page, '#export-view', 'reproduce-phone-r-code');
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await phone.close();
  }
});
