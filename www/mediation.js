// The mediation parts of the results: the per-study intervals of a·b, the pooled paths set
// beside the pooled indirect effects, the sensitivity to the rule for the SE of asymmetric
// limits, the rounding ranges with a published result checked against them, and the summary
// table with a row per combination. Every number comes from the report (docs/api.md names the
// fields); this file lays them out and says in words what they show. Names from the data are
// set as text, never as markup.

import { renderTable, showSections } from './analyses.js';
import { fmt, pValue, interval, percent, percentLabel, csvText, csvNumber } from './format.js';

const $ = (id) => document.getElementById(id);
const num = (text) => ({ text, num: true });

/** The sections in page order: [element id, report field, link text]. */
export const MEDIATION_SECTIONS = [
  ['paths-section', 'paths', 'Paths vs a·b'],
  ['sensitivity-section', 'ci_rule_sensitivity', 'SE rules'],
  ['rounding-section', 'rounding', 'Rounding'],
  ['table-section', 'table', 'Summary table'],
];

/** The rules for the SE of a study given by limits, in words (the core's codes as keys). */
const RULES = {
  width: ['Full width / 2z', 'the average half-width'],
  wider: ['Wider half / z', 'the larger SE'],
  zero_side: ['Half towards 0 / z', 'keeps each study’s own test of 0'],
};

