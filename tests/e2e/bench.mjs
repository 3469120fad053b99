// Page figures for docs/performance.md, from headless Chromium (./build.sh bench runs it after
// the core benchmarks; dist/ must be built). Not a test: it prints figures beside the budgets of
// issue 8 and fails on nothing but a broken page. Run: node tests/e2e/bench.mjs [--quick]
//
//   1. wasm + JS bytes gzipped (level 9) as dist/ serves them: pkg/metapool_bg.wasm, pkg/metapool.js, www/*.js;
//   2. cold load: navigation start to the first result on the screen (the page's
//      "metapool:result" mark), each run in a fresh browser profile (nothing cached);
//   3. edit to redrawn forest plot at k = 10, 100, 1,000, 10,000: a CSV opened as "Open CSV…"
//      does, then one cell edited (an input event), timed to the end of the forest plot's
//      drawing ("metapool:draw:forest"), and to the result on the screen;
//   4. k = 10⁶ REML in wasm: the core's pool() on arrays in the page (the same generated data
//      as benches/data.rs), beside FE, whose time is the part every method shares;
//   5. Monte Carlo draws in wasm: analyze() of one study given by its paths with 10⁶ draws,
//      less the same without draws;
//   6. the full core's first use: leave-one-out ticked after a cold load, to its table on the
//      screen (the full core fetched, compiled and run on the page and in its worker).
// Figures are wall-clock times on a shared machine: the best of several runs is the better
// guide, the median says how noisy the machine was.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { start, open, studiesCsv, openCsv, settled, ROOT, DIST, ARTIFACTS } from './helpers.js';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 2 : 5;
const EDITS = QUICK ? 4 : 15;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const best = (xs) => Math.min(...xs);
const ms = (x) => (x == null ? '—' : x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const k10 = (k) => k.toLocaleString('en-US');

/** Records the page's marks and measures from its very start (an observer misses none). */
const RECORD = () => {
  window.__perf = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__perf.push({ name: e.name, start: e.startTime, end: e.startTime + e.duration, duration: e.duration });
  }).observe({ entryTypes: ['mark', 'measure'] });
};

// ---- 1. bytes ----

