// The analysis worker: runs the Rust core's analyze() off the page's main thread, so that typing
// never waits for a large analysis. It is a thin relay: a document in, a report (or the core's
// error, or a panic's message) out. www/engine.js starts it, feeds it and restarts it.
//
// Messages in:  {type: "init", module}   module: a compiled WebAssembly.Module of the core
//               {type: "analyze", id, doc}
// Messages out: {type: "ready"} | {type: "failed", message}
//               {type: "result", id, report, ms} | {type: "result", id, error: {message, row, column}, ms}
//               {type: "panic", id, message}   (the instance is unusable: the page restarts the worker)

import * as core from '../pkg/metapool.js';

let started = null;

/** The core's error object ({message, row, column}) or any other throw, as a plain error. */
function errorOf(e) {
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    return { message: e.message, row: e.row ?? null, column: e.column ?? null };
  }
  return { message: String(e), row: null, column: null };
}

function analyze(id, doc) {
  const t0 = performance.now();
  try {
    const report = core.analyze(doc);
    return { type: 'result', id, report, ms: performance.now() - t0 };
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      // A Rust panic: the hook in crate/src/wasm.rs left its message on the global object.
      const message = self.metapoolPanic || e.message;
      delete self.metapoolPanic;
      return { type: 'panic', id, message };
    }
    return { type: 'result', id, error: errorOf(e), ms: performance.now() - t0 };
  }
}

self.addEventListener('message', async (event) => {
  const m = event.data;
  if (m?.type === 'init') {
    started = core.default({ module_or_path: m.module }).then(
      () => self.postMessage({ type: 'ready' }),
      (e) => self.postMessage({ type: 'failed', message: String(e?.message ?? e) }),
    );
  } else if (m?.type === 'analyze') {
    await started;
    self.postMessage(analyze(m.id, m.doc));
  }
});
