// The analysis worker: runs the Rust core's analyze() off the page's main thread, so that typing
// never waits for a large analysis. It is a thin relay: a document in, a report (or the core's
// error, or a panic's message) out. www/engine.js starts it, feeds it and restarts it.
// The GOSH plot's fits run in a second instance of this worker (GoshRunner in www/engine.js), in
// chunks of about 50 ms, each followed by a progress message and a look at the message queue, so
// that a cancel or a newer run is heard at once; only the small binned density goes back.
//
// Messages in:  {type: "init", module, full}   module: a compiled WebAssembly.Module of the core;
//                                            full: it is the full core (its glue is imported)
//               {type: "analyze", id, doc}
//               {type: "gosh", id, report}   fit the GOSH subsets of this report (drops any older run)
//               {type: "gosh-cancel", id}
// Messages out: {type: "ready"} | {type: "failed", message}
//               {type: "result", id, report, ms} | {type: "result", id, error: {message, row, column}, ms}
//               {type: "gosh-progress", id, done, total}
//               {type: "gosh-result", id, density, ms} | {type: "gosh-result", id, error, ms}
//               {type: "panic", id, message}   (the instance is unusable: the page restarts the worker)

import * as firstCore from '../pkg/metapool.js';
import { stepInChunks } from './steps.js';

/** The core's glue: the first core's (pkg/), or the full core's (pkg/full/) when init says so. */
let core = firstCore;

/** Work between two progress messages of a GOSH run (ms). */
const GOSH_CHUNK_MS = 50;

let started = null;

/** The core's error object ({message, row, column}) or any other throw, as a plain error. */
function errorOf(e) {
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    const error = { message: e.message, row: e.row ?? null, column: e.column ?? null };
    // The first core leaves this analysis out: www/engine.js loads the full core and asks again.
    if (e.needs_extras === true) error.needs_extras = true;
    return error;
  }
  return { message: String(e), row: null, column: null };
}

/** A Rust panic's message (the hook in crate/src/wasm.rs left it on the global object), or null. */
function panicOf(e) {
  if (!(e instanceof WebAssembly.RuntimeError)) return null;
  const message = self.metapoolPanic || e.message;
  delete self.metapoolPanic;
  return message;
}

function analyze(id, doc) {
  const t0 = performance.now();
  try {
    const report = core.analyze(doc);
    return { type: 'result', id, report, ms: performance.now() - t0 };
  } catch (e) {
    const panic = panicOf(e);
    if (panic != null) return { type: 'panic', id, message: panic };
    return { type: 'result', id, error: errorOf(e), ms: performance.now() - t0 };
  }
}

/** Id of the GOSH run wanted now (null: none). */
let goshId = null;

/** Lets the messages that came meanwhile (a cancel, a newer run) be handled. */
function pause() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

async function gosh(id, report) {
  goshId = id;
  const t0 = performance.now();
  let run = null;
  try {
    run = new core.GoshRun(report);
    const finished = await stepInChunks(run, {
      chunkMs: GOSH_CHUNK_MS,
      onProgress: (p) => self.postMessage({ type: 'gosh-progress', id, done: p.done, total: p.total }),
      pause,
      wanted: () => goshId === id,
    });
    if (finished) self.postMessage({ type: 'gosh-result', id, density: run.density(), ms: performance.now() - t0 });
  } catch (e) {
    const panic = panicOf(e);
    if (panic != null) {
      self.postMessage({ type: 'panic', id, message: panic });
      return; // the instance is gone: nothing to free
    }
    self.postMessage({ type: 'gosh-result', id, error: errorOf(e), ms: performance.now() - t0 });
  }
  run?.free();
  if (goshId === id) goshId = null;
}

self.addEventListener('message', async (event) => {
  const m = event.data;
  if (m?.type === 'init') {
    started = (async () => {
      if (m.full) core = await import('../pkg/full/metapool.js');
      await core.default({ module_or_path: m.module });
    })().then(
      () => self.postMessage({ type: 'ready' }),
      (e) => self.postMessage({ type: 'failed', message: String(e?.message ?? e) }),
    );
  } else if (m?.type === 'analyze') {
    await started;
    self.postMessage(analyze(m.id, m.doc));
  } else if (m?.type === 'gosh') {
    goshId = m.id;
    await started;
    if (goshId === m.id) gosh(m.id, m.report);
  } else if (m?.type === 'gosh-cancel') {
    if (goshId === m.id) goshId = null;
  }
});
