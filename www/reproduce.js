// Checking a published result, and other programs' defaults. The "Reported result" box
// sends the paper's pooled result as the document's `reproduce` option when it is complete (Enter
// or leaving the box); the core tries every setting and the report's `reproduce` block lists the
// matches and the nearest misses, which this file lays out in words, each match with a button
// that puts its setting into the page's options. The "Software defaults" menu (the core's
// `presets()`) writes `preset`, sets the method and CI type, and the report's `preset` block is
// shown under the summary: the prediction interval and I² as that program computes them.
// No statistics here: every number comes from the report (docs/api.md names the fields); numbers
// are only formatted. Text from the data or the box is set as text, never as markup.

import { SUPERSEDED } from './engine.js';
import { fmt, interval, percentLabel, csvText, csvNumber, capitalize } from './format.js';

const $ = (id) => document.getElementById(id);

/** The τ² estimators and CI types in words (the core's codes as keys). */
const METHODS = {
  FE: 'Common effect (no τ²)',
  DL: 'DerSimonian–Laird',
  REML: 'REML (restricted maximum likelihood)',
  ML: 'Maximum likelihood',
  PM: 'Paule–Mandel',
  EB: 'Empirical Bayes',
  HS: 'Hunter–Schmidt',
  SJ: 'Sidik–Jonkman',
  HE: 'Hedges',
};
const CIS = { z: 'Wald-type CI (z)', hksj: 'Knapp–Hartung CI (t, k − 1 df)' };
/** Prediction intervals and I² (docs/methods.md: Reproducing a published result). */
const PIS = {
  z: 'PI normal (metafor, test = "z")',
  t: 'PI t with k − 1 df (R meta ≥ 8)',
  hts: 'PI t with k − 2 df (Higgins et al. 2009; R meta 4 to 7)',
  hksj: 'PI Knapp–Hartung t, k − 1 df (metafor, test = "knha")',
};
const I2S = { tau2: 'I² from τ² (metafor)', Q: 'I² from Q (Higgins & Thompson; RevMan, R meta)' };
const RULES = { width: 'full width / 2z', wider: 'wider half / z', zero_side: 'half towards 0 / z' };
/** The reported numbers' names in words (the report's `furthest`). */
const FIELD_WORDS = {
  estimate: 'estimate', ci_lower: 'lower CI limit', ci_upper: 'upper CI limit', tau2: 'τ²', tau: 'τ', I2: 'I²',
  pi_lower: 'lower PI limit', pi_upper: 'upper PI limit',
};

/** The presets from the core's presets(), by code. */
let presets = [];
/** The text in the box as last committed (Enter or leaving the box). */
let committed = '';
/** Texts the core could not read, with its error: they are not sent again. */
const unreadable = new Map();
let hooks = { schedule: () => {} };

/** A preset name as the core reads it: lower case, letters and digits only. */
const key = (s) => String(s ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
const presetOf = (code) => presets.find((p) => key(p.code) === key(code)) ?? null;

// ---- the controls ----

/**
 * Wires the box and the menu. `schedule()` asks the page for a fresh analysis.
 */
export function initReproduce({ schedule }) {
  hooks = { schedule };
  const box = $('reproduce');
  const commit = () => {
    const text = box.value.trim();
    if (text === committed) return;
    committed = text;
    showBoxError();
    hooks.schedule();
  };
  box.addEventListener('change', commit);
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      commit();
    }
  });
  $('preset').addEventListener('input', () => {
    const p = presetOf($('preset').value);
    if (p) {
      setSelect($('method'), p.method);
      setSelect($('ci'), p.ci);
    }
    showPresetSource();
  });
  // The page's own form listener asks for the analysis (the menu is inside the options form).
}

