// Move one run from a job's page: the slot runs at another time instead (POST /jobs/{id}/slots/
// {slot}/move), read in the browser's zone and sent with its offset.

import { api } from "../api.js";
import { clearFieldErrors, showRefusal } from "../form/errors.js";
import { field } from "../form/field.js";
import { enc, fill, h } from "../lib/dom.js";
import { say } from "../lib/notice.js";
import { absolute, isoWithOffset, localInputValue } from "../lib/time.js";

/**
 * Open the Move dialog for one upcoming slot: its new time, half an hour later to begin with.
 * @param {object} job
 * @param {string} slot the slot, ISO 8601 as /slots gives it
 * @param {() => Promise<void>} moved called once it is moved
 */
export function moveDialog(job, slot, moved) {
  const to = h("input", { type: "datetime-local", value: localInputValue(new Date(Date.parse(slot) + 1800000)) });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const problem = h("div", { class: "form-error", id: "move-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", id: "move-ok" }, "Move");

  async function send(event) {
    event.preventDefault();
    fill(problem);
    clearFieldErrors(form);
    submit.disabled = true;
    try {
      // A slot is ISO 8601: safe in a path as it is (an encoded ":" would reach the API as "%3A").
      const task = await api("POST", `/jobs/${enc(job.id)}/slots/${slot}/move`, { to: isoWithOffset(to.value) });
      dialog.close();
      say(`The run of ${absolute(slot)} runs at ${absolute(task.scheduled_for)} instead.`);
      await moved();
    } catch (error) {
      showRefusal(form, problem, error);
    } finally {
      submit.disabled = false;
    }
  }

  const form = h(
    "form",
    { novalidate: true, onsubmit: send },
    h("h2", { id: "move-title" }, `Move the run of ${absolute(slot)}`),
    h("p", { class: "hint intro" }, "That one run starts at the time below instead; the others keep theirs."),
    field("to", "move-to", "Runs at", to, `Your time zone (${zone}); at most 7 days ahead`, true),
    problem,
    h(
      "div",
      { class: "dialog-buttons" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      submit,
    ),
  );
  const dialog = h("dialog", { "aria-labelledby": "move-title", class: "backfill-dialog", id: "move-dialog" }, form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
