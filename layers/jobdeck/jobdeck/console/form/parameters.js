// The form's job parameters: values asked at Run Now, which actions read as {{ parameters.name }}.

import { h } from "../lib/dom.js";
import { PARAMETER_TYPES } from "../lib/vocabulary.js";
import { formPart } from "./errors.js";
import { field, nextId, removeButton } from "./field.js";
import { rowList } from "./rows.js";

/** A default typed in a text box, as the API takes it for the parameter's type (else as typed). */
function typedDefault(raw, type) {
  if (raw === "") return null;
  if (type === "string") return raw;
  if (type === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
  return Number.isNaN(Number(raw)) ? raw : Number(raw);
}

/**
 * @param {object | null} job the job edited, or null for a new one
 * @returns {import("./errors.js").FormPart}
 */
export function parametersPart(job) {
  const list = h("div", { class: "job-params", id: "job-params" });
  const rows = rowList(list);

  function parameterRow(p) {
    const uid = nextId();
    const name = h("input", { type: "text", value: p?.name || "", autocomplete: "off" });
    const type = h(
      "select",
      {},
      PARAMETER_TYPES.map((t) => h("option", { value: t }, t)),
    );
    type.value = p?.type || "string";
    const def = h("input", { type: "text", value: p?.default ?? "" });
    const required = h("input", { type: "checkbox", checked: Boolean(p?.required) });
    const desc = h("input", { type: "text", value: p?.description || "" });
    const row = {
      element: null,
      build(index) {
        const at = `parameters[${index}]`;
        row.element = h(
          "div",
          { class: "param-row", "data-field": at },
          field(`${at}.name`, `f-p${uid}-name`, "Name", name, "", true),
          field(`${at}.type`, `f-p${uid}-type`, "Type", type),
          field(`${at}.default`, `f-p${uid}-default`, "Default", def),
          field(`${at}.description`, `f-p${uid}-description`, "Description", desc),
          field(`${at}.required`, `f-p${uid}-required`, "Required", required),
          removeButton(() => rows.remove(row), `Remove parameter ${index + 1}`),
        );
      },
      value: () => ({
        name: name.value.trim(),
        type: type.value,
        description: desc.value,
        default: typedDefault(def.value.trim(), type.value),
        required: required.checked,
      }),
    };
    rows.add(row);
  }

  for (const p of job?.parameters || []) parameterRow(p);
  const element = h(
    "fieldset",
    {},
    h("legend", {}, "Job parameters ", h("span", { class: "muted" }, "(optional)")),
    h("p", { class: "hint" }, "Values asked at Run Now; actions read them as {{ parameters.name }}."),
    list,
    h("button", { type: "button", id: "add-parameter", onclick: () => parameterRow() }, "Add parameter"),
  );
  return formPart(element, () => ({ parameters: rows.values() }));
}
