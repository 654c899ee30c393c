// The form's "After other jobs": the jobs this one follows (chips, picked from every job the
// caller sees), how their runs must end, and the window they must all fall in. No job picked is no
// dependency: the request says `after: null`.

import { fill, h } from "../lib/dom.js";
import { period } from "../lib/time.js";
import { formPart } from "./errors.js";
import { field, numberValue, wholeNumber } from "./field.js";

/** How an upstream run must end (jobdeck.after.EndedAs), [value, what the select says]. */
export const ENDINGS = [
  ["FINISHED", "finished"],
  ["ERROR", "failed (ERROR)"],
  ["ENDED", "ended, however (finished, failed or interrupted)"],
];

const DAY = 86400; // the API's default window (jobdeck.after.DEFAULT_WINDOW)

/**
 * @param {object | null} job the job edited, or null for a new one
 * @param {object[]} jobs every job the caller sees (GET /jobs, all pages): the choices
 * @returns {import("./errors.js").FormPart}
 */
export function afterPart(job, jobs) {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  // Kept in the order picked: the order of `jobs` is the order of the first step's input.
  const chosen = [...(job?.after?.jobs || [])];
  const add = h("select", { onchange: () => pick(add.value) });
  const chips = h("ul", { class: "after-chips", id: "after-chips", "aria-label": "Jobs this job runs after" });
  const on = h("select", {}, ENDINGS.map(([value, words]) => h("option", { value }, words)));
  on.value = job?.after?.on || "FINISHED";
  const within = wholeNumber(job?.after?.within_seconds ?? DAY, 60, 30 * DAY, "86400: a day");
  const withinHint = h("span", { class: "within-words", id: "within-words" });
  within.addEventListener("input", sayWithin);
  const details = h(
    "div",
    { class: "grid-2 after-details", id: "after-details" },
    field(
      "after.on",
      "f-after-on",
      "Each must have",
      on,
      "A run of each, since this job last ran after them (a skipped run counts for none)",
    ),
    field("after.within_seconds", "f-after-within", "All within (seconds)", within),
  );
  // The hint of the window: the number in words ("1 day"), kept beside what it means.
  const withinHintSlot = details.querySelector("#f-after-within-hint");
  withinHintSlot.append(withinHint, " the most between the first run counted and the last");

  function sayWithin() {
    const seconds = Number(within.value);
    withinHint.textContent = within.value && Number.isFinite(seconds) && seconds > 0 ? `${period(seconds)}:` : "";
  }

  /** A job's chip: its label, its id, Remove; a job no longer listed is said so (the API refuses it). */
  function chip(id) {
    const upstream = byId.get(id);
    return h(
      "li",
      { class: `after-chip${upstream ? "" : " unknown-choice"}`, "data-job": id },
      h("span", { class: "chip-label" }, upstream?.label || id),
      " ",
      h("code", {}, upstream ? id : "no such job"),
      h(
        "button",
        {
          type: "button",
          class: "chip-remove",
          "aria-label": `Remove ${upstream?.label || id}`,
          title: "Remove",
          onclick: () => unpick(id),
        },
        "\u00d7", // a multiplication sign: the usual "remove" mark of a chip
      ),
    );
  }

  function render() {
    fill(chips, chosen.map(chip));
    chips.hidden = chosen.length === 0;
    const left = jobs.filter((j) => j.id !== job?.id && !chosen.includes(j.id));
    left.sort((a, b) => a.label.localeCompare(b.label));
    fill(
      add,
      h("option", { value: "" }, chosen.length ? "Add another job…" : "None: pick a job to follow…"),
      left.map((j) => h("option", { value: j.id }, `${j.label} (${j.id})`)),
    );
    add.value = "";
    details.hidden = chosen.length === 0;
  }

  function pick(id) {
    if (id && !chosen.includes(id)) chosen.push(id);
    render();
    add.focus();
  }

  function unpick(id) {
    chosen.splice(chosen.indexOf(id), 1);
    render();
    add.focus();
  }

  render();
  sayWithin();
  const jobsField = field(
    "after.jobs",
    "f-after-jobs",
    "Runs after",
    add,
    "Once each job listed has had a run end as below, this one runs once (and again after a new run of each).",
  );
  jobsField.insertBefore(chips, add);
  const element = h(
    "div",
    { class: "trigger-group", "data-field": "after", id: "after" },
    h("h3", { class: "trigger-heading" }, "After other jobs"),
    jobsField,
    details,
    h("p", { class: "field-error" }),
  );
  return formPart(element, () => {
    if (chosen.length === 0) return { after: null };
    const window = numberValue(within); // left empty: the API's default, a day
    return { after: { jobs: [...chosen], on: on.value, ...(window === null ? {} : { within_seconds: window }) } };
  });
}