/** Fills the menu with the core's presets (once the core is loaded). */
export function setPresets(list) {
  presets = Array.isArray(list) ? list : [];
  const select = $('preset');
  const chosen = select.value;
  select.replaceChildren(new Option('none: the method and CI chosen above', ''),
    ...presets.map((p) => new Option(`${p.name}: ${p.method}, ${p.ci === 'hksj' ? 'Knapp–Hartung' : 'z'}`, p.code)));
  setSelect(select, chosen);
  showPresetSource();
}

function setSelect(select, value) {
  if (value == null) return;
  if (![...select.options].some((o) => o.value === value)) {
    // An unknown value (from a link) stays as it is; the core says what is wrong with it.
    select.append(new Option(value, value));
  }
  select.value = value;
}

/** The note under the menu: what the preset sets and where its defaults are documented. */
function showPresetSource() {
  const p = presetOf($('preset').value);
  const note = $('preset-source');
  if (!p) {
    note.textContent = $('preset').value
      ? ''
      : 'Choose a program to use its defaults: the method and CI are set, and its prediction interval and I² are shown with the results.';
    return;
  }
  const conventions = [p.pi_type ? PIS[p.pi_type] : 'no prediction interval stated', p.i2_type ? I2S[p.i2_type] : 'I² not stated'];
  note.textContent = `${p.name}: ${METHODS[p.method] ?? p.method}, ${CIS[p.ci] ?? p.ci}; ${conventions.join('; ')}. Source: ${p.source}.`;
}

/**
 * The options with the box's text and the chosen preset: `reproduce` (the committed text) and
 * `preset`; with a preset, `method` and `ci` are written only where they differ from the
 * preset's (an explicit one overrides it, as in the CLI).
 */
export function reproduceOptions(options) {
  const o = { ...options };
  if (committed) o.reproduce = committed;
  const code = $('preset').value;
  if (code) {
    o.preset = code;
    const p = presetOf(code);
    if (p && o.method === p.method) delete o.method;
    if (p && o.ci === p.ci) delete o.ci;
  }
  return o;
}

/**
 * Sets the box and the menu from a document's options, before the page reads its method and CI:
 * a document with a preset and no method (or CI) gets the preset's.
 */
export function setReproduceControls(o) {
  committed = typeof o.reproduce === 'string' ? o.reproduce.trim() : '';
  $('reproduce').value = committed;
  const code = typeof o.preset === 'string' ? o.preset : '';
  const p = presetOf(code);
  setSelect($('preset'), p ? p.code : code);
  if (p && o.method == null) setSelect($('method'), p.method);
  if (p && o.ci == null) setSelect($('ci'), p.ci);
  showBoxError();
  showPresetSource();
}

/** Empties the box (new data: a published result belongs to its own studies). */
export function clearReproduce() {
  committed = '';
  $('reproduce').value = '';
  showBoxError();
}

// ---- the analysis ----

const aboutText = (error) => /^reproduce: cannot read /.test(error?.message ?? '');

/**
 * Analyses `doc` with the engine. When the core cannot read the published result, the box says
 * why (the core's words), `tell` hears that error (for a parent page), and the analysis is run
 * again without it, so that the rest of the results still show.
 */
export async function analyzeReproducing(engine, doc, tell = () => {}) {
  const text = doc.options.reproduce;
  const { reproduce: _, ...rest } = doc.options;
  const without = { ...doc, options: rest };
  if (text && unreadable.has(text)) {
    // Known not to read: said again (a parent hears it for each analysis), not computed again.
    tell(unreadable.get(text));
    return engine.analyze(without);
  }
  const result = await engine.analyze(doc);
  if (result === SUPERSEDED || !text || !aboutText(result.error)) return result;
  unreadable.set(text, result.error);
  showBoxError();
  tell(result.error);
  return engine.analyze(without);
}

/** Shows under the box why the committed text cannot be read (nothing when it can). */
function showBoxError() {
  const error = unreadable.get(committed);
  const p = $('reproduce-error');
  p.hidden = !error;
  p.textContent = error ? capitalize(error.message.replace(/^reproduce:\s*/, '')) : '';
  $('reproduce').setAttribute('aria-invalid', String(Boolean(error)));
}

