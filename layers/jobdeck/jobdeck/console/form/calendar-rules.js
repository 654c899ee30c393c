// A calendar's rules, as the calendar form edits them: one row per rule, its kind (dates,
// weekdays, a day of every year, a daily window) and its values; each row gives its share of
// `rules` and shows the API's refusals of it (`rules[1].dates[0]`).

import { fill, h } from "../lib/dom.js";
import { formPart } from "./errors.js";
import { nextId, removeButton } from "./field.js";

const KINDS = [
  ["dates", "Dates", "2026-12-24, 2027-01-01..2027-01-03"],
  ["weekdays", "Weekdays", "SAT, SUN or MON-FRI"],
  ["yearly", "Every year", "12-25, 05-01"],
  ["hours", "Daily hours", "02:00-04:00"],
];

/** A rule's values as the row's box shows them. */
function text(rule) {
  if (rule.hours) return `${rule.hours.from}-${rule.hours.to}`;
  return (rule.dates || rule.weekdays || rule.yearly || []).join(", ");
}

/**
 * @param {object[]} rules the calendar's, or [] for a new one
 * @returns {import("./errors.js").FormPart}
 */
export function rulesPart(rules) {
  const list = h("ol", { class: "rule-rows", id: "rules" });
  const rows = [];

  function renumber() {
    rows.forEach((row, index) => row.setIndex(index));
  }

  function addRow(rule = { weekdays: [] }) {
    const id = nextId();
    const kind = h("select", { id: `r-kind-${id}`, "aria-label": "Kind" }, KINDS.map(([v, name]) => h("option", { value: v }, name)));
    kind.value = KINDS.find(([v]) => rule[v] != null)?.[0] || "weekdays";
    const values = h("input", { type: "text", id: `r-values-${id}`, value: text(rule), autocomplete: "off", "aria-label": "Values" });
    const hint = h("p", { class: "hint" });
    const error = h("p", { class: "field-error" });
    const showHint = () => fill(hint, `e.g. ${KINDS.find(([v]) => v === kind.value)[2]}`);
    kind.addEventListener("change", showHint);
    showHint();
    // The values come first in the page's order, so that a refusal marks them (form/errors.js marks
    // a holder's first control); the kind is shown before them (css: order).
    const li = h("li", { class: "rule-row field" }, h("div", { class: "rule-controls" }, values, kind), hint, error);
    const row = {
      element: li,
      setIndex(index) {
        li.dataset.field = `rules[${index}]`;
      },
      value() {
        const raw = values.value.trim();
        if (kind.value === "hours") {
          const [from = "", to = ""] = raw.split(/\s*[-–]\s*(?=\d)/);
          return { hours: { from: from.trim(), to: to.trim() } };
        }
        return { [kind.value]: raw ? raw.split(/\s*,\s*/) : [] };
      },
    };
    li.append(
      removeButton(() => {
        rows.splice(rows.indexOf(row), 1);
        li.remove();
        renumber();
      }, "Remove rule"),
    );
    rows.push(row);
    list.append(li);
    renumber();
  }

  for (const rule of rules) addRow(rule);
  if (!rules.length) addRow();
  const element = h(
    "fieldset",
    { "data-field": "rules" },
    h("legend", {}, "Rules"),
    h("p", { class: "hint" }, "A day or hour is named when any rule names it, in the calendar's time zone."),
    list,
    h("button", { type: "button", class: "small", id: "add-rule", onclick: () => addRow() }, "Add a rule"),
    h("p", { class: "field-error" }),
  );
  return formPart(element, () => ({ rules: rows.map((row) => row.value()) }));
}
