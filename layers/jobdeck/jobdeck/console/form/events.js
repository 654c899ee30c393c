// The form's S3 event triggers: an object created or removed in a datasource starts the job when
// it passes the row's filters (keys relative to the datasource's prefix). Events of other sources
// are kept as they were read.

import { $, fill, h } from "../lib/dom.js";
import { eventText } from "../lib/job-words.js";
import { S3_EVENT_TYPES } from "../lib/vocabulary.js";
import { formPart } from "./errors.js";
import { datasourceSelect } from "./datasource-field.js";
import { field, nextId, removeButton } from "./field.js";
import { rowList } from "./rows.js";

const TEXT_FIELDS = [
  ["prefix", "Prefix", "e.g. inbox/"],
  ["suffix", "Suffix", "e.g. .jpg"],
  ["glob", "Glob", "e.g. home/*/photos/*.png"],
  ["content_type", "Content type", "e.g. image/*"],
];
const SIZE_FIELDS = [
  ["min_size", "Min size (bytes)"],
  ["max_size", "Max size (bytes)"],
];

/**
 * @param {object | null} job the job edited, or null for a new one
 * @returns {import("./errors.js").FormPart}
 */
export function eventsPart(job) {
  const list = h("ol", { class: "steps trigger-rows", id: "events" });
  const rows = rowList(list, (items) => (list.hidden = items.length === 0));
  // Events the form does not edit (custom ones): sent back as they were read, after the S3 rows.
  const kept = (job?.events || []).filter((e) => e.source !== "s3");

  function eventRow(event) {
    const uid = nextId();
    const filter = event?.filter || {};
    const type = h(
      "select",
      {},
      S3_EVENT_TYPES.map((t) => h("option", { value: t }, t)),
    );
    type.value = event?.type === "ObjectRemoved" ? "ObjectRemoved" : "ObjectCreated";
    const source = datasourceSelect(event?.datasource);
    const inputs = {};
    for (const [name] of TEXT_FIELDS)
      inputs[name] = h("input", { type: "text", value: filter[name] ?? "", autocomplete: "off", spellcheck: "false" });
    for (const [name] of SIZE_FIELDS)
      inputs[name] = h("input", { type: "number", min: 0, step: 1, value: filter[name] ?? "", inputmode: "numeric" });
    const rowError = h("p", { class: "field-error" });
    const datasourceField = (where, id) => {
      const holder = field(where, id, "Datasource", source.input, "", true);
      source.describe(holder.querySelector(".hint"), "Prefix and glob are relative to it");
      return holder;
    };
    const remove = removeButton(() => rows.remove(row));
    const row = {
      element: h("li", { class: "step event-row" }),
      build(index) {
        const at = `events[${index}]`;
        row.element.dataset.field = at;
        rowError.id = `f-e${uid}-error`;
        remove.setAttribute("aria-label", `Remove S3 event ${index + 1}`);
        fill(
          row.element,
          h("div", { class: "step-head" }, h("span", { class: "step-number" }, `S3 event ${index + 1}`), remove),
          h(
            "div",
            { class: "params" },
            field(`${at}.type`, `f-e${uid}-type`, "Event type", type, "", true),
            datasourceField(`${at}.datasource`, `f-e${uid}-datasource`),
            TEXT_FIELDS.map(([name, text, hint]) =>
              field(`${at}.filter.${name}`, `f-e${uid}-${name}`, text, inputs[name], `Optional, ${hint}`),
            ),
            SIZE_FIELDS.map(([name, text]) =>
              field(`${at}.filter.${name}`, `f-e${uid}-${name}`, text, inputs[name], "Optional"),
            ),
          ),
          rowError,
        );
      },
      value() {
        const out = { source: "s3", type: type.value, datasource: source.read() || "default", filter: {} };
        if (event?.filter?.detail) out.filter.detail = event.filter.detail;
        for (const [name] of TEXT_FIELDS) {
          const value = inputs[name].value.trim();
          if (value) out.filter[name] = value;
        }
        for (const [name] of SIZE_FIELDS) {
          const raw = inputs[name].value.trim();
          if (raw === "") continue;
          const n = Number(raw);
          out.filter[name] = Number.isInteger(n) ? n : raw; // not a whole number: the API says so, beside it
        }
        return out;
      },
    };
    return rows.add(row);
  }

  const addFocused = () => $("select", eventRow().element).focus();
  for (const e of job?.events || []) if (e.source === "s3") eventRow(e);
  rows.render();
  const element = h(
    "div",
    { class: "trigger-group", "data-field": "events" },
    h("h3", { class: "trigger-heading" }, "S3 events"),
    h(
      "p",
      { class: "hint" },
      "An object created or removed in a datasource starts the job, when it passes the filters.",
    ),
    list,
    kept.length > 0 &&
      h(
        "p",
        { class: "hint" },
        "Also started by ",
        kept.map(eventText).join(", "),
        ": kept as they are (the API edits them).",
      ),
    h("button", { type: "button", id: "add-event", onclick: addFocused }, "Add S3 event"),
    h("p", { class: "field-error" }),
  );
  return formPart(element, () => ({ events: [...rows.values(), ...kept] }));
}