/** What dist/ serves (the release wasm after wasm-opt, the scripts minified): every script the page loads. */
function sizes() {
  const files = ['pkg/metapool_bg.wasm', 'pkg/metapool.js',
    ...fs.readdirSync(path.join(DIST, 'www')).filter((f) => f.endsWith('.js')).sort().map((f) => `www/${f}`)];
  const rows = files.map((f) => {
    const bytes = fs.readFileSync(path.join(DIST, f));
    return { file: f, raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
  });
  const total = rows.reduce((s, r) => s + r.gzip, 0);
  const wasm = rows[0].gzip;
  // Loaded only when an option asks for more than the main fit (docs/api.md, "Two cores").
  const full = ['pkg/full/metapool_bg.wasm', 'pkg/full/metapool.js'].map((f) => {
    const bytes = fs.readFileSync(path.join(DIST, f));
    return { file: f, raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
  });
  return { rows, total, wasm, js: total - wasm, full };
}

// ---- 6. the full core, loaded when first asked for ----

/** Ticks leave-one-out on the BCG example (the first core leaves it out) until its table shows. */
async function fullCoreSwitch() {
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const b = await start();
    try {
      const page = await open(b.context, b.url);
      await settled(page);
      await page.waitForTimeout(300);
      times.push(await page.evaluate(async () => {
        const box = document.getElementById('leave1out');
        const t0 = performance.now();
        box.click();
        while (document.getElementById('leave1out-section').hidden) await new Promise((r) => setTimeout(r, 2));
        return performance.now() - t0;
      }));
    } finally {
      await b.close();
    }
  }
  return times;
}

// ---- 2. cold load ----

async function coldLoad() {
  const times = [];
  const version = execFileSync(process.env.CHROMIUM || '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  for (let run = 0; run < RUNS; run++) {
    const b = await start();
    try {
      await b.context.addInitScript(RECORD);
      const page = await b.context.newPage();
      await page.goto(b.url);
      await page.waitForFunction(() => window.__perf?.some((e) => e.name === 'metapool:result'), null, { timeout: 30_000 });
      times.push(await page.evaluate(() => window.__perf.find((e) => e.name === 'metapool:result').start));
    } finally {
      await b.close();
    }
  }
  return { times, version };
}

// ---- 3. edit to redrawn forest plot ----

/** Edits the first study's effect and waits for the result and (if it is drawn) the forest plot. */
function editOnce(page, value, forest) {
  return page.evaluate(async ({ value, forest }) => {
    const input = document.querySelector('#grid tbody input[data-row="0"][data-col="1"]');
    input.focus();
    input.value = value;
    const t0 = performance.now();
    input.dispatchEvent(new Event('input', { bubbles: true }));
    // The page asks for the analysis in the next animation frame (edits within a frame make one).
    let frame = null;
    requestAnimationFrame(() => { frame = performance.now() - t0; });
    const after = (name) => window.__perf.find((e) => e.name === name && e.start >= t0);
    const deadline = t0 + 20_000;
    while (!(after('metapool:result') && (!forest || after('metapool:draw:forest')))) {
      if (performance.now() > deadline) throw new Error('no redraw within 20 s');
      await new Promise((r) => setTimeout(r, 2));
    }
    const f = forest ? after('metapool:draw:forest') : null;
    return { frame, result: after('metapool:result').start - t0, forest: f ? f.end - t0 : null, draw: f ? f.duration : null };
  }, { value, forest });
}

async function editLatency(context, url, k) {
  const page = await open(context, url);
  await page.evaluate(RECORD);
  await settled(page);
  await openCsv(page, studiesCsv(k), `k${k}.csv`);
  await page.waitForFunction((n) => new RegExp(`k = ${n.toLocaleString('en-US')}\\b|k = ${n}\\b`).test(document.getElementById('summary').textContent), k);
  // The forest plot is drawn with the results up to 100 studies, after a 500 ms pause in typing
  // up to 1,000, on request up to 1,500 rows, never above (www/pacing.js).
  const forest = k <= 1000;
  const pause = k > 100 ? 700 : 100;
  await page.waitForTimeout(pause);
  const runs = [];
  for (let i = 0; i < EDITS + 1; i++) {
    const r = await editOnce(page, i % 2 ? '0.1234' : '-0.4321', forest);
    if (i > 0) runs.push(r); // the first edit warms up
    await page.waitForTimeout(pause);
  }
  await page.close();
  const pick = (f) => (forest || f === 'result' || f === 'frame' ? runs.map((r) => r[f]) : null);
  return { k, frame: pick('frame'), result: pick('result'), forest: pick('forest'), draw: pick('draw') };
}

// ---- 4 and 5. the core in wasm, called in the page ----

async function wasmFigures(context, url) {
  const page = await open(context, url);
  await settled(page);
  return page.evaluate(async ({ runs }) => {
    const core = await import(new URL('pkg/metapool.js', location.href).href);
    await core.default();
    // benches/data.rs: xorshift64, vᵢ uniform on [0.01, 0.1], yᵢ ~ N(0.3, vᵢ + 0.05).
    const k = 1_000_000;
    const mask = (1n << 64n) - 1n;
    let state = (0x9E3779B97F4A7C15n ^ BigInt(k)) & mask;
    const uniform = () => {
      state ^= (state << 13n) & mask;
      state ^= state >> 7n;
      state ^= (state << 17n) & mask;
      return (Number(state >> 11n) + 0.5) / 2 ** 53;
    };
    const yi = new Float64Array(k);
    const vi = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const v = 0.01 + 0.09 * uniform();
      const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      yi[i] = 0.3 + z * Math.sqrt(v + 0.05);
      vi[i] = v;
    }
    const time = (f) => {
      const t0 = performance.now();
      const out = f();
      return [performance.now() - t0, out];
    };
    const fits = {};
    for (const method of ['FE', 'REML']) {
      fits[method] = [];
      time(() => core.pool(yi, vi, { method })); // warm-up
      for (let i = 0; i < runs; i++) fits[method].push(time(() => core.pool(yi, vi, { method }))[0]);
    }
    const [, reml] = time(() => core.pool(yi, vi, { method: 'REML' }));
    // Monte Carlo: one study given by its paths, with and without 10⁶ draws.
    const doc = (draws) => ({ data: 'study,a,sa,b,sb\nS1,0.5,0.08,0.6,0.04\n', options: { mc_draws: draws } });
    const mc = { with: [], without: [] };
    time(() => core.analyze(doc(1_000_000)));
    for (let i = 0; i < runs; i++) {
      mc.with.push(time(() => core.analyze(doc(1_000_000)))[0]);
      mc.without.push(time(() => core.analyze(doc(0)))[0]);
    }
    return { fits, reml: { tau2: reml.tau2, ci: [reml.tau2_ci_lower, reml.tau2_ci_upper], estimate: reml.estimate }, mc };
  }, { runs: RUNS });
}

