// Starts compiling the core (preloaded by index.html) while the modules load: an async classic
// script, which runs before the modules as a rule (www/engine.js compiles the core itself
// otherwise). www/engine.js's compileCore() takes the compiled module from
// here. No statistics here.
'use strict';
(() => {
  const url = new URL('../pkg/metapool_bg.wasm', document.currentScript.src);
  const load = async () => {
    try {
      return await WebAssembly.compileStreaming(fetch(url));
    } catch {
      // A server that does not send application/wasm.
      const res = await fetch(url);
      if (!res.ok) throw new Error(`could not load the core (${res.status})`);
      return WebAssembly.compile(await res.arrayBuffer());
    }
  };
  const compiled = load();
  compiled.catch(() => {}); // reported where it is awaited (www/app.js)
  globalThis.metapoolCompiled = compiled;
})();
