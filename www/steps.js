// Fitting a GOSH run in chunks: the core's GoshRun fits its subsets a step at a time, and whoever
// drives it (the GOSH worker, or the page itself where no worker starts) gives back control
// between chunks, so that progress can be shown and a cancel heard. No statistics here.

/**
 * Steps `run` (a core `GoshRun`) to its end in chunks of about `chunkMs` milliseconds of work: a
 * chunk's number of subsets follows the time the last one took (at most four times as many as
 * the last). After each chunk `onProgress({done, total})` is called, then `await pause()`, then
 * `wanted()`: false stops the run there.
 * @returns {Promise<boolean>} true when every subset was fitted, false when stopped
 */
export async function stepInChunks(run, { chunkMs, onProgress, pause, wanted }) {
  let n = 16;
  for (;;) {
    const t0 = performance.now();
    const p = run.step(n);
    const ms = performance.now() - t0;
    onProgress(p);
    if (p.done >= p.total) return true;
    n = Math.max(1, Math.min(n * 4, 2 ** 30, Math.round((n * chunkMs) / Math.max(ms, 0.1))));
    await pause();
    if (!wanted()) return false;
  }
}
