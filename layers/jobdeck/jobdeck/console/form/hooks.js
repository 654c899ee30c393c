// The form's hooks: a POST to /hooks/<slug> starts the job (admins only, if the row says so).

import { $, h } from "../lib/dom.js";
import { formPart } from "./errors.js";
import { SLUG_PATTERN, field, nextId, removeButton } from "./field.js";
import { rowList } from "./rows.js";

/**
 * @param {object | null} job the job edited, or null for a new one
 * @returns {import("./errors.js").FormPart}
 */
export function hooksPart(job) {
  const list = h("div", { class: "job-params", id: "hooks" });
  const rows = rowList(list);

  function hookRow(hook) {
    const uid = nextId();
    const slug = h("input", {
      type: "text",
      value: hook?.slug || "",
      pattern: SLUG_PATTERN,
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "import-orders",
    });
    const adminsOnly = h("input", { type: "checkbox", checked: Boolean(hook?.admins_only) });
    const rowError = h("p", { class: "field-error" });
    const row = {
      element: null,
      build(index) {
        const at = `hooks[${index}]`;
        rowError.id = `f-h${uid}-error`;
        row.element = h(
          "div",
          { class: "param-row hook-row", "data-field": at },
          field(`${at}.slug`, `f-h${uid}-slug`, "Hook slug", slug, "Started by POST /hooks/<slug>", true),
          field(`${at}.admins_only`, `f-h${uid}-admins_only`, "Admins only", adminsOnly),
          removeButton(() => rows.remove(row), `Remove hook ${index + 1}`),
          rowError,
        );
      },
      value: () => ({ slug: slug.value.trim(), admins_only: adminsOnly.checked }),
    };
    return rows.add(row);
  }

  for (const hook of job?.hooks || []) hookRow(hook);
  const element = h(
    "div",
    { class: "trigger-group", "data-field": "hooks" },
    h("h3", { class: "trigger-heading" }, "Hooks"),
    h("p", { class: "hint" }, "A POST to the hook's URL starts the job."),
    list,
    h("button", { type: "button", id: "add-hook", onclick: () => $("input", hookRow().element).focus() }, "Add hook"),
    h("p", { class: "field-error" }),
  );
  return formPart(element, () => ({ hooks: rows.values() }));
}
