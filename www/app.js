// The page's wiring: read the grid and the form, make one call into the Rust core, write the
// results, ask Rust to draw the plots. No statistics here: every number shown comes from the
// report; this file only formats it. Everything the user typed reaches the page as text.

import * as firstCore from '../pkg/metapool.js';
import { Grid } from './table.js';
import * as share from './share.js';
import { fmt, pValue, interval, percentLabel, capitalize, csvText, csvNumber } from './format.js';
import { SECTIONS, showAnalyses, analysesCsv, modNames, oneNumericModerator } from './analyses.js';
import { MEDIATION_SECTIONS, showMediation, mediationCsv, studyIntervalColumns, studiesNote } from './mediation.js';
import { GoshPlot, GOSH_SECTIONS } from './gosh.js';
import { Engine, SUPERSEDED, compileCore, compileFullCore, staleMarker } from './engine.js';
import { History, Store, bindKeys, stateOf, parseState } from './persist.js';
import { withCssomStyles } from './csp.js';
import { PlotPacer, studiesToList } from './pacing.js';
import { initReproduce, setPresets, reproduceOptions, setReproduceControls, clearReproduce, analyzeReproducing, showReproduce, reproduceCsv } from './reproduce.js';
import { initExports, resultsMarkdown, resultsChanged, onPrint } from './exports.js';

const $ = (id) => document.getElementById(id);

const EXAMPLES = {
  bcg: 'www/examples/bcg.csv',
  mediation_ie: 'www/examples/mediation_ie.csv',
  mediation_paths: 'www/examples/mediation_paths.csv',
};

/** Options an example opens with, to show what the page does with such data. */
const EXAMPLE_OPTIONS = {
  mediation_ie: { table: ['mediator', 'outcome'], rounding: true, reported: '−0.07 (−0.09, −0.04)' },
  mediation_paths: { mediation: 'paths', table: ['mediator'] },
};

// ---- the core: loading, calling, recovering from a panic ----

/** The single-file build (dist/metapool.html) inlines the wasm and the examples. */
const inlined = globalThis.metapoolInline ?? null;

/** The core, compiled once: the page draws with one instance, the worker analyses with another. */
const compiled = compileCore(inlined);

/**
 * The core the page calls. First the one in pkg/ (built without the `extras` feature: the main
 * fit, its table and the forest and funnel plots, half the bytes of the whole); once an option
 * asks for more, the full one in pkg/full/ (useFull). The single file has only the full one.
 */
let core = firstCore;

async function loadCore() {
  await core.default({ module_or_path: await compiled });
}

let fullCore = null;
/**
 * Loads the full core (pkg/full/) on the page, once, and makes it the one the page calls;
 * resolves to its compiled module, for the workers.
 */
function useFull() {
  if (inlined) return compiled; // the single file's core is the full one
  fullCore ??= (async () => {
    const [glue, module] = await Promise.all([import('../pkg/full/metapool.js'), compileFullCore()]);
    await glue.default({ module_or_path: module });
    core = glue;
    return module;
  })();
  fullCore.catch(() => { fullCore = null; }); // tried again when next asked for
  return fullCore;
}

class Panic extends Error {}

/**
 * Calls into the core. A panic (a bug in the core) leaves the wasm instance unusable: a fresh
 * instance is made, the user is told, and the call is tried once more on it. A second panic is
 * thrown as a Panic. The data on the page is untouched either way.
 */
function call(fn, ...args) {
  for (let attempt = 0; ; attempt++) {
    try {
      return withCssomStyles(() => fn(...args));
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      const message = globalThis.metapoolPanic || e.message;
      delete globalThis.metapoolPanic;
      core.__wbg_reset_state();
      showBanner(restartedText(message));
      if (attempt > 0) throw new Panic(message);
    }
  }
}

const restartedText = (message) => `metapool hit an internal error and was restarted (${message}). Your data is unchanged; please report this.`;

/** What a failed core call threw, as the error object the page shows ({message, row, column}). */
function errorOf(e) {
  if (e instanceof Panic) return { message: `internal error: ${e.message}`, row: null, column: null };
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    const error = { message: e.message, row: e.row ?? null, column: e.column ?? null };
    // The first core leaves this analysis out: www/engine.js loads the full core and asks again.
    if (e.needs_extras === true) error.needs_extras = true;
    return error;
  }
  return { message: String(e), row: null, column: null };
}

// ---- formatting ----

/** Decimals for the summary sentence: enough to show the CI's width to two figures. */
function sentenceDigits(o) {
  const half = o.ci_lower != null && o.ci_upper != null ? (o.ci_upper - o.ci_lower) / 2 : Math.abs(o.estimate);
  if (!(half > 0)) return 2;
  return Math.min(6, Math.max(2, 1 - Math.floor(Math.log10(half))));
}

// ---- the page ----

const grid = new Grid($('grid'), { onChange: () => schedule() });
let lastReport = null;
/** The options of the document behind lastReport. */
let lastOptions = {};
/** Counts loads, so that a slow one (a fetch, a file) cannot overwrite a later one. */
let loads = 0;
let pending = false;
/** True once the page's own instance of the core is loaded (it draws, and runs short analyses). */
let coreLoaded = false;
const ready = loadCore().then(() => { coreLoaded = true; });

// ---- where the analyses run (www/engine.js); undo, redo and the kept table (www/persist.js) ----

