// Where the analyses run: in a Web Worker (www/worker.js), so that the page's main thread only
// reads the form, writes the results and draws. One request at a time goes to the worker; while it
// works, only the newest further request waits (the ones in between are dropped, never computed),
// and a result that a newer request has superseded is dropped too. An analysis that has run for a
// while when a newer one is asked for is abandoned: its worker is ended and a fresh one started.
// A panic (a bug in the core) ends the worker too; a fresh one is started and the request tried once
// more. Where no worker can start, the analyses run on the main thread (the page says so).
// No statistics here.

/** Resolution of a request that a newer one replaced: its result is not shown. */
export const SUPERSEDED = Object.freeze({ superseded: true });

/**
 * An analysis like the last one (same options, about as much data) that took less than this in
 * the core runs on the page itself (ms): its result is then on the screen before the browser
 * draws the next frame, where the worker's answer waits for that frame (about 10 ms at k = 100).
 */
const ON_PAGE_MS = 4;
/** The first analysis runs on the page, while the worker starts, if its data are this short. */
const FIRST_ON_PAGE_CHARS = 8_000;
/** Options that can make even a short table's analysis long: never run on the page unmeasured. */
const COSTLY = ['reproduce', 'rounding', 'reported', 'gosh', 'table'];

/** A running analysis older than this is abandoned when a newer one comes (ms). */
const CANCEL_AFTER_MS = 300;
/** A worker that has not said "ready" after this long is given up on (ms). */
const START_TIMEOUT_MS = 20_000;

/**
 * Compiles the core once; the main thread (plots) and every worker instantiate this module. The
 * page's www/boot.js, which runs before the modules, has started it.
 */
export async function compileCore(inlined) {
  if (inlined) {
    return WebAssembly.compile(Uint8Array.from(atob(inlined.wasm), (c) => c.charCodeAt(0)));
  }
  if (!globalThis.metapoolCompiled) throw new Error('could not load the core (www/boot.js did not run)');
  return globalThis.metapoolCompiled;
}

/** Compiles the full core (pkg/full/: every analysis), when an option first asks for it. */
export function compileFullCore() {
  return globalThis.metapoolCompileAt(new URL('../pkg/full/metapool_bg.wasm', import.meta.url));
}

/** The blob: URL of the single file's worker script (one per page). */
let blobUrl = null;

/** Starts www/worker.js, or the single file's worker script (`workerSource`) from a blob: URL. */
function makeWorker(workerSource, name) {
  if (workerSource != null) {
    blobUrl ??= URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
    return new Worker(blobUrl, { name });
  }
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name });
}

/**
 * Starts a worker (www/worker.js, or the single file's script from a blob: URL) and, once
 * `module` resolves, sends it the core: {type: "init", module, full} (`full`: import the full
 * core's glue, pkg/full/metapool.js, for it). Its messages go to `onMessage`; an error, an
 * unreadable message or no "ready" within START_TIMEOUT_MS to `onCrash(message)`. Nothing is sent
 * once `wanted()` is false. Throws where no worker can start.
 */
function startWorker({ workerSource, name, module, full, onMessage, onCrash, wanted }) {
  const worker = makeWorker(workerSource, name);
  let ready = false;
  worker.addEventListener('message', (e) => {
    if (e.data?.type === 'ready') {
      ready = true;
      clearTimeout(timer);
    }
    onMessage(e.data);
  });
  worker.addEventListener('error', (e) => {
    e.preventDefault();
    onCrash(e.message || 'the worker stopped');
  });
  worker.addEventListener('messageerror', () => onCrash('a message could not be read'));
  const timer = setTimeout(() => {
    if (wanted() && !ready) onCrash('the worker did not start');
  }, START_TIMEOUT_MS);
  Promise.resolve(module).then((m) => {
    if (wanted()) worker.postMessage({ type: 'init', module: m, full });
  }, () => clearTimeout(timer)); // the page reports that the core could not load
  return worker;
}

