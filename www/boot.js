// Fetches and compiles the core (preloaded by index.html) while the modules load. A deferred
// classic script: it runs before the modules (deferred scripts and modules run in document
// order), so www/engine.js finds both of these. No statistics here.
//   metapoolCompileAt(url)  fetches and compiles a core, streaming where the server sends
//                           application/wasm (engine.js compiles the full core with it too);
//   metapoolCompiled        the first core (pkg/metapool_bg.wasm), compiling.
'use strict';
(() => {
  const compileAt = async (url) => {
    try {
      return await WebAssembly.compileStreaming(fetch(url));
    } catch {
      // A server that does not send application/wasm.
      const res = await fetch(url);
      if (!res.ok) throw new Error(`could not load the core (${res.status})`);
      return WebAssembly.compile(await res.arrayBuffer());
    }
  };
  const compiled = compileAt(new URL('../pkg/metapool_bg.wasm', document.currentScript.src));
  compiled.catch(() => {}); // reported where it is awaited (www/app.js)
  globalThis.metapoolCompileAt = compileAt;
  globalThis.metapoolCompiled = compiled;
})();