const engine = new Engine({
  module: compiled,
  full: Boolean(inlined),
  loadFull: useFull,
  workerSource: inlined?.worker ?? null,
  async runOnPage(doc) {
    await ready;
    return analyzeHere(doc);
  },
  runNow: (doc) => (coreLoaded ? analyzeHere(doc) : null),
  onPanic: (message) => showBanner(restartedText(message)),
  onFallback(reason) {
    document.documentElement.dataset.engine = 'page';
    showBanner(`The analyses run on this page itself, because ${reason}: with large tables, typing may pause while they compute.`);
  },
});
/** One analysis on the page's own instance of the core. */
function analyzeHere(doc) {
  try {
    return { report: call(core.analyze, doc) };
  } catch (e) {
    return { error: errorOf(e) };
  }
}

/** The GOSH plot: its fits run in a worker of their own (www/gosh.js). */
const gosh = new GoshPlot({
  core: () => core, module: useFull, workerSource: inlined?.worker ?? null, call, download,
  onPanic: (message) => showBanner(restartedText(message)),
});
const stale = staleMarker([$('results-heading').closest('section'), $('analyses-panel')], $('computing'));
const edits = new History();
const store = new Store();
/** The state a #doc= link (or "Copy link") put in the address; an edit takes the link away. */
let linkState = null;
const storedState = store.load();
if (storedState && parseState(storedState)) edits.seed(storedState);

/** The analysis document for what is on the screen. */
function currentDoc({ text } = grid.toText()) {
  const options = {
    method: $('method').value,
    ci: $('ci').value,
    level: $('level').valueAsNumber,
    ci_level_in: $('ci-level-in').valueAsNumber,
  };
  const roles = grid.chosenRoles();
  if (Object.keys(roles).length) options.roles = roles;
  return { data: text, options: reproduceOptions({ ...options, ...analysisOptions(), ...mediationOptions() }) };
}

// ---- the optional analyses' controls: subgroups, moderators, leave-one-out, bias, cumulative ----

/** Moderators in the order they were ticked (the coefficients follow it). */
let mods = [];
/** The data's other columns (role "other") in the last report: the choices for the controls. */
let otherColumns = [];

/** The options the analyses' controls say, as the analysis document names them. */
function analysisOptions() {
  const o = {};
  if ($('by').value) o.by = $('by').value;
  if (mods.length) o.mods = [...mods];
  if ($('leave1out').checked) o.leave1out = true;
  if ($('bias').checked) o.bias = true;
  if ($('gosh').checked) o.gosh = true;
  if ($('cumulative').checked) {
    o.cumulative = true;
    if ($('cumulative-by').value) o.cumulative_by = $('cumulative-by').value;
  }
  return o;
}

/** Sets the analyses' controls from a document's options. */
function setAnalysisControls(o) {
  const text = (v) => (typeof v === 'string' ? v.trim() : '');
  mods = [...new Set(modNames(o.mods))];
  setMediationControls(o);
  $('leave1out').checked = o.leave1out === true;
  $('bias').checked = o.bias === true;
  $('gosh').checked = o.gosh === true;
  $('cumulative').checked = o.cumulative === true || text(o.cumulative_by) !== '';
  renderColumnControls(text(o.by), text(o.cumulative_by));
}

/** New data: the column choices go (the columns may not exist); the other analyses stay on. */
function clearColumnChoices() {
  mods = [];
  tableColumns = [];
  renderColumnControls('', '');
}

// ---- the mediation controls: pooling, SE of a·b, Monte Carlo, SE rule, table, rounding ----

/** Table columns in the order they were ticked (the table's rows are sorted by them). */
let tableColumns = [];
/** The roles of the data's columns in the last report (which controls are relevant). */
let dataRoles = new Set();

/** The mediation options' controls: [option, element id, select or whole number]. */
const MEDIATION_CONTROLS = [
  ['mediation', 'mediation', 'select'],
  ['ie_se', 'ie-se', 'select'],
  ['mc_draws', 'mc-draws', 'integer'],
  ['seed', 'seed', 'integer'],
  ['ci_se_rule', 'ci-se-rule', 'select'],
];

/** The value a control has when the page opens (the core's default). */
function defaultOf(el) {
  if (el instanceof HTMLSelectElement) return ([...el.options].find((o) => o.defaultSelected) ?? el.options[0]).value;
  return el.defaultValue;
}

/** Whether a control says something other than the default. */
function changed(el) {
  return el instanceof HTMLSelectElement ? el.value !== defaultOf(el) : el.value.trim() !== el.defaultValue;
}

/**
 * The options the mediation controls say, as the analysis document names them. Only what
 * differs from the defaults is written, so links stay short; a number box that does not hold a
 * number gives NaN, which optionError reports.
 */
function mediationOptions() {
  const o = {};
  for (const [key, id, kind] of MEDIATION_CONTROLS) {
    const el = $(id);
    if (!changed(el)) continue;
    o[key] = kind === 'select' ? el.value : el.valueAsNumber;
  }
  if (tableColumns.length) o.table = [...tableColumns];
  if ($('rounding').checked) {
    o.rounding = true;
    const reported = $('reported').value.trim();
    if (reported) o.reported = reported;
  }
  return o;
}

/** Sets the mediation controls from a document's options (missing ones to their defaults). */
function setMediationControls(o) {
  for (const [key, id, kind] of MEDIATION_CONTROLS) {
    const el = $(id);
    const v = o[key];
    if (kind === 'select') chooseOption(el, v == null ? defaultOf(el) : String(v));
    else el.value = v == null ? el.defaultValue : String(v);
  }
  tableColumns = [...new Set(modNames(o.table))];
  const reported = typeof o.reported === 'string' ? o.reported : '';
  $('reported').value = reported;
  $('rounding').checked = o.rounding === true || reported.trim() !== '';
  $('reported').disabled = !$('rounding').checked;
}