export class Engine {
  /**
   * @param {object} o
   * @param {Promise<WebAssembly.Module>} o.module the compiled core
   * @param {string | null} o.workerSource the worker as one classic script (the single-file
   *   build, started from a blob: URL), or null to start www/worker.js
   * @param {(doc: object) => Promise<{report} | {error}>} o.runOnPage the fallback: one analysis
   *   on the main thread
   * @param {(doc: object) => ({report} | {error} | null)} [o.runNow] one short analysis on the main
   *   thread at once (null: the page's core is not loaded yet)
   * @param {boolean} [o.full] whether `module` is the full core already (the single file)
   * @param {() => Promise<WebAssembly.Module>} [o.loadFull] makes the page's core the full one
   *   and resolves to its module, when the first core says an option needs it (needs_extras)
   * @param {(message: string) => void} o.onPanic the core panicked; its worker was replaced
   * @param {(reason: string) => void} o.onFallback no worker could start; analyses run on the page
   */
  constructor({ module, workerSource = null, runOnPage, runNow = () => null, full = false, loadFull, onPanic, onFallback }) {
    this.module = module;
    /** Whether the cores in use (the page's and the worker's) are the full one. */
    this.full = full;
    this.loadFull = loadFull;
    /** Settles when the switch to the full core is done (null: none under way). */
    this.switching = null;
    this.workerSource = workerSource;
    this.runOnPage = runOnPage;
    this.runNow = runNow;
    /** The last analysis finished: {options (as JSON), chars of data, ms in the core}. */
    this.lastRun = null;
    this.onPanic = onPanic;
    this.onFallback = onFallback;
    /** "starting", "worker" or "page" (the fallback). */
    this.mode = 'starting';
    this.worker = null;
    this.ready = false;
    /** The request being computed: {id, doc, resolve, tries, sent}. */
    this.current = null;
    /** The newest request waiting for the worker. */
    this.pending = null;
    /** Id of the newest request: only its result is shown. */
    this.seq = 0;
    /** Whether the worker was started: at the first analysis it is to run, or by warmUp(). */
    this.spawned = false;
  }

  /**
   * Starts the worker if it is not running yet. The page calls this once its first result is on
   * the screen: started earlier, the worker's loading competes with the page's own for the CPU.
   */
  warmUp() {
    if (this.spawned || this.switching) return; // a switch to the full core starts it
    this.spawned = true;
    this.#spawn();
  }

  /**
   * Analyses a document. Resolves to {report}, {error: {message, row, column}} or SUPERSEDED
   * (a newer request came first; show nothing). Never rejects.
   */
  analyze(doc) {
    if (this.#short(doc)) {
      const t0 = performance.now();
      const result = this.runNow(doc);
      if (result?.error?.needs_extras) {
        // The page's first core leaves this out: the full one is loaded, and the request goes the
        // worker's way, which waits for it.
        this.#switchToFull();
      } else if (result) {
        // Whatever the worker is computing or was to compute is older: dropped.
        this.supersede();
        this.#ran(doc, performance.now() - t0);
        return Promise.resolve(result);
      }
    }
    return new Promise((resolve) => {
      this.#drop(this.pending);
      this.pending = { id: ++this.seq, doc, resolve, tries: 0 };
      this.warmUp();
      if (this.current && this.mode === 'worker' && performance.now() - this.current.sent > CANCEL_AFTER_MS) {
        // A long analysis whose result nobody will see: stop it rather than wait for it.
        this.#drop(this.current);
        this.current = null;
        this.#restart();
      }
      this.#pump();
    });
  }

