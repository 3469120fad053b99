// The mediation parts of the page (issue 5): the options (pooling, SE of a·b, Monte Carlo
// draws and seed, SE rule for asymmetric limits, rounding and a published result, summary table,
// the cov_ab role), the per-study intervals of a·b, the pooled paths beside the pooled indirect
// effects, the SE-rule sensitivity, the rounding ranges, the summary table with its forest plot
// and a link per row, both examples, links, messages, CSV, and the layout on desktop and phone.
// The numbers are the core's (the CLI gives the same with --json).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  start, open, settled, shot, ARTIFACTS, waitSummary, text, rows, headers, shown, ink, paste, download, encode, decode,
  copyLink, openExample, parentSite,
} from './helpers.js';

let s;
before(async () => { s = await start(); });
after(async () => { await s?.close(); });

const example = (name) => fs.readFileSync(new URL(`../../www/examples/${name}.csv`, import.meta.url), 'utf8');

/** Whether the control with this id is shown (its label or fieldset is not hidden). */
const controlShown = (page, id) => page.$eval(`#${id}`, (el) => !el.closest('[hidden]'));

/** Waits until a cell of the first body row of the studies table changes from `before`. */
function studiesChange(page, before) {
  return page.waitForFunction((b) => JSON.stringify([...document.querySelectorAll('#studies-table tbody tr')]
    .map((tr) => [...tr.cells].map((c) => c.textContent))) !== b, before);
}
const studiesNow = (page) => page.evaluate(() => JSON.stringify([...document.querySelectorAll('#studies-table tbody tr')]
  .map((tr) => [...tr.cells].map((c) => c.textContent))));

