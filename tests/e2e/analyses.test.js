// The optional analyses on the page: subgroups, meta-regression, small-study effects,
// leave-one-out and cumulative, chosen in the Analysis panel, carried by links and messages,
// shown in their own sections with plots, and in the CSV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  start, open, settled, shot, ARTIFACTS, waitSummary, text, rows, shown, ink, paste, download, encode, decode, studiesCsv,
  parentSite,
} from './helpers.js';

let s;
before(async () => { s = await start(); });
after(async () => { await s?.close(); });

/** A freshly opened page with the BCG example analysed. */
async function bcg() {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  return page;
}

test('subgroups by alloc: a row per subgroup and the test for subgroup differences', async () => {
  const page = await bcg();
  assert.ok(await page.isHidden('#analyses-panel'));
  // The choices are the data's other columns.
  assert.deepEqual(await page.$$eval('#by option', (os) => os.map((o) => o.textContent)), ['none', 'ablat', 'alloc', 'year']);
  assert.deepEqual(await page.$$eval('#mods input', (is) => is.map((i) => i.value)), ['ablat', 'alloc', 'year']);
  await page.selectOption('#by', 'alloc');
  await shown(page, 'subgroups-section');
  assert.equal(await page.textContent('#subgroups-heading'), 'Subgroups by alloc');
  assert.match(await page.textContent('#subgroups-method'), /random-effects model, τ² by REML, each subgroup with its own τ²/);
  const r = await rows(page, '#subgroups-table');
  assert.deepEqual(r.map((x) => x[0]), ['alternate', 'random', 'systematic', 'All studies']);
  assert.deepEqual(r.map((x) => x[1]), ['2', '7', '4', '13']);
  assert.deepEqual(r[1].slice(2, 4), ['−0.9710', '−1.5118 to −0.4301']);
  assert.equal(r[3][2], '−0.7145');
  assert.match(await text(page, '#subgroup-test'), /^Test for subgroup differences: Q = 1\.86, df = 2, p = 0\.3943 /);
  const headers = await page.$$eval('#subgroups-table thead th', (ths) => ths.map((t) => t.textContent));
  assert.deepEqual(headers, ['Subgroup', 'k', 'Estimate', '95% CI', 'τ²', 'I²', 'Q', 'df', 'p']);
  // Only this section is shown, with a link to it under the summary.
  for (const id of ['regression', 'bias', 'leave1out', 'cumulative']) assert.ok(await page.isHidden(`#${id}-section`));
  assert.equal(await page.textContent('#section-links a'), 'Subgroups');
  await page.locator('#subgroups-section').screenshot({ path: path.join(ARTIFACTS, 'analyses-subgroups.png') });
  // "none" takes it away again.
  await page.selectOption('#by', '');
  await page.waitForSelector('#analyses-panel', { state: 'hidden' });
  assert.ok(await page.isHidden('#section-links'));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('moderators: the coefficients of a meta-regression, in the order they were ticked', async () => {
  const page = await bcg();
  await page.check('#mods input[value="ablat"]');
  await shown(page, 'regression-section');
  assert.equal(await page.textContent('#regression-heading'), 'Meta-regression on ablat');
  let r = await rows(page, '#regression-table');
  assert.deepEqual(r.map((x) => x[0]), ['Intercept', 'ablat']);
  assert.deepEqual(r[1].slice(1), ['−0.0291', '0.0072', '−4.0445', '< 0.0001', '−0.0432 to −0.0150']);
  const fit = await rows(page, '#regression-fit');
  assert.deepEqual(fit[0], ['Test of moderators, QM', '16.3583', 'χ² with 1 df, p < 0.0001']);
  assert.deepEqual(fit[1], ['Residual heterogeneity, QE', '30.7328', 'df = 11, p = 0.0012']);
  assert.equal(fit[5][1], '75.63%');
  await page.locator('#regression-section').screenshot({ path: path.join(ARTIFACTS, 'analyses-regression.png') });
  // A text moderator: its levels against the first; Knapp–Hartung makes the test an F test.
  await page.check('#mods input[value="alloc"]');
  await page.selectOption('#ci', 'hksj');
  await page.waitForFunction(() => /F\(3, 9\)/.test(document.getElementById('regression-fit').textContent));
  r = await rows(page, '#regression-table');
  assert.deepEqual(r.map((x) => x[0]), ['Intercept', 'ablat', 'alloc: random', 'alloc: systematic']);
  assert.equal(await page.getAttribute('#regression-table tbody tr:nth-child(3) th', 'title'), 'allocrandom');
  assert.deepEqual(await page.$$eval('#regression-table thead th', (ths) => ths.map((t) => t.textContent)),
    ['Coefficient', 'Estimate', 'SE', 't', 'p', '95% CI']);
  assert.match(await text(page, '#regression-fit'), /F\(3, 9\), p = 0\.0650/);
  // Unticking ablat leaves alloc alone.
  await page.uncheck('#mods input[value="ablat"]');
  await page.waitForFunction(() => document.getElementById('regression-heading').textContent === 'Meta-regression on alloc');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('small-study effects: Egger, Begg, trim and fill, fail-safe N, PET and PEESE', async () => {
  const page = await bcg();
  await page.check('#bias');
  await shown(page, 'bias-section');
  const r = await rows(page, '#bias-table');
  assert.deepEqual(r.map((x) => x[0]), ['Egger\'s test', 'Begg\'s test', 'Trim and fill', 'Fail-safe N', 'PET', 'PEESE']);
  assert.deepEqual(r[0].slice(1), ['t(11) = −1.4012', '0.1887', '−0.1909', '−0.6754 to 0.2935']);
  assert.deepEqual(r[1].slice(1, 3), ['τ = 0.0256', '0.9524 (exact)']);
  assert.deepEqual(r[2].slice(1), ['k0 = 1, right', '—', '−0.6571', '−1.0070 to −0.3072']);
  assert.equal(r[3][1], 'N = 598');
  assert.deepEqual(r[5].slice(3), ['−0.3800', '−0.7261 to −0.0338']);
  const notes = await text(page, '#bias-notes');
  assert.match(notes, /Egger's regression test: .*\(p = 0\.1887\)/);
  assert.match(notes, /1 missing study on the right side/);
  assert.match(notes, /5k \+ 10 = 75 robust; this N is above it/);
  await page.locator('#bias-section').screenshot({ path: path.join(ARTIFACTS, 'analyses-bias.png') });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('leave-one-out: a row per study with its influence; influential studies are marked', async () => {
  const page = await bcg();
  await page.check('#leave1out');
  await shown(page, 'leave1out-section');
  const r = await rows(page, '#leave1out-table');
  assert.equal(r.length, 13);
  assert.deepEqual(r[0], ['Aronson 1948', '−0.7071', '−1.0794 to −0.3348', '0.3362', '93.2%', '151.58',
    '−0.218', '−0.041', '0.002', '0.051', '5.1%']);
  assert.equal(await page.locator('#leave1out-table tr.influential').count(), 0);
  assert.match(await text(page, '#leave1out-influential'), /^No study is influential by metafor's rule/);
  await page.locator('#leave1out-section').screenshot({ path: path.join(ARTIFACTS, 'analyses-leave1out.png') });
  // An outlier is flagged, marked in the table and named under it.
  await page.click('#clear-data');
  await paste(page, 0, 0, 'study\tyi\tvi\nA\t0.10\t0.02\nB\t0.20\t0.03\nC\t0.15\t0.02\nD\t0.12\t0.025\nE\t0.18\t0.03\nF\t0.05\t0.02\nG\t1.60\t0.02\n');
  await waitSummary(page, /k = 7/);
  assert.ok(await page.isChecked('#leave1out'), 'new data keeps the analyses ticked');
  await page.waitForSelector('#leave1out-table tr.influential');
  assert.deepEqual(await page.$$eval('#leave1out-table tr.influential th', (ths) => ths.map((t) => t.textContent)), ['▲G (influential)']);
  assert.match(await text(page, '#leave1out-influential'), /^▲ Influential by metafor's rule: .*: G\.$/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('cumulative meta-analysis in data order or sorted by a column', async () => {
  const page = await bcg();
  assert.ok(await page.isDisabled('#cumulative-by'));
  await page.check('#cumulative');
  await shown(page, 'cumulative-section');
  assert.equal(await page.textContent('#cumulative-heading'), 'Cumulative meta-analysis');
  let r = await rows(page, '#cumulative-table');
  assert.equal(r.length, 13);
  assert.deepEqual(r.map((x) => x[0]).slice(0, 2), ['Aronson 1948', 'Ferguson & Simes 1949']);
  assert.deepEqual(r[12].slice(1, 4), ['13', '−0.7145', '−1.0669 to −0.3622']);
  assert.ok(await page.isEnabled('#cumulative-by'));
  await page.selectOption('#cumulative-by', 'year');
  await page.waitForFunction(() => document.getElementById('cumulative-heading').textContent === 'Cumulative meta-analysis by year');
  r = await rows(page, '#cumulative-table');
  assert.deepEqual(r.map((x) => x[0]).slice(0, 3), ['Aronson 1948', 'Ferguson & Simes 1949', 'Stein & Aronson 1953']);
  assert.equal(r[12][0], 'TPT Madras 1980');
  await page.locator('#cumulative-section').screenshot({ path: path.join(ARTIFACTS, 'analyses-cumulative.png') });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the plots of the analyses: drawn in their sections, downloadable as SVG and PNG', async () => {
  const page = await bcg();
  await page.selectOption('#by', 'alloc');
  await page.check('#mods input[value="ablat"]');
  await page.check('#bias');
  await page.check('#leave1out');
  for (const id of ['subgroups', 'regression', 'bias', 'leave1out']) await shown(page, `${id}-section`);
  const kinds = ['subgroupforest', 'bubble', 'funnelcontours', 'leaveoneout', 'baujat'];
  for (const kind of kinds) {
    assert.ok(await page.isVisible(`#${kind}`), `the ${kind} plot is shown`);
    assert.ok(await ink(page, kind) > 1000, `the ${kind} plot has ink`);
    const size = await page.$eval(`#${kind}`, (c) => ({ w: c.width, h: c.height, cw: c.clientWidth, ch: c.clientHeight }));
    assert.deepEqual([size.w, size.h], [size.cw, size.ch], `${kind}: one device pixel per CSS pixel here`);
  }
  assert.equal(await page.locator('.plot-error').count(), 0);
  const svg = (await download(page, '#subgroupforest-svg')).body;
  assert.match(svg, /^<svg[\s\S]*systematic[\s\S]*<\/svg>\s*$/);
  for (const kind of ['bubble', 'funnelcontours', 'leaveoneout', 'baujat']) {
    assert.match((await download(page, `#${kind}-svg`)).body, /^<svg/, `${kind}.svg`);
  }
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#baujat-png')]);
  assert.equal(png.suggestedFilename(), 'baujat.png');
  await page.locator('#regression-section').screenshot({ path: path.join(ARTIFACTS, 'analyses-bubble.png') });
  await page.locator('#bias-section').screenshot({ path: path.join(ARTIFACTS, 'analyses-funnelcontours.png') });
  // The bubble plot is for one numeric moderator only.
  await page.check('#mods input[value="year"]');
  await page.waitForFunction(() => document.getElementById('regression-heading').textContent === 'Meta-regression on ablat, year');
  assert.ok(await page.isHidden('#bubble-figure'));
  await page.uncheck('#mods input[value="ablat"]');
  await page.uncheck('#mods input[value="year"]');
  await page.check('#mods input[value="alloc"]');
  await page.waitForFunction(() => document.getElementById('regression-heading').textContent === 'Meta-regression on alloc');
  assert.ok(await page.isHidden('#bubble-figure'));
  await page.uncheck('#mods input[value="alloc"]');
  await page.check('#mods input[value="year"]');
  await page.waitForFunction(() => !document.getElementById('bubble-figure').hidden);
  assert.ok(await ink(page, 'bubble') > 1000);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a share link carries the analyses and restores the controls and the sections', async () => {
  const page = await bcg();
  await page.selectOption('#by', 'alloc');
  await page.check('#mods input[value="year"]');
  await page.check('#mods input[value="ablat"]');
  await page.check('#leave1out');
  await page.check('#bias');
  await page.check('#cumulative');
  await page.selectOption('#cumulative-by', 'year');
  await shown(page, 'cumulative-section');
  await page.waitForFunction(() => /by year/.test(document.getElementById('cumulative-heading').textContent));
  await page.click('#copy-link');
  await page.waitForSelector('#share-status:not([hidden])');
  const link = await page.inputValue('#share-url');
  const doc = await decode(page, link);
  assert.deepEqual(doc.options, {
    method: 'REML', ci: 'z', level: 0.95, ci_level_in: 0.95,
    by: 'alloc', mods: ['year', 'ablat'], leave1out: true, bias: true, cumulative: true, cumulative_by: 'year',
  });

  const other = await open(s.context, link);
  await settled(other);
  await waitSummary(other, /k = 13/);
  for (const id of ['subgroups', 'regression', 'bias', 'leave1out', 'cumulative']) await shown(other, `${id}-section`);
  assert.equal(await other.inputValue('#by'), 'alloc');
  assert.deepEqual(await other.$$eval('#mods input:checked', (is) => is.map((i) => i.value)).then((v) => v.sort()), ['ablat', 'year']);
  assert.ok(await other.isChecked('#leave1out'));
  assert.ok(await other.isChecked('#bias'));
  assert.ok(await other.isChecked('#cumulative'));
  assert.equal(await other.inputValue('#cumulative-by'), 'year');
  // The coefficients keep the order of the link.
  assert.deepEqual((await rows(other, '#regression-table')).map((x) => x[0]), ['Intercept', 'year', 'ablat']);
  assert.deepEqual(await other.$$eval('#section-links a', (as) => as.map((a) => a.textContent)),
    ['Subgroups', 'Meta-regression', 'Small-study effects', 'Leave-one-out', 'Cumulative']);
  await shot(other, 'analyses-desktop', { fullPage: true });
  await other.locator('#options').screenshot({ path: path.join(ARTIFACTS, 'analyses-controls.png') });
  assert.deepEqual(other.problems, []);
  await other.close();

  // A link made elsewhere may give the moderators as one string; a column the data lacks is
  // kept on offer and the core says what is wrong.
  const code = await encode(page, { data: doc.data, options: { mods: 'ablat, alloc', by: 'region' } });
  const third = await open(s.context, `${s.url}#doc=${code}`);
  await settled(third);
  await third.waitForSelector('#error-state:not([hidden])');
  assert.match(await third.textContent('#error-message'), /^By: there is no column 'region'/);
  assert.equal(await third.inputValue('#by'), 'region');
  assert.deepEqual(await third.$$eval('#mods input:checked', (is) => is.map((i) => i.value)), ['ablat', 'alloc']);
  await third.selectOption('#by', '');
  await shown(third, 'regression-section');
  assert.deepEqual((await rows(third, '#regression-table')).map((x) => x[0]), ['Intercept', 'ablat', 'alloc: random', 'alloc: systematic']);
  // The stale column is gone from the choices once it is no longer chosen.
  assert.deepEqual(await third.$$eval('#by option', (os) => os.map((o) => o.value)), ['', 'ablat', 'alloc', 'year']);
  await third.close();
  await page.close();
});

test('a parent page\'s document sets the analyses too', async () => {
  const parent = await parentSite(s.url, { width: 1200, height: 900 });
  try {
    const page = await open(s.context, `${parent.url}parent.html`);
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:ready'));
    const data = fs.readFileSync(new URL('../../www/examples/bcg.csv', import.meta.url), 'utf8');
    await page.evaluate((d) => window.send({ type: 'metapool:load', doc: { data: d, options: { by: 'alloc', bias: true } } }), data);
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:report' && m.report.subgroups && m.report.bias));
    const report = await page.evaluate(() => window.got.filter((m) => m.type === 'metapool:report').at(-1).report);
    assert.equal(report.subgroup_test.df, 2);
    assert.equal(report.bias.trimfill.k0, 1);
    const frame = page.frameLocator('#f');
    await frame.locator('#subgroups-section:not([hidden])').waitFor();
    assert.equal(await frame.locator('#by').inputValue(), 'alloc');
    assert.ok(await frame.locator('#bias').isChecked());
    // A tick inside the frame reaches the parent as a new report.
    await frame.locator('#leave1out').check();
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:report' && m.report.leave1out?.length === 13));
    await page.close();
  } finally {
    await parent.close();
  }
});

test('hostile column and group names stay text, on screen, in the plots and in the CSV', async () => {
  const page = await bcg();
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const evil = '<img src=x onerror=alert(1)>';
  const group = '<img src=y onerror=alert(2)>';
  const numeric = '<svg onload=alert(3)>';
  await page.click('#clear-data');
  await paste(page, 0, 0, `study\tyi\tvi\t${evil}\t${numeric}\n`
    + `A\t0.10\t0.02\t=HYPERLINK("x")\t1\nB\t0.30\t0.03\t${group}\t2\nC\t0.15\t0.02\t=HYPERLINK("x")\t3\n`
    + `D\t0.42\t0.025\t${group}\t4\nE\t0.35\t0.02\t${group}\t5\n`);
  await waitSummary(page, /k = 5/);
  assert.deepEqual(await page.$$eval('#by option', (os) => os.map((o) => o.value)), ['', evil, numeric]);
  assert.deepEqual(await page.$$eval('#mods label', (ls) => ls.map((l) => l.textContent)), [evil, numeric]);
  await page.selectOption('#by', evil);
  await page.check(`#mods input[value="${numeric}"]`);
  await shown(page, 'subgroups-section');
  await shown(page, 'regression-section');
  assert.equal(await page.textContent('#subgroups-heading'), `Subgroups by ${evil}`);
  assert.deepEqual((await rows(page, '#subgroups-table')).map((x) => x[0]), [group, '=HYPERLINK("x")', 'All studies']);
  assert.equal(await page.textContent('#regression-heading'), `Meta-regression on ${numeric}`);
  // The names are drawn in the plots too (the subgroup forest, the bubble plot's axis).
  await page.waitForFunction(() => !document.getElementById('bubble-figure').hidden);
  assert.ok(await ink(page, 'subgroupforest') > 1000);
  assert.ok(await ink(page, 'bubble') > 1000);
  await page.check(`#mods input[value="${evil}"]`);
  await page.waitForFunction(() => document.querySelectorAll('#regression-table tbody tr').length === 3);
  assert.equal((await rows(page, '#regression-table'))[2][0], `${evil}: =HYPERLINK("x")`);
  await page.waitForTimeout(200);
  assert.equal(await page.locator('img, svg, b, #results script, #analyses-panel script').count(), 0);
  assert.deepEqual(dialogs, []);
  // The CSV has every section, with text cells defused against spreadsheet formulas.
  await page.check('#bias');
  await page.check('#leave1out');
  await page.check('#cumulative');
  await shown(page, 'cumulative-section');
  const csv = (await download(page, '#download-csv')).body;
  const lines = csv.split('\r\n');
  for (const head of ['subgroup,k,estimate', 'coefficient,estimate,se,z,p', 'regression,value', 'small_study_effects,statistic',
    'omitted_study,row,k,estimate', 'added_study,row,k,estimate']) {
    assert.ok(lines.some((l) => l.startsWith(head)), `the CSV has a block starting ${head}`);
  }
  assert.ok(lines.includes(''), 'blocks are separated by empty lines');
  assert.ok(lines.some((l) => l.startsWith('"\'=HYPERLINK(""x"")",2,')), 'a formula-like group name is defused');
  assert.ok(lines.some((l) => l.startsWith('"<img src=x onerror=alert(1)>=HYPERLINK(""x"")",')), 'the coefficient is a quoted text cell');
  assert.ok(lines.some((l) => /^egger_regression_t,/.test(l)));
  assert.ok(!lines.some((l) => /^[=+\-@]/.test(l)), 'no line starts with a formula character');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('on a phone the analyses fit the screen; wide tables scroll inside their box', async () => {
  const phone = await start({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  try {
    const page = await open(phone.context, phone.url);
    await settled(page);
    await waitSummary(page, /k = 13/);
    const data = fs.readFileSync(new URL('../../www/examples/bcg.csv', import.meta.url), 'utf8');
    const code = await encode(page, { data, options: { by: 'alloc', mods: ['ablat'], leave1out: true, bias: true, cumulative_by: 'year' } });
    await page.goto(`${phone.url}#doc=${code}`);
    await page.reload();
    await settled(page);
    for (const id of ['subgroups', 'regression', 'bias', 'leave1out', 'cumulative']) await shown(page, `${id}-section`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
    await page.locator('#analyses-panel').screenshot({ path: path.join(ARTIFACTS, 'analyses-phone.png') });
    assert.deepEqual(page.problems, []);
  } finally {
    await phone.close();
  }
});

test('long leave-one-out and cumulative tables show their first 100 rows and say so', async () => {
  const page = await bcg();
  const data = studiesCsv(150);
  const code = await encode(page, { data, options: { method: 'DL', leave1out: true, cumulative: true } });
  await page.goto(`${s.url}#doc=${code}`);
  await page.reload();
  await settled(page);
  await waitSummary(page, /k = 150/);
  for (const id of ['leave1out', 'cumulative']) {
    await shown(page, `${id}-section`);
    assert.equal(await page.locator(`#${id}-table tbody tr`).count(), 100);
    assert.equal(await text(page, `#${id}-section .rows-note`),
      'The first 100 of 150 rows are shown; Download CSV has them all.');
  }
  // A short table has no note.
  await page.goto(`${s.url}#doc=${await encode(page, { data: studiesCsv(12), options: { leave1out: true } })}`);
  await page.reload();
  await settled(page);
  await waitSummary(page, /k = 12/);
  assert.equal(await page.locator('#leave1out-table tbody tr').count(), 12);
  assert.ok(await page.isHidden('#leave1out-section .rows-note'));
  assert.deepEqual(page.problems, []);
});
