// The optional analyses' sections of the results: subgroups, meta-regression, small-study
// effects, leave-one-out and cumulative. Each is shown only when the report holds it. Every number
// comes from the report (docs/api.md names the fields); this file only lays them out in tables
// and plain sentences. Names from the data are set as text, never as markup.

import { fmt, pValue, pText, interval, percent, percentLabel, csvText, csvNumber } from './format.js';
import { LISTED_STUDIES } from './pacing.js';

const $ = (id) => document.getElementById(id);

/** The sections in page order: [element id, report field, link text]. */
export const SECTIONS = [
  ['subgroups-section', 'subgroups', 'Subgroups'],
  ['regression-section', 'regression', 'Meta-regression'],
  ['bias-section', 'bias', 'Small-study effects'],
  ['leave1out-section', 'leave1out', 'Leave-one-out'],
  ['cumulative-section', 'cumulative', 'Cumulative'],
];

// ---- tables ----

/**
 * The rows a long table shows: the first LISTED_STUDIES, with a note under the table saying so
 * (thousands of rows would make every update a long task; Download CSV has them all).
 */
function firstRows(table, rows) {
  const scroll = table.closest('.table-scroll') ?? table;
  let note = scroll.nextElementSibling;
  if (!note?.classList.contains('rows-note')) {
    note = document.createElement('p');
    note.className = 'rows-note method-note';
    scroll.after(note);
  }
  note.hidden = rows.length <= LISTED_STUDIES;
  note.textContent = note.hidden ? ''
    : `The first ${LISTED_STUDIES.toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')} rows are shown; Download CSV has them all.`;
  return rows.slice(0, LISTED_STUDIES);
}

/**
 * A cell: a string, or {text, num, cls, colspan, rowspan, title, mark}. `num` right-aligns it
 * with tabular figures; `mark` puts a marker before the text with words for screen readers.
 */
function makeCell(tag, cell) {
  const c = typeof cell === 'string' ? { text: cell } : cell;
  const el = document.createElement(tag);
  if (c.mark) {
    const m = document.createElement('span');
    m.className = 'marker';
    m.setAttribute('aria-hidden', 'true');
    m.textContent = '▲';
    const words = document.createElement('span');
    words.className = 'visually-hidden';
    words.textContent = ` (${c.mark})`;
    el.append(m, document.createTextNode(c.text), words);
  } else {
    el.textContent = c.text;
  }
  const cls = [c.num ? 'num' : '', c.cls ?? ''].filter(Boolean).join(' ');
  if (cls) el.className = cls;
  if (c.colspan) el.colSpan = c.colspan;
  if (c.rowspan) el.rowSpan = c.rowspan;
  if (c.title) el.title = c.title;
  return el;
}

/**
 * Writes a table: `head` is a list of header rows (lists of cells), `rows` a list of
 * {cells, cls}; the first cell of each body row is its header (the row's name).
 */
export function renderTable(table, head, rows) {
  const thead = table.tHead ?? table.createTHead();
  thead.replaceChildren(...head.map((cells) => {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      const th = makeCell('th', cell);
      th.scope = (typeof cell === 'object' && cell.colspan) ? 'colgroup' : 'col';
      tr.append(th);
    }
    return tr;
  }));
  const tbody = table.tBodies[0] ?? table.createTBody();
  tbody.replaceChildren(...rows.map(({ cells, cls }) => {
    const tr = document.createElement('tr');
    if (cls) tr.className = cls;
    cells.forEach((cell, i) => {
      const el = makeCell(i === 0 ? 'th' : 'td', cell);
      if (i === 0) el.scope = 'row';
      tr.append(el);
    });
    return tr;
  }));
}

const num = (text) => ({ text, num: true });

/** A list of sentences as <li> items. */
function fillNotes(ul, sentences) {
  ul.replaceChildren(...sentences.map((s) => {
    const li = document.createElement('li');
    li.textContent = s;
    return li;
  }));
}

// ---- words for the model ----

function modelWords(o) {
  return o.model === 'common' ? 'common-effect model' : `random-effects model, τ² by ${o.method}`;
}

function ciWords(o) {
  return o.ci === 'hksj' ? 'Knapp–Hartung CIs (t)' : 'Wald-type CIs (z)';
}

/** The moderator list of a document's options as names ("a,b" or a list). */
export function modNames(mods) {
  const all = Array.isArray(mods) ? mods : typeof mods === 'string' ? mods.split(',') : [];
  return all.map((m) => String(m).trim()).filter(Boolean);
}

