// The pieces every part of a form is made of: a labelled control with its hint and error slots,
// a number box read for the API, a Remove button for a row.

import { h } from "../lib/dom.js";

/** A job's id, a hook's slug: a-z, 0-9, - and _, 64 at most (jobdeck.api.schemas). */
export const SLUG_PATTERN = "[a-z0-9][a-z0-9_\\-]{0,63}";

let ids = 0;

/**
 * A number no other row of the page has, for the ids of a row's controls.
 * @returns {number}
 */
export const nextId = () => ++ids;

/**
 * A labelled form control with its hint and error slots.
 * @param {string} where the API's name for the value (`retry.max_attempts`, `actions[0].filter.glob`):
 *   the API's refusals of it are shown in this field's error slot
 * @param {string} id the control's id (its slots are `<id>-hint` and `<id>-error`)
 * @param {string} label
 * @param {HTMLElement} input
 * @param {string} [hint]
 * @param {boolean} [required]
 * @returns {HTMLElement}
 */
export function field(where, id, label, input, hint = "", required = false) {
  input.id = id;
  input.setAttribute("aria-describedby", `${id}-hint ${id}-error`);
  if (required) input.required = true;
  return h(
    "div",
    { class: `field${input.type === "checkbox" ? " check" : ""}`, "data-field": where },
    h("label", { for: id }, label, required && requiredMark()),
    input,
    h("p", { class: "hint", id: `${id}-hint` }, hint),
    h("p", { class: "field-error", id: `${id}-error` }),
  );
}

/** The red star after a required field's label (said by the form's "* required"). */
export const requiredMark = () => h("span", { class: "required", "aria-hidden": "true" }, " *");

/**
 * A whole number box: `value` shown, empty when null.
 * @param {number | null | undefined} value
 * @param {number} min
 * @param {number} max
 * @param {string} [placeholder] what empty means
 * @returns {HTMLInputElement}
 */
export const wholeNumber = (value, min, max, placeholder = "") =>
  h("input", { type: "number", min, max, step: 1, inputmode: "numeric", value: value ?? "", placeholder });

/**
 * A number input's value for the API: null when empty, a number when it reads as one, else the
 * text as typed (the API then says what is wrong, beside the field).
 * @param {HTMLInputElement} input
 * @returns {number | string | null}
 */
export function numberValue(input) {
  // A number box gives the page "" for what is no number ("1e"): sent as such, the API says so
  // beside the field, where an empty value would quietly become the default.
  if (input.validity?.badInput) return "(not a number)";
  const raw = input.value.trim();
  if (raw === "") return null;
  const n = Number(raw);
  return Number.isNaN(n) ? raw : n;
}

/**
 * A row's "Remove" button.
 * @param {() => void} onclick
 * @param {string | null} [label] what it removes, for assistive tech ("Remove hook 2"); a row
 *   that keeps its button sets it again when its place changes
 * @returns {HTMLElement}
 */
export const removeButton = (onclick, label = null) =>
  h("button", { type: "button", class: "small danger-outline", "aria-label": label, onclick }, "Remove");
