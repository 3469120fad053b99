// How the page writes numbers: fixed decimals, the Unicode minus, p-values, intervals, and CSV
// cells. Formatting only; every number comes from the core's report.

/** A number with `digits` decimals and the Unicode minus; '—' for a missing value. */
export function fmt(x, digits = 4) {
  if (x == null || !Number.isFinite(x)) return '—';
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s.replace('-', '\u2212');
}

/** A p-value with four decimals, or "< 0.0001". */
export function pValue(p, small = 0.0001) {
  if (p == null) return '—';
  return p < small ? `< ${small}` : p.toFixed(4);
}

/** "p = 0.0123" or "p < 0.0001", for sentences (no line break inside). */
export function pText(p) {
  const s = pValue(p).replace(' ', '\u00a0');
  return s.startsWith('<') ? `p\u00a0${s}` : `p\u00a0=\u00a0${s}`;
}

/** "−1.0700 to −0.3600", or '—' when a limit is missing. */
export function interval(lo, hi, digits = 4) {
  return lo == null || hi == null ? '—' : `${fmt(lo, digits)} to ${fmt(hi, digits)}`;
}

/** A percentage already in percent ("92.2%"), or '—'. */
export function percent(x, digits = 1) {
  return x == null || !Number.isFinite(x) ? '—' : `${fmt(x, digits)}%`;
}

/** "95%" for a level of 0.95. */
export function percentLabel(level) {
  return `${+(level * 100).toFixed(3)}%`;
}

export const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** A text cell for CSV, quoted, and defused against spreadsheet formulas. */
export function csvText(s) {
  s = String(s);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A number cell for CSV: full precision, empty when missing. */
export function csvNumber(x) {
  return x == null ? '' : String(x);
}