/**
 * A coefficient's name for the screen: "Intercept", a moderator's name, or "alloc: random" for
 * the indicator of a text moderator's level (R's "allocrandom").
 */
export function coefficientLabel(name, mods) {
  if (name === 'intrcpt') return 'Intercept';
  if (mods.includes(name)) return name;
  const mod = mods.filter((m) => name.startsWith(m) && name.length > m.length)
    .sort((a, b) => b.length - a.length)[0];
  return mod ? `${mod}: ${name.slice(mod.length)}` : name;
}

/** True when the regression has exactly one moderator and it is numeric (one slope named as it). */
export function oneNumericModerator(report, options) {
  const mods = modNames(options.mods);
  const c = report.regression?.coefficients ?? [];
  return mods.length === 1 && c.length === 2 && c[1].name === mods[0];
}

// ---- the sections ----

function showSubgroups(report, options) {
  const o = report.overall;
  const groups = report.subgroups;
  const by = options.by ?? '';
  $('subgroups-heading').textContent = by ? `Subgroups by ${by}` : 'Subgroups';
  const own = o.model === 'common' ? '' : ', each subgroup with its own τ²';
  $('subgroups-method').textContent = `Each subgroup is fitted on its own: ${modelWords(o)}${own}; ${ciWords(o)}. `
    + 'Q, df and p: Cochran\'s test of heterogeneity within the subgroup.';
  const pct = percentLabel(o.level);
  const row = (name, g, cls) => ({
    cls,
    cells: [name, num(String(g.k)), num(fmt(g.estimate)), num(interval(g.ci_lower, g.ci_upper)),
      num(fmt(g.tau2)), num(percent(g.I2)), num(fmt(g.Q, 2)), num(String(g.Q_df)), num(pValue(g.Q_p))],
  });
  renderTable($('subgroups-table'),
    [['Subgroup', num('k'), num('Estimate'), num(`${pct} CI`), num('τ²'), num('I²'), num('Q'), num('df'), num('p')]],
    [...groups.map((g) => row(g.name, g)), row('All studies', o, 'total')]);
  const t = report.subgroup_test;
  $('subgroup-test').textContent = t
    ? `Test for subgroup differences: Q = ${fmt(t.Q, 2)}, df = ${t.df}, ${pText(t.p)} `
      + `(common-effect Q of the ${groups.length} subgroup estimates, χ² with ${t.df} df).`
    : 'Test for subgroup differences: not available with fewer than two subgroups.';
}

function showRegression(report, options) {
  const o = report.overall;
  const r = report.regression;
  const mods = modNames(options.mods);
  $('regression-heading').textContent = mods.length ? `Meta-regression on ${mods.join(', ')}` : 'Meta-regression';
  const tests = r.qm_test === 'F' ? `Knapp–Hartung t tests with ${r.QE_df} df` : 'Wald-type z tests';
  const model = o.model === 'common'
    ? 'Fixed-effects meta-regression (weighted least squares)'
    : `Mixed-effects meta-regression, residual τ² by ${o.method}`;
  $('regression-method').textContent = `${model}, k = ${r.k}; ${tests}. `
    + 'A text moderator is coded as indicators of its levels against the first level in sorted order.';
  const pct = percentLabel(o.level);
  const stat = r.qm_test === 'F' ? 't' : 'z';
  renderTable($('regression-table'),
    [['Coefficient', num('Estimate'), num('SE'), num(stat), num('p'), num(`${pct} CI`)]],
    r.coefficients.map((c) => ({
      cells: [{ text: coefficientLabel(c.name, mods), title: c.name }, num(fmt(c.estimate)), num(fmt(c.se)),
        num(fmt(c.stat)), num(pValue(c.p)), num(interval(c.ci_lower, c.ci_upper))],
    })));
  const qm = r.qm_test === 'F'
    ? ['Test of moderators, F', `F(${r.QM_df}, ${r.QM_df2}), ${pText(r.QM_p)}`]
    : ['Test of moderators, QM', `χ² with ${r.QM_df} df, ${pText(r.QM_p)}`];
  const common = o.model === 'common';
  const rows = [
    [qm[0], fmt(r.QM), qm[1]],
    ['Residual heterogeneity, QE', fmt(r.QE), `df = ${r.QE_df}, ${pText(r.QE_p)}`],
    ['Residual τ²', fmt(r.tau2), common ? 'fixed at 0 (common effect)' : `τ = ${fmt(r.tau)}`],
    ['Residual I²', percent(r.I2, 2), 'share of the remaining variability that is heterogeneity'],
    ['Residual H²', fmt(r.H2), ''],
    ['R²', percent(r.R2, 2), r.R2 == null ? 'not defined for this model' : 'share of τ² accounted for by the moderators'],
  ];
  renderTable($('regression-fit'), [['Quantity', num('Value'), 'Note']],
    rows.map(([name, value, note]) => ({ cells: [name, num(value), { text: note, cls: 'method' }] })));
}

