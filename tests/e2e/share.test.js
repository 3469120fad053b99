// Share links (#doc=), the postMessage API from a parent page on another origin, and the
// single-file build opened over file://.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { start, open, settled, shot, DIST, waitSummary, encode, parentSite } from './helpers.js';

let s;
before(async () => { s = await start(); });
after(async () => { await s?.close(); });

const DOC = {
  data: 'study,yi,sei,region\n"Smith, 2001",-0.42,0.18,north\nJones 2004,-0.15,0.12,south\nLee 2010,-0.61,0.25,north\nKim 2015,0.05,0.20,south\n',
  options: { method: 'PM', ci: 'hksj', level: 0.9 },
};

test('"Copy link" gives a link that opens the same analysis', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await page.selectOption('#method', 'SJ');
  await page.selectOption('#ci', 'hksj');
  await page.fill('#level', '0.99');
  await page.fill('#grid tbody input[data-row="0"][data-col="0"]', 'Aronson (1948) — “ä” <b>');
  await page.selectOption('#grid select.role[data-col="3"]', 'other');
  const before = await waitSummary(page, /99% CI.*random-effects SJ/);
  await page.click('#copy-link');
  await page.waitForSelector('#share-status:not([hidden])');
  const link = await page.inputValue('#share-url');
  assert.match(link, /#doc=[A-Za-z0-9_-]+$/);
  assert.equal(await page.evaluate(() => location.hash.length > 10), true);
  await shot(page, 'share-copied');

  const other = await open(s.context, link);
  await settled(other);
  assert.equal(await waitSummary(other, /SJ/), before);
  assert.equal(await other.inputValue('#method'), 'SJ');
  assert.equal(await other.inputValue('#ci'), 'hksj');
  assert.equal(await other.inputValue('#level'), '0.99');
  assert.equal(await other.inputValue('#grid tbody input[data-row="0"][data-col="0"]'), 'Aronson (1948) — “ä” <b>');
  assert.equal(await other.inputValue('#grid select.role[data-col="3"]'), 'other');
  assert.deepEqual(other.problems, []);
  await page.close();
  await other.close();
});

test('a link made elsewhere opens; a damaged one says so and keeps the page working', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  const code = await encode(page, DOC);
  await page.goto(`${s.url}#doc=${code}`);
  await page.reload();
  await settled(page);
  const text = await waitSummary(page, /k = 4/);
  assert.match(text, /random-effects PM, Knapp–Hartung CI, k = 4/);
  assert.match(text, /90% CI/);
  assert.equal(await page.inputValue('#grid tbody input[data-row="0"][data-col="0"]'), 'Smith, 2001');

  const broken = await open(s.context, `${s.url}#doc=${code.slice(0, 20)}`);
  await settled(broken);
  await broken.waitForSelector('#fatal:not([hidden])');
  assert.match(await broken.textContent('#fatal-text'), /This link could not be opened: the link is damaged/);
  await waitSummary(broken, /k = 13/); // the BCG example instead
  await page.close();
  await broken.close();
});

