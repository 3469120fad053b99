// The table is never lost: every state of the page's document (the grid's cells, names and roles,
// and the options) is kept for undo and redo, and the newest is kept in this browser's
// localStorage so that it survives a reload (unless the user opts out). A state is one string:
// JSON of {v: 1, grid: {headers, rows, sep, roles}, options}, the same for the history and for
// storage. What comes back from storage is checked like anything from outside.

import { validateDoc } from './share.js';

/** The stored table's key, and the key of the opt-out ("no": keep nothing). */
const KEY = 'metapool:table';
const KEEP_KEY = 'metapool:keep';
/** Undo steps kept, and the most characters all of them may hold together. */
const MAX_STEPS = 200;
const MAX_CHARS = 20_000_000;
/** A save waits this long for further edits (a reload or leaving the page saves at once). */
const SAVE_DELAY_MS = 300;

const SEPARATORS = [',', ';', '\t'];

// ---- states ----

/** The state string for a grid snapshot and the document's options. */
export function stateOf(grid, options) {
  return JSON.stringify({ v: 1, grid, options });
}

const isStrings = (a) => Array.isArray(a) && a.every((x) => typeof x === 'string');

/**
 * Reads a state string back; returns {grid, options} or null when it is not a state this page
 * wrote (damaged, from another version, or tampered with). The options are checked as a link's
 * are, unless `trusted` (a state of this page's own history, which may hold any option it sets).
 */
export function parseState(text, { trusted = false } = {}) {
  let s;
  try {
    s = JSON.parse(text);
  } catch {
    return null;
  }
  if (s === null || typeof s !== 'object' || s.v !== 1) return null;
  const g = s.grid;
  if (g === null || typeof g !== 'object' || !isStrings(g.headers) || !Array.isArray(g.rows)
    || !g.rows.every(isStrings) || !SEPARATORS.includes(g.sep)
    || g.roles === null || typeof g.roles !== 'object' || Array.isArray(g.roles)) return null;
  const width = g.headers.length;
  const rows = g.rows.map((r) => (r.length === width ? r : [...r, ...Array(width).fill('')].slice(0, width)));
  const roles = Object.create(null);
  for (const [name, role] of Object.entries(g.roles)) {
    if (typeof role !== 'string') return null;
    roles[name] = role;
  }
  let options = s.options ?? {};
  if (!trusted) {
    try {
      ({ options } = validateDoc({ data: '', options }));
    } catch {
      return null;
    }
  }
  return { grid: { headers: g.headers, rows, sep: g.sep, roles }, options };
}

// ---- undo and redo ----

/** Text fields whose own undo the browser keeps (text-like inputs, text areas, editable elements). */
function isTextField(el) {
  if (el instanceof HTMLTextAreaElement) return !el.readOnly;
  if (el instanceof HTMLInputElement) {
    return !el.readOnly && /^(text|search|url|tel|email|password|number)$/.test(el.type);
  }
  return el instanceof HTMLElement && el.isContentEditable;
}

/**
 * The page's undo history: one step per change of the document. Everything done in one text
 * field while it has the focus (typing, deleting, pasting one value, the browser's own undo and
 * redo there) is one step, as a spreadsheet's cell edit is; a step that comes back to the state
 * before it (the typing taken back) is undone, and can be redone.
 */
export class History {
  constructor() {
    /** @type {string[]} */
    this.states = [];
    this.at = -1;
    /** The text field being edited, and the index of the step its edits go into. */
    this.field = null;
    this.fieldStep = -1;
    /** The field's step as it was before the browser's own undo began taking it back. */
    this.peak = null;
    /** The text field of the last input event, and when it came. */
    this.lastInput = null;
    this.lastRecord = 0;
    /** Set by the page while it puts a state back: the next record is that state. */
    this.restoring = false;
    this.listeners = [];
    document.addEventListener('input', (e) => {
      this.lastInput = {
        field: isTextField(e.target) ? e.target : null,
        undoing: /^history/.test(e.inputType ?? ''),
        time: performance.now(),
      };
    }, true);
    document.addEventListener('focusout', (e) => {
      if (e.target === this.field) this.field = null;
    }, true);
  }

  /** Calls `fn()` whenever what can be undone or redone changes. */
  onChange(fn) {
    this.listeners.push(fn);
  }

