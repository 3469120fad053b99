// The editable data grid: a header row of column names, a role menu per column, and one row per
// study. It holds text only; the Rust core reads the numbers. Everything the user typed is shown
// with textContent or input values, never as markup.

/** Roles a column can take, as the core names them, with words for the menu. */
export const ROLES = [
  ['study', 'Study label'],
  ['yi', 'Effect (yi)'],
  ['vi', 'Variance (vi)'],
  ['sei', 'Standard error (sei)'],
  ['lower', 'CI lower limit'],
  ['upper', 'CI upper limit'],
  ['a', 'Path a'],
  ['sa', 'SE of path a'],
  ['b', 'Path b'],
  ['sb', 'SE of path b'],
  ['cov_ab', 'Covariance of a and b'],
  ['other', 'Other (not used)'],
];

/**
 * Splits CSV or TSV text into cells. The separator is judged from the first line as the core
 * does: a tab if it has one, else `;` if it has more semicolons than commas, else `,`.
 * Quoted cells may hold separators, quotes ("") and line breaks.
 * @returns {{rows: string[][], sep: string}}
 */
export function splitDelimited(text) {
  text = text.replace(/^\uFEFF/, '');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const count = (ch) => firstLine.split(ch).length - 1;
  const sep = firstLine.includes('\t') ? '\t' : count(';') > count(',') ? ';' : ',';
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { cell += '"'; i++; } else { quoted = false; }
      } else {
        cell += ch;
      }
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === sep) {
      row.push(cell); cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else {
      cell += ch;
    }
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return { rows: rows.filter((r) => r.some((c) => c.trim() !== '')), sep };
}

/** Reads a whole table (header row first) from CSV or TSV text. */
export function parseTable(text) {
  const { rows, sep } = splitDelimited(text);
  const width = Math.max(0, ...rows.map((r) => r.length));
  const pad = (r) => [...r, ...Array(width - r.length).fill('')];
  const [headers = [], ...body] = rows.map(pad);
  return { headers: headers.map((h) => h.trim()), rows: body, sep };
}