test('postMessage: a parent page on another origin loads documents and hears every report', async () => {
  // The parent is served from a second server: another origin, as a course site would be.
  const parent = await parentSite(s.url, { origins: true });
  try {
    const page = await open(s.context, `${parent.url}parent.html`);
    const messages = () => page.evaluate(() => window.got);
    const waitFor = (type, n = 1) => page.waitForFunction(([t, k]) => window.got.filter((m) => m.data?.type === t).length >= k, [type, n]);
    await waitFor('metapool:ready');
    // The BCG example's analysis was reported.
    let got = await messages();
    assert.ok(got.every((m) => m.origin === s.url.replace(/\/$/, '')));
    const first = got.find((m) => m.data.type === 'metapool:report');
    assert.equal(first.data.report.k, 13);
    assert.equal(first.data.report.overall.method, 'REML');
    assert.equal(first.data.report.overall.df, null);

    // Load a document: the report is the CLI's JSON report.
    await page.evaluate((doc) => window.send({ type: 'metapool:load', doc }), DOC);
    await waitFor('metapool:report', 2);
    got = await messages();
    const report = got.filter((m) => m.data.type === 'metapool:report').at(-1).data.report;
    assert.equal(report.k, 4);
    assert.equal(report.overall.method, 'PM');
    assert.equal(report.overall.ci, 'hksj');
    assert.equal(report.overall.level, 0.9);
    assert.equal(report.overall.df, 3);
    assert.deepEqual(Object.keys(report), ['k', 'overall', 'studies', 'columns', 'warnings', ...Object.keys(report).slice(5)]);
    assert.equal(report.studies[0].study, 'Smith, 2001');

    // A document with a bad cell: the error object, with row and column.
    await page.evaluate(() => window.send({ type: 'metapool:load', doc: { data: 'study,yi,vi\nA,0.1,0.01\nB,oops,0.02\n' } }));
    await waitFor('metapool:error');
    got = await messages();
    assert.deepEqual(got.filter((m) => m.data.type === 'metapool:error').at(-1).data.error,
      { message: "row 2, column yi: expected a number, found 'oops'", row: 2, column: 'yi' });

    // Malformed messages are refused with a reason, or ignored when they are not for metapool.
    await page.evaluate(() => {
      window.send({ type: 'metapool:load', doc: { data: 42 } });
      window.send({ type: 'something-else', doc: { data: 'x' } });
      window.send('metapool:load');
      window.send({ type: 'metapool:load', doc: { data: 'study,yi,vi\nA,1,1\n', options: { level: '0.95' } } });
    });
    await waitFor('metapool:error', 3);
    got = await messages();
    const errors = got.filter((m) => m.data.type === 'metapool:error').map((m) => m.data.error.message);
    assert.match(errors[1], /metapool:load: "data" must be the CSV text/);
    assert.match(errors[2], /metapool:load: option "level" must be a number/);

    // A document sent as soon as the frame has loaded, before "ready", wins over the example.
    await page.evaluate((doc) => new Promise((resolve) => {
      const g = document.createElement('iframe');
      g.src = document.getElementById('f').src;
      window.gotG = [];
      addEventListener('message', (e) => { if (e.source === g.contentWindow) window.gotG.push(e.data); });
      g.addEventListener('load', () => { g.contentWindow.postMessage({ type: 'metapool:load', doc }, '*'); resolve(); });
      document.body.append(g);
    }), DOC);
    await page.waitForFunction(() => window.gotG.some((m) => m.type === 'metapool:ready'));
    await page.waitForFunction(() => window.gotG.some((m) => m.type === 'metapool:report' && m.report.k === 4));
    await page.waitForTimeout(300);
    const lastG = await page.evaluate(() => window.gotG.filter((m) => m.type === 'metapool:report').at(-1).report.k);
    assert.equal(lastG, 4);

    // The student edits the table inside the frame: the parent hears the new report.
    const frame = page.frameLocator('#f');
    await frame.locator('#grid tbody input[data-row="1"][data-col="1"]').fill('0.3');
    await waitFor('metapool:report', 3);
    got = await messages();
    assert.equal(got.filter((m) => m.data.type === 'metapool:report').at(-1).data.report.k, 2);
    await page.close();
  } finally {
    await parent.close();
  }
});

test('the embedding example works as shipped', async () => {
  const page = await open(s.context, `${s.url}www/embed-example.html`);
  await page.waitForFunction(() => /pooled estimate/.test(document.getElementById('result').textContent));
  assert.match(await page.textContent('#result'), /k = 13, REML/);
  await page.click('#send');
  await page.waitForFunction(() => /k = 5/.test(document.getElementById('result').textContent));
  assert.match(await page.textContent('#result'), /pooled estimate −?-?0\.\d+ \(95% CI .*\), k = 5, REML/);
  await shot(page, 'embed-example');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('dist/metapool.html works from file:// on its own, links included', async () => {
  const file = pathToFileURL(path.join(DIST, 'metapool.html')).href;
  const page = await s.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  await page.goto(file);
  await settled(page);
  await waitSummary(page, /Pooled estimate −0\.71 \(95% CI −1\.07 to −0\.36\), random-effects REML, k = 13/);
  const ink = await page.$eval('#forest', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] < 600) n++;
    return n;
  });
  assert.ok(ink > 2000, 'the forest plot has ink');
  // The examples are inside the file too.
  await page.selectOption('#example', 'mediation_ie');
  await waitSummary(page, /Pooled estimate −0\.0/);
  // A #doc= link to the file restores the document.
  const code = await encode(page, DOC);
  await page.goto(`${file}#doc=${code}`);
  await page.reload();
  await settled(page);
  assert.match(await waitSummary(page, /k = 4/), /random-effects PM/);
  await shot(page, 'single-file', { fullPage: true });
  assert.deepEqual(problems, []);
  // The only other requests are for the analysis worker, started from a blob: URL.
  assert.deepEqual([...new Set(urls.map((u) => u.replace(/#.*$/, '')).filter((u) => !u.startsWith('blob:null/')))], [file]);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.engine), 'worker');
  // Its CSP allows only its own inline blocks, by hash.
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(csp, /script-src 'sha256-[^']+' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  await page.close();
});
