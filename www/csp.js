// The page's Content-Security-Policy refuses style attributes (no 'unsafe-inline' for styles), so
// that markup injected anywhere could not style itself. One caller needs them: plotters, the
// Rust plotting crate, measures text on wasm32 by giving a <span> a style attribute with
// setAttribute("style", …) and reading its size. withCssomStyles(fn) runs fn (a synchronous call
// into the core) with such calls made through the CSSOM (element.style.cssText), which the policy
// allows; nothing else runs meanwhile, and markup's style attributes stay refused.

const setAttribute = Element.prototype.setAttribute;

function setAttributeViaCssom(name, value) {
  if (String(name).toLowerCase() === 'style' && 'style' in this) {
    this.style.cssText = String(value);
    return;
  }
  setAttribute.call(this, name, value);
}

/** Runs `fn()` with style attributes set through the CSSOM; returns what it returns. */
export function withCssomStyles(fn) {
  if (Element.prototype.setAttribute === setAttributeViaCssom) return fn();
  Element.prototype.setAttribute = setAttributeViaCssom;
  try {
    return fn();
  } finally {
    Element.prototype.setAttribute = setAttribute;
  }
}
