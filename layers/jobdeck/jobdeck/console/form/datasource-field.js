// The datasource picker: a select of the stack's datasources (GET /datasources, read once by the
// view), wherever the form edits a `datasource` (a step's parameter, a step's filter, an S3 event).
// A value the stack does not list is kept, shown and flagged: editing an old job must never change
// where it works without the admin seeing it (the API refuses it, beside the field, until changed).

import { knownDatasources } from "../api.js";
import { h } from "../lib/dom.js";
import { requiredMark } from "./field.js";

/** "s3://bucket/prefix", where a datasource's keys are. */
export const dsLocation = (ds) => `s3://${ds.bucket}/${ds.prefix}`;

/**
 * A <select> of the datasources, or a text box when the API could not list them.
 * @param {string | null | undefined} value the value stored, if any
 * @param {string | null} [empty] the label of a first choice meaning "none given" (value ""), e.g.
 *   "any"; null: no such choice, and no value stored shows `default`
 * @returns {{input: HTMLSelectElement | HTMLInputElement, read: () => string,
 *   describe: (hint: HTMLElement, usual?: string) => void}} `read()`: "" for none given;
 *   `describe`: keep `hint` saying where the datasource chosen is, or that it is not in the stack
 */
export function datasourceSelect(value, empty = null) {
  const list = knownDatasources();
  const stored = value ?? (empty === null ? "default" : "");
  const known = (name) => name === "" || !list || list.some((ds) => ds.name === name);
  const input = list
    ? h(
        "select",
        {},
        empty !== null && h("option", { value: "" }, empty),
        list.map((ds) => h("option", { value: ds.name }, ds.name)),
        !known(stored) && h("option", { value: stored }, `${stored} (not in this stack)`),
      )
    : h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  input.value = stored;
  const read = () => input.value.trim();
  // One listener, whatever the number of describe() calls: a row's build() runs at each move.
  let hint = null;
  let usual = "";
  const say = () => {
    if (!hint) return;
    const name = read();
    const ds = list?.find((d) => d.name === name);
    const flagged = !known(name);
    input.classList.toggle("unknown-choice", flagged);
    hint.classList.toggle("warning-text", flagged);
    hint.textContent = flagged
      ? `${name} is not a datasource of this stack: the API refuses it until another is chosen`
      : [usual, ds && `${ds.name} is ${dsLocation(ds)}`].filter(Boolean).join(" · ");
  };
  input.addEventListener("change", say);
  const describe = (where, text = "") => {
    [hint, usual] = [where, text];
    say();
  };
  return { input, read, describe };
}

/**
 * An action's `datasource` parameter as a field of the step's parameters (the shape of
 * schemaField's). Left at `default` where the step named none, it is still sent as none: an edit
 * saves the step as it was read.
 * @param {string} idPrefix
 * @param {string} name "datasource"
 * @param {object} _schema its JSON Schema (a string, `default` by default)
 * @param {boolean} required
 * @param {string | undefined} value
 * @returns {{name: string, element: HTMLElement, input: HTMLElement, read: () => string | undefined}}
 */
export function datasourceParameter(idPrefix, name, _schema, required, value) {
  const id = `${idPrefix}-${name}`;
  const picker = datasourceSelect(value);
  const { input } = picker;
  input.id = id;
  input.setAttribute("aria-describedby", `${id}-hint ${id}-error`);
  const hint = h("p", { class: "hint", id: `${id}-hint` });
  picker.describe(hint, "Where the step lists, reads and writes its keys");
  const element = h(
    "div",
    { class: "field datasource-field" },
    h("label", { for: id }, name, required && requiredMark()),
    input,
    hint,
    h("p", { class: "field-error", id: `${id}-error` }),
  );
  const read = () => {
    const chosen = picker.read();
    if (chosen === "" || (value === undefined && chosen === "default")) return undefined;
    return chosen;
  };
  return { name, element, input, read };
}