function showBias(report) {
  const o = report.overall;
  const b = report.bias;
  const pct = percentLabel(o.level);
  const none = (name) => ({ cells: [name, { text: 'not defined for these data (see the warnings)', cls: 'method', colspan: 4 }] });
  const rows = [];
  const notes = [];
  const e = b.egger;
  if (e) {
    rows.push({ cells: ['Egger\'s test', num(`t(${e.df}) = ${fmt(e.stat)}`), num(pValue(e.p)),
      num(fmt(e.limit_estimate)), num(interval(e.limit_ci_lower, e.limit_ci_upper))] });
    notes.push(`Egger's regression test: t is the slope of the effects on their standard errors (${pText(e.p)}); `
      + 'its limit estimate is the effect expected for a study with a standard error of 0.');
  } else rows.push(none('Egger\'s test'));
  const g = b.begg;
  if (g) {
    rows.push({ cells: ['Begg\'s test', num(`τ = ${fmt(g.tau)}`),
      num(`${pValue(g.p)} (${g.exact ? 'exact' : 'normal'})`), num('—'), num('—')] });
    notes.push(`Begg's rank correlation test: Kendall's τ between the standardized effects and their variances; `
      + `p from ${g.exact ? 'the exact distribution of τ' : 'the normal approximation'}.`);
  } else rows.push(none('Begg\'s test'));
  const t = b.trimfill;
  if (t) {
    rows.push({ cells: ['Trim and fill', num(`k0 = ${t.k0}${t.k0 > 0 ? `, ${t.side}` : ''}`), num('—'),
      num(fmt(t.estimate)), num(interval(t.ci_lower, t.ci_upper))] });
    notes.push(t.k0 === 0
      ? 'Trim and fill (L0 estimator) finds no missing studies; the estimate is the pooled one.'
      : `Trim and fill (L0 estimator) estimates ${t.k0} missing ${t.k0 === 1 ? 'study' : 'studies'} on the ${t.side} side of the funnel; `
        + `with ${t.k0 === 1 ? 'it' : 'them'} filled in, the pooled estimate is ${fmt(t.estimate)} (${pct} CI ${interval(t.ci_lower, t.ci_upper)}).`);
  } else rows.push(none('Trim and fill'));
  const f = b.failsafe;
  rows.push({ cells: ['Fail-safe N', num(`N = ${f.n}`), num(pValue(f.p)), num('—'), num('—')] });
  notes.push(`Rosenthal's fail-safe N: ${f.n} unpublished studies with null results would raise the combined one-sided p `
    + `(${pText(f.p)}) to α = ${f.alpha}. Rosenthal's guide calls N above 5k + 10 = ${f.target_k} robust; `
    + `this N is ${f.n > f.target_k ? 'above' : 'not above'} it.`);
  for (const [key, name] of [['pet', 'PET'], ['peese', 'PEESE']]) {
    const l = b[key];
    rows.push(l ? { cells: [name, num('—'), num(pValue(l.p)), num(fmt(l.estimate)), num(interval(l.ci_lower, l.ci_upper))] } : none(name));
  }
  notes.push('PET and PEESE: intercepts of weighted regressions of the effects on their standard errors (PET) '
    + 'and on their variances (PEESE), estimates of the effect in a study of perfect precision.');
  renderTable($('bias-table'),
    [['Method', num('Statistic'), num('p'), num('Estimate'), num(`${pct} CI`)]], rows);
  fillNotes($('bias-notes'), notes);
}

