// Building the page: every screen makes its elements with h(), which puts text in as text, never as
// HTML (nothing an API answer holds can become markup).

const PROPS = new Set(["value", "checked", "disabled", "hidden", "selected", "indeterminate", "open"]);

/**
 * An element: `h("button", {type: "button", onclick}, "Run Now")`. An `on…` attribute given a
 * function is a listener; value, checked, disabled, hidden, selected, indeterminate and open are
 * set as properties; `true` is an empty attribute; false, null and undefined leave it out.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children strings (as text), nodes, arrays of them; null, undefined and false left out
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (PROPS.has(key)) el[key] = value;
    else if (value === true) el.setAttribute(key, "");
    else if (value !== false && value != null) el.setAttribute(key, String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

/**
 * Replace an element's children; arrays are flattened, null, undefined and false left out.
 * @template {Element} E
 * @param {E} el
 * @param {...any} children
 * @returns {E}
 */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

/**
 * The first element matching a selector.
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {HTMLElement | null}
 */
export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * Every element matching a selector, as an array.
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {HTMLElement[]}
 */
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** A value made safe for a URL path segment or query value. */
export const enc = encodeURIComponent;

/**
 * Run fn (which rebuilds part of the page) and give focus back to the element that had it.
 * @param {() => void} fn
 */
export function keepFocus(fn) {
  const id = document.activeElement?.id;
  fn();
  if (id && document.activeElement === document.body) document.getElementById(id)?.focus();
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * An SVG element, as h() makes HTML ones: attributes set as given (false, null and undefined left
 * out, `on…` functions as listeners), children as text or nodes. An SVG element made by h() would
 * be an unknown HTML element and draw nothing.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value !== false && value != null) el.setAttribute(key, String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}
