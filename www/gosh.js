// The GOSH plot (Olkin, Dahabreh & Trikalinos 2012; metafor's gosh()): I² against the estimate of
// every subset of the studies, 2^k − 1 fits up to k = 20 and a seeded sample of 10⁶ beyond.
// "GOSH plot" under "More analyses" writes the document's option `gosh`; with it on, each report
// shown starts a run of the core's GoshRun in a worker of its own (GoshRunner, www/engine.js),
// unless the studies and the method are the ones already fitted. A progress bar follows the run;
// "Stop" cancels it, and so does unticking the option or data that change the studies. The worker
// sends back only the binned density, which the core draws here. No statistics here: every
// number comes from the core; this file counts time and formats.

import { GoshRunner, CANCELLED } from './engine.js';
import { stepInChunks } from './steps.js';

const $ = (id) => document.getElementById(id);

/** The section in page order: [element id, option, link text]. */
export const GOSH_SECTIONS = [['gosh-section', 'gosh', 'GOSH plot']];

/** Work per chunk when the run is on the page's own thread (no worker): short, so typing goes on. */
const PAGE_CHUNK_MS = 12;

const count = (n) => n.toLocaleString('en-US');
const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const superscript = (n) => String(n).replace(/\d/g, (d) => SUPERSCRIPT[d]);

