// Writes dist/metapool.html: the whole page in one file that works from file://.
// The ES modules (wasm-bindgen's glue, then www/*.js in import order) are joined into one
// inline module script, each module wrapped in a function that returns its exports; the CSS goes
// into a <style>; the wasm and the example CSVs go in as base64 and text. The core is the full one
// (pkg/full/), so the single file never loads a second core. The Content-Security-
// Policy allows exactly these inline blocks by their SHA-256 hashes. The analysis worker (the core's
// glue, www/steps.js and www/worker.js) goes in as the text of one classic script, started from a
// blob: URL (the analyses' worker and the GOSH plot's worker both run it).
//   node tests/e2e/single-file.js <dist dir>
// The modules must keep to the plain forms this understands: `export function|class|const|let
// NAME`, `export { a, b as c };` and `import … from './x.js'` on one line.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const dist = path.resolve(process.argv[2] ?? 'dist');
const read = (rel) => fs.readFileSync(path.join(dist, rel), 'utf8');

const MODULES = [
  ['pkg/metapool.js', '__m_core'],
  ['www/pacing.js', '__m_pacing'],
  ['www/table.js', '__m_table'],
  ['www/share.js', '__m_share'],
  ['www/format.js', '__m_format'],
  ['www/analyses.js', '__m_analyses'],
  ['www/mediation.js', '__m_mediation'],
  ['www/engine.js', '__m_engine'],
  ['www/steps.js', '__m_steps'],
  ['www/gosh.js', '__m_gosh'],
  ['www/persist.js', '__m_persist'],
  ['www/csp.js', '__m_csp'],
  ['www/reproduce.js', '__m_reproduce'],
  ['www/exports.js', '__m_exports'],
  ['www/app.js', '__m_app'],
];
/** The analysis worker, started from a blob: URL as one classic script (www/engine.js). */
const WORKER_MODULES = ['pkg/metapool.js', 'www/steps.js', 'www/worker.js'];
const varOf = new Map([...MODULES, ['www/worker.js', '__m_worker']]);

/** The single file carries the full core (pkg/full/) as the core: nothing is loaded later. */
const SOURCE = new Map([['pkg/metapool.js', 'pkg/full/metapool.js']]);

function bundleModule(file) {
  let code = read(SOURCE.get(file) ?? file);
  const exports = [];
  code = code.replace(/^export\s+(async\s+function|function|class|const|let)\s+([\w$]+)/gm, (_, kind, name) => {
    exports.push([name, name]);
    return `${kind} ${name}`;
  });
  code = code.replace(/^export\s*\{([^}]*)\};?/gm, (_, list) => {
    for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [local, as = local] = item.split(/\s+as\s+/);
      exports.push([as, local]);
    }
    return '';
  });
  code = code.replace(/^import\s+(.+?)\s+from\s+['"](.+?)['"];?$/gm, (_, what, spec) => {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    const v = varOf.get(target);
    if (!v) throw new Error(`${file}: cannot inline import of ${spec}`);
    const ns = /^\*\s+as\s+([\w$]+)$/.exec(what);
    if (ns) return `const ${ns[1]} = ${v};`;
    const named = /^\{([^}]*)\}$/.exec(what);
    if (!named) throw new Error(`${file}: unsupported import form: ${what}`);
    return `const {${named[1].replace(/\s+as\s+/g, ': ')}} = ${v};`;
  });
  if (/^\s*(import|export)\s/m.test(code)) throw new Error(`${file}: an import or export was left over`);
  const list = exports.map(([as, local]) => (as === local ? as : `${JSON.stringify(as)}: ${local}`)).join(', ');
  return `const ${varOf.get(file)} = (() => {\n${code}\nreturn { ${list} };\n})();\n`;
}

const examples = {};
for (const f of fs.readdirSync(path.join(dist, 'www/examples'))) {
  if (f.endsWith('.csv')) examples[f.replace(/\.csv$/, '')] = read(`www/examples/${f}`);
}
const wasm = fs.readFileSync(path.join(dist, 'pkg/full/metapool_bg.wasm')).toString('base64');

// A classic worker script has no import.meta; the core only reads it when given no module.
const worker = WORKER_MODULES.map(bundleModule).join('').replaceAll('import.meta.url', 'self.location.href');
let script = `globalThis.metapoolInline = ${JSON.stringify({ wasm, examples, worker })};\n`;
for (const [file] of MODULES) script += bundleModule(file);
// Nothing inside may close the script element early.
script = script.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
const css = read('www/style.css');
if (/<\/style/i.test(css)) throw new Error('style.css must not contain </style');

const sha = (text) => `'sha256-${crypto.createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const csp = [
  "default-src 'none'",
  `script-src ${sha(script)} 'wasm-unsafe-eval'`,
  `style-src ${sha(css)}`,
  // No style attributes: plotters' text measuring sets its span's style through the CSSOM (www/csp.js).
  // The worker runs from a blob: URL made from metapoolInline.worker.
  'worker-src blob:',
  'img-src data: blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

let html = read('index.html');
const replaceOnce = (pattern, replacement) => {
  if (!pattern.test(html)) throw new Error(`index.html: ${pattern} not found`);
  html = html.replace(pattern, () => replacement);
};
replaceOnce(/<meta http-equiv="Content-Security-Policy"[^>]*>/, `<meta http-equiv="Content-Security-Policy" content="${csp}">`);
replaceOnce(/<link rel="stylesheet" href="www\/style.css">/, `<style>${css}</style>`);
// The single file fetches nothing: no preloads of the (inlined) modules and core.
replaceOnce(/\s*<!-- Everything the page needs[^>]*-->(\s*<link rel="(module)?preload"[^>]*>)+\s*<script defer src="www\/boot.js"><\/script>/, '');
replaceOnce(/<script type="module" src="www\/app.js"><\/script>/, `<script type="module">${script}</script>`);
// The embedding example is a separate page; the single file links to nothing.
html = html.replace(/\s*<a href="www\/embed-example.html">[^<]*<\/a>/, '');

fs.writeFileSync(path.join(dist, 'metapool.html'), html);
console.log(`wrote ${path.join(dist, 'metapool.html')} (${(html.length / 1024).toFixed(0)} KiB)`);