/** Selects the option whose value matches `value` as the core reads it ("Zero-side" = zero_side). */
function chooseOption(select, value) {
  const key = (s) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const match = [...select.options].find((o) => key(o.value) === key(value));
  setSelect(select, match ? match.value : value);
}

/**
 * Shows the controls that matter for the data: paths a and b (pooling, SE of a·b, Monte Carlo)
 * when the data have a, sa, b and sb; the SE rule when they have CI limits. A control set to
 * something other than its default stays shown, so that a loaded option is never hidden.
 */
function updateRelevance() {
  const has = (...roles) => roles.every((r) => dataRoles.has(r));
  const relevant = { paths: has('a', 'sa', 'b', 'sb'), limits: has('lower', 'upper') };
  for (const el of document.querySelectorAll('#mediation-controls [data-when]')) {
    const when = el.dataset.when;
    if (!(when in relevant)) continue;
    el.hidden = !(relevant[when] || [...el.querySelectorAll('select, input')].some(changed));
  }
}

let columnKey = '';

/**
 * Offers the data's other columns in "Subgroups by", "Moderators" and "sorted by", keeping the
 * choices made. A chosen column the data lacks stays on offer, so the core can say what is wrong.
 * The controls are rebuilt only when the names change, so focus stays where it is.
 */
function renderColumnControls(by, sortBy) {
  const with_ = (chosen) => [...otherColumns, ...chosen.filter((c) => c && !otherColumns.includes(c))];
  const byNames = with_([by]);
  const sortNames = with_([sortBy]);
  const modList = with_(mods);
  const tableList = with_(tableColumns);
  const key = JSON.stringify([byNames, sortNames, modList, tableList]);
  if (key !== columnKey) {
    columnKey = key;
    const fill = (select, names, none) => {
      select.replaceChildren(new Option(none, ''), ...names.map((n) => new Option(n, n)));
    };
    const boxes = (names) => names.map((name) => {
      const label = document.createElement('label');
      label.className = 'check';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = name;
      const words = document.createElement('span');
      words.textContent = name;
      label.append(box, words);
      return label;
    });
    fill($('by'), byNames, 'none');
    fill($('cumulative-by'), sortNames, 'data order');
    $('mods').replaceChildren(...boxes(modList));
    $('table-columns').replaceChildren(...boxes(tableList));
  }
  $('by').value = by;
  $('cumulative-by').value = sortBy;
  for (const box of $('mods').querySelectorAll('input')) box.checked = mods.includes(box.value);
  for (const box of $('table-columns').querySelectorAll('input')) box.checked = tableColumns.includes(box.value);
  $('no-columns').hidden = byNames.length + sortNames.length + modList.length > 0;
  $('by').disabled = byNames.length === 0;
  $('mods').closest('fieldset').hidden = modList.length === 0;
  $('table-columns').closest('fieldset').hidden = tableList.length === 0;
  $('cumulative-by').disabled = sortNames.length === 0 || !$('cumulative').checked;
}

/** Takes the other columns from a report and refreshes the controls. */
function updateColumns(columns) {
  otherColumns = (columns ?? []).filter((c) => c.role === 'other' && c.name.trim() !== '').map((c) => c.name);
  dataRoles = new Set((columns ?? []).map((c) => c.role));
  renderColumnControls($('by').value, $('cumulative-by').value);
  updateRelevance();
}

/** A ticked name goes to the end of the list (the order of the coefficients, of the table's columns). */
const toggled = (list, box) => (box.checked ? [...list.filter((m) => m !== box.value), box.value] : list.filter((m) => m !== box.value));

$('options').addEventListener('input', (e) => {
  const t = e.target;
  if (t instanceof HTMLInputElement && t.type === 'checkbox' && t.closest('#mods')) mods = toggled(mods, t);
  if (t instanceof HTMLInputElement && t.type === 'checkbox' && t.closest('#table-columns')) tableColumns = toggled(tableColumns, t);
  if (t.id === 'cumulative') $('cumulative-by').disabled = !t.checked || $('cumulative-by').options.length <= 1;
  if (t.id === 'rounding') $('reported').disabled = !t.checked;
  // A published result is analysed when it is complete (Enter or leaving the box), not while typed.
  if (t.id === 'reported' || t.id === 'reproduce') return;
  schedule();
});
$('reported').addEventListener('change', () => schedule());

/** Recomputes on the next frame (edits within one frame make one analysis). */
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    analyzeNow();
  });
}

function optionError(doc) {
  for (const [key, label] of [['level', 'level'], ['ci_level_in', 'level of CIs in the data']]) {
    if (!Number.isFinite(doc.options[key])) {
      return { message: `${label} must be a number between 0 and 1 (for example 0.95)`, row: null, column: null };
    }
  }
  // The core checks the ranges; a document can only carry whole numbers.
  const whole = (v) => v == null || (Number.isSafeInteger(v) && v >= 0);
  if (!whole(doc.options.mc_draws)) {
    return { message: 'Monte Carlo draws must be a whole number: 0 (none) or 1000 to 10000000', row: null, column: null };
  }
  if (!whole(doc.options.seed)) {
    return { message: `the seed must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`, row: null, column: null };
  }
  return null;
}

/**
 * Records the state for undo and storage, and asks the engine (www/engine.js) for the analysis.
 * Only the newest request's result is shown; until it comes, the results on screen are marked.
 */
