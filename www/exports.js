// Taking the results away: as Markdown (what the page shows, section by section, its tables as
// Markdown tables), as CSV (app.js writes it), as an R script (the core's export_r), and printed
// (style.css has the print sheet). "Copy Markdown", "Copy CSV" and "R code" open a viewer under
// the results' toolbar with the text, Copy and Download. No statistics here: the Markdown is the
// text on the screen (and the studies from the report, formatted as the page formats them).

import { fmt, interval } from './format.js';
import { studyIntervalColumns } from './mediation.js';

const $ = (id) => document.getElementById(id);

/**
 * Text with a meaning in Markdown escaped (names come from the data): emphasis, code, links,
 * table pipes, and a "<" that could open a tag.
 */
const escapeMd = (s) => s.replace(/[\\`*_[\]|]|<(?=[A-Za-z/!?])/g, '\\$&');
/** A paragraph: escaped, and not read as a heading, quote or list. */
const paragraphMd = (s) => escapeMd(s).replace(/^[#>+-]/, '\\$&').replace(/^(\d+)([.)])/, '$1\\$2');

/** Text of a table cell or paragraph: hidden markers and buttons left out, lines joined. */
function textOf(node) {
  const parts = [];
  let current = '';
  const walk = (n) => {
    for (const c of n.childNodes) {
      if (c.nodeType === Node.TEXT_NODE) {
        current += c.textContent;
      } else if (c.nodeType === Node.ELEMENT_NODE) {
        if (c.getAttribute('aria-hidden') === 'true' || c.matches('button, a.open-row, canvas, [hidden], .no-export')) continue;
        if (c.classList.contains('line')) {
          if (current.trim()) parts.push(current);
          current = '';
          walk(c);
          parts.push(current);
          current = '';
        } else {
          walk(c);
        }
      }
    }
  };
  walk(node);
  if (current.trim()) parts.push(current);
  return parts.map((p) => p.replace(/\s+/g, ' ').trim()).filter(Boolean).join('; ');
}

/** A Markdown table from a header (cells) and rows (cells); `right[i]`: a number column. */
function mdTable(head, rows, right) {
  const line = (cells) => `| ${cells.map((c) => escapeMd(c) || ' ').join(' | ')} |`;
  return [line(head), `|${head.map((_, i) => (right[i] ? ' --: ' : ' --- ')).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * A page table as Markdown. Header rows with spans become one header row ("group: column"),
 * body cells spanning columns are followed by empty ones, and columns empty in every row (such
 * as a column of links or buttons) are left out.
 */
function tableMd(table) {
  const grid = (trs) => {
    const out = [];
    trs.forEach((tr, r) => {
      out[r] ??= [];
      let c = 0;
      for (const cell of tr.cells) {
        while (out[r][c] !== undefined) c++;
        const text = cell.classList.contains('no-export') ? '' : textOf(cell);
        const num = cell.classList.contains('num');
        for (let i = 0; i < cell.rowSpan; i++) {
          out[r + i] ??= [];
          for (let j = 0; j < cell.colSpan; j++) out[r + i][c + j] = { text: j === 0 ? text : '', num, group: cell.colSpan > 1 ? text : '' };
        }
        c += cell.colSpan;
      }
    });
    return out;
  };
  const headGrid = grid([...(table.tHead?.rows ?? [])]);
  const bodyGrid = grid([...table.tBodies].flatMap((b) => [...b.rows]).filter((tr) => !tr.hidden));
  const width = Math.max(0, ...headGrid.map((r) => r.length), ...bodyGrid.map((r) => r.length));
  const head = [];
  const right = [];
  for (let c = 0; c < width; c++) {
    const names = [];
    for (const row of headGrid) {
      const cell = row[c];
      const t = cell?.group || cell?.text || '';
      if (t && names.at(-1) !== t) names.push(t);
    }
    head.push(names.join(': '));
    right.push(headGrid.at(-1)?.[c]?.num ?? bodyGrid.some((r) => r[c]?.num));
  }
  const rows = bodyGrid.map((r) => Array.from({ length: width }, (_, c) => r[c]?.text ?? ''));
  const keep = head.map((_, c) => rows.some((r) => r[c] !== ''));
  const pick = (cells) => cells.filter((_, c) => keep[c]);
  return mdTable(pick(head), rows.map(pick), pick(right));
}

/** All the studies (the page may list only the first ones), as the studies table shows them. */
function studiesMd(report) {
  const extras = studyIntervalColumns(report);
  const pct = `${+(report.overall.level * 100).toFixed(3)}%`;
  const head = ['Study', 'Estimate', 'SE', `${pct} CI`, ...extras.map((c) => c.head), 'Weight'];
  const rows = report.studies.map((r) => [String(r.study), fmt(r.yi), fmt(r.se), interval(r.ci_lower, r.ci_upper),
    ...extras.map((c) => interval(r[c.lower], r[c.upper])), `${fmt(r.weight, 1)}%`]);
  return mdTable(head, rows, head.map((_, i) => i > 0));
}

/** Markdown blocks for the shown content of an element, in page order. */
function blocks(root, report, out) {
  for (const e of root.children) {
    if (e.hidden || e.matches('nav, figure, button, canvas, script, .visually-hidden, .plot-actions, #studies-more, .no-export')) continue;
    const tag = e.tagName;
    if (tag === 'H2') out.push(`# ${escapeMd(textOf(e))}`);
    else if (tag === 'H3') out.push(`## ${escapeMd(textOf(e))}`);
    else if (tag === 'H4') out.push(`### ${escapeMd(textOf(e))}`);
    else if (tag === 'P') {
      const t = textOf(e);
      if (t) out.push(paragraphMd(t));
    } else if (tag === 'UL' || tag === 'OL') {
      const items = [...e.children].filter((li) => !li.hidden).map((li) => `- ${paragraphMd(textOf(li))}`);
      if (items.length) out.push((e.id === 'warnings' ? 'Warnings:\n\n' : '') + items.join('\n'));
    } else if (tag === 'TABLE') {
      if (e.id === 'results-table') out.push('## Pooled result and heterogeneity');
      out.push(e.id === 'studies-table' && report ? studiesMd(report) : tableMd(e));
    } else {
      blocks(e, report, out);
    }
  }
  return out;
}

/** The results on the screen as one Markdown document. */
export function resultsMarkdown(report) {
  const out = ['# metapool results'];
  blocks($('results'), report, out);
  if (!$('analyses-panel').hidden) blocks($('analyses-panel'), report, out);
  out.push('Computed with metapool (its numbers agree with R\'s metafor).');
  return `${out.join('\n\n')}\n`;
}

// ---- the viewer: the text, Copy and Download ----

/** What each export is: its title, file name, type, and a sentence about it. */
const KINDS = {
  markdown: { title: 'Results as Markdown', file: 'metapool-results.md', type: 'text/markdown',
    about: 'The results as shown: the summary, each table as a Markdown table, every study. Paste it into a manuscript draft, a README or a notebook.' },
  csv: { title: 'Results as CSV', file: 'metapool-results.csv', type: 'text/csv',
    about: 'Every number at full precision: the studies and the pooled result, then one block per further analysis.' },
  r: { title: 'R code', file: 'metapool-analysis.R', type: 'text/plain',
    about: 'An R script using metafor with your data inline: it redoes this analysis (method, CI type, level, subgroups, moderators) and prints the same numbers. Run it with Rscript.' },
};

let sources = {};
let open = null;
/** The open export's text as made (a text area would turn its CRLF line ends into LF). */
let current = '';

/**
 * Wires the export buttons. `sources` make each text: {markdown(), csv(), r()}, each returning
 * the text (or a promise of it) or throwing an Error whose message says why not; `download(blob, name)` saves a file.
 */
export function initExports({ markdown, csv, r, download }) {
  sources = { markdown, csv, r };
  $('copy-markdown').addEventListener('click', () => show('markdown', true));
  $('copy-csv').addEventListener('click', () => show('csv', true));
  $('r-code').addEventListener('click', () => show('r', false));
  $('print-results').addEventListener('click', () => window.print());
  $('export-copy').addEventListener('click', () => copy());
  $('export-download').addEventListener('click', () => {
    const k = KINDS[open];
    if (k) download(new Blob([current], { type: k.type }), k.file);
  });
  $('export-close').addEventListener('click', () => {
    const back = $(open === 'r' ? 'r-code' : open === 'csv' ? 'copy-csv' : 'copy-markdown');
    open = null;
    $('export-view').hidden = true;
    back?.focus();
  });
}

/** Opens the viewer on an export; `copying`: also copy it at once. */
async function show(kind, copying) {
  open = kind;
  const k = KINDS[kind];
  $('export-title').textContent = k.title;
  $('export-download').textContent = `Download ${k.file}`;
  const made = await fill();
  if (open !== kind) return;
  // Shown once its text is there (the R code may wait for the full core to load).
  $('export-view').hidden = false;
  if (!made) return;
  if (copying) copy();
  else $('export-status').textContent = k.about;
  $('export-view').scrollIntoView({ block: 'nearest' });
}

/**
 * Puts the open export's text in the viewer; false (with the reason shown) when it cannot be made.
 * A source may give its text later (a promise); a viewer changed meanwhile is left alone.
 */
async function fill() {
  const kind = open;
  const k = KINDS[kind];
  let text;
  try {
    text = await sources[kind]();
  } catch (e) {
    if (open !== kind) return false;
    current = '';
    $('export-text').value = '';
    $('export-copy').disabled = true;
    $('export-download').disabled = true;
    $('export-view').classList.add('failed');
    $('export-status').textContent = `The ${k.title.toLowerCase()} could not be made: ${e?.message ?? e}.`;
    return false;
  }
  if (open !== kind) return false;
  current = text;
  $('export-text').value = current;
  $('export-copy').disabled = false;
  $('export-download').disabled = false;
  $('export-view').classList.remove('failed');
  return true;
}

async function copy() {
  const k = KINDS[open];
  const area = $('export-text');
  try {
    await navigator.clipboard.writeText(current);
    $('export-status').textContent = `Copied to the clipboard. ${k.about}`;
  } catch {
    area.focus();
    area.select();
    $('export-status').textContent = 'Selected: press Ctrl+C (Cmd+C on a Mac) to copy it.';
  }
}

/**
 * Calls `fn(true)` when the page is about to be printed (or shown as printed) and `fn(false)`
 * after: the page redraws its plots at print resolution meanwhile.
 */
export function onPrint(fn) {
  let printing = false;
  const set = (on) => {
    if (on === printing) return;
    printing = on;
    fn(on);
  };
  window.addEventListener('beforeprint', () => set(true));
  window.addEventListener('afterprint', () => set(false));
  matchMedia('print').addEventListener('change', (e) => set(e.matches));
}

/** New results (or none): the buttons that need results follow, and an open viewer is refreshed. */
export function resultsChanged(hasReport) {
  $('copy-markdown').disabled = !hasReport;
  $('copy-csv').disabled = !hasReport;
  if (open && (hasReport || open === 'r')) {
    const kind = open;
    fill().then((made) => { if (made && open === kind) $('export-status').textContent = KINDS[kind].about; });
  } else if (open) {
    $('export-view').hidden = true;
    open = null;
  }
}