/** "40 ms", "1.4 s", "12 s", "3 min". */
function duration(ms) {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 90_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** What the run fits, in words: "All 2¹³ − 1 = 8,191 subsets of the 13 studies", or a sample. */
function planWords(plan, k) {
  return plan.exhaustive
    ? `All 2${superscript(k)} − 1 = ${count(plan.subsets)} subsets of the ${k} studies`
    : `${count(plan.subsets)} random subsets of the ${k} studies (each study in a subset with probability ½, `
      + 'drawn from a fixed seed: the same plot every time)';
}

/** The studies and the method a run fits: a report with the same key needs no new run. */
function keyOf(report) {
  return JSON.stringify([report.overall.method, report.studies.map((s) => [s.yi, s.vi])]);
}

export class GoshPlot {
  /**
   * @param {object} o
   * @param {() => object} o.core the page's instance of the core now (www/app.js loads it; the
   *   full core by the time a GOSH plot is asked for)
   * @param {() => Promise<WebAssembly.Module>} o.module loads the full core, for the worker
   * @param {string | null} o.workerSource the single file's worker script, or null
   * @param {(fn: Function, ...args) => any} o.call app.js's guarded call into the core
   * @param {(message: string) => void} o.onPanic the core panicked (the user is told)
   * @param {(blob: Blob, name: string) => void} o.download saves a file
   */
  constructor({ core, module, workerSource, call, onPanic, download }) {
    this.core = core;
    this.call = call;
    this.runner = new GoshRunner({
      module,
      workerSource,
      onPanic,
      runOnPage: (report, onProgress, wanted) => this.#runOnPage(report, onProgress, wanted, onPanic),
    });
    /** The studies and method of the run under way or done (null: none). */
    this.key = null;
    this.report = null;
    /** The density drawn (from the worker), or null. */
    this.density = null;
    /** Counts runs, so that a late answer of an older one is ignored. */
    this.runs = 0;
    this.last = { done: 0, total: 0 };
    this.canvas = $('gosh-canvas');
    this.figure = this.canvas.closest('figure');
    $('gosh-cancel').addEventListener('click', () => this.#stop());
    $('gosh-restart').addEventListener('click', () => this.#start());
    $('gosh-svg').addEventListener('click', () => {
      if (!this.density) return;
      try {
        const svg = this.call(this.core().gosh_svg, this.density);
        download(new Blob([svg], { type: 'image/svg+xml' }), 'gosh.svg');
      } catch (e) {
        this.#status(`The SVG could not be made: ${e?.message ?? e}`);
      }
    });
    $('gosh-png').addEventListener('click', () => {
      this.canvas.toBlob((blob) => blob && download(blob, 'gosh.png'), 'image/png');
    });
    let width = 0;
    new ResizeObserver(([entry]) => {
      const w = Math.floor(entry.contentRect.width);
      if (w !== width) {
        width = w;
        this.#draw();
      }
    }).observe(this.figure);
    const watchPixelRatio = () => {
      matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener('change', () => {
        this.#draw();
        watchPixelRatio();
      }, { once: true });
    };
    watchPixelRatio();
  }

  /**
   * Shows the option's count for this report's studies and, with `options.gosh`, the section:
   * a new run when the studies or the method changed. Returns the ids of the sections shown.
   */
  show(report, options) {
    let plan = null;
    try {
      plan = this.call(this.core().gosh_plan, report.k);
    } catch { /* the count is only a hint */ }
    $('gosh-count').textContent = plan && report.k >= 2 ? `(${plan.exhaustive
      ? `2${superscript(report.k)} − 1 = ${count(plan.subsets)} fits`
      : `${count(plan.subsets)} sampled subsets`})` : '';
    if (options.gosh !== true) {
      this.off();
      return [];
    }
    $('gosh-section').hidden = false;
    this.#note(report, plan);
    const key = keyOf(report);
    if (key !== this.key) {
      this.key = key;
      this.report = report;
      this.#start();
    }
    return ['gosh-section'];
  }

  /** The option is off: the run stops, its worker ends (freeing its memory) and the section goes. */
  off() {
    this.runner.stop();
    this.#forget();
  }

  /**
   * No report to show (an error): the section goes, and a run under way stops (the next report
   * starts it again). A finished plot stays for a report of the same studies (a passing typo).
   */
  hide() {
    if (this.runner.running) {
      this.runs++;
      this.runner.cancel();
      this.key = null;
    }
    $('gosh-section').hidden = true;
  }

  #forget() {
    this.runs++;
    this.key = null;
    this.report = null;
    this.density = null;
    this.figure.hidden = true;
    $('gosh-section').hidden = true;
    this.#status('');
    $('gosh-progress').value = 0;
  }

  #note(report, plan) {
    const o = report.overall;
    const model = o.model === 'common' ? 'the common-effect model (FE)' : `the random-effects model with τ² by ${o.method}`;
    const i2 = o.method === 'FE' || o.method === 'DL' ? 'I² from Q, as metafor’s gosh() computes it for FE and DL' : 'I² from τ²';
    const what = plan ? planWords(plan, report.k) : `The subsets of the ${report.k} studies`;
    const speed = o.method === 'FE' || o.method === 'DL'
      ? ''
      : ` With ${o.method} every subset is fitted iteratively, which takes far longer than with FE or DL (Method, above).`;
    $('gosh-method').textContent = `${what} are each fitted with this analysis’ model, ${model}, `
      + `as metafor’s gosh() refits the model it is given; ${i2}. `
      + `Each cell is shaded by the number of subsets in it (log scale); the circle is the fit to all ${report.k} studies. `
      + 'Separate clouds point to studies that change both the estimate and the heterogeneity (Olkin, Dahabreh & Trikalinos 2012).'
      + speed;
  }

  #start() {
    const mine = ++this.runs;
    const report = this.report;
    const t0 = performance.now();
    this.last = { done: 0, total: 0 };
    this.#running(true);
    $('gosh-progress').removeAttribute('value');
    this.#status('Starting…');
    // A plot of other studies stays, dimmed, until the new one replaces it.
    this.figure.classList.toggle('pending', this.density != null);
    for (const id of ['gosh-svg', 'gosh-png']) $(id).disabled = true;
    this.runner.run(report, (p) => {
      if (mine === this.runs) this.#progress(p, performance.now() - t0);
    }).then((result) => {
      if (mine !== this.runs || result === CANCELLED) return;
      this.#running(false);
      if (result.error) {
        this.density = null;
        this.figure.hidden = true;
        this.#status(`The GOSH plot could not be computed: ${result.error.message}.`);
        return;
      }
      this.density = result.density;
      this.ms = result.ms;
      const d = result.density;
      const bar = $('gosh-progress');
      bar.max = Math.max(1, d.subsets);
      bar.value = d.subsets;
      const failed = d.failed > 0 ? ` (${count(d.failed)} fits did not converge and are left out)` : '';
      const what = d.exhaustive ? `All ${count(d.subsets)} subsets` : `${count(d.subsets)} random subsets`;
      this.#status(`${what} fitted in ${duration(performance.now() - t0)}${failed}.`);
      this.figure.classList.remove('pending');
      this.figure.hidden = false;
      this.#draw();
    });
  }

  #stop() {
    if (!this.runner.running) return;
    this.runs++;
    this.runner.cancel();
    this.#running(false);
    $('gosh-restart').hidden = false;
    this.density = null;
    this.figure.hidden = true;
    const { done, total } = this.last;
    this.#status(`Stopped after ${count(done)} of ${count(total)} subsets.`);
  }

  /** Shows whether a run is under way: the Stop button, or Fit again. */
  #running(on) {
    $('gosh-cancel').hidden = !on;
    $('gosh-restart').hidden = true;
    $('gosh-section').setAttribute('aria-busy', String(on));
  }

  #progress(p, elapsed) {
    this.last = p;
    const bar = $('gosh-progress');
    bar.max = Math.max(1, p.total);
    bar.value = p.done;
    const share = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
    // The time left, from the pace so far, once there is some pace to go by.
    const left = p.done > 0 && elapsed > 500 ? ` · about ${duration((elapsed * (p.total - p.done)) / p.done)} left` : '';
    this.#status(`Fitting: ${count(p.done)} of ${count(p.total)} subsets (${share}%)${left}`);
  }

  #status(text) {
    $('gosh-status').textContent = text;
  }

  /** Sizes the canvas to its box in device pixels and asks the core to draw the density. */
  #draw() {
    if (!this.density || this.figure.hidden) return;
    const dpr = window.devicePixelRatio || 1;
    const wrap = this.canvas.parentElement;
    const width = Math.max(300, Math.floor(wrap.clientWidth));
    const height = Math.round(Math.min(520, Math.max(300, width * 0.68)));
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    try {
      this.call(this.core().draw_gosh, this.canvas, this.density, dpr);
      for (const id of ['gosh-svg', 'gosh-png']) $(id).disabled = false;
    } catch (e) {
      this.figure.hidden = true;
      this.#status(`The GOSH plot could not be drawn: ${e?.message ?? e}.`);
    }
  }

  /** The run on the page's own thread, in short chunks (where no worker can start). */
  async #runOnPage(report, onProgress, wanted, onPanic) {
    const t0 = performance.now();
    let run = null;
    try {
      const { GoshRun } = this.core();
      run = new GoshRun(report);
      const finished = await stepInChunks(run, {
        chunkMs: PAGE_CHUNK_MS,
        onProgress,
        pause: () => new Promise((resolve) => setTimeout(resolve, 0)),
        wanted,
      });
      const result = finished ? { density: run.density(), ms: performance.now() - t0 } : CANCELLED;
      run.free();
      return result;
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        const message = globalThis.metapoolPanic || e.message;
        delete globalThis.metapoolPanic;
        this.core().__wbg_reset_state();
        onPanic(message);
        return { error: { message: `internal error: ${message}`, row: null, column: null } };
      }
      run?.free();
      return { error: { message: e?.message ?? String(e), row: null, column: null } };
    }
  }
}
