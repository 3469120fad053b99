// What comes from outside cannot take the page over: a strict Content-Security-Policy (present
// and enforced, with nothing on the page needing more), and hostile #doc= links and postMessage
// documents give a clear error, never markup or code, and leave the page working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { start, open, settled, waitSummary, cell, idle, parentSite, DIST } from './helpers.js';

let s;
before(async () => { s = await start(); });
after(async () => { await s?.close(); });

/** The CSP's directives as {name: [values]}. */
function directives(csp) {
  return Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([n, ...v]) => [n, v]));
}

/** Records the page's CSP violations in window.violations (from the start, via an init script). */
async function watchViolations(page) {
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
}

/** Markup that would run or show if it were ever parsed. */
const EVIL = '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script><b>bold</b>';

/** The page's state after hostile input: nothing ran, nothing became an element. */
async function unharmed(page) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no injected code ran');
  assert.equal(await page.locator('#fatal img, #fatal script, #fatal b, #results img, #results script, #results b,'
    + ' #error-state b, #error-state img, #grid img, #grid b, select option b, .plot-note b').count(), 0, 'no injected element');
  assert.equal(await page.evaluate(() => ({}).polluted ?? Object.prototype.method ?? null), null, 'no prototype pollution');
}

test('the Content-Security-Policy is strict, enforced, and nothing on the page needs more', async () => {
  const page = await s.context.newPage();
  await watchViolations(page);
  await page.goto(s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  const d = directives(csp);
  assert.deepEqual(d['default-src'], ["'none'"]);
  assert.deepEqual(d['script-src'], ["'self'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(d['worker-src'], ["'self'"]);
  assert.deepEqual(d['style-src'], ["'self'"]);
  assert.equal(d['style-src-attr'], undefined, 'no inline style attributes');
  assert.deepEqual(d['connect-src'], ["'self'"]);
  for (const name of ['object-src', 'base-uri', 'form-action']) assert.deepEqual(d[name], ["'none'"], name);
  assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'|'unsafe-hashes'|\*/);

  // Enforced: an injected script does not run, eval is refused, a style attribute is ignored.
  // (eval is tried in a task of the page's own: the DevTools protocol that runs this test's
  // code is allowed eval.)
  const refused = await page.evaluate(async () => {
    const script = document.createElement('script');
    script.textContent = 'window.__ran = 1';
    document.body.append(script);
    const evalRefused = await new Promise((resolve) => {
      setTimeout(() => {
        try { (0, eval)('1'); resolve(false); } catch { resolve(true); }
      }, 0);
    });
    const div = document.createElement('div');
    div.setAttribute('style', 'color: rgb(255, 0, 0)');
    document.body.append(div);
    const red = getComputedStyle(div).color === 'rgb(255, 0, 0)';
    div.remove();
    script.remove();
    return { ran: window.__ran ?? null, evalRefused, red };
  });
  assert.deepEqual(refused, { ran: null, evalRefused: true, red: false });

  // Everything the page does stays within it: the worker, the plots (their text measuring too),
  // the analyses' plots, downloads, undo.
  await page.evaluate(() => { window.violations = []; });
  await page.check('#leave1out');
  await page.check('#bias');
  await waitSummary(page, /k = 13/);
  await page.waitForSelector('#leave1out-section:not([hidden])');
  await page.click('#forest-svg');
  await page.click('#undo');
  await idle(page);
  assert.deepEqual(await page.evaluate(() => window.violations), []);
  await page.close();
});

test('the single file allows only its own inline blocks and a blob: worker', async () => {
  const file = pathToFileURL(path.join(DIST, 'metapool.html')).href;
  const page = await s.context.newPage();
  await watchViolations(page);
  await page.goto(file);
  await settled(page);
  await waitSummary(page, /k = 13/);
  const d = directives(await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content'));
  assert.equal(d['script-src'].length, 2);
  assert.match(d['script-src'][0], /^'sha256-[A-Za-z0-9+/=]+'$/);
  assert.equal(d['script-src'][1], "'wasm-unsafe-eval'");
  assert.deepEqual(d['worker-src'], ['blob:']);
  assert.match(d['style-src'].join(' '), /^'sha256-[A-Za-z0-9+/=]+'$/);
  assert.equal(d['style-src-attr'], undefined);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.engine), 'worker');
  assert.deepEqual(await page.evaluate(() => window.violations), []);
  await page.close();
});

/** base64url of deflate-raw of a text, as the page writes #doc= links. */
function encodeText(page, text) {
  return page.evaluate(async (t) => {
    const stream = new Blob([new TextEncoder().encode(t)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  }, text);
}

test('a malformed or hostile #doc= link says what is wrong and changes nothing', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  const deflated = (text) => encodeText(page, text);
  const cases = [
    ['!!!***', /the link is damaged \(it is not valid base64url\)/],
    ['%E0%A4%A', /the link is damaged \(it is not valid base64url\)/],
    ['AAAAAAAA', /the link is damaged \(it does not decompress\)/],
    [await deflated('not json <b>x</b>'), /the link is damaged \(it is not a JSON document\)/],
    [await deflated('[1, 2]'), /the document must be an object \{data, options\}/],
    [await deflated('"<script>window.__pwned = 3</script>"'), /the document must be an object/],
    [await deflated('{"data": 42}'), /"data" must be the CSV text \(a string\)/],
    [await deflated('{"data": "study,yi,vi\\n", "options": "DL"}'), /"options" must be an object/],
    [await deflated('{"data": "study,yi,vi\\n", "options": {"level": "0.9"}}'), /option "level" must be a number/],
    [await deflated('{"data": "study,yi,vi\\n", "options": {"roles": {"<b>x</b>": 5}}}'), /the role of column "<b>x<\/b>" must be a string/],
    [await deflated(`{"data": "study,yi,vi\\n", "options": {"method": "${'x'.repeat(5000)}"}}`), /option "method" is too long/],
    [await deflated(`{"data": "${' '.repeat(9_000_000)}"}`), /the link holds more data than this page accepts/],
  ];
  for (const [i, [code, message]] of cases.entries()) {
    // A fresh tab each time (nothing kept): the example opens instead, and the banner says why.
    const tab = await open(s.context, `${s.url}?case${i}#doc=${code}`);
    await settled(tab);
    await tab.waitForSelector('#fatal:not([hidden])');
    const text = await tab.textContent('#fatal-text');
    assert.match(text, /^This link could not be opened: /, `case ${i}`);
    assert.match(text, message, `case ${i}: ${text.slice(0, 200)}`);
    await waitSummary(tab, /k = 13/);
    await unharmed(tab);
    assert.deepEqual(tab.problems, [], `case ${i}`);
    await tab.close();
  }
  await page.close();
});

test('markup and prototype keys in a link stay data', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  // Markup in labels, column names and options: shown as text; the core names what it cannot use.
  const markup = JSON.stringify({
    data: `study,yi,vi,group<b>x</b>\n"${EVIL.replaceAll('"', '""')}",0.1,0.01,a\nB,0.3,0.02,b\nC,0.2,0.015,a\n`,
    options: { method: EVIL, by: EVIL, mods: [EVIL], evil: EVIL, roles: { 'group<b>x</b>': 'other' } },
  });
  let tab = await open(s.context, `${s.url}?markup#doc=${await encodeText(page, markup)}`);
  await settled(tab);
  await tab.waitForSelector('#error-state:not([hidden])');
  assert.match(await tab.textContent('#error-message'), /<img src=x onerror/i);
  assert.equal(await tab.inputValue('#grid tbody input[data-row="0"][data-col="0"]'), EVIL);
  // The unknown method is offered as it came (upper-cased, as method codes are), as text.
  assert.ok(await tab.locator('#method option').evaluateAll((os, evil) => os.some((o) => o.textContent === evil), EVIL.toUpperCase()));
  await tab.selectOption('#method', 'REML');
  await tab.selectOption('#by', '');
  await tab.locator('#mods input:checked').uncheck();
  await waitSummary(tab, /k = 3/);
  assert.equal(await tab.textContent('#studies-table tbody tr:first-child th'), EVIL);
  await unharmed(tab);
  await tab.close();

  // "__proto__" and "constructor" as keys: plain names, never the objects' prototypes.
  const proto = '{"data": "study,__proto__,constructor\\nA,0.1,0.01\\nB,0.3,0.02\\nC,0.2,0.015\\n",'
    + ' "__proto__": {"polluted": 1}, "options": {"__proto__": {"method": "DL"}, "constructor": {"prototype": {"polluted": 2}},'
    + ' "roles": {"__proto__": "yi", "constructor": "vi", "toString": "other"}}}';
  tab = await open(s.context, `${s.url}?proto#doc=${await encodeText(page, proto)}`);
  await settled(tab);
  const summary = await waitSummary(tab, /k = 3/);
  assert.match(summary, /random-effects REML/, 'options.__proto__.method is not an option');
  assert.deepEqual(await tab.$$eval('#grid select.role', (els) => els.map((e) => e.value)), ['', 'yi', 'vi']);
  await unharmed(tab);
  assert.deepEqual(tab.problems, []);
  await tab.close();
  await page.close();
});

test('hostile postMessage documents are refused with a reason; other senders are ignored', async () => {
  // A sibling frame (not the parent) that talks to the calculator.
  const parent = await parentSite(s.url, { files: { 'sibling.html': `<!doctype html><meta charset="utf-8"><script>
  parent.frames[0].postMessage({ type: 'metapool:load', doc: { data: 'study,yi,vi\\nX,1,1\\nY,2,1\\n' } }, '*');
</script>` } });
  try {
    const page = await open(s.context, `${parent.url}parent.html`);
    const got = () => page.evaluate(() => window.got);
    const errors = async () => (await got()).filter((m) => m.type === 'metapool:error').map((m) => m.error.message);
    await page.waitForFunction(() => window.got.some((m) => m.type === 'metapool:ready'));
    const frame = page.frameLocator('#f');
    const data = 'study,yi,vi\nA,0.1,0.01\nB,0.3,0.02\nC,0.2,0.015\n';

    const refused = [
      [{ data: 42 }, /"data" must be the CSV text/],
      [{ data, options: 'x' }, /"options" must be an object/],
      [{ data, options: { level: '0.95' } }, /option "level" must be a number/],
      [{ data, options: { roles: ['yi'] } }, /"roles" must be an object/],
      [{ data, options: { mods: [1, 2] } }, /option "mods" must be column names/],
      [{ data, options: { leave1out: 'yes' } }, /option "leave1out" must be a boolean/],
      [{ data: 'x'.repeat(5_000_001) }, /"data" is too long/],
      [{ data, options: { roles: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`c${i}`, 'other'])) } }, /"roles" names too many columns/],
      [{ data, options: { method: EVIL.repeat(50) } }, /option "method" is too long/],
      [[data], /the document must be an object/],
      [null, /the document must be an object/],
    ];
    for (const [i, [doc, message]] of refused.entries()) {
      await page.evaluate((d) => window.send({ type: 'metapool:load', doc: d }), doc);
      await page.waitForFunction((n) => window.got.filter((m) => m.type === 'metapool:error').length > n, i);
      const last = (await errors()).at(-1);
      assert.match(last, /^metapool:load: /, `case ${i}`);
      assert.match(last, message, `case ${i}: ${last.slice(0, 200)}`);
    }
    // Not for metapool, not objects, or from a frame that is not the parent: ignored, no answer.
    const before = (await got()).length;
    await page.evaluate(() => {
      window.send('metapool:load');
      window.send(null);
      window.send(42);
      window.send({ type: 'metapool:report', report: {} });
      window.send({ type: 'something-else', doc: { data: 'x' } });
    });
    await page.evaluate((url) => new Promise((resolve) => {
      const sib = document.createElement('iframe');
      sib.src = url;
      sib.addEventListener('load', resolve);
      document.body.append(sib);
    }), `${parent.url}sibling.html`);
    await page.waitForTimeout(500);
    assert.equal((await got()).length, before, 'no answer to messages that are not the parent\'s metapool:load');
    assert.equal(await frame.locator('#studies-table tbody tr').count(), 13, 'the sibling did not load its table');

    // Extra keys are dropped; markup and prototype keys are data.
    await page.evaluate(({ d, evil }) => {
      const doc = JSON.parse(JSON.stringify({ data: `study,yi,vi\n"${evil.replaceAll('"', '""')}",0.1,0.01\nB,0.3,0.02\n`, extra: evil }));
      doc.options = JSON.parse('{"method": "DL", "evil": 1, "__proto__": {"ci": "hksj"}, "roles": {"__proto__": "other"}}');
      window.send({ type: 'metapool:load', doc, more: evil });
    }, { d: data, evil: EVIL });
    await page.waitForFunction(() => window.got.filter((m) => m.type === 'metapool:report').at(-1)?.report.k === 2);
    const report = (await got()).filter((m) => m.type === 'metapool:report').at(-1).report;
    assert.equal(report.overall.method, 'DL');
    assert.equal(report.overall.ci, 'z', 'options.__proto__.ci is not an option');
    assert.equal(report.studies[0].study, EVIL);
    assert.equal(await frame.locator('#studies-table tbody tr:first-child th').textContent(), EVIL);
    assert.equal(await frame.locator('#studies-table img, #studies-table script, #studies-table b').count(), 0);
    assert.equal(await page.frames()[1].evaluate(() => window.__pwned ?? ({}).polluted ?? null), null);
    await page.close();
  } finally {
    await parent.close();
  }
});

