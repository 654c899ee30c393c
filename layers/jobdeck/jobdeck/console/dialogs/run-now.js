// Run Now from a job's page: a job that declares parameters first asks for their values.

import { runNow } from "../job-actions.js";
import { h } from "../lib/dom.js";
import { schemaField, valuesOf } from "../form/schema-field.js";

/** A job parameter ({name, type, description, choices, default}) as a JSON Schema property. */
function schemaOf(p) {
  const schema = { type: p.type, description: p.description };
  if (p.choices) schema.enum = p.choices;
  if (p.default != null) schema.default = p.default;
  return schema;
}

/**
 * Run Now, asking first for the values of the job's parameters, if it has any.
 * @param {object} job
 */
export async function runWithParameters(job) {
  if (!job.parameters.length) return runNow([job]);
  const fields = job.parameters.map((p, i) =>
    schemaField(`run-${i}`, p.name, schemaOf(p), p.required && p.default == null, undefined),
  );
  const dialog = h(
    "dialog",
    { "aria-labelledby": "run-title", class: "run-dialog" },
    h(
      "form",
      { method: "dialog" },
      h("h2", { id: "run-title" }, `Run ${job.label}`),
      fields.map((f) => f.element),
      h("p", { class: "field-error", role: "alert" }),
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { type: "submit", value: "cancel", formnovalidate: true }, "Cancel"),
        h("button", { type: "submit", value: "ok", class: "primary" }, "Run Now"),
      ),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
  dialog.addEventListener("close", async () => {
    dialog.remove();
    if (dialog.returnValue === "ok") await runNow([job], valuesOf(fields));
  });
}