function sectionShot(page, id, name) {
  return page.locator(`#${id}`).screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

test('the paths example: intervals of each a·b, pooled paths beside the pooled indirect effects', async () => {
  const page = await openExample(s.context, s.url, 'mediation_paths');
  assert.match(await page.textContent('#example option[value="mediation_paths"]'), /illustrative/);
  await waitSummary(page, /k = 6/);
  // The controls for paths are shown with the example's choices; the SE rule for limits is not.
  for (const id of ['mediation', 'ie-se', 'mc-draws', 'seed']) assert.ok(await controlShown(page, id), `${id} shown`);
  assert.ok(!(await controlShown(page, 'ci-se-rule')), 'no CI limits in these data');
  assert.equal(await page.inputValue('#mediation'), 'paths');
  assert.equal(await page.inputValue('#ie-se'), 'sobel');
  assert.equal(await page.inputValue('#mc-draws'), '100000');
  assert.equal(await page.inputValue('#seed'), '20240601');
  assert.deepEqual(await page.$$eval('#table-columns input:checked', (is) => is.map((i) => i.value)), ['mediator']);

  // Each study's a·b with its Monte Carlo and distribution-of-the-product intervals.
  assert.deepEqual(await headers(page, '#studies-table'), ['Study', 'Estimate', 'SE', '95% CI', 'Monte Carlo 95% CI', 'Product 95% CI', 'Weight']);
  const studies = await rows(page, '#studies-table');
  assert.equal(studies.length, 6);
  assert.deepEqual(studies[0].slice(0, 6), ['Study A (illustrative)', '−0.0882', '0.0342', '−0.1552 to −0.0212',
    '−0.1641 to −0.0296', '−0.1650 to −0.0296']);
  const note = await text(page, '#studies-note');
  assert.match(note, /^6 studies are given by the paths a and b: the estimate is a·b with the first-order delta \(Sobel\) variance/);
  assert.match(note, /Monte Carlo CIs from 100,000 draws of a and b \(seed 20240601;/);

  // Pooled paths against pooled a·b, side by side, with the difference.
  await shown(page, 'paths-section');
  assert.deepEqual(await headers(page, '#paths-table'), ['', 'Pooling each study’s a·b', 'Pooling a and b: â·b̂', 'Difference, paths − a·b']);
  const pathRows = await rows(page, '#paths-table');
  // The Monte Carlo lower limit is −0.10195…, on a rounding edge: either printed digit is right.
  assert.match(pathRows[2][2], /^−0\.10(19|20)$/);
  assert.match(pathRows[2][3], /^−0\.011[23]$/);
  pathRows[2][2] = '−0.1020';
  pathRows[2][3] = '−0.0113';
  assert.deepEqual(pathRows, [
    ['Studies (k)', '6', '6', ''],
    ['Indirect effect', '−0.0635', '−0.0726', '−0.0091 (−14.4%)'],
    ['95% CI, lower limit', '−0.0907', '−0.1020', '−0.0113'],
    ['95% CI, upper limit', '−0.0362', '−0.0470', '−0.0108'],
    ['95% CI, distribution of the product', '—', '−0.1019 to −0.0470', ''],
  ]);
  const verdict = await text(page, '#paths-verdict');
  assert.match(verdict, /^Pooling the paths gives −0\.0726 \(95% CI −0\.10(?:19|20) to −0\.0470\), pooling each study’s a·b gives −0\.0635 \(−0\.0907 to −0\.0362\)/);
  assert.match(verdict, /the paths estimate is 0\.0091 lower \(14\.4% of the pooled a·b\), and its CI is 1\.01 times as wide\. Both CIs exclude 0\.$/);
  assert.match(await text(page, '#paths-method'), /Monte Carlo CI from 100,000 draws of the two pooled estimates \(seed 20240601\)/);
  const ab = await rows(page, '#paths-ab-table');
  assert.deepEqual(ab.map((r) => r.slice(0, 4)), [['a (X → M)', '6', '−0.3506', '−0.4477 to −0.2534'], ['b (M → Y)', '6', '0.2071', '0.1540 to 0.2601']]);
  // No limits in the data: no SE-rule sensitivity; no rounding unless asked.
  assert.ok(await page.isHidden('#sensitivity-section'));
  assert.ok(await page.isHidden('#rounding-section'));
  assert.deepEqual(await page.$$eval('#section-links a', (as) => as.map((a) => a.textContent)), ['Paths vs a·b', 'Summary table']);
  await sectionShot(page, 'paths-section', 'mediation-paths-section');
  await page.locator('#studies-table').screenshot({ path: path.join(ARTIFACTS, 'mediation-studies.png') });
  await shot(page, 'mediation-paths-desktop', { fullPage: true });

  // The bivariate model of a and b beside them.
  await page.selectOption('#mediation', 'bivariate');
  await page.waitForFunction(() => /Bivariate model/.test(document.querySelector('#paths-table thead').textContent));
  assert.deepEqual(await headers(page, '#paths-table'),
    ['', 'Pooling each study’s a·b', 'Pooling a and b: â·b̂', 'Bivariate model: μ̂a·μ̂b', 'Difference, paths − a·b',
      'Difference, bivariate − a·b']);
  const bv = await rows(page, '#paths-table');
  // Both between-study variances are 0 here, so the joint fit's â·b̂ is the separate fits'.
  assert.deepEqual(bv[1], ['Indirect effect', '−0.0635', '−0.0726', '−0.0726', '−0.0091 (−14.4%)', '−0.0091 (−14.4%)']);
  assert.match(bv[2][3], /^−0\.102[01]$/);
  assert.match(bv[2][4], /^−0\.011[23]$/);
  assert.match(bv[2][5], /^−0\.01\d\d$/);
  assert.match(await text(page, '#paths-verdict'), /The bivariate model \(a and b fitted jointly by REML, Wald-type CIs\) gives −0\.0726 \(95% CI −0\.102[01] to −0\.0470, from correlated Monte Carlo draws\); the between-study correlation of a and b is not identified \(a between-study variance is 0\); its CI is \d\.\d\d times as wide as the pooled a·b’s\./);
  assert.deepEqual((await rows(page, '#paths-ab-table')).map((x) => x[0]), ['a (X → M)', 'b (M → Y)', 'a, bivariate model', 'b, bivariate model']);
  assert.match(await page.textContent('#warnings'), /bivariate model: the between-study variances of a and b are both 0/i);
  await sectionShot(page, 'paths-section', 'mediation-bivariate-section');

  // Pooling each a·b only: the comparison goes.
  await page.selectOption('#mediation', 'ie');
  await page.waitForSelector('#paths-section', { state: 'hidden' });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('SE of a·b, Monte Carlo draws and seed change the studies; wrong numbers are said in words', async () => {
  const page = await openExample(s.context, s.url, 'mediation_paths');
  await shown(page, 'paths-section');
  let before = await studiesNow(page);
  // Aroian's second-order variance: a larger SE, the same intervals of a·b.
  await page.selectOption('#ie-se', 'aroian');
  await studiesChange(page, before);
  let r = await rows(page, '#studies-table');
  assert.deepEqual(r[0].slice(2, 6), ['0.0348', '−0.1564 to −0.0200', '−0.1641 to −0.0296', '−0.1650 to −0.0296']);
  assert.match(await text(page, '#studies-note'), /second-order \(Aroian\) variance/);
  // Another seed: other Monte Carlo intervals (the product intervals are exact, so they stay).
  const mcBefore = r.map((x) => x[4]);
  before = await studiesNow(page);
  await page.fill('#seed', '7');
  await studiesChange(page, before);
  r = await rows(page, '#studies-table');
  assert.notDeepEqual(r.map((x) => x[4]), mcBefore);
  assert.equal(r[0][5], '−0.1650 to −0.0296');
  assert.match(await text(page, '#studies-note'), /seed 7;/);
  // 0 draws: no Monte Carlo column, and no Monte Carlo CI of â·b̂.
  await page.fill('#mc-draws', '0');
  await page.waitForFunction(() => !/Monte Carlo/.test(document.querySelector('#studies-table thead').textContent));
  assert.deepEqual(await headers(page, '#studies-table'), ['Study', 'Estimate', 'SE', '95% CI', 'Product 95% CI', 'Weight']);
  assert.match(await text(page, '#studies-note'), /no Monte Carlo CIs \(0 draws\)/);
  assert.equal((await rows(page, '#paths-table'))[2][2], '—');
  assert.match(await text(page, '#paths-method'), /no Monte Carlo CI \(0 draws\)/);
  // Numbers the core refuses, or that are not whole numbers, are said in words; the data stay.
  await page.fill('#mc-draws', '500');
  await page.waitForSelector('#error-state:not([hidden])');
  assert.match(await page.textContent('#error-message'), /^Unknown mc-draws '500': choose one of 0 \(no Monte Carlo interval\) or a number from 1000 to 10000000/);
  await page.fill('#mc-draws', '2500.5');
  await page.waitForFunction(() => /whole number/.test(document.getElementById('error-message').textContent));
  assert.equal(await page.textContent('#error-message'), 'Monte Carlo draws must be a whole number: 0 (none) or 1000 to 10000000');
  await page.fill('#mc-draws', '20000');
  await page.fill('#seed', '');
  await page.waitForFunction(() => /seed must be a whole number/.test(document.getElementById('error-message').textContent));
  await page.fill('#seed', '7');
  await waitSummary(page, /k = 6/);
  assert.equal(await page.inputValue('#grid tbody input[data-row="0"][data-col="1"]'), '-0.42');
  await shot(page, 'mediation-controls-paths', { clip: await page.locator('#mediation-controls').boundingBox() });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the IE example: the SE-rule sensitivity, the rounding ranges and a published result', async () => {
  const page = await openExample(s.context, s.url, 'mediation_ie');
  await waitSummary(page, /k = 7/);
  assert.ok(await controlShown(page, 'ci-se-rule'));
  for (const id of ['mediation', 'ie-se', 'mc-draws', 'seed']) assert.ok(!(await controlShown(page, id)), `${id} hidden: no paths`);
  // No paths: the studies table has no intervals of a·b.
  assert.deepEqual(await headers(page, '#studies-table'), ['Study', 'Estimate', 'SE', '95% CI', 'Weight']);
  assert.ok(await page.isHidden('#studies-note'));

  // The pooled result under each rule; ▲ marks the one used.
  await shown(page, 'sensitivity-section');
  let r = await rows(page, '#sensitivity-table');
  assert.deepEqual(r.map((x) => x.slice(1, 3)), [['−0.0685', '−0.0935 to −0.0435'], ['−0.0676', '−0.0962 to −0.0390'],
    ['−0.0700', '−0.0923 to −0.0478']]);
  assert.deepEqual(r.map((x) => x[0]), ['▲Full width / 2z (used above)', 'Wider half / z', 'Half towards 0 / z']);
  assert.equal(await text(page, '#sensitivity-verdict'), 'The CI excludes 0 under every rule: the conclusion does not depend on the rule.');
  await page.selectOption('#ci-se-rule', 'wider');
  await page.waitForFunction(() => document.querySelector('#sensitivity-table tr.chosen th')?.textContent.startsWith('▲Wider'));
  assert.deepEqual((await rows(page, '#results-table'))[0].slice(0, 3), ['Pooled estimate', '−0.0676', '−0.0962 to −0.0390']);
  assert.match(await page.textContent('#warnings'), /taken from their wider half/);
  await sectionShot(page, 'sensitivity-section', 'mediation-sensitivity-section');
  await page.selectOption('#ci-se-rule', 'width');

  // Rounding: the example checks a published result, which fits.
  await shown(page, 'rounding-section');
  assert.ok(await page.isChecked('#rounding'));
  assert.equal(await page.inputValue('#reported'), '−0.07 (−0.09, −0.04)');
  await page.waitForFunction(() => document.querySelector('#rounding-table tbody tr th')?.textContent === 'Pooled estimate'
    && /−0\.0685/.test(document.getElementById('rounding-table').textContent));
  assert.deepEqual(await rows(page, '#rounding-table'), [
    ['Pooled estimate', '−0.0685', '−0.0772 to −0.0597', '−0.07', 'yes'],
    ['95% CI, lower limit', '−0.0935', '−0.1025 to −0.0841', '−0.09', 'yes'],
    ['95% CI, upper limit', '−0.0435', '−0.0522 to −0.0348', '−0.04', 'yes'],
  ]);
  assert.match(await text(page, '#rounding-method'), /all 21 such numbers moving at once \(490 fits/);
  assert.equal(await text(page, '#rounding-verdict'), 'The published result −0.07 (−0.09, −0.04) is consistent with these data '
    + 'and this model: each of its numbers, within its own rounding, lies in its range.');
  // Another published result: analysed when complete (Enter), not while it is typed.
  await page.fill('#reported', '−0.12 (−0.20, −0.0');
  await page.waitForTimeout(150);
  assert.ok(await page.isVisible('#results'), 'no analysis of a half-typed result');
  await page.fill('#reported', '−0.12 (−0.20, −0.04)');
  await page.press('#reported', 'Enter');
  await page.waitForSelector('#rounding-table tr.outside');
  r = await rows(page, '#rounding-table');
  assert.deepEqual(r.map((x) => x.slice(3)), [['−0.12', 'no'], ['−0.20', 'no'], ['−0.04', 'yes']]);
  assert.match(await text(page, '#rounding-verdict'), /^The published result −0\.12 \(−0\.20, −0\.04\) is not consistent with these data and this model: its estimate and lower limit lie outside the range even allowing for their rounding\./);
  await sectionShot(page, 'rounding-section', 'mediation-rounding-section');
  // Text that is not a result: the core says so; fixing it brings the results back.
  await page.fill('#reported', 'abc');
  await page.press('#reported', 'Enter');
  await page.waitForSelector('#error-state:not([hidden])');
  assert.match(await page.textContent('#error-message'), /^Unknown reported 'abc': choose one of an estimate and its confidence limits/);
  await page.fill('#reported', '');
  await page.locator('#reported').blur();
  await shown(page, 'results');
  await page.waitForFunction(() => /Type a published pooled result/.test(document.getElementById('rounding-verdict').textContent));
  assert.deepEqual(await headers(page, '#rounding-table'), ['', 'Computed', 'Range over the rounding']);
  // Unticking takes the ranges away and keeps the text for later.
  await page.fill('#reported', '-0.07 (-0.09, -0.04)');
  await page.uncheck('#rounding');
  await page.waitForSelector('#rounding-section', { state: 'hidden' });
  assert.ok(await page.isDisabled('#reported'));
  assert.equal(await page.inputValue('#reported'), '-0.07 (-0.09, -0.04)');
  await page.check('#rounding');
  await page.waitForFunction(() => /is consistent/.test(document.getElementById('rounding-verdict').textContent));
  await shot(page, 'mediation-ie-desktop', { fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the summary table: a row per combination, its forest plot, and each row opens its own analysis', async () => {
  const page = await openExample(s.context, s.url, 'mediation_ie');
  await shown(page, 'table-section');
  assert.equal(await page.textContent('#table-heading'), 'Summary table by mediator, outcome');
  assert.deepEqual(await headers(page, '#summary-table'),
    ['mediator', 'outcome', 'k', 'Estimate', '95% CI', 'p', 'τ²', 'I²', '95% PI', 'Analysis']);
  const r = await rows(page, '#summary-table');
  assert.deepEqual(r.map((x) => x.slice(0, 5)), [
    ['catastrophizing', 'disability', '2', '−0.0835', '−0.1409 to −0.0261'],
    ['fear', 'disability', '4', '−0.0608', '−0.0931 to −0.0284'],
    ['self-efficacy', 'disability', '1', '−0.0800', '−0.1450 to −0.0150'],
  ]);
  assert.deepEqual(r[0].slice(5, 9), ['0.0044', '0.0003', '17.2%', '−0.1505 to −0.0165']);
  assert.match(await page.textContent('#warnings'), /table row mediator = self-efficacy, outcome = disability: with a single study/i);
  // The pooled rows drawn by the core, with downloads.
  assert.ok(await ink(page, 'summaryforest') > 1000, 'the summary forest plot has ink');
  const size = await page.$eval('#summaryforest', (c) => [c.width, c.clientWidth]);
  assert.equal(size[0], size[1]);
  const svg = await download(page, '#summaryforest-svg');
  assert.equal(svg.name, 'summaryforest.svg');
  assert.match(svg.body, /^<svg[\s\S]*mediator · outcome[\s\S]*catastrophizing · disability[\s\S]*<\/svg>\s*$/);
  const png = await download(page, '#summaryforest-png');
  assert.equal(png.name, 'summaryforest.png');
  assert.deepEqual([...png.bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  await sectionShot(page, 'table-section', 'mediation-table-section');

  // "Open": a share link to this row's studies alone, in a new tab; this page stays as it is.
  await page.waitForFunction(() => [...document.querySelectorAll('#summary-table a.open-row')].every((a) => a.href.includes('#doc=')));
  const link = await page.getAttribute('#summary-table tbody tr:nth-child(2) a.open-row', 'href');
  assert.equal(await page.getAttribute('#summary-table tbody tr:nth-child(2) a.open-row', 'target'), '_blank');
  assert.match(await page.getAttribute('#summary-table tbody tr:nth-child(2) a.open-row', 'aria-label'),
    /^Open the analysis of mediator = fear, outcome = disability in a new tab$/);
  const doc = await decode(page, link);
  assert.deepEqual(doc.data.trim().split('\n').map((l) => l.split(',')[0]),
    ['study', 'Study A (illustrative)', 'Study B (illustrative)', 'Study D (illustrative)', 'Study G (illustrative)']);
  assert.deepEqual(doc.options, { method: 'REML', ci: 'z', level: 0.95, ci_level_in: 0.95, rounding: true });
  const [tab] = await Promise.all([s.context.waitForEvent('page'), page.click('#summary-table tbody tr:nth-child(2) a.open-row')]);
  await settled(tab);
  const sentence = await waitSummary(tab, /k = 4/);
  assert.match(sentence, /^Pooled estimate −0\.061 \(95% CI −0\.093 to −0\.028\)/);
  assert.equal((await rows(tab, '#results-table'))[0][1], '−0.0608', 'the same as the row of the summary table');
  assert.equal(await tab.locator('#studies-table tbody tr').count(), 4);
  assert.ok(await tab.isHidden('#table-section'));
  await tab.close();
  assert.equal(await page.locator('#grid tbody tr').count(), 7, 'the full data stay on this page');
  assert.equal((await rows(page, '#summary-table')).length, 3);

  // The columns in the order they were ticked; one column gives a row per value.
  await page.uncheck('#table-columns input[value="mediator"]');
  await page.waitForFunction(() => document.getElementById('table-heading').textContent === 'Summary table by outcome');
  assert.deepEqual((await rows(page, '#summary-table')).map((x) => x.slice(0, 2)), [['disability', '7']]);
  await page.check('#table-columns input[value="mediator"]');
  await page.waitForFunction(() => document.getElementById('table-heading').textContent === 'Summary table by outcome, mediator');
  assert.deepEqual((await headers(page, '#summary-table')).slice(0, 3), ['outcome', 'mediator', 'k']);
  // No columns ticked: no table.
  await page.uncheck('#table-columns input[value="mediator"]');
  await page.uncheck('#table-columns input[value="outcome"]');
  await page.waitForSelector('#table-section', { state: 'hidden' });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('cov_ab can be chosen as a column role and enters the variance of a·b', async () => {
  const page = await openExample(s.context, s.url, 'bcg');
  await page.click('#clear-data');
  await paste(page, 0, 0, 'study\ta\tsa\tb\tsb\tc\nA\t-0.42\t0.11\t0.21\t0.06\t0.001\nB\t-0.30\t0.14\t0.18\t0.08\t0\nC\t-0.51\t0.13\t0.24\t0.07\t\n');
  await waitSummary(page, /k = 3/);
  assert.equal((await rows(page, '#studies-table'))[0][2], '0.0342');
  const roles = await page.$$eval('#grid select.role[data-col="5"] option', (os) => os.map((o) => [o.value, o.textContent]));
  assert.ok(roles.some(([v, t]) => v === 'cov_ab' && t === 'Covariance of a and b'), JSON.stringify(roles));
  await page.selectOption('#grid select.role[data-col="5"]', 'cov_ab');
  // vi = a²sb² + b²sa² + 2ab·cov_ab = 0.00116865 − 0.0001764 = 0.00099225: SE 0.0315.
  await page.waitForFunction(() => document.querySelector('#studies-table tbody tr td:nth-child(3)')?.textContent === '0.0315');
  assert.equal(await page.getAttribute('#grid select.role[data-col="5"]', 'data-role'), 'cov_ab');
  // The role travels in the link.
  const doc = await decode(page, await copyLink(page));
  assert.deepEqual(doc.options.roles, { c: 'cov_ab' });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a share link carries every mediation option and restores the controls and the numbers', async () => {
  const page = await openExample(s.context, s.url, 'mediation_paths');
  await shown(page, 'paths-section');
  await page.selectOption('#ie-se', 'aroian');
  await page.fill('#mc-draws', '20000');
  await page.fill('#seed', '12345');
  await page.check('#rounding');
  await page.fill('#reported', '−0.07 (−0.10, −0.04)');
  await page.press('#reported', 'Enter');
  await shown(page, 'rounding-section');
  await page.waitForFunction(() => /seed 12345/.test(document.getElementById('studies-note').textContent)
    && /20,000 draws/.test(document.getElementById('paths-method').textContent)
    && /−0\.07 \(−0\.10, −0\.04\)/.test(document.getElementById('rounding-verdict').textContent));
  const link = await copyLink(page);
  const doc = await decode(page, link);
  assert.deepEqual(doc.options, {
    method: 'REML', ci: 'z', level: 0.95, ci_level_in: 0.95,
    mediation: 'paths', ie_se: 'aroian', mc_draws: 20000, seed: 12345, table: ['mediator'], rounding: true,
    reported: '−0.07 (−0.10, −0.04)',
  });
  const tables = async (p) => ({
    studies: await rows(p, '#studies-table'), paths: await rows(p, '#paths-table'), rounding: await rows(p, '#rounding-table'),
    table: (await rows(p, '#summary-table')).map((x) => x.slice(0, -1)),
  });
  const mine = await tables(page);

  const other = await open(s.context, link);
  await settled(other);
  await waitSummary(other, /k = 6/);
  for (const id of ['paths', 'rounding', 'table']) await shown(other, `${id}-section`);
  assert.equal(await other.inputValue('#mediation'), 'paths');
  assert.equal(await other.inputValue('#ie-se'), 'aroian');
  assert.equal(await other.inputValue('#mc-draws'), '20000');
  assert.equal(await other.inputValue('#seed'), '12345');
  assert.ok(await other.isChecked('#rounding'));
  assert.equal(await other.inputValue('#reported'), '−0.07 (−0.10, −0.04)');
  assert.deepEqual(await other.$$eval('#table-columns input:checked', (is) => is.map((i) => i.value)), ['mediator']);
  // The seeded Monte Carlo intervals come out the same.
  assert.deepEqual(await tables(other), mine);
  // And the page writes the same link again: nothing dropped.
  assert.deepEqual((await decode(other, await copyLink(other))).options, doc.options);
  assert.deepEqual(other.problems, []);
  await other.close();

  // A link made elsewhere: the rule as people write it, the table as one string; an option the
  // data have no use for (paths options on IE data) stays shown and is kept.
  const code = await encode(page, {
    data: example('mediation_ie'),
    options: { ci_se_rule: 'Zero-side', table: 'outcome, mediator', ie_se: 'aroian', mediation: 'ie' },
  });
  const third = await open(s.context, `${s.url}#doc=${code}`);
  await settled(third);
  await waitSummary(third, /k = 7/);
  assert.equal(await third.inputValue('#ci-se-rule'), 'zero_side');
  await third.waitForFunction(() => document.querySelector('#sensitivity-table tr.chosen th')?.textContent.startsWith('▲Half towards 0'));
  assert.equal(await third.textContent('#table-heading'), 'Summary table by outcome, mediator');
  assert.ok(await controlShown(third, 'ie-se'), 'a chosen option is never hidden');
  assert.ok(!(await controlShown(third, 'mc-draws')));
  const again = (await decode(third, await copyLink(third))).options;
  assert.equal(again.ci_se_rule, 'zero_side');
  assert.equal(again.ie_se, 'aroian');
  assert.deepEqual(again.table, ['outcome', 'mediator']);
  assert.equal(again.mediation, undefined, 'the default is left out');
  await third.close();

  // Wrong types are refused with the reason, and the page stays usable.
  const bad = await encode(page, { data: example('mediation_paths'), options: { mc_draws: 1.5 } });
  const fourth = await open(s.context, `${s.url}#doc=${bad}`);
  await settled(fourth);
  await fourth.waitForSelector('#fatal:not([hidden])');
  assert.match(await fourth.textContent('#fatal-text'), /This link could not be opened: option "mc_draws" must be a whole number/);
  await fourth.close();
  await page.close();
});

test('a parent page\'s document sets the mediation options, and the page keeps them', async () => {
  const parent = await parentSite(s.url, { width: 1200, height: 900 });
  try {
    const page = await open(s.context, `${parent.url}parent.html`);
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:ready'));
    const options = { mediation: 'paths', ie_se: 'aroian', mc_draws: 5000, seed: 3, table: ['mediator'], reported: '-0.07 (-0.10, -0.04)' };
    await page.evaluate(([d, o]) => window.send({ type: 'metapool:load', doc: { data: d, options: o } }), [example('mediation_paths'), options]);
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:report' && m.report.paths && m.report.table && m.report.rounding));
    const report = await page.evaluate(() => window.got.filter((m) => m.type === 'metapool:report').at(-1).report);
    assert.equal(report.ie_settings.ie_se, 'aroian');
    assert.equal(report.ie_settings.mc_draws, 5000);
    assert.equal(report.ie_settings.seed, 3);
    assert.equal(report.paths.ie.draws, 5000);
    assert.equal(report.rounding.reported.inside, true);
    const frame = page.frameLocator('#f');
    await frame.locator('#paths-section:not([hidden])').waitFor();
    assert.equal(await frame.locator('#ie-se').inputValue(), 'aroian');
    assert.equal(await frame.locator('#mc-draws').inputValue(), '5000');
    assert.ok(await frame.locator('#rounding').isChecked(), 'a published result implies the rounding ranges');
    // An edit inside the frame analyses again with every option still there.
    await frame.locator('#grid tbody input[data-row="0"][data-col="1"]').fill('-0.40');
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:report' && m.report.studies[0].yi === -0.084));
    const after = await page.evaluate(() => window.got.filter((m) => m.type === 'metapool:report').at(-1).report);
    assert.equal(after.ie_settings.ie_se, 'aroian');
    assert.equal(after.ie_settings.seed, 3);
    assert.ok(after.paths && after.table && after.rounding.reported);
    // A wrong type is refused with its reason.
    await page.evaluate(() => window.send({ type: 'metapool:load', doc: { data: 'study,yi,vi\nA,1,1\n', options: { rounding: 'yes' } } }));
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:error' && /"rounding" must be a boolean/.test(m.error.message)));
    await page.close();
  } finally {
    await parent.close();
  }
});

test('the CSV has the intervals of a·b and a block per mediation part; names stay text', async () => {
  const page = await openExample(s.context, s.url, 'mediation_paths');
  await shown(page, 'paths-section');
  await page.check('#rounding');
  await shown(page, 'rounding-section');
  let lines = (await download(page, '#download-csv')).body.split('\r\n');
  assert.equal(lines[0], 'study,row,estimate,se,ci_lower,ci_upper,weight_percent,mc_lower,mc_upper,dop_lower,dop_upper');
  assert.match(lines[1], /^Study A \(illustrative\),1,-0\.0881999\d*,.*,-0\.164129800098\d*,-0\.0295759939624\d*,-0\.164969694754\d*,-0\.0295989781445\d*$/);
  for (const head of ['indirect_effect,k,estimate,ci_lower,ci_upper,dop_lower,dop_upper,note', 'pooled_path,k,estimate,se',
    'rounding,computed,range_lower,range_upper,published,published_fits', 'mediator,k,estimate,se,ci_lower,ci_upper,p,tau2']) {
    assert.ok(lines.includes(head) || lines.some((l) => l.startsWith(head)), `the CSV has a block starting ${head}`);
  }
  assert.ok(lines.some((l) => /^pooled_paths_a_times_b,6,-0\.0725881972718\d*,/.test(l)));
  assert.ok(lines.some((l) => l.startsWith('catastrophizing,2,')));
  // The IE example: the SE rules; no intervals of a·b.
  await page.selectOption('#example', 'mediation_ie');
  await waitSummary(page, /k = 7/);
  await shown(page, 'sensitivity-section');
  lines = (await download(page, '#download-csv')).body.split('\r\n');
  assert.equal(lines[0], 'study,row,estimate,se,ci_lower,ci_upper,weight_percent');
  assert.ok(lines.some((l) => /^width,-0\.0684748316218\d*,.*,yes$/.test(l)));
  assert.ok(lines.some((l) => /^zero_side,.*,no$/.test(l)));
  // Hostile group names: text on screen, in the link labels and defused in the CSV.
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const evil = '<img src=x onerror=alert(1)>';
  await page.click('#clear-data');
  await paste(page, 0, 0, `study\tyi\tvi\tgroup\nA\t0.1\t0.01\t${evil}\nB\t0.3\t0.02\t${evil}\nC\t0.2\t0.01\t=1+1\n`);
  await waitSummary(page, /k = 3/);
  await page.check('#table-columns input[value="group"]');
  await shown(page, 'table-section');
  assert.deepEqual((await rows(page, '#summary-table')).map((x) => x[0]), [evil, '=1+1']);
  assert.equal(await page.getAttribute('#summary-table tbody tr:first-child a', 'aria-label'), `Open the analysis of group = ${evil} in a new tab`);
  assert.equal(await page.locator('#analyses-panel img').count(), 0);
  assert.ok(await ink(page, 'summaryforest') > 500);
  lines = (await download(page, '#download-csv')).body.split('\r\n');
  assert.ok(lines.some((l) => l.startsWith("'=1+1,1,")), 'a formula-like name is defused');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('on a phone the mediation controls and sections fit the screen', async () => {
  const phone = await start({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  try {
    const page = await open(phone.context, phone.url);
    await settled(page);
    await waitSummary(page, /k = 13/);
    const code = await encode(page, {
      data: example('mediation_paths'),
      options: { mediation: 'paths', table: ['mediator'], reported: '−0.07 (−0.10, −0.04)' },
    });
    await page.goto(`${phone.url}#doc=${code}`);
    await page.reload();
    await settled(page);
    for (const id of ['paths', 'rounding', 'table']) await shown(page, `${id}-section`);
    await page.waitForFunction(() => document.getElementById('summaryforest').width > 0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
    const size = await page.$eval('#summaryforest', (c) => [c.width, c.clientWidth]);
    assert.equal(size[0], size[1] * 2, 'crisp at a device pixel ratio of 2');
    await page.locator('#options').screenshot({ path: path.join(ARTIFACTS, 'mediation-phone-controls.png') });
    await page.locator('#analyses-panel').screenshot({ path: path.join(ARTIFACTS, 'mediation-phone-sections.png') });
    await page.locator('#studies-table').screenshot({ path: path.join(ARTIFACTS, 'mediation-phone-studies.png') });
    assert.deepEqual(page.problems, []);
  } finally {
    await phone.close();
  }
});