function analyzeNow() {
  const data = grid.toText();
  const doc = currentDoc(data);
  const { rowOf } = data;
  edits.record(stateOf(grid.state(), doc.options));
  const error = optionError(doc);
  if (error) {
    engine.supersede();
    stale.stop();
    showResult({ error }, doc, rowOf);
    return;
  }
  stale.start();
  const tell = (error) => share.tellParent({ type: 'metapool:error', error });
  lastAnalysis = analyzeReproducing(engine, doc, tell).then((result) => {
    if (result === SUPERSEDED) return;
    stale.stop();
    showResult(result, doc, rowOf);
  });
}

/** The newest analysis asked for: settles once its result is shown (or it was superseded). */
let lastAnalysis = Promise.resolve();

/** Waits until the newest analysis asked for is on the screen. */
async function analysesShown() {
  for (let p = null; p !== lastAnalysis;) {
    p = lastAnalysis;
    await p;
  }
}

function showResult({ report, error }, doc, rowOf) {
  showReproduce(report ?? null, doc.options);
  if (report) {
    showReport(report, doc.options, rowOf);
    share.tellParent({ type: 'metapool:report', report });
  } else {
    showError(error, rowOf);
    share.tellParent({ type: 'metapool:error', error });
  }
  resultsChanged(Boolean(report));
}

function showBanner(text) {
  $('fatal-text').textContent = text;
  $('fatal').hidden = false;
}
$('fatal-close').addEventListener('click', () => { $('fatal').hidden = true; });

function showError(error, rowOf) {
  lastReport = null;
  gosh.hide();
  renderColumnControls($('by').value, $('cumulative-by').value);
  updateRelevance();
  $('results').hidden = true;
  $('analyses-panel').hidden = true;
  $('download-csv').disabled = true;
  const empty = grid.isEmpty();
  $('empty-state').hidden = !empty;
  $('error-state').hidden = empty;
  $('error-message').textContent = capitalize(error.message);
  grid.markError(error.row, error.column, error.message, rowOf);
  const de = $('data-error');
  de.hidden = empty || (error.row == null && error.column == null);
  de.textContent = capitalize(error.message);
}

function showReport(report, options, rowOf) {
  lastReport = report;
  lastOptions = options;
  grid.clearError();
  grid.showDetected(report.columns);
  updateColumns(report.columns);
  $('data-error').hidden = true;
  $('empty-state').hidden = true;
  $('error-state').hidden = true;
  $('results').hidden = false;
  $('download-csv').disabled = false;
  const o = report.overall;
  const pct = percentLabel(o.level);

  // The sentence.
  const d = sentenceDigits(o);
  const model = o.model === 'common' ? 'common-effect model' : `random-effects ${o.method}`;
  const ciType = o.ci === 'hksj' ? ', Knapp–Hartung CI' : '';
  let s = `Pooled estimate ${fmt(o.estimate, d)} (${pct} CI ${interval(o.ci_lower, o.ci_upper, d)}), ${model}${ciType}, k = ${o.k}`;
  if (o.p != null) s += `, p ${o.p < 0.001 ? '< 0.001' : '= ' + o.p.toFixed(3)}`;
  s += '.';
  if (o.model === 'random' && o.I2 != null) {
    s += ` Heterogeneity: τ² = ${fmt(o.tau2, 3)}, I² = ${fmt(o.I2, 1)}%.`;
  } else if (o.I2 != null) {
    s += ` Heterogeneity: I² = ${fmt(o.I2, 1)}%.`;
  }
  if (o.pi_lower != null) s += ` ${pct} prediction interval ${interval(o.pi_lower, o.pi_upper, d)}.`;
  $('summary').textContent = s;

  // Warnings, in plain words.
  const ul = $('warnings');
  ul.replaceChildren(...report.warnings.map((w) => {
    const li = document.createElement('li');
    li.textContent = capitalize(w);
    return li;
  }));
  ul.hidden = report.warnings.length === 0;

  // The results table.
  $('ci-head').textContent = `${pct} CI`;
  const stat = o.df != null ? `t (df = ${o.df})` : 'z';
  const tau2Method = o.model === 'common' ? 'fixed at 0 (common effect)' : `${o.method_name} (${o.method}); CI: Q-profile`;
  const rows = [
    ['Pooled estimate', fmt(o.estimate), interval(o.ci_lower, o.ci_upper), `${o.ci_name} CI`],
    ['Standard error', fmt(o.se), '', o.ci === 'hksj' ? 'Knapp–Hartung SE' : 'inverse-variance SE'],
    [`Test statistic, ${stat}`, fmt(o.stat), '', `two-sided p ${pValue(o.p) === '< 0.0001' ? '< 0.0001' : '= ' + pValue(o.p)}`],
    ['Prediction interval', '', interval(o.pi_lower, o.pi_upper), o.pi_lower == null ? 'not defined for a common-effect model' : `for a new study's true effect (${o.ci === 'hksj' ? 't' : 'normal'})`],
    ['τ² (between-study variance)', fmt(o.tau2), interval(o.tau2_ci_lower, o.tau2_ci_upper), tau2Method],
    ['τ', fmt(o.tau), '', '√τ²'],
    ['I²', o.I2 == null ? '—' : `${fmt(o.I2, 2)}%`, o.I2_ci_lower == null ? '—' : `${fmt(o.I2_ci_lower, 2)}% to ${fmt(o.I2_ci_upper, 2)}%`, o.model === 'common' ? 'from Q (Higgins–Thompson)' : 'from τ²; CI: Q-profile'],
    ['H²', fmt(o.H2), interval(o.H2_ci_lower, o.H2_ci_upper), o.model === 'common' ? 'Q / df' : 'from τ²; CI: Q-profile'],
    ['Q (heterogeneity test)', fmt(o.Q), '', `Cochran's Q, df = ${o.Q_df}, p ${pValue(o.Q_p) === '< 0.0001' ? '< 0.0001' : '= ' + pValue(o.Q_p)}`],
  ];
  fillTable($('results-table'), rows, [false, true, true, false]);
  // When a result reached the screen (read by ./build.sh bench, tests/e2e/bench.mjs).
  performance.clearMarks('metapool:result');
  performance.mark('metapool:result');

  // The optional analyses and the mediation parts, and links down to them.
  const shown = [...showAnalyses(report, options), ...showMediation(report, options), ...gosh.show(report, options)];
  if (report.table) linkTableRows(report, options, rowOf);
  const links = $('section-links');
  links.replaceChildren(...(shown.length ? [document.createTextNode('Further down: ')] : []),
    ...[...SECTIONS, ...MEDIATION_SECTIONS, ...GOSH_SECTIONS].filter(([id]) => shown.includes(id)).map(([id, , words]) => {
      const a = document.createElement('a');
      a.href = `#${id}`;
      a.dataset.section = id;
      a.textContent = words;
      return a;
    }));
  links.hidden = shown.length === 0;
  $('analyses-panel').hidden = shown.length === 0;
  // The bubble plot shows a regression on one numeric moderator.
  $('bubble-figure').hidden = !oneNumericModerator(report, options);

  // The plots first, then the list of studies: the forest plot is on the screen sooner.
  drawPlots();
  showStudies(report, options, rowOf);
}