// ---- the results ----

/** A reported number as it was printed (its decimals, the Unicode minus). */
function printed(n) {
  if (!n) return '—';
  return n.decimals >= 0 ? fmt(n.value, n.decimals) : fmt(n.value, 0);
}

/** Decimals to show a computed number with: two more than the reported one. */
const digitsFor = (n) => Math.max(0, (n?.decimals ?? 2) + 2);

/** A computed number beside a reported one. */
function computed(value, n, percentSign = false) {
  if (value == null) return '—';
  const s = fmt(value, digitsFor(n));
  return percentSign ? `${s}%` : s;
}

/** The setting of a match or miss in words: its model and CI, then the details that apply. */
export function settingWords(m, report) {
  const main = `${METHODS[m.method] ?? m.method}, ${CIS[m.ci] ?? m.ci}`;
  const details = [];
  if (m.scale === 'exp') details.push('estimate and limits exponentiated (a ratio from log ratios)');
  if (m.ci_se_rule) details.push(`SE of studies given by limits: ${RULES[m.ci_se_rule] ?? m.ci_se_rule}`);
  if (m.ci_level_in != null) details.push(`their limits read as ${percentLabel(m.ci_level_in)} CIs`);
  if (m.level != null && report && m.level !== report.overall.level) details.push(`${percentLabel(m.level)} intervals`);
  if (m.pi_type) details.push(PIS[m.pi_type] ?? m.pi_type);
  if (m.i2_type) details.push(I2S[m.i2_type] ?? m.i2_type);
  const names = (m.presets ?? []).map((c) => presetOf(c)?.name ?? c);
  if (names.length) details.push(`the default of ${names.join('; ')}`);
  return { main, details };
}

/** The columns of the matches' table: the numbers the text reported. */
function columnsFor(rep) {
  const cols = [['estimate', 'Estimate'], ['ci', `${percentLabel(rep.level ?? 0.95)} CI`]];
  if (rep.reported.tau2) cols.push(['tau2', 'τ²']);
  if (rep.reported.tau) cols.push(['tau', 'τ']);
  if (rep.reported.I2) cols.push(['I2', 'I²']);
  if (rep.reported.pi_lower) cols.push(['pi', `${percentLabel(rep.pi_level ?? rep.level ?? 0.95)} PI`]);
  return cols;
}

/**
 * A setting's cell for a column: its numbers, the one furthest from the published number marked
 * (in a miss: `mark`).
 */
function cellFor(col, m, r, mark) {
  const value = el('span');
  const td = el('td', { cls: 'num' }, value);
  const part = (field, percentSign = false) => {
    const span = el('span', { text: computed(m[field], r[field], percentSign) });
    if (mark && m.furthest === field) {
      span.className = 'bad-text';
      span.title = `the number furthest from the published ${printed(r[field])}`;
    }
    return span;
  };
  const pair = (lo, hi) => (m[lo] == null ? [document.createTextNode('—')] : [part(lo), document.createTextNode(' to '), part(hi)]);
  switch (col) {
    case 'estimate': value.append(part('estimate')); break;
    case 'ci': value.append(...pair('ci_lower', 'ci_upper')); break;
    case 'tau2': value.append(part('tau2')); break;
    case 'tau': value.append(part('tau')); break;
    case 'I2': value.append(part('I2', true)); break;
    case 'pi': value.append(...pair('pi_lower', 'pi_upper')); break;
    default: break;
  }
  return td;
}

/** The published numbers' row: each as printed. */
function publishedCell(col, r) {
  switch (col) {
    case 'estimate': return printed(r.estimate);
    case 'ci': return `${printed(r.ci_lower)} to ${printed(r.ci_upper)}`;
    case 'tau2': return printed(r.tau2);
    case 'tau': return printed(r.tau);
    case 'I2': return `${printed(r.I2)}%`;
    case 'pi': return `${printed(r.pi_lower)} to ${printed(r.pi_upper)}`;
    default: return '';
  }
}

