// The form's two lists of steps: the action chain and the on-failure branch ("If a step fails,
// then…"), each step edited as form/step.js makes it.

import { $, fill, h } from "../lib/dom.js";
import { formPart } from "./errors.js";
import { rowList } from "./rows.js";
import { stepRow } from "./step.js";

const CHAIN = {
  names: { key: "actions", ids: "f-action", title: "Step", noun: "step" },
  list: "steps",
  add: ["add-action", "Add action"],
  empty: "No action: a run of this job does nothing.",
};
const BRANCH = {
  names: { key: "on_failure", ids: "f-failure", title: "On-failure step", noun: "on-failure step" },
  list: "failure-steps",
  add: ["add-failure-step", "Add on-failure step"],
  empty: "No step: a failed run just ends ERROR, and is notified as the execution policy says.",
};

/**
 * A list of steps, added to its fieldset (which has its legend and hint) with its Add button.
 * @param {typeof CHAIN} kind
 * @param {(object | undefined)[]} steps as read (undefined: a new, empty step)
 * @param {object[]} catalog
 * @param {HTMLElement} fieldset
 * @returns {import("./errors.js").FormPart}
 */
function stepsPart(kind, steps, catalog, fieldset) {
  const ol = h("ol", { class: "steps", id: kind.list });
  const rows = rowList(ol, (items) => items.length || fill(ol, h("li", { class: "muted empty-step" }, kind.empty)));
  const [addId, addText] = kind.add;
  const onclick = () => $("select", addStep().element).focus();
  const add = h("button", { type: "button", id: addId, onclick }, addText);
  const addStep = (step) => rows.add(stepRow(step, catalog, kind.names, rows, () => add.focus()));
  for (const step of steps) addStep(step);
  rows.render();
  fieldset.append(ol, add, h("p", { class: "field-error" }));
  return formPart(fieldset, () => ({ [kind.names.key]: rows.values() }));
}

/**
 * The action chain: steps run in order. A new job starts with one step to fill in.
 * @param {object | null} job the job edited, or null for a new one
 * @param {object[]} catalog
 * @returns {import("./errors.js").FormPart}
 */
export function chainPart(job, catalog) {
  const fieldset = h(
    "fieldset",
    { "data-field": "actions" },
    h("legend", {}, "Actions"),
    h("p", { class: "hint" }, "Steps run in order; the objects one step outputs are the next one's input."),
  );
  return stepsPart(CHAIN, job ? job.actions : [undefined], catalog, fieldset);
}

/**
 * The on-failure branch: steps run once the chain has failed for good.
 * @param {object | null} job the job edited, or null for a new one
 * @param {object[]} catalog
 * @returns {import("./errors.js").FormPart}
 */
export function branchPart(job, catalog) {
  const fieldset = h(
    "fieldset",
    { id: "on-failure", "data-field": "on_failure" },
    h("legend", {}, "If a step fails, then… ", h("span", { class: "muted" }, "(optional)")),
    h(
      "p",
      { class: "hint" },
      "These steps run, in order, once the chain has failed for good (after its last attempt): to clean up ",
      "or tell someone. Their parameters can use {{ failure.step }} (the number of the step that failed) ",
      "and {{ failure.message }}. The task still ends ERROR.",
    ),
  );
  return stepsPart(BRANCH, job?.on_failure || [], catalog, fieldset);
}