function quoteCell(cell, sep) {
  return /["\r\n]/.test(cell) || cell.includes(sep) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** True when the first line of a pasted block reads as column names (no cell is a number). */
function looksLikeHeader(text) {
  const [first = []] = splitDelimited(text).rows;
  return first.length > 1 && first.every((c) => !/^\s*[-+\u2212]?[\d.,]+(e[-+]?\d+)?\s*$/i.test(c));
}

const isBlank = (row) => row.every((c) => c.trim() === '');

/**
 * A table longer than this shows only the rows in view and WINDOW_MARGIN rows above and below
 * (with empty space for the rest), so that one with 10,000 rows is as quick as one with 50: every
 * cell is an <input>, and tens of thousands of them make each keystroke's layout slow.
 */
const WINDOW_FROM = 300;
const WINDOW_MARGIN = 40;

/** A map keyed by column names: no prototype, so names like "__proto__" or "constructor" are plain keys. */
const byName = (entries = {}) => Object.assign(Object.create(null), entries);

export class Grid {
  /**
   * @param {HTMLElement} root where the table goes
   * @param {{onChange: () => void}} hooks onChange after every edit of cells, names or roles
   */
  constructor(root, { onChange }) {
    this.root = root;
    this.onChange = onChange;
    this.headers = [];
    this.rows = [];
    this.sep = ',';
    /** Roles chosen by the user, by column name. */
    this.roles = byName();
    /** Roles the core detected, by column name (from the last report). */
    this.detected = byName();
    this.mark = null;
    /** Rows from..to-1 are in the DOM (all of them below WINDOW_FROM rows). */
    this.from = 0;
    this.to = 0;
    this.windowed = false;
    this.rowHeight = 0;
    this.scrollQueued = false;
    root.addEventListener('scroll', () => this.#onScroll(), { passive: true });
    root.addEventListener('input', (e) => this.#onInput(e));
    root.addEventListener('change', (e) => this.#onRoleChange(e));
    root.addEventListener('paste', (e) => this.#onPaste(e));
    root.addEventListener('keydown', (e) => this.#onKey(e));
    root.addEventListener('click', (e) => this.#onClick(e));
  }

  /** Replaces everything with a table read from text (a file, an example, a shared document). */
  setText(text, roles = {}) {
    const t = parseTable(text);
    this.headers = t.headers;
    this.rows = t.rows;
    this.sep = t.sep;
    this.roles = byName(roles);
    this.detected = byName();
    if (this.headers.length === 0) this.#blank();
    this.render();
  }

  #blank() {
    this.headers = ['study', 'yi', 'vi'];
    this.rows = Array.from({ length: 5 }, () => ['', '', '']);
    this.sep = ',';
  }

  clear() {
    this.#blank();
    this.roles = byName();
    this.detected = byName();
    this.render();
    this.onChange();
  }

  /**
   * Everything the grid holds (names, cells, separator, chosen roles), for undo and storage.
   * It shares the grid's arrays: serialise it before the next edit.
   */
  state() {
    return { headers: this.headers, rows: this.rows, sep: this.sep, roles: this.roles };
  }

  /**
   * Puts back what state() gave (an undo, a redo, the stored table), without calling onChange.
   * With the same columns and number of rows only the cells that differ are rewritten, so the
   * focus and the scroll position stay.
   */
  restore({ headers, rows, sep, roles }) {
    const before = this.rows;
    const same = headers.length === this.headers.length && rows.length === before.length
      && headers.every((h, j) => h === this.headers[j]);
    this.headers = [...headers];
    this.rows = rows.map((r) => [...r]);
    this.sep = sep;
    this.roles = byName(roles);
    if (!same) {
      this.render();
      return;
    }
    this.rows.forEach((cells, i) => cells.forEach((v, j) => {
      if (v === before[i][j]) return;
      const input = this.#cell(i, j);
      if (input) input.value = v;
    }));
    this.root.querySelectorAll('select.role').forEach((sel) => {
      const name = this.headers[Number(sel.dataset.col)];
      sel.value = this.roles[name] ?? '';
      sel.dataset.role = this.roles[name] ?? this.detected[name] ?? '';
    });
  }

  /** True when no data cell holds anything. */
  isEmpty() {
    return this.rows.every(isBlank);
  }

  /**
   * The data as CSV (or TSV/semicolons, as it came in, so decimal commas keep working), without
   * blank rows, and for each data row (from 1, as the core counts) the grid row it came from.
   */
  toText() {
    const lines = [this.headers.map((h) => quoteCell(h, this.sep)).join(this.sep)];
    const rowOf = [null];
    this.rows.forEach((r, i) => {
      if (isBlank(r)) return;
      lines.push(r.map((c) => quoteCell(c, this.sep)).join(this.sep));
      rowOf.push(i);
    });
    return { text: lines.join('\n') + '\n', rowOf };
  }

  /**
   * The header and the grid rows `gridRows` (indices, as toText's rowOf gives them) as text in
   * the grid's separator: a part of the data, e.g. the studies of one row of a summary table.
   */
  textOfRows(gridRows) {
    const lines = [this.headers.map((h) => quoteCell(h, this.sep)).join(this.sep)];
    for (const i of gridRows) {
      const r = this.rows[i];
      if (r) lines.push(r.map((c) => quoteCell(c, this.sep)).join(this.sep));
    }
    return lines.join('\n') + '\n';
  }

  /** The user's role choices for columns that exist. */
  chosenRoles() {
    const out = byName();
    for (const name of this.headers) if (this.roles[name]) out[name] = this.roles[name];
    return out;
  }

  /** Shows the roles the core gave each column (report.columns). */
  showDetected(columns) {
    this.detected = byName();
    for (const c of columns ?? []) this.detected[c.name] = c.role;
    this.root.querySelectorAll('select.role').forEach((sel) => {
      const name = this.headers[Number(sel.dataset.col)];
      sel.options[0].textContent = this.#autoLabel(name);
      sel.dataset.role = this.roles[name] ?? this.detected[name] ?? '';
    });
  }

  #autoLabel(name) {
    const role = this.detected[name];
    return role ? `auto: ${role}` : 'auto';
  }

  /**
   * Marks the cell (or row, or column) an error is about. `row` is the core's data row (from 1),
   * `column` a header name; either may be null.
   */
  markError(row, column, message, rowOf) {
    const gridRow = row != null && rowOf[row] != null ? rowOf[row] : null;
    const col = column != null ? this.headers.findIndex((h) => h === column) : -1;
    this.mark = { gridRow, col: col >= 0 ? col : null, message };
    this.#applyMark();
  }

  clearError() {
    this.mark = null;
    this.#applyMark();
  }

  #applyMark({ scroll = true } = {}) {
    const m = this.mark;
    const away = document.activeElement?.closest?.('#' + this.root.id) == null;
    if (scroll && away && m?.gridRow != null) this.#reveal(m.gridRow);
    this.root.querySelectorAll('.bad').forEach((el) => {
      el.classList.remove('bad');
      el.removeAttribute('aria-invalid');
      el.removeAttribute('title');
    });
    if (!m || (m.gridRow == null && m.col == null)) return;
    let targets;
    if (m.gridRow != null && m.col != null) targets = [this.#cell(m.gridRow, m.col)];
    else if (m.gridRow != null) targets = [...this.root.querySelectorAll(`tbody tr[data-row="${m.gridRow}"] input`)];
    else targets = [this.root.querySelector(`thead input[data-col="${m.col}"]`)];
    for (const el of targets) {
      if (!el) continue;
      el.classList.add('bad');
      el.setAttribute('aria-invalid', 'true');
      el.title = m.message;
    }
    const first = targets.find(Boolean);
    if (scroll && first && away) first.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  #cell(r, c) {
    return this.root.querySelector(`tbody input[data-row="${r}"][data-col="${c}"]`);
  }

  /** The input of grid row r, column c, scrolled into the rendered rows first if need be. */
  #shownCell(r, c) {
    this.#reveal(r);
    return this.#cell(r, c);
  }

  addRow() {
    this.rows.push(Array(this.headers.length).fill(''));
    this.render();
    this.#shownCell(this.rows.length - 1, 0)?.focus();
  }

  addColumn() {
    let n = this.headers.length + 1;
    while (this.headers.includes(`column${n}`)) n++;
    this.headers.push(`column${n}`);
    this.rows.forEach((r) => r.push(''));
    this.render();
    this.root.querySelector(`thead input[data-col="${this.headers.length - 1}"]`)?.focus();
    this.onChange();
  }

  deleteRow(i) {
    this.rows.splice(i, 1);
    if (this.rows.length === 0) this.rows.push(Array(this.headers.length).fill(''));
    this.render();
    this.onChange();
  }

  deleteColumn(j) {
    const [name] = this.headers.splice(j, 1);
    delete this.roles[name];
    this.rows.forEach((r) => r.splice(j, 1));
    if (this.headers.length === 0) this.#blank();
    this.render();
    this.onChange();
  }

  /** Pastes a block of cells with its top-left corner at grid row `r` (-1: the header), column `c`. */
  pasteBlock(text, r, c) {
    const { rows: block } = splitDelimited(text);
    if (block.length === 0) return;
    const width = Math.max(...block.map((b) => b.length));
    while (this.headers.length < c + width) {
      this.headers.push('');
      this.rows.forEach((row) => row.push(''));
    }
    block.forEach((cells, i) => {
      const target = r + i;
      if (target === -1) {
        cells.forEach((v, j) => { this.#renameColumn(c + j, v.trim()); });
        return;
      }
      while (this.rows.length <= target) this.rows.push(Array(this.headers.length).fill(''));
      cells.forEach((v, j) => { this.rows[target][c + j] = v.trim(); });
    });
    this.render();
    this.onChange();
  }

  #renameColumn(j, name) {
    const old = this.headers[j];
    this.headers[j] = name;
    if (old in this.roles) {
      this.roles[name] = this.roles[old];
      delete this.roles[old];
    }
  }

  render() {
    const table = document.createElement('table');
    table.className = 'grid';
    const thead = table.createTHead();
    const names = thead.insertRow();
    const roles = thead.insertRow();
    roles.className = 'roles';
    const corner = document.createElement('th');
    corner.className = 'rownum';
    corner.textContent = '#';
    names.append(corner);
    const roleCorner = document.createElement('th');
    roleCorner.className = 'rownum';
    roleCorner.textContent = 'role';
    roles.append(roleCorner);

    // Each column as wide as its longest text (within limits), in characters.
    const widths = this.headers.map((h, j) => Math.min(22, Math.max(7, h.length + 3,
      ...this.rows.slice(0, 200).map((r) => (r[j] ?? '').length + 1))));

    this.headers.forEach((name, j) => {
      const th = document.createElement('th');
      th.style.minWidth = `${widths[j] + 2}ch`;
      th.scope = 'col';
      const wrap = document.createElement('div');
      wrap.className = 'head-cell';
      const input = document.createElement('input');
      input.type = 'text';
      input.value = name;
      input.dataset.col = String(j);
      input.dataset.row = '-1';
      input.setAttribute('aria-label', `Name of column ${j + 1}`);
      input.spellcheck = false;
      input.autocomplete = 'off';
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'icon delete-col';
      del.dataset.col = String(j);
      del.textContent = '×';
      del.title = `Delete column ${name || j + 1}`;
      del.setAttribute('aria-label', del.title);
      wrap.append(input, del);
      th.append(wrap);
      names.append(th);

      const td = document.createElement('th');
      const sel = document.createElement('select');
      sel.className = 'role';
      sel.dataset.col = String(j);
      sel.setAttribute('aria-label', `Role of column ${name || j + 1}`);
      const auto = document.createElement('option');
      auto.value = '';
      auto.textContent = this.#autoLabel(name);
      sel.append(auto);
      for (const [value, words] of ROLES) {
        const o = document.createElement('option');
        o.value = value;
        o.textContent = words;
        sel.append(o);
      }
      sel.value = this.roles[name] ?? '';
      sel.dataset.role = this.roles[name] ?? this.detected[name] ?? '';
      td.append(sel);
      roles.append(td);
    });

    const tbody = table.createTBody();
    this.windowed = this.rows.length > WINDOW_FROM;
    if (this.windowed) {
      // Rows outside the window are empty space of the same height; screen readers get the count.
      table.setAttribute('aria-rowcount', String(this.rows.length + 2));
      [this.from, this.to] = this.#wanted();
      tbody.append(this.#gap(), ...this.#rowElements(this.from, this.to), this.#gap());
      this.#sizeGaps(tbody);
    } else {
      [this.from, this.to] = [0, this.rows.length];
      tbody.append(...this.#rowElements(0, this.rows.length));
    }
    this.root.replaceChildren(table);
    if (this.windowed && !this.rowHeight) {
      this.rowHeight = tbody.querySelector('tr[data-row]')?.offsetHeight || 0;
      if (this.rowHeight) this.#sizeGaps(tbody);
    }
    this.#applyMark();
  }

  /** The <tr> elements of grid rows from..to-1. */
  #rowElements(from, to) {
    const out = [];
    for (let i = from; i < to; i++) {
      const cells = this.rows[i];
      const tr = document.createElement('tr');
      tr.dataset.row = String(i);
      if (this.windowed) tr.setAttribute('aria-rowindex', String(i + 3));
      const num = document.createElement('th');
      num.scope = 'row';
      num.className = 'rownum';
      const label = document.createElement('span');
      label.textContent = String(i + 1);
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'icon delete-row';
      del.dataset.row = String(i);
      del.textContent = '×';
      del.title = `Delete row ${i + 1}`;
      del.setAttribute('aria-label', del.title);
      num.append(label, del);
      tr.append(num);
      cells.forEach((value, j) => {
        const td = tr.insertCell();
        const input = document.createElement('input');
        input.type = 'text';
        input.value = value;
        input.dataset.row = String(i);
        input.dataset.col = String(j);
        input.spellcheck = false;
        input.autocomplete = 'off';
        input.setAttribute('aria-label', `Row ${i + 1}, ${this.headers[j] || 'column ' + (j + 1)}`);
        td.append(input);
      });
      out.push(tr);
    }
    return out;
  }

  // ---- the window of rendered rows (tables longer than WINDOW_FROM) ----

  /** Height of one row in CSS pixels (measured once; a guess until then). */
  get #height() {
    return this.rowHeight || 34;
  }

  /** The rows in view, [first, last + 1), at the current scroll position. */
  #visible() {
    const first = Math.floor(Math.max(0, this.root.scrollTop) / this.#height);
    return [first, first + Math.ceil((this.root.clientHeight || 600) / this.#height)];
  }

  /** The rows to render: those in view and a margin. */
  #wanted() {
    const [first, end] = this.#visible();
    return [Math.max(0, first - WINDOW_MARGIN), Math.min(this.rows.length, end + WINDOW_MARGIN)];
  }

  #gap() {
    const tr = document.createElement('tr');
    tr.className = 'gap';
    tr.setAttribute('aria-hidden', 'true');
    const td = tr.insertCell();
    td.colSpan = this.headers.length + 1;
    return tr;
  }

  #sizeGaps(tbody) {
    tbody.firstElementChild.cells[0].style.height = `${this.from * this.#height}px`;
    tbody.lastElementChild.cells[0].style.height = `${(this.rows.length - this.to) * this.#height}px`;
  }

  #onScroll() {
    if (!this.windowed || this.scrollQueued) return;
    this.scrollQueued = true;
    requestAnimationFrame(() => {
      this.scrollQueued = false;
      this.#slide();
    });
  }

  /**
   * Moves the window to the scroll position when fewer than half the margin's rows are left
   * beyond the view on a side. Rows that stay in the window are kept as they are (with the focus
   * and the text being typed); the others are removed or made.
   */
  #slide(force = false) {
    if (!this.windowed) return;
    const [first, end] = this.#visible();
    const slack = WINDOW_MARGIN / 2;
    const topOk = this.from === 0 || first - this.from >= slack;
    const bottomOk = this.to === this.rows.length || this.to - end >= slack;
    if (!force && topOk && bottomOk) return;
    const [from, to] = this.#wanted();
    const tbody = this.root.querySelector('tbody');
    const kept = [...tbody.querySelectorAll('tr[data-row]')];
    for (const tr of kept) {
      const i = Number(tr.dataset.row);
      if (i < from || i >= to) tr.remove();
    }
    const stayFrom = Math.max(from, this.from);
    const stayTo = Math.min(to, this.to);
    if (stayFrom < stayTo) {
      tbody.firstElementChild.after(...this.#rowElements(from, stayFrom));
      tbody.lastElementChild.before(...this.#rowElements(stayTo, to));
    } else {
      tbody.lastElementChild.before(...this.#rowElements(from, to));
    }
    [this.from, this.to] = [from, to];
    this.#sizeGaps(tbody);
    this.#applyMark({ scroll: false });
  }

  /** Scrolls a windowed table so that grid row r is rendered (and about in the middle of the view). */
  #reveal(r) {
    if (!this.windowed || (r >= this.from && r < this.to)) return;
    this.root.scrollTop = Math.max(0, r * this.#height - this.root.clientHeight / 2);
    this.#slide(true);
  }

  #onInput(e) {
    const t = e.target;
    if (!(t instanceof HTMLInputElement)) return;
    const r = Number(t.dataset.row);
    const c = Number(t.dataset.col);
    if (r === -1) {
      this.#renameColumn(c, t.value.trim());
      const sel = this.root.querySelector(`select.role[data-col="${c}"]`);
      if (sel) sel.value = this.roles[t.value.trim()] ?? '';
    } else {
      this.rows[r][c] = t.value;
    }
    this.onChange();
  }

  #onRoleChange(e) {
    const sel = e.target;
    if (!(sel instanceof HTMLSelectElement) || !sel.classList.contains('role')) return;
    const name = this.headers[Number(sel.dataset.col)];
    if (sel.value) this.roles[name] = sel.value; else delete this.roles[name];
    sel.dataset.role = sel.value || this.detected[name] || '';
    this.onChange();
  }

  #onPaste(e) {
    const t = e.target;
    if (!(t instanceof HTMLInputElement)) return;
    const text = e.clipboardData?.getData('text/plain') ?? '';
    // One value goes into the cell as usual; a block (tabs or several lines) fills the grid.
    if (!/[\t\n\r]/.test(text.replace(/[\r\n]+$/, ''))) return;
    e.preventDefault();
    if (this.isEmpty() && looksLikeHeader(text)) {
      // A whole table with its header into an empty grid: it replaces the grid.
      this.setText(text);
      this.onChange();
      return;
    }
    this.pasteBlock(text, Number(t.dataset.row), Number(t.dataset.col));
  }

  #onKey(e) {
    const t = e.target;
    if (!(t instanceof HTMLInputElement)) return;
    const r = Number(t.dataset.row);
    const c = Number(t.dataset.col);
    let next = null;
    if (e.key === 'Enter' || (e.key === 'ArrowDown' && !e.altKey)) {
      if (r === this.rows.length - 1 && e.key === 'Enter') {
        this.addRow();
        this.#shownCell(this.rows.length - 1, c)?.focus();
        e.preventDefault();
        return;
      }
      next = r + 1 < this.rows.length ? this.#shownCell(r + 1, c) : null;
    } else if (e.key === 'ArrowUp') {
      next = r - 1 >= 0 ? this.#shownCell(r - 1, c)
        : this.root.querySelector(`thead input[data-col="${c}"]`);
    }
    if (next) {
      e.preventDefault();
      next.focus();
      next.select();
    }
  }

  #onClick(e) {
    const b = e.target.closest?.('button');
    if (!b) return;
    if (b.classList.contains('delete-row')) this.deleteRow(Number(b.dataset.row));
    if (b.classList.contains('delete-col')) this.deleteColumn(Number(b.dataset.col));
  }
}