/** Whether the page's analysis is this setting now. */
function inUse(m, report, options) {
  const o = report.overall;
  if (o.method !== m.method || o.ci !== m.ci || (m.level != null && m.level !== o.level)) return false;
  if (m.ci_se_rule && key(m.ci_se_rule) !== key(options.ci_se_rule ?? 'width')) return false;
  if (m.ci_level_in != null && m.ci_level_in !== (options.ci_level_in ?? 0.95)) return false;
  return true;
}

/** How far a miss is, in words: the number furthest off, computed against printed. */
function missWords(m, r) {
  const field = m.furthest;
  const n = r[field];
  const value = m[field];
  if (!n || value == null) return `${fmt(m.distance, 2)} units of the last digit`;
  const pc = field === 'I2' ? '%' : '';
  const rounds = n.decimals >= 0 ? `, which rounds to ${fmt(value, n.decimals)}${pc}` : '';
  return `Furthest off: the ${FIELD_WORDS[field] ?? field}, ${fmt(value, digitsFor(n))}${pc}${rounds}; printed ${printed(n)}${pc}`;
}

function el(tag, { text, cls, title } = {}, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  if (title) e.title = title;
  e.append(...children);
  return e;
}

/** The cell naming a setting: its model and CI, then the details on lines of their own. */
function settingCell(m, report, extra = null, action = null) {
  const { main, details } = settingWords(m, report);
  const th = el('th', { cls: 'setting' }, el('span', { cls: 'line main', text: main }),
    ...details.map((d) => el('span', { cls: 'line detail', text: d })),
    ...(extra ? [el('span', { cls: 'line off', text: extra })] : []),
    ...(action ? [el('span', { cls: 'line action no-export' }, action)] : []));
  th.scope = 'row';
  return th;
}

/** Writes one table of settings (matches, or the nearest misses). */
function settingsTable(table, rep, list, report, options, kind) {
  const r = rep.reported;
  const cols = columnsFor(rep);
  const head = el('tr', {}, el('th', { text: 'Setting' }),
    ...cols.map(([, words]) => el('th', { cls: 'num', text: words })),
    el('th', { cls: 'num', text: 'Off by', title: 'The largest difference from a published number, in units of its last printed digit (0.5 or less: every number rounds to the published one)' }));
  for (const th of head.cells) th.scope = 'col';
  table.tHead.replaceChildren(head);
  const published = el('tr', { cls: 'published' }, el('th', { text: `Published: ${rep.reported.text}` }),
    ...cols.map(([c]) => el('td', { cls: 'num', text: publishedCell(c, r) })), el('td', { cls: 'num', text: '' }));
  published.cells[0].scope = 'row';
  const rows = list.map((m, i) => {
    // A match says whether it is the analysis shown, or offers to make it so.
    let action = null;
    const used = kind === 'match' && inUse(m, report, options);
    if (used) {
      action = el('span', { cls: 'in-use', text: '✓ In use above' });
    } else if (kind === 'match') {
      action = el('button', { text: 'Use this setting' });
      action.type = 'button';
      action.dataset.match = String(i);
      action.setAttribute('aria-label', `Use this setting: ${settingWords(m, report).main}`);
    }
    return el('tr', { cls: used ? 'chosen' : '' }, settingCell(m, report, kind === 'miss' ? missWords(m, r) : null, action),
      ...cols.map(([c]) => cellFor(c, m, r, kind === 'miss')),
      el('td', { cls: 'num', text: fmt(m.distance, 2) }));
  });
  table.tBodies[0].replaceChildren(published, ...rows);
  // On a phone each row is a card: every number says what it is, and the roles stay a table's.
  table.setAttribute('role', 'table');
  const names = [...head.cells].map((th) => th.textContent);
  for (const tr of [head, published, ...rows]) {
    tr.setAttribute('role', 'row');
    [...tr.cells].forEach((cell, i) => {
      const header = tr === head;
      cell.setAttribute('role', header ? 'columnheader' : i === 0 ? 'rowheader' : 'cell');
      if (!header && i > 0 && names[i]) cell.dataset.label = names[i];
    });
  }
}

