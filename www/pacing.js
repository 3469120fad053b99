// When the plots are drawn. The core draws them on the main thread (plotters measures every text
// it writes in the page's DOM), and the time grows with the studies: a forest plot of 100 rows
// takes tens of milliseconds, of 1,000 rows more than half a second. So that typing never waits
// for a plot:
//   - up to AT_ONCE studies the plots are drawn with the results, as soon as they come;
//   - up to AUTO studies each plot is drawn in a task of its own, once typing has paused;
//   - above that a plot is drawn when the user asks for it (a "Draw" button in its place), and a
//     forest-like plot of more than CANVAS_ROWS rows is not drawn on the page at all (a canvas
//     that tall is more than browsers draw).
// The results' table of studies lists the first LISTED_STUDIES unless the user asks for all
// (Download CSV has them all).
// No statistics here.

export const AT_ONCE = 100;
/** Studies listed in the results' table of studies unless the user asks for all (the CSV has all). */
export const LISTED_STUDIES = 100;
/** Most studies listed when the user asks for all. */
const LIST_AT_MOST = 2000;
export const AUTO = 1000;
export const CANVAS_ROWS = 1500;
/** Typing has paused when no key or edit came for this long (ms). */
const PAUSE_MS = 500;

let lastInput = -Infinity;
for (const type of ['keydown', 'input', 'paste']) {
  document.addEventListener(type, () => { lastInput = performance.now(); }, true);
}

const plural = (n) => n.toLocaleString('en-US');

export class PlotPacer {
  /** @param {(plot: {kind: string, rows?: boolean}) => void} draw draws one plot on its canvas */
  constructor(draw) {
    this.draw = draw;
    this.report = null;
    /** Plots drawn on request for this report (drawn again on a resize). */
    this.requested = new Set();
    this.queue = [];
    this.timer = 0;
  }

  /** Draws, queues or offers to draw each of `plots` (those shown) for `report`. */
  plan(report, plots) {
    if (report !== this.report) {
      this.report = report;
      this.requested.clear();
    }
    clearTimeout(this.timer);
    this.timer = 0;
    const k = report.studies?.length ?? 0;
    this.queue = [];
    for (const p of plots) {
      if (p.rows && k > CANVAS_ROWS) {
        this.#offer(p, `With ${plural(k)} studies this plot would be taller than a browser can draw, so it is not drawn here. Download CSV has every study's numbers.`, false);
      } else if (k > AUTO && !this.requested.has(p.kind)) {
        this.#offer(p, `With ${plural(k)} studies the plots are drawn when you ask: drawing takes a moment, during which the page does not respond.`, true);
      } else if (k > AT_ONCE && !this.requested.has(p.kind)) {
        document.getElementById(p.kind).closest('figure').classList.add('pending');
        this.queue.push(p);
      } else {
        this.#show(p);
      }
    }
    this.#next();
  }

  /** Draws the queued plots one per task, each when typing has paused. */
  #next() {
    if (this.queue.length === 0) return;
    const wait = lastInput + PAUSE_MS - performance.now();
    this.timer = setTimeout(() => {
      this.timer = 0;
      if (lastInput + PAUSE_MS > performance.now()) {
        this.#next();
        return;
      }
      this.#show(this.queue.shift());
      this.#next();
    }, Math.max(0, wait));
  }

  #show(p) {
    noteOf(p)?.remove();
    document.getElementById(p.kind).closest('figure').classList.remove('pending');
    buttons(p, true);
    this.draw(p);
  }

  /** Puts a note (and a button to draw it, if `drawable`) in the plot's place. */
  #offer(p, text, drawable) {
    const canvas = document.getElementById(p.kind);
    canvas.parentElement.hidden = true;
    buttons(p, false);
    let note = noteOf(p);
    if (!note) {
      note = document.createElement('p');
      note.className = 'plot-note';
      canvas.closest('figure').append(note);
    }
    const words = document.createElement('span');
    words.textContent = `${text} `;
    note.replaceChildren(words);
    if (drawable) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Draw this plot';
      button.addEventListener('click', () => {
        this.requested.add(p.kind);
        this.#show(p);
      });
      note.append(button);
    }
  }
}

function noteOf(p) {
  return document.getElementById(p.kind).closest('figure').querySelector('.plot-note');
}

/** Enables or disables a plot's downloads (nothing to save before it is drawn). */
function buttons(p, on) {
  for (const kind of ['svg', 'png']) {
    const b = document.getElementById(`${p.kind}-${kind}`);
    if (b) b.disabled = !on;
  }
}

let listAll = false;

/**
 * How many of k studies the results' table lists; says so in `note` when not all, with a button
 * to list all that calls `relist()` (up to LIST_AT_MOST studies).
 */
export function studiesToList(k, note, relist) {
  const n = listAll ? Math.min(k, LIST_AT_MOST) : Math.min(k, LISTED_STUDIES);
  note.hidden = n === k;
  if (n === k) return n;
  const words = document.createElement('span');
  words.textContent = `The first ${plural(n)} of ${plural(k)} studies are listed; Download CSV has them all. `;
  note.replaceChildren(words);
  if (!listAll && k <= LIST_AT_MOST) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `List all ${plural(k)}`;
    button.title = 'A long list makes every edit slower to show';
    button.addEventListener('click', () => {
      listAll = true;
      relist();
    });
    note.append(button);
  }
  return n;
}
