// The form's "Job" part: label, id (a new job's only), description, owner, enabled.

import { h } from "../lib/dom.js";
import { formPart } from "./errors.js";
import { SLUG_PATTERN, field } from "./field.js";

/**
 * @param {object | null} job the job edited, or null for a new one
 * @param {string} me who is signed in: the owner when the field is left empty
 * @returns {import("./errors.js").FormPart}
 */
export function identityPart(job, me) {
  const label = h("input", { type: "text", value: job?.label || "", maxlength: 200, autocomplete: "off" });
  const id = h("input", {
    type: "text",
    value: job?.id || "",
    disabled: Boolean(job),
    pattern: SLUG_PATTERN,
    autocomplete: "off",
  });
  const description = h("textarea", { rows: 2, value: job?.description || "" });
  const owner = h("input", { type: "text", value: job?.owner || "", placeholder: me });
  const enabled = h("input", { type: "checkbox", checked: job ? job.enabled : true });
  const paused = job?.paused_reason && !job.enabled;

  const element = h(
    "fieldset",
    {},
    h("legend", {}, "Job"),
    h(
      "div",
      { class: "grid-2" },
      field("label", "f-label", "Label", label, "What the list shows", true),
      field(
        "id",
        "f-id",
        "Id",
        id,
        job ? "Ids do not change" : "Optional: made from the label when empty (a-z, 0-9, - and _)",
      ),
    ),
    field("description", "f-description", "Description", description),
    h(
      "div",
      { class: "grid-2" },
      field("owner", "f-owner", "Owner", owner, "Empty: you"),
      field(
        "enabled",
        "f-enabled",
        "Enabled",
        enabled,
        paused
          ? `Suspended by the scheduler (${job.paused_reason}): enabling lifts the suspension`
          : "Disabled jobs run only by Run Now",
      ),
    ),
  );

  return formPart(element, () => {
    const out = { label: label.value.trim(), description: description.value, enabled: enabled.checked };
    if (!job && id.value.trim()) out.id = id.value.trim();
    if (owner.value.trim()) out.owner = owner.value.trim();
    return out;
  });
}
