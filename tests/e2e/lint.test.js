// No markup from strings, no code from strings: fails if a page script uses innerHTML,
// outerHTML, insertAdjacentHTML, document.write, eval or new Function (or their relatives that
// turn text into markup or code), and if index.html has inline scripts, event-handler attributes
// or style attributes, which its Content-Security-Policy would refuse anyway. Plain node: it
// reads the files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WWW = path.join(ROOT, 'www');

/** What must not appear in a page script, with the reason given when it does. */
const FORBIDDEN = [
  [/\binnerHTML\b/, 'innerHTML parses a string as markup'],
  [/\bouterHTML\b/, 'outerHTML parses a string as markup'],
  [/\binsertAdjacentHTML\b/, 'insertAdjacentHTML parses a string as markup'],
  [/\bdocument\s*\.\s*write(ln)?\b/, 'document.write parses a string as markup'],
  [/\bcreateContextualFragment\b/, 'createContextualFragment parses a string as markup'],
  [/\bsrcdoc\b/, 'srcdoc loads a string as a document'],
  [/\bparseFromString\b/, 'DOMParser turns a string into markup'],
  [/\beval\s*\(/, 'eval runs a string as code'],
  [/\bnew\s+Function\b/, 'new Function runs a string as code'],
  [/\bFunction\s*\(/, 'Function() runs a string as code'],
  [/\bset(Timeout|Interval)\s*\(\s*['"`]/, 'a timer given a string runs it as code'],
  [/javascript:/i, 'a javascript: URL runs code'],
];

/** The problems in one file's text: [{line, what, why}]. */
export function problems(text) {
  const out = [];
  text.split('\n').forEach((line, i) => {
    for (const [re, why] of FORBIDDEN) {
      const m = re.exec(line);
      if (m) out.push({ line: i + 1, what: m[0].trim(), why });
    }
  });
  return out;
}

test('the checker finds each forbidden form (and passes the safe ones)', () => {
  const bad = [
    'el.innerHTML = x;', 'el.outerHTML = x;', "el.insertAdjacentHTML('beforeend', x);",
    'document.write(x);', 'document .writeln(x);', 'range.createContextualFragment(x);',
    'frame.srcdoc = x;', "new DOMParser().parseFromString(x, 'text/html');",
    'eval(x);', 'window.eval (x);', 'const f = new Function("a", x);', 'Function(x)();',
    "setTimeout('run()', 10);", 'setInterval(`tick()`, 10);', "a.href = 'javascript:alert(1)';",
  ];
  for (const line of bad) assert.ok(problems(line).length >= 1, line);
  const good = [
    'el.textContent = x;', 'el.replaceChildren(node);', 'setTimeout(() => run(), 10);',
    'const evaluate = 1; retrieval(x);', 'myFunction(x);', 'typeof x === "function"', 'node.append(text);',
  ];
  for (const line of good) assert.deepEqual(problems(line), [], line);
});

test('no page script turns a string into markup or code', () => {
  const files = fs.readdirSync(WWW).filter((f) => f.endsWith('.js'));
  assert.ok(files.includes('app.js') && files.includes('worker.js'), `the scripts are found: ${files}`);
  const found = files.flatMap((f) => problems(fs.readFileSync(path.join(WWW, f), 'utf8'))
    .map((p) => `www/${f}:${p.line}: ${p.what} (${p.why})`));
  assert.deepEqual(found, []);
});

test('index.html has no inline script, event-handler attribute or style attribute', () => {
  const html = fs.readFileSync(path.join(ROOT, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.ok(scripts.length > 0);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, /\bsrc=/, 'every script is a file');
    assert.equal(body.trim(), '', 'no inline script');
  }
  assert.deepEqual([...html.matchAll(/\son[a-z]+\s*=/gi)].map((m) => m[0]), [], 'no on…= attributes');
  assert.deepEqual([...html.matchAll(/\sstyle\s*=/gi)].map((m) => m[0]), [], 'no style attributes');
});

test('index.html preloads exactly the modules app.js imports, directly or not', () => {
  // The page asks for every module at once (a module found only by reading another's imports
  // would cost a round trip at every cold load); a module added or dropped must be listed here.
  const imported = new Set();
  const visit = (rel) => {
    const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    for (const [, spec] of text.matchAll(/^import\s[^'"]*from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec));
      if (!imported.has(target)) {
        imported.add(target);
        visit(target);
      }
    }
  };
  visit('www/app.js');
  const html = fs.readFileSync(path.join(ROOT, 'index.html'), 'utf8');
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]);
  assert.deepEqual([...preloaded].sort(), [...imported].sort());
  assert.equal(new Set(preloaded).size, preloaded.length, 'each once');
});