/** The table of studies, with the intervals of a·b of studies given by their paths. */
function showStudies(report, options, rowOf) {
  const pct = percentLabel(report.overall.level);
  $('study-ci-head').textContent = `${pct} CI`;
  const extras = studyIntervalColumns(report);
  const headRow = $('studies-table').tHead.rows[0];
  const extraKey = extras.map((c) => c.head).join('\u0000');
  if (headRow.dataset.extras !== extraKey) {
    headRow.dataset.extras = extraKey;
    headRow.querySelectorAll('th.extra').forEach((th) => th.remove());
    for (const c of extras) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.className = 'num extra';
      th.textContent = c.head;
      th.title = c.title;
      headRow.insertBefore(th, headRow.lastElementChild);
    }
  }
  const note = studiesNote(report);
  $('studies-note').textContent = note;
  $('studies-note').hidden = note === '';
  const tbody = $('studies-table').tBodies[0];
  // A long list would hold the page up at every edit: the first studies are listed (www/pacing.js).
  const listed = studiesToList(report.studies.length, $('studies-more'), () => showStudies(report, options, rowOf));
  const texts = (r) => [r.study, fmt(r.yi), fmt(r.se), interval(r.ci_lower, r.ci_upper),
    ...extras.map((c) => interval(r[c.lower], r[c.upper]))];
  const rows = report.studies.slice(0, listed);
  // An edit changes a few numbers: the rows there are kept and only their changed texts are set
  // (rebuilding 100 rows at every keystroke costs more than the analysis).
  const shape = (tr) => tr.cells.length === 5 + extras.length;
  while (tbody.rows.length > rows.length) tbody.lastElementChild.remove();
  const fresh = [];
  rows.forEach((r, i) => {
    let tr = tbody.rows[i];
    if (!tr || !shape(tr)) {
      tr = studyRow(texts(r).length);
      if (tbody.rows[i]) tbody.rows[i].replaceWith(tr);
      else fresh.push(tr);
    }
    texts(r).forEach((text, j) => setText(tr.cells[j], text));
    const w = tr.cells[tr.cells.length - 1];
    const width = `${Math.max(0, Math.min(100, r.weight))}%`;
    if (w.firstChild.style.width !== width) w.firstChild.style.width = width;
    setText(w.lastChild, `${fmt(r.weight, 1)}%`);
  });
  if (fresh.length) tbody.append(...fresh);
}

/** Sets an element's text only when it differs (unchanged text costs no layout). */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** An empty row of the studies table: the study's name, `n − 1` numbers, and the weight bar. */
function studyRow(n) {
  const tr = document.createElement('tr');
  for (let i = 0; i < n; i++) {
    const td = document.createElement(i === 0 ? 'th' : 'td');
    if (i === 0) td.scope = 'row';
    else td.className = 'num';
    tr.append(td);
  }
  const w = document.createElement('td');
  w.className = 'num weight';
  const bar = document.createElement('span');
  bar.className = 'bar';
  w.append(bar, document.createElement('span'));
  tr.append(w);
  return tr;
}

/** Counts the summary tables shown, so that a slow link cannot land on a newer table. */
let tableLinks = 0;

/**
 * Gives each row of the summary table its "Open" link: a share link to the same analysis of
 * that row's studies only (without the table and the published result, which belong to the
 * whole data), to open in a new tab. The data on this page stay as they are.
 */
function linkTableRows(report, options, rowOf) {
  const mine = ++tableLinks;
  const { table: _table, reported: _reported, reproduce: _reproduce, ...rest } = options;
  for (const a of document.querySelectorAll('#summary-table a.open-row')) {
    const row = report.table[Number(a.dataset.tableRow)];
    const gridRows = row.rows.map((r) => rowOf?.[r]).filter((i) => i != null);
    const doc = { data: grid.textOfRows(gridRows), options: rest };
    share.shareUrl(doc).then((url) => {
      if (mine === tableLinks) a.href = url;
    }, (e) => showBanner(`The link to this row could not be made: ${e.message}`));
  }
}

