// The API's refusals, beside the fields they name. A 422 lists its problems as {field, problem}
// with the field as the API names it (`body.retry.max_attempts`, `body.actions.0.parameters`); each
// part of a form shows those of its fields, and the form lists what no part could place.

import { $, $$, fill, h } from "../lib/dom.js";

/**
 * The problems of a refusal: its list, or its message as one problem of no field.
 * @param {{message: string, body?: {errors?: {field: string, problem: string}[]}}} error
 * @returns {{field: string, problem: string}[]}
 */
export const problemsOf = (error) =>
  error.body?.errors?.length ? error.body.errors : [{ field: "", problem: error.message }];

/** `body.actions.0.parameters` as the form's data-field names it: `actions[0].parameters`. */
const keyOf = (where) => where.replace(/^body\.?/, "").replace(/\.(\d+)(?=\.|$)/g, "[$1]");
const within = (key, name) => key === name || key.startsWith(`${name}.`) || key.startsWith(`${name}[`);

/**
 * Put each problem in the error slot of the [data-field] holder it names inside `container`,
 * the most specific holder first; its control is marked invalid, and a folded <details> around
 * it unfolds.
 * @param {HTMLElement} container
 * @param {{field: string, problem: string}[]} problems
 * @returns {{placed: Set<object>, first: HTMLElement | null}} the problems placed, the first control marked
 */
export function placeErrors(container, problems) {
  const placed = new Set();
  let first = null;
  for (const item of problems) {
    const key = keyOf(item.field);
    const holder = key
      ? $$("[data-field]", container)
          .filter((el) => within(key, el.dataset.field))
          .sort((a, b) => b.dataset.field.length - a.dataset.field.length)[0]
      : null;
    const slot = holder && $$(".field-error", holder).at(-1);
    if (!slot) continue;
    slot.textContent = slot.textContent ? `${slot.textContent}; ${item.problem}` : item.problem;
    const control = $("input, select, textarea", holder);
    control?.setAttribute("aria-invalid", "true");
    first ??= control;
    placed.add(item);
    for (let folded = slot.closest("details"); folded; folded = folded.parentElement.closest("details")) {
      folded.open = true;
    }
  }
  return { placed, first };
}

/**
 * What no holder took, as "field: problem".
 * @param {{field: string, problem: string}[]} problems
 * @param {Set<object>} placed
 * @returns {string[]}
 */
export const unplaced = (problems, placed) =>
  problems.filter((p) => !placed.has(p)).map((p) => `${p.field ? `${p.field}: ` : ""}${p.problem}`);

/**
 * A refusal shown in a dialog's form: each problem beside its field, the rest in `box`; the first
 * field marked (or the box) takes the focus.
 * @param {HTMLElement} form
 * @param {HTMLElement} box
 * @param {{message: string, body?: object}} error
 */
export function showRefusal(form, box, error) {
  const problems = problemsOf(error);
  const { placed, first } = placeErrors(form, problems);
  const left = unplaced(problems, placed);
  if (left.length) fill(box, h("p", {}, left.join("; ")));
  (first || box).focus?.();
}

/**
 * Empty every error slot inside `container`; no control is marked invalid any more.
 * @param {HTMLElement} container
 */
export function clearFieldErrors(container) {
  for (const slot of $$(".field-error", container)) slot.textContent = "";
  for (const el of $$("[aria-invalid]", container)) el.removeAttribute("aria-invalid");
}

/**
 * A part of a form: its element, its share of the request body, its errors.
 * @typedef {object} FormPart
 * @property {HTMLElement} element
 * @property {() => object} value its fields of the request body
 * @property {(problems: {field: string, problem: string}[]) => {placed: Set<object>, first: HTMLElement | null}} errors
 *   shows the problems that name its fields, beside them
 */

/**
 * A part whose errors are placed by the [data-field] holders inside its element.
 * @param {HTMLElement} element
 * @param {() => object} value
 * @returns {FormPart}
 */
export const formPart = (element, value) => ({ element, value, errors: (problems) => placeErrors(element, problems) });