  /**
   * Whether `doc` is quick enough to analyse on the page: like the last analysis, which took less
   * than ON_PAGE_MS; or, before any, a short table without costly options. Large tables, slow
   * options and anything new go to the worker, so that typing never waits.
   */
  #short(doc) {
    if (this.mode === 'page') return false; // the fallback runs everything on the page anyway
    const options = JSON.stringify(doc.options ?? {});
    const chars = doc.data?.length ?? 0;
    const last = this.lastRun;
    if (last) return last.ms < ON_PAGE_MS && last.options === options && chars <= last.chars * 1.25 + 1000;
    const o = doc.options ?? {};
    return chars <= FIRST_ON_PAGE_CHARS && !COSTLY.some((key) => o[key]) && !(o.mc_draws > 100_000)
      && o.mediation !== 'bivariate';
  }

  /**
   * Loads the full core for the page (loadFull) and for the worker, which is started afresh with
   * it; requests wait meanwhile. Once: the full core stays.
   */
  #switchToFull() {
    if (this.full) return this.switching ?? Promise.resolve();
    this.full = true;
    this.ready = false; // nothing more goes to the first core's worker
    this.lastRun = null;
    this.switching = this.loadFull().then((module) => {
      this.module = Promise.resolve(module);
      if (this.mode === 'page') {
        this.#pump();
      } else {
        this.spawned = true;
        this.#restart();
      }
    }, (e) => {
      // Without the full core, what needs it cannot be done: said as the analysis's error.
      this.full = false;
      const error = { message: `the full core could not be loaded (${e?.message ?? e}); reload the page to try again`, row: null, column: null };
      for (const request of [this.current, this.pending]) request?.resolve({ error });
      this.current = null;
      this.pending = null;
      if (this.mode !== 'page' && this.spawned) this.#restart();
    }).finally(() => { this.switching = null; });
    return this.switching;
  }

  #ran(doc, ms) {
    this.lastRun = { options: JSON.stringify(doc.options ?? {}), chars: doc.data?.length ?? 0, ms };
  }

  /** Drops every request asked for so far (the page shows something else, e.g. an option error). */
  supersede() {
    this.seq++;
    this.#drop(this.pending);
    this.pending = null;
  }

  /** True while some request has not been answered. */
  get busy() {
    return this.current != null || this.pending != null;
  }

  #drop(request) {
    request?.resolve(SUPERSEDED);
  }

  #spawn() {
    let worker;
    try {
      worker = startWorker({
        workerSource: this.workerSource,
        name: 'metapool',
        module: this.module,
        full: this.full && this.workerSource == null,
        onMessage: (m) => this.#onMessage(worker, m),
        onCrash: (message) => this.#onCrash(worker, message),
        wanted: () => this.worker === worker,
      });
    } catch (e) {
      this.#fallback(`this browser could not start a background worker (${e?.message ?? e})`);
      return;
    }
    this.worker = worker;
    this.ready = false;
  }

  #restart() {
    this.worker?.terminate();
    this.worker = null;
    this.ready = false;
    this.#spawn();
  }

  #fallback(reason) {
    this.worker?.terminate();
    this.worker = null;
    this.mode = 'page';
    if (this.current) {
      // Whatever the worker was doing is done again here.
      this.current.tries = 0;
      if (this.current.id === this.seq && !this.pending) this.pending = this.current;
      else this.#drop(this.current);
      this.current = null;
    }
    this.onFallback(reason);
    this.#pump();
  }

  #onMessage(worker, m) {
    if (worker !== this.worker || m == null) return;
    if (m.type === 'ready') {
      if (this.switching) return; // the first core's worker, about to be replaced
      this.ready = true;
      this.mode = 'worker';
      this.#pump();
    } else if (m.type === 'failed') {
      this.#fallback(`the background worker could not load the core (${m.message})`);
    } else if (m.type === 'result' && this.current?.id === m.id && m.error?.needs_extras) {
      // The first core leaves this out: asked again of the full core, unless a newer request came.
      const request = this.current;
      this.current = null;
      if (request.id === this.seq && !this.pending) this.pending = request;
      else this.#drop(request);
      this.#switchToFull();
    } else if (m.type === 'result' && this.current?.id === m.id) {
      this.#ran(this.current.doc, m.ms);
      this.#finish(m.error ? { error: m.error } : { report: m.report });
    } else if (m.type === 'panic' && this.current?.id === m.id) {
      this.#onCrash(worker, m.message);
    }
  }

  /** The worker panicked or died: a fresh one, and the request once more (a second time: an error). */
  #onCrash(worker, message) {
    if (worker !== this.worker) return;
    if (!this.ready) {
      // It never got as far as loading the core: workers do not work here.
      this.#fallback(`the background worker could not start (${message})`);
      return;
    }
    const request = this.current;
    this.current = null;
    this.#restart();
    this.onPanic(message);
    if (request) {
      if (request.id !== this.seq) {
        this.#drop(request);
      } else if (request.tries === 0) {
        request.tries = 1;
        this.pending = request;
      } else {
        request.resolve({ error: { message: `internal error: ${message}`, row: null, column: null } });
      }
    }
    this.#pump();
  }

  #finish(result) {
    const request = this.current;
    this.current = null;
    this.#pump();
    // The page shows the result in a task of its own, apart from reading the worker's message.
    setTimeout(() => request.resolve(request.id === this.seq ? result : SUPERSEDED), 0);
  }

  #pump() {
    if (this.current || !this.pending) return;
    if (this.mode === 'page') {
      const request = this.pending;
      this.pending = null;
      this.current = request;
      // A task of its own, so that a burst of edits still makes one analysis.
      setTimeout(async () => {
        const t0 = performance.now();
        let result = await this.runOnPage(request.doc);
        if (result.error?.needs_extras) {
          await this.#switchToFull();
          result = await this.runOnPage(request.doc);
        }
        this.#ran(request.doc, performance.now() - t0);
        if (this.current === request) this.#finish(result);
      }, 0);
      return;
    }
    if (!this.ready) return;
    const request = this.pending;
    this.pending = null;
    this.current = request;
    request.sent = performance.now();
    this.worker.postMessage({ type: 'analyze', id: request.id, doc: request.doc });
  }
}