function showLeave1out(report) {
  const o = report.overall;
  const rows = report.leave1out;
  $('leave1out-method').textContent = `Each study left out in turn: the ${modelWords(o)} refitted to the others (${ciWords(o)}), `
    + 'and the influence of the study as metafor\'s influence() gives it (Viechtbauer & Cheung 2010).';
  const pct = percentLabel(o.level);
  renderTable($('leave1out-table'), [
    [{ text: 'Omitted study', rowspan: 2, cls: 'bottom' }, { text: 'Pooled without the study', colspan: 5, cls: 'group' },
      { text: 'Influence of the study', colspan: 5, cls: 'group' }],
    [num('Estimate'), num(`${pct} CI`), num('τ²'), num('I²'), num('Q'),
      { text: 'rstudent', num: true, title: 'studentized deleted residual', cls: 'first' }, num('DFFITS'),
      { text: 'Cook\'s D', num: true, title: 'Cook\'s distance' }, { text: 'hat', num: true, title: 'hat value (leverage)' },
      { text: 'Weight', num: true, title: 'weight in the full model' }],
  ], firstRows($('leave1out-table'), rows).map((r) => ({
    cls: r.influential ? 'influential' : '',
    cells: [r.influential ? { text: r.study, mark: 'influential' } : r.study,
      num(fmt(r.estimate)), num(interval(r.ci_lower, r.ci_upper)), num(fmt(r.tau2)), num(percent(r.I2)), num(fmt(r.Q, 2)),
      { text: fmt(r.rstudent, 3), num: true, cls: 'first' }, num(fmt(r.dffits, 3)), num(fmt(r.cook_d, 3)), num(fmt(r.hat, 3)),
      num(percent(r.weight))],
  })));
  const flagged = rows.filter((r) => r.influential).map((r) => r.study);
  const rule = 'metafor\'s rule: |DFFITS| > 3√(1/(k − 1)), P(χ²₁ ≤ Cook\'s D) > 0.5, hat > 3/k, or |DFBETAS| > 1';
  $('leave1out-influential').textContent = flagged.length
    ? `▲ Influential by ${rule}: ${flagged.join('; ')}.`
    : `No study is influential by ${rule}.`;
}

function showCumulative(report, options) {
  const o = report.overall;
  const by = options.cumulative_by;
  $('cumulative-heading').textContent = by ? `Cumulative meta-analysis by ${by}` : 'Cumulative meta-analysis';
  $('cumulative-method').textContent = `Studies are added one at a time ${by ? `in order of ${by}` : 'in data order'}; `
    + `each row pools the studies so far (${modelWords(o)}; ${ciWords(o)}).`;
  const pct = percentLabel(o.level);
  renderTable($('cumulative-table'),
    [['Study added', num('k'), num('Estimate'), num(`${pct} CI`), num('p'), num('τ²'), num('I²')]],
    firstRows($('cumulative-table'), report.cumulative).map((r) => ({
      cells: [r.study, num(String(r.k)), num(fmt(r.estimate)), num(interval(r.ci_lower, r.ci_upper)),
        num(pValue(r.p)), num(fmt(r.tau2)), num(percent(r.I2))],
    })));
}

const SHOW = {
  subgroups: showSubgroups,
  regression: showRegression,
  bias: showBias,
  leave1out: showLeave1out,
  cumulative: showCumulative,
};

/**
 * Shows the section of each optional analysis the report holds and hides the others.
 * `options` are the document's options (for the column names in headings).
 * @returns {string[]} ids of the sections shown
 */
export function showAnalyses(report, options) {
  return showSections(SECTIONS, SHOW, report, options);
}

/**
 * Shows each section `[id, field]` whose field the report holds, filled by `show[field](report,
 * options)`, and hides the others (www/mediation.js's sections too).
 * @returns {string[]} ids of the sections shown
 */
export function showSections(sections, show, report, options) {
  const shown = [];
  for (const [id, field] of sections) {
    const present = report[field] != null;
    $(id).hidden = !present;
    if (!present) continue;
    show[field](report, options);
    shown.push(id);
  }
  return shown;
}

export function hideAnalyses() {
  for (const [id] of SECTIONS) $(id).hidden = true;
}

// ---- CSV ----