$('section-links').addEventListener('click', (e) => {
  const id = e.target.closest?.('a')?.dataset.section;
  if (!id) return;
  // Scroll without touching the address (it may hold a #doc= link).
  e.preventDefault();
  $(id).scrollIntoView({ behavior: 'smooth', block: 'start' });
});

function fillTable(table, rows, numeric) {
  table.tBodies[0].replaceChildren(...rows.map((cells) => {
    const tr = document.createElement('tr');
    cells.forEach((text, i) => {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) td.scope = 'row';
      if (numeric[i]) td.className = 'num';
      if (i === 3) td.className = 'method';
      td.textContent = text;
      tr.append(td);
    });
    return tr;
  }));
}

// ---- plots ----

/**
 * Every plot, by the name the core knows it by (also its canvas's id). `rows`: its height grows
 * with its rows (forest-like; `grow`: a little taller when wider); the others keep an aspect
 * ratio. `minWidth` in CSS pixels: a narrower box scrolls the plot.
 */
const PLOTS = [
  { kind: 'forest', minWidth: 600, rows: true, grow: true },
  { kind: 'funnel', minWidth: 300 },
  { kind: 'subgroupforest', minWidth: 600, rows: true },
  { kind: 'bubble', minWidth: 300 },
  { kind: 'funnelcontours', minWidth: 300 },
  { kind: 'leaveoneout', minWidth: 600, rows: true },
  { kind: 'baujat', minWidth: 300 },
  { kind: 'summaryforest', minWidth: 600, rows: true },
];

/** Height in CSS pixels for a plot drawn `width` CSS pixels wide. */
function plotHeight(p, width) {
  if (p.rows) {
    const [w, h] = call(core.plot_size, lastReport, p.kind);
    // The natural layout is w wide; a narrower canvas keeps the rows' height, a wider one a little more.
    return p.grow ? Math.round(h * Math.min(1.25, Math.max(1, width / w))) : h;
  }
  return Math.round(Math.min(520, Math.max(300, width * 0.68)));
}

/** Says in the plot's place why it could not be drawn (`message` null: the plot is fine). */
function plotProblem(canvas, message) {
  const figure = canvas.closest('figure');
  let note = figure.querySelector('.plot-error');
  canvas.parentElement.hidden = message != null;
  if (message == null) {
    note?.remove();
    return;
  }
  if (!note) {
    note = document.createElement('p');
    note.className = 'plot-error';
    note.setAttribute('role', 'status');
    figure.append(note);
  }
  note.textContent = `This plot could not be drawn: ${message}.`;
}

/** Sizes each shown plot's canvas to its box in device pixels and asks the core to draw on it. */
function drawPlots() {
  if (!lastReport) return;
  // Large analyses' plots wait for a pause in typing, or for the user to ask (www/pacing.js).
  pacer.plan(lastReport, PLOTS.filter((p) => !$(p.kind).closest('[hidden]:not(.canvas-wrap)')));
}

/** Sizes a plot's canvas to its box in device pixels and asks the core to draw on it. */
function drawPlot(p) {
  if (!lastReport) return;
  const dpr = printDpr ?? (window.devicePixelRatio || 1);
  const canvas = $(p.kind);
  const start = performance.now();
  try {
    plotProblem(canvas, null);
    const box = boxWidth(canvas.parentElement);
    drawnAt.set(canvas.parentElement, box);
    const width = Math.max(p.minWidth, box);
    const height = plotHeight(p, width);
    if (canvas.style.width !== `${width}px`) canvas.style.width = `${width}px`;
    if (canvas.style.height !== `${height}px`) canvas.style.height = `${height}px`;
    // Setting a canvas's size clears it, even to the same size.
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    call(core.draw_plot, canvas, lastReport, p.kind, dpr);
    // How long the drawing took, and when it was done (tests/e2e/bench.mjs).
    performance.clearMeasures(`metapool:draw:${p.kind}`);
    performance.measure(`metapool:draw:${p.kind}`, { start });
  } catch (e) {
    plotProblem(canvas, e instanceof Panic ? `internal error: ${e.message}` : e?.message ?? String(e));
  }
}
const pacer = new PlotPacer(drawPlot);

/**
 * Widths of the plots' boxes in CSS pixels, as the ResizeObserver last saw them. A plot drawn
 * after an edit takes its box's width from here: reading `clientWidth` after the results were
 * written would lay out the whole page first (most of the time an edit took to reach the forest
 * plot). A box not seen yet, or seen hidden, is measured; so is every box while printing.
 */
const boxWidths = new Map();
/** The box width each plot was last drawn for: a box that is resized to it needs no redraw. */
const drawnAt = new Map();
function boxWidth(box) {
  const seen = printDpr == null ? boxWidths.get(box) : undefined;
  return seen > 0 ? seen : Math.floor(box.clientWidth);
}
const resizes = new ResizeObserver((entries) => {
  let changed = false;
  for (const entry of entries) {
    const w = Math.floor(entry.contentRect.width);
    boxWidths.set(entry.target, w);
    // Shown, hidden or resized: redraw unless the plot was drawn for this width already.
    if (w > 0 && drawnAt.get(entry.target) !== w) changed = true;
  }
  if (changed) drawPlots();
});
for (const p of PLOTS) resizes.observe($(p.kind).parentElement);

function watchPixelRatio() {
  matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener('change', () => {
    drawPlots();
    watchPixelRatio();
  }, { once: true });
}
watchPixelRatio();

// ---- downloads ----

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