/** Resolution of a GOSH run that was cancelled or replaced by a newer one. */
export const CANCELLED = Object.freeze({ cancelled: true });

/**
 * Runs the GOSH plot's fits in a worker of their own (www/worker.js, started when first needed),
 * so that a run of a million subsets never holds up an analysis: the analyses keep their worker.
 * One run at a time: a new run, cancel() or stop() ends the one before (the worker drops it
 * between two chunks of about 50 ms). The worker reports progress after each chunk. A panic ends
 * the worker; a fresh one tries the run once more, and a second panic is the run's error. Where no
 * worker can start, `runOnPage` fits on the main thread (in short chunks). No statistics here.
 */
export class GoshRunner {
  /**
   * @param {object} o
   * @param {() => Promise<WebAssembly.Module>} o.module loads the full core (GOSH is in it)
   * @param {string | null} o.workerSource as Engine's
   * @param {(report: object, onProgress: Function, wanted: () => boolean) => Promise<{density, ms} | {error}>} o.runOnPage
   *   the fallback: the run on the main thread
   * @param {(message: string) => void} o.onPanic the core panicked; its worker was replaced
   */
  constructor({ module, workerSource = null, runOnPage, onPanic }) {
    this.module = module;
    this.workerSource = workerSource;
    this.runOnPage = runOnPage;
    this.onPanic = onPanic;
    /** "worker", or "page" where no worker starts. */
    this.mode = 'worker';
    this.worker = null;
    this.ready = false;
    /** The run wanted now: {id, report, onProgress, resolve, tries}. */
    this.job = null;
    this.seq = 0;
  }

  /**
   * Fits the GOSH subsets of `report`, calling `onProgress({done, total})` as it goes. Resolves
   * to {density, ms}, {error: {message}} or CANCELLED. Never rejects.
   */
  run(report, onProgress) {
    this.cancel();
    return new Promise((resolve) => {
      this.job = { id: ++this.seq, report, onProgress, resolve, tries: 0 };
      this.#send();
    });
  }