/** The reported numbers as the core read them, in words. */
function readWords(rep) {
  const r = rep.reported;
  const parts = [`estimate ${printed(r.estimate)}`];
  parts.push(`${percentLabel(rep.level)} CI ${printed(r.ci_lower)} to ${printed(r.ci_upper)}${r.level == null ? ' (no level stated: the analysis level)' : ''}`);
  if (r.tau2) parts.push(`τ² = ${printed(r.tau2)}`);
  if (r.tau) parts.push(`τ = ${printed(r.tau)}`);
  if (r.I2) parts.push(`I² = ${printed(r.I2)}%`);
  if (r.pi_lower) parts.push(`${percentLabel(rep.pi_level ?? rep.level)} PI ${printed(r.pi_lower)} to ${printed(r.pi_upper)}`);
  return `Read as ${parts.join(', ')}. ${rep.tried} settings were tried: every model and CI type, and the conventions `
    + 'that apply to these data and these numbers (the SE rule and level of CI limits in the data, the type of prediction '
    + 'interval and of I², the exponentiated scale of a ratio). A setting matches when each of its numbers rounds to the '
    + 'published one at the decimals printed.';
}

let shownMatches = [];

/**
 * Shows the report's `reproduce` and `preset` blocks (or hides their places), and the box's
 * error. `report` is null when the analysis failed.
 */
export function showReproduce(report, options) {
  showBoxError();
  showPreset(report);
  const rep = report?.reproduce ?? null;
  $('reproduce-section').hidden = !rep;
  shownMatches = rep?.matches ?? [];
  if (!rep) return;
  $('reproduce-read').textContent = readWords(rep);
  const n = rep.matches.length;
  const names = rep.matches.map((m) => settingWords(m, report).main);
  const uniq = [...new Set(names)];
  $('reproduce-verdict').textContent = n === 0
    ? `No setting gives every published number at its printed decimals: the paper may have used other data (other studies, another effect measure, other rounding of the input), or a method metapool does not have. The nearest settings are below.`
    : `${n === 1 ? 'One setting reproduces' : `${n} settings reproduce`} every published number`
      + `${n > 1 ? ' (the printed decimals cannot tell them apart)' : ''}: `
      + `${uniq.length > 4 ? `${uniq.slice(0, 3).join('; ')} and ${uniq.length - 3} more` : uniq.join('; ')}.`;
  $('reproduce-matches').closest('.table-scroll').hidden = n === 0;
  if (n) settingsTable($('reproduce-matches'), rep, rep.matches, report, options, 'match');
  const misses = rep.nearest ?? [];
  $('reproduce-nearest-title').hidden = misses.length === 0;
  $('reproduce-nearest').closest('.table-scroll').hidden = misses.length === 0;
  if (misses.length) settingsTable($('reproduce-nearest'), rep, misses, report, options, 'miss');
  const notes = rep.notes ?? [];
  $('reproduce-notes').hidden = notes.length === 0;
  $('reproduce-notes').replaceChildren(...notes.map((t) => el('li', { text: capitalize(t) })));
}

/** Puts a match's setting into the page's options and asks for the analysis. */
function useSetting(m) {
  setSelect($('method'), m.method);
  setSelect($('ci'), m.ci);
  if (m.level != null && $('level').valueAsNumber !== m.level) $('level').value = String(m.level);
  if (m.ci_se_rule) setSelect($('ci-se-rule'), m.ci_se_rule);
  if (m.ci_level_in != null) $('ci-level-in').value = String(m.ci_level_in);
  // A preset stays chosen only when this setting is its default.
  const code = $('preset').value;
  if (code && !(m.presets ?? []).some((c) => key(c) === key(code))) $('preset').value = '';
  showPresetSource();
  $('reproduce-status').textContent = `Now using ${settingWords(m).main}.`;
  hooks.schedule();
}