for (const p of PLOTS) {
  $(`${p.kind}-svg`).addEventListener('click', () => {
    if (!lastReport) return;
    try {
      const svg = call(core.plot_svg, lastReport, p.kind);
      download(new Blob([svg], { type: 'image/svg+xml' }), `${p.kind}.svg`);
    } catch (e) {
      showBanner(`The SVG could not be made: ${e?.message ?? e}`);
    }
  });
  $(`${p.kind}-png`).addEventListener('click', () => {
    $(p.kind).toBlob((blob) => blob && download(blob, `${p.kind}.png`), 'image/png');
  });
}

/** The results as CSV: the studies and the pooled result, then each optional analysis. */
function resultsCsv(report, options) {
  const o = report.overall;
  const num = csvNumber;
  // Studies given by their paths add their intervals of a·b.
  const paths = studyIntervalColumns(report).length > 0;
  const more = paths ? ['mc_lower', 'mc_upper', 'dop_lower', 'dop_upper'] : [];
  const lines = [['study', 'row', 'estimate', 'se', 'ci_lower', 'ci_upper', 'weight_percent', ...more].join(',')];
  for (const r of report.studies) {
    lines.push([csvText(r.study), r.row, r.yi, r.se, r.ci_lower, r.ci_upper, r.weight].map(String)
      .concat(more.map((f) => num(r[f]))).join(','));
  }
  const model = o.model === 'common' ? 'Pooled (common effect)' : `Pooled (random effects; ${o.method}; ${o.ci})`;
  lines.push([csvText(model), '', num(o.estimate), num(o.se), num(o.ci_lower), num(o.ci_upper), '100'].join(','));
  if (o.pi_lower != null) lines.push(['Prediction interval', '', '', '', num(o.pi_lower), num(o.pi_upper), ''].join(','));
  lines.push('');
  lines.push('quantity,value,ci_lower,ci_upper');
  for (const [name, v, lo, hi] of [
    ['level', o.level], ['k', o.k], ['tau2', o.tau2, o.tau2_ci_lower, o.tau2_ci_upper], ['tau', o.tau],
    ['I2_percent', o.I2, o.I2_ci_lower, o.I2_ci_upper], ['H2', o.H2, o.H2_ci_lower, o.H2_ci_upper],
    ['Q', o.Q], ['Q_df', o.Q_df], ['Q_p', o.Q_p], ['z_or_t', o.stat], ['df', o.df], ['p', o.p],
  ]) lines.push([name, num(v), num(lo), num(hi)].join(','));
  for (const block of [...analysesCsv(report, options), ...mediationCsv(report, options), ...reproduceCsv(report)]) lines.push('', ...block);
  return lines.join('\r\n') + '\r\n';
}

$('download-csv').addEventListener('click', () => {
  if (lastReport) download(new Blob([resultsCsv(lastReport, lastOptions)], { type: 'text/csv' }), 'metapool-results.csv');
});

// ---- the published result, presets (www/reproduce.js); Markdown, CSV and R code (www/exports.js) ----

initReproduce({ schedule });
initExports({
  markdown: () => resultsMarkdown(lastReport),
  csv: () => resultsCsv(lastReport, lastOptions),
  r: async () => {
    // The script redoes the analysis; a published result to reproduce is no part of it.
    const { data, options: { reproduce: _reproduce, ...options } } = currentDoc();
    await useFull(); // the R export is in the full core
    try {
      return call(core.export_r, { data, options });
    } catch (e) {
      throw new Error(errorOf(e).message);
    }
  },
  download,
});

/** While printing, the plots on the page are drawn at print resolution (www/exports.js says when). */
let printDpr = null;
onPrint((printing) => {
  printDpr = printing ? Math.max(3, window.devicePixelRatio || 1) : null;
  for (const p of PLOTS) {
    const canvas = $(p.kind);
    if (canvas.width > 0 && !canvas.closest('[hidden], figure.pending')) drawPlot(p);
  }
});

// ---- documents: examples, files, links, the parent page ----

function setSelect(select, value) {
  if (value == null) return;
  if (![...select.options].some((o) => o.value === value)) {
    // An unknown value (from a link) stays as it is; the core says what is wrong with it.
    const o = document.createElement('option');
    o.value = value;
    o.textContent = value;
    select.append(o);
  }
  select.value = value;
}

/** Puts a checked document on the screen and analyses it. */
function loadDoc(doc, gridState = null) {
  loads++;
  const o = doc.options ?? {};
  if (gridState) grid.restore(gridState); else grid.setText(doc.data, o.roles ?? {});
  setAnalysisControls(o);
  setSelect($('method'), o.method == null ? 'REML' : String(o.method).toUpperCase());
  setSelect($('ci'), o.ci == null ? 'z' : String(o.ci).toLowerCase());
  $('level').value = String(o.level ?? 0.95);
  $('ci-level-in').value = String(o.ci_level_in ?? 0.95);
  setReproduceControls(o);
  analyzeNow();
}

/** The examples' texts, each fetched once. */
const exampleTexts = new Map();
function exampleText(name) {
  if (inlined) return Promise.resolve(inlined.examples[name]);
  if (!exampleTexts.has(name)) {
    const text = fetch(EXAMPLES[name]).then((res) => {
      if (!res.ok) throw new Error(`could not load the example (${res.status})`);
      return res.text();
    });
    text.catch(() => exampleTexts.delete(name)); // tried again when asked for again
    exampleTexts.set(name, text);
  }
  return exampleTexts.get(name);
}
// The example a first visit opens with is fetched while the core loads, not after.
if (!share.docFromHash() && !storedState) exampleText('bcg').catch(() => {});