  /** Stops the run (if any); the worker stays for the next one. */
  cancel() {
    const job = this.job;
    if (!job) return;
    this.job = null;
    if (this.ready) this.worker.postMessage({ type: 'gosh-cancel', id: job.id });
    job.resolve(CANCELLED);
  }

  /** Stops the run and ends the worker, which gives its memory back (46 MB of fits at k = 20). */
  stop() {
    this.cancel();
    this.worker?.terminate();
    this.worker = null;
    this.ready = false;
  }

  get running() {
    return this.job != null;
  }

  #send() {
    const job = this.job;
    if (!job) return;
    if (this.mode === 'page') {
      const wanted = () => this.job === job;
      this.runOnPage(job.report, (p) => { if (wanted()) job.onProgress(p); }, wanted).then((result) => {
        if (wanted()) this.#finish(result);
      });
      return;
    }
    if (!this.worker) {
      this.#spawn();
      return;
    }
    if (this.ready) this.worker.postMessage({ type: 'gosh', id: job.id, report: job.report });
  }

  #finish(result) {
    const job = this.job;
    this.job = null;
    job.resolve(result);
  }

  #spawn() {
    let worker;
    try {
      worker = startWorker({
        workerSource: this.workerSource,
        name: 'metapool-gosh',
        module: this.module(),
        full: this.workerSource == null,
        onMessage: (m) => this.#onMessage(worker, m),
        onCrash: (message) => this.#onCrash(worker, message),
        wanted: () => this.worker === worker,
      });
    } catch {
      this.#fallback();
      return;
    }
    this.worker = worker;
    this.ready = false;
  }

  #fallback() {
    this.worker?.terminate();
    this.worker = null;
    this.ready = false;
    this.mode = 'page';
    this.#send();
  }

  #onMessage(worker, m) {
    if (worker !== this.worker || m == null) return;
    const job = this.job;
    if (m.type === 'ready') {
      this.ready = true;
      this.#send();
    } else if (m.type === 'failed') {
      this.#fallback();
    } else if (m.type === 'gosh-progress' && job?.id === m.id) {
      job.onProgress({ done: m.done, total: m.total });
    } else if (m.type === 'gosh-result' && job?.id === m.id) {
      this.#finish(m.error ? { error: m.error } : { density: m.density, ms: m.ms });
    } else if (m.type === 'panic') {
      this.#onCrash(worker, m.message, m.id);
    }
  }

  /** The worker panicked or died: a fresh one, and the run once more (a second time: an error). */
  #onCrash(worker, message, id = null) {
    if (worker !== this.worker) return;
    if (!this.ready) {
      this.#fallback();
      return;
    }
    this.worker.terminate();
    this.worker = null;
    this.ready = false;
    this.onPanic(message);
    const job = this.job;
    if (!job || (id != null && id !== job.id)) {
      this.#send();
      return;
    }
    if (job.tries === 0) {
      job.tries = 1;
      this.#send();
    } else {
      this.#finish({ error: { message: `internal error: ${message}`, row: null, column: null } });
    }
  }
}

/**
 * Marks the results as out of date while a newer analysis computes: after `delay` ms (so that
 * quick analyses do not flicker), each of `panels` gets the class "stale" and aria-busy, and
 * `status` shows. `status` has data-pending at once, until the newest result is shown.
 */
export function staleMarker(panels, status, delay = 150) {
  let timer = 0;
  let on = false;
  const set = (value) => {
    on = value;
    for (const panel of panels) {
      panel.classList.toggle('stale', on);
      panel.setAttribute('aria-busy', String(on));
    }
    status.hidden = !on;
  };
  return {
    start() {
      status.dataset.pending = 'true';
      if (timer || on) return;
      timer = setTimeout(() => { timer = 0; set(true); }, delay);
    },
    stop() {
      delete status.dataset.pending;
      clearTimeout(timer);
      timer = 0;
      set(false);
    },
  };
}