document.addEventListener('click', (e) => {
  const b = e.target.closest?.('#reproduce-matches button[data-match]');
  if (!b) return;
  const m = shownMatches[Number(b.dataset.match)];
  if (m) useSetting(m);
});

/** The preset's block under the summary: its prediction interval and I², and its source. */
function showPreset(report) {
  const p = report?.preset ?? null;
  $('preset-result').hidden = !p;
  if (!p) return;
  const o = report.overall;
  const pct = percentLabel(o.level);
  const used = `${METHODS[o.method] ?? o.method}, ${CIS[o.ci] ?? o.ci}`;
  const over = p.overridden.length
    ? ` The analysis uses ${used}: the ${p.overridden.map((x) => (x === 'ci' ? 'CI type' : x)).join(' and ')} chosen instead of the preset's (${p.method}, ${p.ci}).`
    : '';
  const parts = [];
  if (p.pi_type) {
    parts.push(p.pi_lower == null
      ? `no prediction interval (${PIS[p.pi_type]}; not defined for this model)`
      : `${pct} prediction interval ${interval(p.pi_lower, p.pi_upper)} (${PIS[p.pi_type]})`);
  } else {
    parts.push('no prediction interval stated in its documentation');
  }
  parts.push(p.i2_type ? `I² = ${p.I2 == null ? '—' : `${fmt(p.I2, 2)}%`} (${I2S[p.i2_type]})` : 'I² as it computes it is not stated');
  $('preset-line').textContent = `As ${p.name} reports it: ${parts.join('; ')}.${over}`;
  $('preset-source-line').textContent = `Defaults of ${p.name}: ${METHODS[p.method] ?? p.method}, ${CIS[p.ci] ?? p.ci}. Source: ${p.source}.`;
}

// ---- CSV ----

/** CSV blocks (lists of lines) for the report's `reproduce` and `preset` parts. */
export function reproduceCsv(report) {
  const n = csvNumber;
  const blocks = [];
  const rep = report.reproduce;
  if (rep) {
    const r = rep.reported;
    const lines = ['reproduce,method,ci,scale,ci_se_rule,ci_level_in,pi_type,i2_type,level,estimate,ci_lower,ci_upper,tau2,tau,I2_percent,pi_lower,pi_upper,distance,furthest,presets'];
    const v = (x) => (x ? n(x.value) : '');
    lines.push([csvText(`published: ${r.text}`), '', '', '', '', '', '', '', n(rep.level), v(r.estimate), v(r.ci_lower), v(r.ci_upper),
      v(r.tau2), v(r.tau), v(r.I2), v(r.pi_lower), v(r.pi_upper), '', '', ''].join(','));
    const row = (kind, m) => [kind, m.method, m.ci, m.scale, m.ci_se_rule ?? '', n(m.ci_level_in), m.pi_type ?? '', m.i2_type ?? '',
      n(m.level), n(m.estimate), n(m.ci_lower), n(m.ci_upper), n(m.tau2), n(m.tau), n(m.I2), n(m.pi_lower), n(m.pi_upper),
      n(m.distance), m.furthest ?? '', csvText((m.presets ?? []).join(' '))].join(',');
    for (const m of rep.matches) lines.push(row('match', m));
    for (const m of rep.nearest) lines.push(row('nearest_miss', m));
    lines.push(`settings_tried,${rep.tried}${','.repeat(18)}`);
    blocks.push(lines);
  }
  const p = report.preset;
  if (p) {
    blocks.push([
      'preset,name,method,ci,pi_type,i2_type,pi_lower,pi_upper,I2_percent,overridden,source',
      [p.code, csvText(p.name), p.method, p.ci, p.pi_type ?? '', p.i2_type ?? '', n(p.pi_lower), n(p.pi_upper), n(p.I2),
        csvText(p.overridden.join(' ')), csvText(p.source)].join(','),
    ]);
  }
  return blocks;
}