test('a table typed with hostile column names keeps working', async () => {
  const page = await open(s.context, s.url);
  await settled(page);
  await waitSummary(page, /k = 13/);
  await page.click('#clear-data');
  for (const [j, name] of ['__proto__', 'constructor', 'toString'].entries()) {
    await page.fill(`#grid thead input[data-col="${j}"]`, name);
  }
  for (const [i, row] of [['0.1', '0.01', 'A'], ['0.3', '0.02', 'B'], ['0.2', '0.015', 'C']].entries()) {
    for (const [j, v] of row.entries()) await cell(page, i, j).fill(v);
  }
  await page.selectOption('#grid select.role[data-col="0"]', 'yi');
  await page.selectOption('#grid select.role[data-col="1"]', 'vi');
  await page.selectOption('#grid select.role[data-col="2"]', 'study');
  await waitSummary(page, /k = 3/);
  // k = 3 was on the screen before the study column was chosen: wait for the labels.
  await page.waitForFunction(() => document.querySelector('#studies-table tbody tr:first-child th')?.textContent === 'A');
  // Undo and the kept table handle them too.
  await page.click('#undo');
  await idle(page);
  await page.click('#redo');
  await waitSummary(page, /k = 3/);
  await page.reload();
  await settled(page);
  await waitSummary(page, /k = 3/);
  assert.deepEqual(await page.$$eval('#grid select.role', (els) => els.map((e) => e.value)), ['yi', 'vi', 'study']);
  await unharmed(page);
  assert.deepEqual(page.problems, []);
  await page.close();
});