  #changed() {
    for (const fn of this.listeners) fn();
  }

  get canUndo() {
    return this.at > 0;
  }

  get canRedo() {
    return this.at < this.states.length - 1;
  }

  get current() {
    return this.states[this.at] ?? null;
  }

  /** Puts a state below everything (the stored table, so that undo goes back to it). */
  seed(state) {
    if (this.states.length === 0) {
      this.states.push(state);
      this.at = 0;
      this.#changed();
    }
  }

  /** Records the page's state after a change (see the class's comment for what makes a step). */
  record(state) {
    const now = performance.now();
    const input = this.lastInput && this.lastInput.time >= this.lastRecord ? this.lastInput : null;
    const field = input?.field ?? null;
    this.lastRecord = now;
    if (this.restoring) {
      this.restoring = false;
      if (this.at >= 0) this.states[this.at] = state;
      return;
    }
    if (state === this.current) return;
    if (field && field === this.field && this.at === this.fieldStep) {
      // More of the same field's edit. The browser's own undo taking it back keeps what it took
      // back for a redo, as the browser's own redo would.
      if (input.undoing) this.peak ??= this.states[this.at];
      else this.peak = null;
      if (state === this.states[this.at - 1]) {
        // Back to where the edit began: it is undone, and can be redone.
        if (this.peak != null) this.states[this.at] = this.peak;
        this.peak = null;
        this.at--;
      } else {
        this.states[this.at] = state;
        this.states.length = this.at + 1;
      }
    } else {
      this.states.length = this.at + 1;
      this.states.push(state);
      this.at++;
      this.field = field;
      this.fieldStep = field ? this.at : -1;
      this.peak = null;
      this.#trim();
    }
    this.#changed();
  }

  /** Drops the oldest steps beyond the limits (the current one always stays). */
  #trim() {
    let chars = this.states.reduce((n, s) => n + s.length, 0);
    while (this.at > 0 && (this.states.length > MAX_STEPS || chars > MAX_CHARS)) {
      chars -= this.states.shift().length;
      this.at--;
      this.fieldStep--;
    }
  }

  /** The state to go back to, or null; the caller restores it. */
  undo() {
    return this.#move(-1);
  }

  redo() {
    return this.#move(1);
  }

  #move(by) {
    const to = this.at + by;
    if (to < 0 || to >= this.states.length) return null;
    this.at = to;
    this.field = null;
    this.#changed();
    return this.states[to];
  }
}

// ---- keys ----

const fieldValue = (el) => (el.isContentEditable ? el.textContent : el.value);

/**
 * Ctrl/Cmd+Z undoes, Ctrl+Shift+Z, Cmd+Shift+Z and Ctrl+Y redo: the page's undo, across cells,
 * pasted blocks, deleted rows and options. Inside a text field that the user has typed in since
 * entering it the keys are left to the browser, whose own undo takes back that typing (as in a
 * spreadsheet's cell while it is being edited); once the field is back to what it held, or
 * anywhere else, the keys go to the page.
 */
export function bindKeys(onUndo, onRedo) {
  const entered = new WeakMap();
  document.addEventListener('focusin', (e) => {
    if (isTextField(e.target)) entered.set(e.target, fieldValue(e.target));
  });
  document.addEventListener('keydown', (e) => {
    if (e.altKey || !(e.ctrlKey || e.metaKey) || e.isComposing) return;
    const key = e.key.toLowerCase();
    const undo = key === 'z' && !e.shiftKey;
    const redo = (key === 'z' && e.shiftKey) || (key === 'y' && e.ctrlKey && !e.shiftKey);
    if (!undo && !redo) return;
    const t = e.target;
    if (isTextField(t) && entered.has(t) && fieldValue(t) !== entered.get(t)) return;
    e.preventDefault();
    if (undo) onUndo(); else onRedo();
  });
  /** After the page itself set the focused field's value: that is now what it holds on entry. */
  return function rebase() {
    const el = document.activeElement;
    if (isTextField(el)) entered.set(el, fieldValue(el));
  };
}

// ---- storage ----

function storageOrNull() {
  try {
    const s = globalThis.localStorage;
    const probe = `${KEY}:probe`;
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return null; // storage disabled, a sandboxed frame, or full
  }
}

export class Store {
  constructor() {
    this.storage = storageOrNull();
    this.timer = 0;
    this.pendingState = null;
    /** Set when the last save failed (the table is too large for this browser's storage). */
    this.failed = false;
    this.onProblem = () => {};
    const flush = () => this.flush();
    addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flush(); });
  }

  /** True when this browser lets the page keep anything. */
  get available() {
    return this.storage != null;
  }

  /** True unless the user opted out (or there is no storage). */
  get keeping() {
    return this.available && this.storage.getItem(KEEP_KEY) !== 'no';
  }

  /** The stored state string, or null. */
  load() {
    if (!this.keeping) return null;
    try {
      return this.storage.getItem(KEY);
    } catch {
      return null;
    }
  }

  /** Keeps `state` (a little later, so that a burst of edits makes one write). */
  save(state) {
    if (!this.keeping) return;
    this.pendingState = state;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = 0;
    const state = this.pendingState;
    this.pendingState = null;
    if (state == null || !this.keeping) return;
    try {
      this.storage.setItem(KEY, state);
      this.failed = false;
    } catch {
      // Over the quota: an old copy would be wrong, so none is kept.
      this.storage.removeItem(KEY);
      if (!this.failed) this.onProblem('The table is too large to keep in this browser; it will not survive a reload. Download it or copy a link to keep it.');
      this.failed = true;
    }
  }

  /** Keep (true) or stop keeping and forget what was kept (false). */
  setKeeping(on, state) {
    if (!this.available) return;
    clearTimeout(this.timer);
    this.pendingState = null;
    if (on) {
      this.storage.removeItem(KEEP_KEY);
      if (state != null) this.save(state);
    } else {
      this.storage.removeItem(KEY);
      this.storage.setItem(KEEP_KEY, 'no');
    }
  }
}