async function loadExample(name) {
  const mine = ++loads;
  const text = await exampleText(name);
  if (mine !== loads) return;
  clearColumnChoices();
  setMediationControls(EXAMPLE_OPTIONS[name] ?? {});
  clearReproduce();
  grid.setText(text);
  analyzeNow();
}

$('example').addEventListener('change', async (e) => {
  const name = e.target.value;
  if (!name) return;
  try {
    await loadExample(name);
  } catch (err) {
    showBanner(err.message);
  }
});

async function loadFile(file) {
  if (file.size > 5_000_000) {
    showBanner(`${file.name} is larger than 5 MB; metapool reads smaller tables.`);
    return;
  }
  const mine = ++loads;
  const text = await file.text();
  if (mine !== loads) return;
  grid.setText(text);
  clearColumnChoices();
  $('example').value = '';
  analyzeNow();
}

$('file-input').addEventListener('change', (e) => {
  const file = e.target.files?.[0];
  if (file) loadFile(file);
  e.target.value = '';
});

const dataPanel = document.querySelector('.data-panel');
dataPanel.addEventListener('dragover', (e) => {
  if ([...(e.dataTransfer?.types ?? [])].includes('Files')) {
    e.preventDefault();
    dataPanel.classList.add('dropping');
  }
});
dataPanel.addEventListener('dragleave', (e) => {
  if (!dataPanel.contains(e.relatedTarget)) dataPanel.classList.remove('dropping');
});
dataPanel.addEventListener('drop', (e) => {
  dataPanel.classList.remove('dropping');
  const file = e.dataTransfer?.files?.[0];
  if (!file) return;
  e.preventDefault();
  loadFile(file);
});

$('add-row').addEventListener('click', () => grid.addRow());
$('add-column').addEventListener('click', () => grid.addColumn());
$('clear-data').addEventListener('click', () => {
  loads++;
  $('example').value = '';
  clearColumnChoices();
  grid.clear();
});
$('options').addEventListener('submit', (e) => e.preventDefault());

$('copy-link').addEventListener('click', async () => {
  const url = await share.shareUrl(currentDoc());
  history.replaceState(null, '', url);
  linkState = edits.current;
  const input = $('share-url');
  input.value = url;
  $('share-status').hidden = false;
  try {
    await navigator.clipboard.writeText(url);
    $('share-message').textContent = 'Link copied. Anyone who opens it sees this analysis; the data travels inside the link.';
  } catch {
    $('share-message').textContent = 'Copy this link (the data travels inside it):';
    input.focus();
    input.select();
  }
});

async function loadFromHash() {
  const encoded = share.docFromHash();
  if (encoded == null) return false;
  try {
    loadDoc(await share.decodeDoc(encoded));
    linkState = edits.current;
  } catch (e) {
    showBanner(`This link could not be opened: ${e.message}.`);
    return false;
  }
  return true;
}

window.addEventListener('hashchange', () => { loadFromHash(); });

share.listenToParent(async (doc) => {
  await ready;
  $('example').value = '';
  loadDoc(doc);
});

async function start() {
  try {
    await ready;
  } catch (e) {
    showBanner(`metapool could not start: ${e.message}. Reload the page; if it keeps failing, the browser may not support WebAssembly.`);
    return;
  }
  setPresets(call(core.presets));
  document.documentElement.classList.add('ready');
  document.documentElement.dataset.engine ??= 'worker';
  const before = loads;
  // A link or a parent's document comes first (the kept table stays one undo away), then the
  // table kept from the last visit, then the example.
  if (!(await loadFromHash()) && loads === before && !(storedState && restore(storedState, false))) {
    $('example').value = 'bcg';
    try {
      await loadExample('bcg');
    } catch (e) {
      showBanner(e.message);
      grid.clear();
    }
  }
  // A parent hears "ready" after the first analysis, as before the analyses ran in a worker.
  await analysesShown();
  share.tellParent({ type: 'metapool:ready' });
  // The first analysis ran on the page if it was short; the worker starts now, for the rest.
  engine.warmUp();
}

// ---- undo, redo, keeping the table ----

/**
 * Puts a recorded state back on the screen and analyses it; false if it cannot be read.
 * `trusted`: a state of this page's own history (the kept table is checked as a link is).
 */
function restore(state, trusted = true) {
  const s = state == null ? null : parseState(state, { trusted });
  if (!s) return false;
  edits.restoring = true;
  loadDoc({ data: '', options: s.options }, s.grid);
  rebaseFocus();
  return true;
}

const rebaseFocus = bindKeys(() => restore(edits.undo()), () => restore(edits.redo()));
$('undo').addEventListener('click', () => restore(edits.undo()));
$('redo').addEventListener('click', () => restore(edits.redo()));

edits.onChange(() => {
  $('undo').disabled = !edits.canUndo;
  $('redo').disabled = !edits.canRedo;
  store.save(edits.current);
  if (linkState != null && edits.current !== linkState) {
    // The page no longer shows the linked document: a reload brings back the kept table.
    linkState = null;
    if (share.docFromHash() != null) history.replaceState(null, '', location.href.replace(/#.*$/, ''));
  }
});

const keep = $('keep-table');
keep.checked = store.keeping;
keep.disabled = !store.available;
$('keep-note').textContent = store.available ? '' : '(this browser does not let the page keep anything)';
keep.addEventListener('change', () => {
  store.setKeeping(keep.checked, edits.current);
  $('keep-note').textContent = keep.checked ? '' : 'Nothing is kept: the table is gone when you close or reload the page.';
});
store.onProblem = (text) => { $('keep-note').textContent = text; };

start();
