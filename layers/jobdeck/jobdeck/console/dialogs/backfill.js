// Backfill from a job's page: every slot of the job's schedule between two past times runs, each
// as its own task. The times are read in the browser's zone and sent with its offset.

import { api } from "../api.js";
import { clearFieldErrors, showRefusal } from "../form/errors.js";
import { field } from "../form/field.js";
import { overlapSelect } from "../form/policy.js";
import { enc, fill, h } from "../lib/dom.js";
import { say } from "../lib/notice.js";
import { isoWithOffset, localInputValue } from "../lib/time.js";
import { overlapMeaning } from "../lib/vocabulary.js";
import { reloadView } from "../page.js";

const DAY_MS = 86400000;

/**
 * Open the Backfill dialog over the job's page: a start and an end (a day ago and now), an
 * overlap policy (buffer_all first).
 * @param {object} job a job with a schedule
 */
export function backfillDialog(job) {
  const now = new Date();
  now.setSeconds(0, 0);
  const moment = (date) =>
    h("input", { type: "datetime-local", value: localInputValue(date), max: localInputValue(now) });
  const start = moment(new Date(now.getTime() - DAY_MS));
  const end = moment(now);
  const overlap = overlapSelect("buffer_all");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const problem = h("div", { class: "form-error", id: "backfill-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", id: "backfill-ok" }, "Backfill");
  const overlapField = field("overlap", "backfill-overlap", "Overlap", overlap, overlapMeaning(overlap.value));

  async function send(event) {
    event.preventDefault();
    fill(problem);
    clearFieldErrors(form);
    submit.disabled = true;
    try {
      const done = await api("POST", `/jobs/${enc(job.id)}/backfill`, {
        start: isoWithOffset(start.value),
        end: isoWithOffset(end.value),
        overlap: overlap.value,
      });
      const n = done.queued.length;
      dialog.close();
      say(`Backfill: queued ${n} run${n === 1 ? "" : "s"}, ${done.already_ran} had run already.`);
      await reloadView();
    } catch (error) {
      showRefusal(form, problem, error);
    } finally {
      submit.disabled = false;
    }
  }

  const form = h(
    "form",
    { novalidate: true, onsubmit: send },
    h("h2", { id: "backfill-title" }, `Backfill ${job.label}`),
    h(
      "p",
      { class: "hint intro" },
      "Every slot of ",
      h("code", {}, job.schedule.expression),
      ` (${job.schedule.timezone}) from the start up to the end runs as its own task; `,
      "slots that ran already do not run again.",
    ),
    h(
      "div",
      { class: "grid-2 dialog-grid" },
      field("start", "backfill-start", "Start", start, `Included; your time zone (${zone})`, true),
      field("end", "backfill-end", "End", end, "Excluded; not in the future", true),
    ),
    overlapField,
    problem,
    h(
      "div",
      { class: "dialog-buttons" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      submit,
    ),
  );
  overlap.addEventListener("change", () => {
    overlapField.querySelector(".hint").textContent = overlapMeaning(overlap.value);
  });
  form.addEventListener("input", () => {
    fill(problem); // what was refused is stale once something is changed
    clearFieldErrors(form);
  });
  const dialog = h(
    "dialog",
    { "aria-labelledby": "backfill-title", class: "backfill-dialog", id: "backfill-dialog" },
    form,
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
