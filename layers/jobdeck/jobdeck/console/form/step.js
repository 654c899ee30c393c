// One step of a chain, as the form edits it: its action (from the catalog), a field per parameter
// of the action's schema, an optional timeout, an input filter; moved up or down, removed.

import { fill, h } from "../lib/dom.js";
import { datasourceParameter } from "./datasource-field.js";
import { field, nextId, numberValue, removeButton, requiredMark } from "./field.js";
import { schemaField, valuesOf } from "./schema-field.js";
import { stepFilter } from "./step-filter.js";

/**
 * How a list of steps names its steps.
 * @typedef {object} StepNames
 * @property {string} key the API's name for the list, and the start of its field paths ("actions")
 * @property {string} ids the start of its controls' ids ("f-action")
 * @property {string} title a step's heading ("Step")
 * @property {string} noun a step, as buttons name it ("step")
 */

/**
 * A step's row in its list.
 * @param {object | undefined} step the step as read, or none for a new one
 * @param {{name: string, summary: string, parameters: object}[]} catalog
 * @param {StepNames} names
 * @param {ReturnType<import("./rows.js").rowList>} rows its list
 * @param {() => void} removed called once it is removed (focus goes somewhere)
 * @returns {import("./rows.js").Row}
 */
export function stepRow(step, catalog, names, rows, removed) {
  const uid = nextId();
  const select = h(
    "select",
    {},
    h("option", { value: "" }, "Choose an action…"),
    catalog.map((a) => h("option", { value: a.name }, a.name)),
  );
  select.value = step?.action || "";
  const summary = h("p", { class: "hint" });
  const paramBox = h("div", { class: "params" });
  const paramError = h("p", { class: "field-error" });
  const stepError = h("p", { class: "field-error step-error" });
  const timeout = h("input", {
    type: "number",
    min: 1,
    max: 604800,
    step: 1,
    inputmode: "numeric",
    value: step?.timeout_seconds ?? "",
    placeholder: "the job's",
  });
  // What the form does not edit in a step is sent back as it was read.
  const { action: _action, parameters: _parameters, timeout_seconds: _timeout, filter: given, ...kept } = step || {};
  const filter = stepFilter(given);
  let fields = [];

  const showParameters = (values) => {
    const action = catalog.find((a) => a.name === select.value);
    summary.textContent = action ? action.summary : "";
    const schema = action?.parameters || { properties: {} };
    const required = new Set(schema.required || []);
    fields = Object.entries(schema.properties || {}).map(([name, prop]) => {
      const value = values?.[name];
      // The datasource a step works in is picked from the stack's (a template stays the text it is).
      const pick = name === "datasource" && prop.type === "string" && !String(value ?? "").includes("{{");
      return (pick ? datasourceParameter : schemaField)(`f-a${uid}`, name, prop, required.has(name), value);
    });
    fill(paramBox, ...fields.map((f) => f.element));
    paramBox.hidden = fields.length === 0;
    nameFields();
  };
  let at = null; // the step's field path ("actions[0]"), once its row is built
  /** Each parameter's field holds the API's refusals of it (`actions[0].parameters.datasource`). */
  const nameFields = () => {
    if (at) for (const f of fields) f.element.dataset.field = `${at}.parameters.${f.name}`;
  };
  select.addEventListener("change", () => showParameters());
  showParameters(step?.parameters);

  /** Swap with the step above (-1) or below (+1); the button pressed keeps the focus. */
  const move = (delta, button) => {
    if (rows.move(row, delta)) button.focus();
  };
  const up = h("button", { type: "button", class: "small", onclick: () => move(-1, up) }, "↑");
  const down = h("button", { type: "button", class: "small", onclick: () => move(1, down) }, "↓");
  const remove = removeButton(() => {
    rows.remove(row);
    removed();
  });
  const heading = h("span", { class: "step-number" });

  const row = {
    element: h("li", { class: "step" }),
    build(index) {
      at = `${names.key}[${index}]`;
      nameFields();
      const base = `${names.ids}-${index}`;
      const named = `${names.noun} ${index + 1}`;
      select.id = base;
      select.setAttribute("aria-describedby", `${base}-error`);
      row.element.dataset.field = at;
      heading.textContent = `${names.title} ${index + 1}`;
      up.setAttribute("aria-label", `Move ${named} up`);
      down.setAttribute("aria-label", `Move ${named} down`);
      remove.setAttribute("aria-label", `Remove ${named}`);
      paramError.id = `${base}-parameters-error`;
      stepError.id = `${base}-step-error`;
      filter.build(at, base);
      const timeoutHint = "Optional; empty: the job's timeout";
      fill(
        row.element,
        h("div", { class: "step-head" }, heading, h("div", { class: "step-tools" }, up, down, remove)),
        h(
          "div",
          { class: "field", "data-field": `${at}.action` },
          h("label", { for: base }, "Action", requiredMark()),
          select,
          summary,
          h("p", { class: "field-error", id: `${base}-error` }),
        ),
        h("div", { class: "field params-field", "data-field": `${at}.parameters` }, paramBox, paramError),
        h(
          "div",
          { class: "step-timeout" },
          field(`${at}.timeout_seconds`, `${base}-timeout`, "Step timeout (seconds)", timeout, timeoutHint),
        ),
        filter.element,
        stepError,
      );
    },
    value() {
      const parameters = valuesOf(fields);
      const out = { ...kept, action: select.value, parameters, timeout_seconds: numberValue(timeout) };
      const conditions = filter.value();
      if (Object.keys(conditions).length) out.filter = conditions; // all empty: no filter at all
      return out;
    },
  };
  return row;
}
