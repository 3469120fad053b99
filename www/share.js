// Share links and the postMessage API. An analysis document is {data, options} (docs/api.md).
// A link carries it as #doc= + base64url(deflate-raw(UTF-8 JSON)); a parent page sends it with
// {type: "metapool:load", doc} and hears back {type: "metapool:report" | "metapool:error"}.

/** Largest data text accepted from a link or a parent page (characters). */
const MAX_DATA = 5_000_000;
/** Largest decompressed link accepted (bytes): a guard against decompression bombs. */
const MAX_INFLATED = 8_000_000;
/** Longest text after #doc= accepted (characters): more cannot inflate to less than MAX_INFLATED usefully. */
const MAX_LINK = 12_000_000;
/** Longest option text or column name, and most columns named in one option (a hostile document's limits). */
const MAX_TEXT = 1000;
const MAX_NAMES = 1000;

/** A field the object itself has (never one inherited from its prototype). */
const own = (o, key) => (Object.hasOwn(o, key) ? o[key] : undefined);
/** A name from outside, short enough to quote in a message. */
const quoted = (name) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);

const OPTION_TYPES = { method: 'string', ci: 'string', level: 'number', ci_level_in: 'number' };
/** Options of the further analyses, of mediation and of reproducing (docs/api.md lists them). */
const ANALYSIS_TYPES = {
  by: 'string', mods: 'columns', leave1out: 'boolean', cumulative: 'boolean', cumulative_by: 'string', bias: 'boolean',
  mediation: 'string', ie_se: 'string', mc_draws: 'whole number', seed: 'whole number', ci_se_rule: 'string',
  table: 'columns', rounding: 'boolean', reported: 'string', gosh: 'boolean',
  // A published result to reproduce, and another program's defaults by its code.
  reproduce: 'string', preset: 'string',
};

/**
 * Checks a document that came from outside (a link, a parent page) and returns a clean copy with
 * only the known fields. Throws an Error whose message says what is wrong.
 */
export function validateDoc(doc) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error('the document must be an object {data, options}');
  }
  const data = own(doc, 'data');
  if (typeof data !== 'string') throw new Error('"data" must be the CSV text (a string)');
  if (data.length > MAX_DATA) throw new Error('"data" is too long');
  const clean = { data, options: {} };
  const options = own(doc, 'options') ?? {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error('"options" must be an object');
  }
  const text = (key, v) => {
    if (v.length > MAX_TEXT) throw new Error(`option "${key}" is too long`);
    return v;
  };
  for (const [key, type] of Object.entries(OPTION_TYPES)) {
    const v = own(options, key);
    if (v == null) continue;
    if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) {
      throw new Error(`option "${key}" must be a ${type}`);
    }
    clean.options[key] = type === 'string' ? text(key, v) : v;
  }
  const roles = own(options, 'roles');
  if (roles != null) {
    if (typeof roles !== 'object' || Array.isArray(roles)) throw new Error('"roles" must be an object');
    const entries = Object.entries(roles);
    if (entries.length > MAX_NAMES) throw new Error('"roles" names too many columns');
    // Column names are keys: no prototype, so "__proto__" is a name like any other.
    clean.options.roles = Object.create(null);
    for (const [name, role] of entries) {
      if (typeof role !== 'string') throw new Error(`the role of column ${quoted(name)} must be a string`);
      if (name.length > MAX_TEXT || role.length > MAX_TEXT) throw new Error('a column name in "roles" is too long');
      clean.options.roles[name] = role;
    }
  }
  // The further analyses (subgroups, meta-regression, …) and mediation: checked for their types
  // here; the core checks their values (a column that does not exist, a rule it does not know).
  for (const [key, type] of Object.entries(ANALYSIS_TYPES)) {
    const v = own(options, key);
    if (v == null) continue;
    const ok = type === 'columns'
      ? typeof v === 'string' || (Array.isArray(v) && v.length <= MAX_NAMES && v.every((x) => typeof x === 'string'))
      : type === 'whole number' ? Number.isSafeInteger(v) && v >= 0
        : typeof v === type;
    if (!ok) throw new Error(`option "${key}" must be ${type === 'columns' ? 'column names' : `a ${type}`}`);
    if (Array.isArray(v)) v.forEach((x) => text(key, x));
    clean.options[key] = Array.isArray(v) ? [...v] : typeof v === 'string' ? text(key, v) : v;
  }
  return clean;
}

function toBase64Url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const b64 = text.replaceAll('-', '+').replaceAll('_', '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The text after #doc= for a document. */
export async function encodeDoc(doc) {
  const json = new TextEncoder().encode(JSON.stringify(doc));
  const stream = new Blob([json]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return toBase64Url(new Uint8Array(await new Response(stream).arrayBuffer()));
}

/** Reads the text after #doc= back into a checked document; throws with a plain message. */
export async function decodeDoc(text) {
  if (text.length > MAX_LINK) throw new Error('the link holds more data than this page accepts');
  let bytes;
  try {
    bytes = fromBase64Url(decodeURIComponent(text));
  } catch {
    throw new Error('the link is damaged (it is not valid base64url); copy it again');
  }
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_INFLATED) throw new Error('too large');
      chunks.push(value);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw new Error(e.message === 'too large'
      ? 'the link holds more data than this page accepts'
      : 'the link is damaged (it does not decompress); copy it again');
  }
  let doc;
  try {
    doc = JSON.parse(new TextDecoder().decode(await new Blob(chunks).arrayBuffer()));
  } catch {
    throw new Error('the link is damaged (it is not a JSON document); copy it again');
  }
  return validateDoc(doc);
}

/** The document in the page's address, if it has #doc=. */
export function docFromHash(hash = location.hash) {
  const m = /^#doc=([^&]*)/.exec(hash);
  return m ? m[1] : null;
}

/** A link to this page that opens `doc`. */
export async function shareUrl(doc) {
  const base = location.href.replace(/#.*$/, '');
  return `${base}#doc=${await encodeDoc(doc)}`;
}

// ---- postMessage API (only when the page runs inside a frame) ----

export const embedded = window.parent !== window;

let parentOrigin = null;

function targetOrigin() {
  if (parentOrigin) return parentOrigin;
  const ancestor = location.ancestorOrigins?.[0];
  return ancestor && ancestor !== 'null' && /^https?:/.test(ancestor) ? ancestor : '*';
}

/** Sends a message to the parent page, if there is one. */
export function tellParent(message) {
  if (!embedded) return;
  window.parent.postMessage(message, targetOrigin());
}

/**
 * Listens for {type: "metapool:load", doc} from the parent page and calls onLoad(doc) with a
 * checked document. Other messages, and messages from anywhere but the parent, are ignored.
 */
export function listenToParent(onLoad) {
  if (!embedded) return;
  window.addEventListener('message', (event) => {
    if (event.source !== window.parent) return;
    const m = event.data;
    if (m === null || typeof m !== 'object' || own(m, 'type') !== 'metapool:load') return;
    if (event.origin && event.origin !== 'null') parentOrigin = event.origin;
    let doc;
    try {
      doc = validateDoc(own(m, 'doc'));
    } catch (e) {
      tellParent({
        type: 'metapool:error',
        error: { message: `metapool:load: ${e.message}`, row: null, column: null },
      });
      return;
    }
    onLoad(doc);
  });
}