/** An option's code as the core compares it: lower case, letters and digits only. */
const code = (s) => String(s ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');

function modelWords(o) {
  return o.model === 'common' ? 'common-effect model' : `random-effects model, τ² by ${o.method}`;
}

function ciWords(o) {
  return o.ci === 'hksj' ? 'Knapp–Hartung CIs (t)' : 'Wald-type CIs (z)';
}

/** A number as it was read from text (a published result): its shortest form, Unicode minus. */
function plain(x) {
  return x == null ? '—' : String(x).replace('-', '\u2212');
}

/**
 * The three numbers of a published result as they were typed ("−0.20" rather than −0.2), when
 * the text holds exactly three numbers that read as the report's values; else as read.
 */
function typedNumbers(text, values) {
  const found = String(text ?? '').match(/[-+\u2212]?\d+(?:[.,]\d+)?(?:e[-+]?\d+)?/gi) ?? [];
  const read = (t) => Number(t.replace('\u2212', '-').replace(',', '.'));
  if (found.length === 3 && found.every((t, i) => read(t) === values[i])) {
    return found.map((t) => t.replace(/^[-\u2212]/, '\u2212').replace(/^\+/, ''));
  }
  return values.map(plain);
}

/** Whether an interval lies wholly on one side of 0 (null: no interval). */
function excludesZero(lo, hi) {
  if (lo == null || hi == null) return null;
  return hi < 0 || lo > 0;
}

/** "a, b and c". */
function listWords(items) {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

// ---- the studies table: intervals of each study's a·b ----

/**
 * The extra columns of the studies table for studies given by their paths: the Monte Carlo and
 * the distribution-of-the-product interval of each one's a·b, when some study has them.
 * @returns {{head: string, title: string, lower: string, upper: string}[]}
 */
export function studyIntervalColumns(report) {
  const pct = percentLabel(report.overall.level);
  const has = (field) => report.studies.some((r) => r[field] != null);
  const cols = [];
  if (has('mc_lower')) {
    cols.push({ head: `Monte Carlo ${pct} CI`, title: 'Percentile interval of a·b from seeded Monte Carlo draws of a and b', lower: 'mc_lower', upper: 'mc_upper' });
  }
  if (has('dop_lower')) {
    cols.push({ head: `Product ${pct} CI`, title: 'Distribution-of-the-product interval of a·b (RMediation’s medci, type “dop”)', lower: 'dop_lower', upper: 'dop_upper' });
  }
  return cols;
}

/** A sentence on how the studies given by their paths were computed, or '' for none. */
export function studiesNote(report) {
  const s = report.ie_settings;
  if (!s) return '';
  const k = s.k === 1 ? '1 study is' : `${s.k} studies are`;
  const mc = s.mc_draws > 0
    ? `Monte Carlo CIs from ${s.mc_draws.toLocaleString('en-US')} draws of a and b (seed ${s.seed}; the same seed gives the same intervals)`
    : 'no Monte Carlo CIs (0 draws)';
  return `${k} given by the paths a and b: the estimate is a·b with the ${s.ie_se_name} variance; `
    + `beside the normal-theory CI, ${mc}, and the distribution-of-the-product CI (as RMediation’s medci). `
    + 'The pooled analysis uses the estimate and its SE.';
}

// ---- pooled paths against pooled indirect effects ----

function showPaths(report) {
  const o = report.overall;
  const p = report.paths;
  const c = p.comparison;
  const pct = percentLabel(o.level);
  const s = report.ie_settings;
  const draws = p.ie.draws > 0
    ? `a Monte Carlo CI from ${p.ie.draws.toLocaleString('en-US')} draws of the two pooled estimates (seed ${p.ie.seed})`
    : 'no Monte Carlo CI (0 draws)';
  $('paths-method').textContent = 'Two ways to pool the same studies. Pooling each study’s a·b: the main result above'
    + `${s ? ` (each a·b with the ${s.ie_se_name} variance)` : ''}. Pooling the paths: a and b pooled separately `
    + `(${modelWords(o)}; ${ciWords(o)}), then their product â·b̂ with ${draws}, as Huang et al. (2016) propose, `
    + 'and the distribution-of-the-product CI of the same pair.';
  const rel = c.relative_difference == null ? '' : ` (${fmt(c.relative_difference * 100, 1)}%)`;
  // With the bivariate model, its μ̂a·μ̂b in a column of its own, before the difference.
  const bv = p.bivariate ?? null;
  const biv = (cell) => (bv ? [num(cell)] : []);
  const bc = bv?.comparison;
  const brel = bc?.relative_difference == null ? '' : ` (${fmt(bc.relative_difference * 100, 1)}%)`;
  renderTable($('paths-table'),
    [['', num('Pooling each study’s a·b'), num('Pooling a and b: â·b̂'), ...biv('Bivariate model: μ̂a·μ̂b'),
      num('Difference, paths − a·b'), ...biv('Difference, bivariate − a·b')]],
    [
      { cells: ['Studies (k)', num(String(c.k_ie)), num(String(c.k_paths)), ...biv(String(bv?.k)), num(''), ...biv('')] },
      { cls: 'strong', cells: ['Indirect effect', num(fmt(c.ie_estimate)), num(fmt(p.ie.estimate)), ...biv(fmt(bv?.ie.estimate)),
        num(`${fmt(c.estimate_difference)}${rel}`), ...biv(`${fmt(bc?.estimate_difference)}${brel}`)] },
      { cells: [`${pct} CI, lower limit`, num(fmt(c.ie_ci_lower)), num(fmt(p.ie.ci_lower)), ...biv(fmt(bv?.ie.ci_lower)),
        num(fmt(c.ci_lower_difference)), ...biv(fmt(bc?.ci_lower_difference))] },
      { cells: [`${pct} CI, upper limit`, num(fmt(c.ie_ci_upper)), num(fmt(p.ie.ci_upper)), ...biv(fmt(bv?.ie.ci_upper)),
        num(fmt(c.ci_upper_difference)), ...biv(fmt(bc?.ci_upper_difference))] },
      { cells: [`${pct} CI, distribution of the product`, num('—'), num(interval(p.ie.dop_lower, p.ie.dop_upper)),
        ...biv(interval(bv?.ie.dop_lower, bv?.ie.dop_upper)), num(''), ...biv('')] },
    ]);
  const ieCi = interval(c.ie_ci_lower, c.ie_ci_upper);
  const pathsCi = interval(p.ie.ci_lower, p.ie.ci_upper);
  let v = `Pooling the paths gives ${fmt(p.ie.estimate)} (${pct} CI ${pathsCi}), pooling each study’s a·b gives `
    + `${fmt(c.ie_estimate)} (${ieCi}): `;
  if (c.estimate_difference === 0) v += 'the same estimate';
  else {
    v += `the paths estimate is ${fmt(Math.abs(c.estimate_difference))} ${c.estimate_difference < 0 ? 'lower' : 'higher'}`;
    if (c.relative_difference != null) v += ` (${fmt(Math.abs(c.relative_difference) * 100, 1)}% of the pooled a·b)`;
  }
  if (c.width_ratio != null) v += `, and its CI is ${fmt(c.width_ratio, 2)} times as wide`;
  v += '.';
  const [ex1, ex2] = [excludesZero(c.ie_ci_lower, c.ie_ci_upper), excludesZero(p.ie.ci_lower, p.ie.ci_upper)];
  if (ex1 != null && ex2 != null) {
    v += ex1 === ex2
      ? ` Both CIs ${ex1 ? 'exclude' : 'include'} 0.`
      : ` Only the CI from pooling ${ex1 ? 'each study’s a·b' : 'the paths'} excludes 0: the conclusion depends on the approach.`;
  }
  if (c.k_paths !== c.k_ie) {
    v += ` The paths use ${c.k_paths} of the ${c.k_ie} studies: those that give a, sa, b and sb.`;
  }
  if (bv) {
    const rho = bv.rho == null ? 'not identified (a between-study variance is 0)' : fmt(bv.rho, 3);
    v += ` The bivariate model (a and b fitted jointly by ${bv.method}, Wald-type CIs) gives ${fmt(bv.ie.estimate)} `
      + `(${pct} CI ${interval(bv.ie.ci_lower, bv.ie.ci_upper)}, from correlated Monte Carlo draws); `
      + `the between-study correlation of a and b is ${rho}`
      + `${bc.width_ratio == null ? '' : `; its CI is ${fmt(bc.width_ratio, 2)} times as wide as the pooled a·b’s`}.`;
  }
  $('paths-verdict').textContent = v;
  const row = (name, f) => ({
    cells: [name, num(String(f.k)), num(fmt(f.estimate)), num(interval(f.ci_lower, f.ci_upper)), num(pValue(f.p)),
      num(fmt(f.tau2)), num(percent(f.I2))],
  });
  const joint = (name, f, tau2) => ({
    cells: [name, num(String(bv.k)), num(fmt(f.estimate)), num(interval(f.ci_lower, f.ci_upper)), num(pValue(f.p)),
      num(fmt(tau2)), num('—')],
  });
  renderTable($('paths-ab-table'),
    [['Pooled path', num('k'), num('Estimate'), num(`${pct} CI`), num('p'), num('τ²'), num('I²')]],
    [row('a (X → M)', p.a), row('b (M → Y)', p.b),
      ...(bv ? [joint('a, bivariate model', bv.a, bv.tau2_a), joint('b, bivariate model', bv.b, bv.tau2_b)] : [])]);
}

// ---- the SE rules for asymmetric limits ----

function showSensitivity(report, options) {
  const o = report.overall;
  const rows = report.ci_rule_sensitivity;
  const pct = percentLabel(o.level);
  const chosen = code(options.ci_se_rule || 'width');
  $('sensitivity-method').textContent = 'A study given by an estimate and confidence limits needs one SE. When the limits '
    + 'are asymmetric (bootstrap or Monte Carlo CIs of indirect effects often are), the rules give different SEs: the full '
    + 'width / 2z (the average half-width), the wider half / z (the larger SE), or the half towards 0 / z (keeps each '
    + `study’s own test of 0). Each row refits the ${modelWords(o)} (${ciWords(o)}) with every such study’s SE by that `
    + 'rule; ▲ marks the rule of the main analysis.';
  renderTable($('sensitivity-table'),
    [['Rule for the SE', num('Estimate'), num(`${pct} CI`), num('p'), num('τ²'), num('I²')]],
    rows.map((r) => {
      const [name, idea] = RULES[r.rule] ?? [r.rule, ''];
      const used = code(r.rule) === chosen;
      return {
        cls: used ? 'chosen' : '',
        cells: [used ? { text: name, mark: 'used above', title: idea } : { text: name, title: idea },
          num(fmt(r.estimate)), num(interval(r.ci_lower, r.ci_upper)), num(pValue(r.p)), num(fmt(r.tau2)), num(percent(r.I2))],
      };
    }));
  const name = (r) => (RULES[r.rule]?.[0] ?? r.rule).toLowerCase();
  const excl = rows.filter((r) => excludesZero(r.ci_lower, r.ci_upper) === true).map(name);
  const incl = rows.filter((r) => excludesZero(r.ci_lower, r.ci_upper) === false).map(name);
  const none = rows.filter((r) => excludesZero(r.ci_lower, r.ci_upper) == null).map(name);
  let v;
  if (incl.length === 0 && excl.length > 0) v = `The CI excludes 0 under ${excl.length === rows.length ? 'every rule' : listWords(excl)}: the conclusion does not depend on the rule.`;
  else if (excl.length === 0 && incl.length > 0) v = `The CI includes 0 under ${incl.length === rows.length ? 'every rule' : listWords(incl)}: the conclusion does not depend on the rule.`;
  else if (excl.length > 0) v = `The conclusion depends on the rule: the CI excludes 0 with ${listWords(excl)}, but not with ${listWords(incl)}.`;
  else v = '';
  if (none.length) v += `${v ? ' ' : ''}No result with ${listWords(none)} (see the warnings).`;
  $('sensitivity-verdict').textContent = v;
}

// ---- rounding ----

function showRounding(report, options) {
  const o = report.overall;
  const r = report.rounding;
  const rep = r.reported ?? null;
  const pct = percentLabel(o.level);
  $('rounding-method').textContent = 'Every number typed in the data stands for any value within its rounding '
    + '(± half a unit in its last written digit: 0.21 for anything from 0.205 to 0.215). The ranges are the smallest and '
    + `largest pooled result with all ${r.inputs} such numbers moving at once (${r.evaluations.toLocaleString('en-US')} fits of the `
    + `${modelWords(o)}, ${ciWords(o)}).`;
  const head = ['', num('Computed'), num('Range over the rounding')];
  if (rep) head.push(num('Published'), 'Fits the range');
  const typed = rep ? typedNumbers(options.reported, [rep.estimate, rep.ci_lower, rep.ci_upper]) : [];
  const line = (name, value, range, published, fits) => {
    const cells = [name, num(fmt(value)), num(interval(range[0], range[1]))];
    if (rep) cells.push(num(published), fits ? 'yes' : { text: 'no', cls: 'bad-text' });
    return { cls: rep && !fits ? 'outside' : '', cells };
  };
  renderTable($('rounding-table'), [head], [
    line('Pooled estimate', o.estimate, r.estimate, typed[0], rep?.estimate_inside),
    line(`${pct} CI, lower limit`, o.ci_lower, r.ci_lower, typed[1], rep?.ci_lower_inside),
    line(`${pct} CI, upper limit`, o.ci_upper, r.ci_upper, typed[2], rep?.ci_upper_inside),
  ]);
  const text = (options.reported ?? '').trim();
  const shown = text || `${plain(rep?.estimate)} (${plain(rep?.ci_lower)}, ${plain(rep?.ci_upper)})`;
  let v;
  if (!rep) {
    v = 'Type a published pooled result under “published result” (for example −0.07 (−0.11, −0.04)) to check it against these ranges.';
  } else if (rep.inside) {
    v = `The published result ${shown} is consistent with these data and this model: each of its numbers, within its own `
      + 'rounding, lies in its range.';
  } else {
    const out = [['estimate', rep.estimate_inside], ['lower limit', rep.ci_lower_inside], ['upper limit', rep.ci_upper_inside]]
      .filter(([, fits]) => !fits).map(([name]) => name);
    v = `The published result ${shown} is not consistent with these data and this model: its ${listWords(out)} `
      + `${out.length === 1 ? 'lies' : 'lie'} outside the range even allowing for ${out.length === 1 ? 'its' : 'their'} rounding. `
      + 'It may come from other studies, another model or level, or contain an error.';
  }
  $('rounding-verdict').textContent = v;
}

// ---- the summary table ----

/**
 * The summary table's columns in the order the options name them (the report's `groups` are
 * keyed by the data's column names, sorted), then any the options do not name.
 */
export function tableColumns(report, options) {
  const keys = Object.keys(report.table?.[0]?.groups ?? {});
  const asked = Array.isArray(options.table) ? options.table : String(options.table ?? '').split(',');
  const order = [];
  for (const name of asked) {
    const key = keys.find((k) => k === name.trim()) ?? keys.find((k) => code(k) === code(name));
    if (key && !order.includes(key)) order.push(key);
  }
  return [...order, ...keys.filter((k) => !order.includes(k))];
}

/** Words for a table row's combination: "mediator = fear, outcome = disability". */
export function combinationWords(row, cols) {
  return cols.map((c) => `${c} = ${row.groups[c]}`).join(', ');
}

/**
 * Shows the summary table, with an "Open" link per row (the links get their address from the
 * page: see app.js).
 */
function showTable(report, options) {
  const o = report.overall;
  const cols = tableColumns(report, options);
  const pct = percentLabel(o.level);
  $('table-heading').textContent = `Summary table by ${cols.join(', ')}`;
  $('table-method').textContent = `One analysis per combination of ${listWords(cols)}: the studies with those values, `
    + `fitted as the main analysis (${modelWords(o)}; ${ciWords(o)}). “Open” shows a row’s own analysis (its studies, `
    + 'forest plot and heterogeneity) in a new tab; this page and its data stay as they are.';
  const table = $('summary-table');
  renderTable(table,
    [[...cols, num('k'), num('Estimate'), num(`${pct} CI`), num('p'), num('τ²'), num('I²'), num(`${pct} PI`),
      'Analysis']],
    report.table.map((r) => ({
      cells: [...cols.map((c) => r.groups[c] ?? ''), num(String(r.k)), num(fmt(r.estimate)), num(interval(r.ci_lower, r.ci_upper)),
        num(pValue(r.p)), num(fmt(r.tau2)), num(percent(r.I2)), num(interval(r.pi_lower, r.pi_upper))],
    })));
  [...table.tBodies[0].rows].forEach((tr, i) => {
    const td = document.createElement('td');
    const a = document.createElement('a');
    a.className = 'open-row';
    a.dataset.tableRow = String(i);
    a.target = '_blank';
    a.rel = 'noopener';
    a.textContent = 'Open ↗';
    a.setAttribute('aria-label', `Open the analysis of ${combinationWords(report.table[i], cols)} in a new tab`);
    td.append(a);
    tr.append(td);
  });
}

const SHOW = {
  paths: showPaths,
  ci_rule_sensitivity: showSensitivity,
  rounding: showRounding,
  table: showTable,
};

/**
 * Shows the section of each mediation part the report holds and hides the others.
 * @returns {string[]} ids of the sections shown
 */
export function showMediation(report, options) {
  return showSections(MEDIATION_SECTIONS, SHOW, report, options);
}

// ---- CSV ----

/** CSV blocks (lists of lines) for the mediation parts the report holds. */
export function mediationCsv(report, options) {
  const n = csvNumber;
  const blocks = [];
  const o = report.overall;
  if (report.paths) {
    const p = report.paths;
    const c = p.comparison;
    blocks.push([
      'indirect_effect,k,estimate,ci_lower,ci_upper,dop_lower,dop_upper,note',
      ['pooled_ab_per_study', c.k_ie, n(c.ie_estimate), n(c.ie_ci_lower), n(c.ie_ci_upper), '', '', 'the main analysis'].join(','),
      ['pooled_paths_a_times_b', c.k_paths, n(p.ie.estimate), n(p.ie.ci_lower), n(p.ie.ci_upper), n(p.ie.dop_lower), n(p.ie.dop_upper),
        `Monte Carlo CI: ${p.ie.draws} draws; seed ${p.ie.seed}`].join(','),
      ['difference_paths_minus_ab', '', n(c.estimate_difference), n(c.ci_lower_difference), n(c.ci_upper_difference), '', '',
        `relative ${n(c.relative_difference)}; CI width ratio ${n(c.width_ratio)}`].join(','),
      ...(p.bivariate ? [['bivariate_model_mu_a_times_mu_b', p.bivariate.k, n(p.bivariate.ie.estimate), n(p.bivariate.ie.ci_lower),
        n(p.bivariate.ie.ci_upper), n(p.bivariate.ie.dop_lower), n(p.bivariate.ie.dop_upper),
        csvText(`${p.bivariate.method}; rho ${n(p.bivariate.rho)}; correlated Monte Carlo draws`)].join(',')] : []),
      '',
      'pooled_path,k,estimate,se,ci_lower,ci_upper,p,tau2,I2_percent',
      ...[['a', p.a], ['b', p.b]].map(([name, f]) => [name, f.k, n(f.estimate), n(f.se), n(f.ci_lower), n(f.ci_upper), n(f.p),
        n(f.tau2), n(f.I2)].join(',')),
      ...(p.bivariate ? [['a_bivariate', p.bivariate.a, p.bivariate.tau2_a], ['b_bivariate', p.bivariate.b, p.bivariate.tau2_b]]
        .map(([name, f, tau2]) => [name, p.bivariate.k, n(f.estimate), n(f.se), n(f.ci_lower), n(f.ci_upper), n(f.p), n(tau2), ''].join(','))
        : []),
    ]);
  }
  if (report.ci_rule_sensitivity) {
    const chosen = code(options.ci_se_rule || 'width');
    blocks.push([
      'ci_se_rule,estimate,se,ci_lower,ci_upper,p,tau2,I2_percent,used_in_main_analysis',
      ...report.ci_rule_sensitivity.map((r) => [r.rule, n(r.estimate), n(r.se), n(r.ci_lower), n(r.ci_upper), n(r.p), n(r.tau2),
        n(r.I2), code(r.rule) === chosen ? 'yes' : 'no'].join(',')),
    ]);
  }
  if (report.rounding) {
    const r = report.rounding;
    const rep = r.reported;
    const row = (name, value, range, published, fits) => [name, n(value), n(range[0]), n(range[1]),
      rep ? n(published) : '', rep ? (fits ? 'yes' : 'no') : ''].join(',');
    blocks.push([
      'rounding,computed,range_lower,range_upper,published,published_fits',
      row('estimate', o.estimate, r.estimate, rep?.estimate, rep?.estimate_inside),
      row('ci_lower', o.ci_lower, r.ci_lower, rep?.ci_lower, rep?.ci_lower_inside),
      row('ci_upper', o.ci_upper, r.ci_upper, rep?.ci_upper, rep?.ci_upper_inside),
      `inputs_moved,${r.inputs},,,,`,
      `fits_used,${r.evaluations},,,,`,
    ]);
  }
  if (report.table) {
    const cols = tableColumns(report, options);
    blocks.push([
      [...cols.map(csvText), 'k', 'estimate', 'se', 'ci_lower', 'ci_upper', 'p', 'tau2', 'I2_percent', 'pi_lower', 'pi_upper', 'rows'].join(','),
      ...report.table.map((r) => [...cols.map((c) => csvText(r.groups[c] ?? '')), r.k, n(r.estimate), n(r.se), n(r.ci_lower),
        n(r.ci_upper), n(r.p), n(r.tau2), n(r.I2), n(r.pi_lower), n(r.pi_upper), csvText(r.rows.join(' '))].join(',')),
    ]);
  }
  return blocks;
}