/** CSV blocks (lists of lines) for the optional analyses the report holds. */
export function analysesCsv(report, options) {
  const n = csvNumber;
  const blocks = [];
  if (report.subgroups) {
    const lines = [['subgroup', 'k', 'estimate', 'se', 'ci_lower', 'ci_upper', 'p', 'tau2', 'I2_percent', 'Q', 'Q_df', 'Q_p'].join(',')];
    for (const g of report.subgroups) {
      lines.push([csvText(g.name), g.k, n(g.estimate), n(g.se), n(g.ci_lower), n(g.ci_upper), n(g.p), n(g.tau2),
        n(g.I2), n(g.Q), g.Q_df, n(g.Q_p)].join(','));
    }
    const t = report.subgroup_test;
    lines.push(['test_for_subgroup_differences', '', '', '', '', '', '', '', '', t ? n(t.Q) : '', t ? t.df : '', t ? n(t.p) : ''].join(','));
    blocks.push(lines);
  }
  if (report.regression) {
    const r = report.regression;
    const lines = [['coefficient', 'estimate', 'se', r.qm_test === 'F' ? 't' : 'z', 'p', 'ci_lower', 'ci_upper'].join(',')];
    for (const c of r.coefficients) {
      lines.push([csvText(c.name), n(c.estimate), n(c.se), n(c.stat), n(c.p), n(c.ci_lower), n(c.ci_upper)].join(','));
    }
    lines.push('');
    lines.push('regression,value');
    for (const [name, v] of [['k', r.k], [r.qm_test === 'F' ? 'QM_F' : 'QM_chisq', r.QM], ['QM_df', r.QM_df], ['QM_df2', r.QM_df2],
      ['QM_p', r.QM_p], ['QE', r.QE], ['QE_df', r.QE_df], ['QE_p', r.QE_p], ['tau2', r.tau2], ['tau', r.tau],
      ['I2_percent', r.I2], ['H2', r.H2], ['R2_percent', r.R2]]) lines.push(`${name},${n(v)}`);
    blocks.push(lines);
  }
  if (report.bias) {
    const b = report.bias;
    const lines = ['small_study_effects,statistic,df,p,estimate,se,ci_lower,ci_upper,note'];
    const e = b.egger;
    lines.push(e ? ['egger_regression_t', n(e.stat), e.df, n(e.p), n(e.limit_estimate), '', n(e.limit_ci_lower), n(e.limit_ci_upper), 'limit estimate at SE 0'].join(',') : 'egger_regression_t,,,,,,,,not defined');
    const g = b.begg;
    lines.push(g ? ['begg_rank_correlation_tau', n(g.tau), '', n(g.p), '', '', '', '', g.exact ? 'exact p' : 'normal approximation'].join(',') : 'begg_rank_correlation_tau,,,,,,,,not defined');
    const t = b.trimfill;
    lines.push(t ? ['trim_and_fill_k0', t.k0, '', '', n(t.estimate), n(t.se), n(t.ci_lower), n(t.ci_upper), `filled on the ${t.side}`].join(',') : 'trim_and_fill_k0,,,,,,,,not defined');
    const f = b.failsafe;
    lines.push(['fail_safe_n', f.n, '', n(f.p), '', '', '', '', `alpha ${f.alpha}; 5k+10 = ${f.target_k}`].join(','));
    for (const key of ['pet', 'peese']) {
      const l = b[key];
      lines.push(l ? [key, '', '', n(l.p), n(l.estimate), n(l.se), n(l.ci_lower), n(l.ci_upper), ''].join(',') : `${key},,,,,,,,not defined`);
    }
    blocks.push(lines);
  }
  if (report.leave1out) {
    const lines = ['omitted_study,row,k,estimate,se,ci_lower,ci_upper,p,tau2,I2_percent,Q,Q_p,rstudent,dffits,dfbetas,cook_d,cov_r,hat,weight_percent,influential'];
    for (const r of report.leave1out) {
      lines.push([csvText(r.study), r.row, r.k, n(r.estimate), n(r.se), n(r.ci_lower), n(r.ci_upper), n(r.p), n(r.tau2), n(r.I2),
        n(r.Q), n(r.Q_p), n(r.rstudent), n(r.dffits), n(r.dfbetas), n(r.cook_d), n(r.cov_r), n(r.hat), n(r.weight),
        r.influential ? 'yes' : 'no'].join(','));
    }
    blocks.push(lines);
  }
  if (report.cumulative) {
    const by = options.cumulative_by;
    const lines = [['added_study', 'row', 'k', 'estimate', 'se', 'ci_lower', 'ci_upper', 'p', 'tau2', 'I2_percent', 'Q', 'Q_p',
      by ? csvText(`sorted by ${by}`) : 'data order'].join(',')];
    for (const r of report.cumulative) {
      lines.push([csvText(r.study), r.row, r.k, n(r.estimate), n(r.se), n(r.ci_lower), n(r.ci_upper), n(r.p), n(r.tau2), n(r.I2),
        n(r.Q), n(r.Q_p), ''].join(','));
    }
    blocks.push(lines);
  }
  return blocks;
}