// ---- the report ----

const size = sizes();
console.log(`\nwasm + JS, gzip -9 (${size.rows.length} files):`);
for (const r of size.rows) console.log(`  ${r.file.padEnd(24)} ${String(r.raw).padStart(8)} B  ${kb(r.gzip).padStart(9)} gzipped`);
console.log(`  ${'total'.padEnd(24)} ${' '.repeat(10)}  ${kb(size.total).padStart(9)} (wasm ${kb(size.wasm)}, JS ${kb(size.js)})`);
console.log('loaded when an option asks for the full core:');
for (const r of size.full) console.log(`  ${r.file.padEnd(24)} ${String(r.raw).padStart(8)} B  ${kb(r.gzip).padStart(9)} gzipped`);

const cold = await coldLoad();
console.log(`\ncold load to first result (fresh profile, ${RUNS} runs): best ${ms(best(cold.times))}, median ${ms(median(cold.times))}`);
const switches = await fullCoreSwitch();
console.log(`leave-one-out ticked after a cold load (the full core fetched, compiled and run): best ${ms(best(switches))}, median ${ms(median(switches))}`);

const b = await start();
const edits = [];
let wasm;
try {
  for (const k of QUICK ? [10, 100] : [10, 100, 1000, 10_000]) {
    const e = await editLatency(b.context, b.url, k);
    edits.push(e);
    const forest = e.forest ? `forest redrawn ${ms(median(e.forest))} (best ${ms(best(e.forest))}; drawing ${ms(median(e.draw))})`
      : 'forest plot not drawn above 1,500 studies (www/pacing.js)';
    console.log(`edit at k = ${k10(k).padStart(6)}: result on screen ${ms(median(e.result))} (best ${ms(best(e.result))}; next frame ${ms(median(e.frame))}), ${forest}`);
  }
  wasm = await wasmFigures(b.context, b.url);
} finally {
  await b.close();
}
const remlBest = best(wasm.fits.REML);
const feBest = best(wasm.fits.FE);
console.log(`\nk = 10⁶ in wasm, pool(): REML best ${ms(remlBest)} (median ${ms(median(wasm.fits.REML))}); FE ${ms(feBest)}: the part every method shares (arrays in, validation, weights)`);
console.log(`  REML: estimate ${wasm.reml.estimate.toFixed(6)}, tau^2 ${wasm.reml.tau2.toFixed(6)} [${wasm.reml.ci.map((x) => x.toFixed(6)).join(', ')}]`);
const mcDraws = Math.max(1e-3, best(wasm.mc.with) - best(wasm.mc.without));
console.log(`Monte Carlo, 10⁶ draws in wasm: ${ms(mcDraws)} (${(1e6 / mcDraws * 1000 / 1e6).toFixed(1)} million draws/s; analyze() with draws best ${ms(best(wasm.mc.with))}, without ${ms(best(wasm.mc.without))})`);

const at100 = edits.find((e) => e.k === 100);
const budgets = [
  ['k = 10⁶ REML in the browser', '< 1 s', remlBest, remlBest < 1000, ms(remlBest)],
  ['edit to redrawn forest plot, k = 100', '< 16 ms', median(at100.forest), median(at100.forest) < 16, `${ms(median(at100.forest))} median, ${ms(best(at100.forest))} best`],
  ['first result after a cold load', '< 300 ms', median(cold.times), median(cold.times) < 300, `${ms(median(cold.times))} median, ${ms(best(cold.times))} best`],
  ['wasm + JS gzipped', '< 250 KB', size.total, size.total < 250 * 1024, kb(size.total)],
  ['10⁶ Monte Carlo draws in wasm', '< 100 ms', mcDraws, mcDraws < 100, ms(mcDraws)],
];
console.log(`\nBudgets (issue 8), ${cold.version}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}:`);
for (const [what, budget, , met, figure] of budgets) {
  console.log(`  ${what.padEnd(38)} ${budget.padEnd(9)} ${(met ? 'met' : 'NOT MET').padEnd(8)} ${figure}`);
}
fs.writeFileSync(path.join(ARTIFACTS, 'bench.json'), JSON.stringify({
  date: new Date().toISOString(), chromium: cold.version, cores: os.cpus().length, size, cold, switches, edits, wasm,
}, null, 1));
console.log(`\n(raw figures: ${path.relative(ROOT, path.join(ARTIFACTS, 'bench.json'))})`);
