// A step's input filter (jobdeck.domain.NodeFilter): folded away unless the step has one; its
// summary says what it keeps ("Only items that match *.jpg and are at least 2 KiB").

import { fill, h } from "../lib/dom.js";
import { filterText } from "../lib/job-words.js";
import { NODE_FILTER_FIELDS } from "../lib/vocabulary.js";
import { datasourceSelect } from "./datasource-field.js";
import { field } from "./field.js";

/**
 * @param {object | null | undefined} given the step's filter, as read
 * @returns {{element: HTMLElement, build: (at: string, base: string) => void, value: () => object}}
 *   `build`: its field names under `at` ("actions[0]"), its ids under `base` ("f-action-0");
 *   `value`: the conditions given (none: {}, for no filter)
 */
export function stepFilter(given) {
  const inputs = {};
  for (const [key, , , kind] of NODE_FILTER_FIELDS) {
    const value = given?.[key] ?? "";
    inputs[key] =
      kind === "text"
        ? h("input", { type: "text", value, autocomplete: "off", spellcheck: "false" })
        : h("input", {
            type: "number",
            min: 0,
            step: kind === "size" ? 1 : "any",
            inputmode: kind === "size" ? "numeric" : "decimal",
            value,
          });
  }
  // Which datasource's items pass: optional, "any" (a step's input may mix datasources).
  const source = datasourceSelect(given?.datasource, "any datasource");
  /** Empty fields left out; a number as typed when it is not a whole one (sizes) or not a number
   * at all, for the API to say what is wrong beside the field. */
  const value = () => {
    const out = {};
    if (source.read()) out.datasource = source.read();
    for (const [key, , , kind] of NODE_FILTER_FIELDS) {
      const input = inputs[key];
      const raw = input.value.trim();
      if (kind !== "text" && input.validity.badInput) out[key] = "(not a number)"; // the browser keeps "1e" from us
      else if (raw === "") continue;
      else if (kind === "text") out[key] = raw;
      else {
        const n = Number(raw);
        out[key] = Number.isNaN(n) || (kind === "size" && !Number.isInteger(n)) ? raw : n;
      }
    }
    return out;
  };
  const says = h("span", { class: "filter-says" });
  const box = h("div", { class: "filter-fields" });
  const error = h("p", { class: "field-error" });
  const element = h(
    "details",
    { class: "step-filter", open: Object.keys(value()).length > 0 },
    h("summary", {}, h("span", { class: "filter-title" }, "Only items that"), says),
    h(
      "p",
      { class: "hint filter-hint" },
      "All the conditions given must hold; the step works on the input items that pass them, ",
      "the others are left out. Empty: no condition.",
    ),
    box,
    error,
  );
  const summarize = () => {
    const text = filterText(value());
    element.classList.toggle("set", Boolean(text));
    fill(says, text ? ` ${text}` : ["…", h("span", { class: "muted" }, " no filter: all its input")]);
  };
  for (const input of Object.values(inputs)) input.addEventListener("input", summarize);
  source.input.addEventListener(source.input.tagName === "SELECT" ? "change" : "input", summarize);
  summarize();

  const build = (at, base) => {
    element.dataset.field = `${at}.filter`;
    error.id = `${base}-filter-error`;
    const where = field(`${at}.filter.datasource`, `${base}-filter-datasource`, "In datasource", source.input);
    source.describe(where.querySelector(".hint"));
    fill(
      box,
      where,
      NODE_FILTER_FIELDS.map(([key, label, hint, kind]) => {
        const holder = field(`${at}.filter.${key}`, `${base}-filter-${key}`, label, inputs[key], hint);
        holder.classList.add(`filter-${kind}`);
        return holder;
      }),
    );
  };
  return { element, build, value };
}
