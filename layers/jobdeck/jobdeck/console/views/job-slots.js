// A job's next runs on its page, from GET /jobs/{id}/slots up to its fifth run to come: each run
// with Skip and Move for admins (POST /jobs/{id}/slots/{slot}/skip), a skipped one struck through with why
// (and Undo when someone skipped it), a claimed one as queued.

import { api } from "../api.js";
import { isAdmin } from "../auth.js";
import { moveDialog } from "../dialogs/move-run.js";
import { enc, h } from "../lib/dom.js";
import { say } from "../lib/notice.js";
import { absolute, wallTime, wallTimeLike } from "../lib/time.js";
import { skipReasonText } from "../lib/vocabulary.js";

/**
 * The slots from now to the preview's last run (null when the range holds too many to list).
 * @param {object} job
 * @param {{next: {utc: string, slot: string}[]}} preview
 * @returns {Promise<object[] | null>}
 */
export async function upcomingSlots(job, preview) {
  const last = preview.next.at(-1);
  if (!job.schedule || !job.enabled || !last) return null;
  const to = new Date(Date.parse(last.slot) + 1000).toISOString();
  const from = new Date().toISOString();
  try {
    return (await api("GET", `/jobs/${enc(job.id)}/slots?from=${enc(from)}&to=${enc(to)}`)).items;
  } catch {
    return null; // over 1,000 slots (a calendar leaves most of a busy schedule out): the preview alone
  }
}

/**
 * @param {object} job
 * @param {object[]} slots from upcomingSlots
 * @param {() => Promise<void>} changed reads the job and its next runs again
 * @returns {HTMLElement}
 */
export function nextRuns(job, slots, changed) {
  // A slot is ISO 8601 (digits, -, :, T, Z, +): safe in a path as it is, where an encoded ":"
  // would reach the API as "%3A".
  const path = (slot) => `/jobs/${enc(job.id)}/slots/${slot}/skip`;
  const act = (method, slot, done) => async (event) => {
    event.target.disabled = true;
    try {
      await api(method, path(slot));
      say(done);
    } catch (error) {
      say(error.message, "error");
    }
    await changed();
  };
  const admin = isAdmin();
  const button = (id, label, text, onclick) => h("button", { type: "button", class: "small slot-button", id, "aria-label": label, onclick }, text);
  let upcoming = 0;
  const rows = slots.map((slot) => {
    const when = h("time", { datetime: slot.starts || slot.slot, title: absolute(slot.starts || slot.slot) }, wallTime(slot.local));
    if (slot.state === "upcoming") {
      const i = upcoming++;
      return h(
        "li",
        { "data-slot": slot.slot, class: "upcoming" },
        when,
        admin && button(`skip-${i}`, `Skip the run of ${wallTime(slot.local)}`, "Skip", act("POST", slot.slot, `Skipped the run of ${absolute(slot.slot)}.`)),
        admin && button(`move-${i}`, `Move the run of ${wallTime(slot.local)}`, "Move", () => moveDialog(job, slot.slot, changed)),
      );
    }
    if (slot.state === "skipped") {
      const manual = slot.reason === "manual";
      return h(
        "li",
        { "data-slot": slot.slot, class: "skipped" },
        h("del", {}, when),
        h("span", { class: "muted" }, manual ? " skipped" : ` skipped: ${skipReasonText(slot)}`),
        manual && admin && button(`unskip-${slot.slot}`, `Undo the skip of ${wallTime(slot.local)}`, "Undo", act("DELETE", slot.slot, `The run of ${absolute(slot.slot)} will run again.`)),
      );
    }
    // Claimed already, or moved: its task is there (a moved one starts at its new time).
    const moved = job.moved_slots.some((m) => Date.parse(m.slot) === Date.parse(slot.slot));
    const text = moved ? ` moved to ${wallTimeLike(slot.starts, slot.local)}` : ` ${slot.state}`;
    return h("li", { "data-slot": slot.slot, class: slot.state }, when, h("span", { class: "muted" }, text));
  });
  if (!rows.length) return h("span", { class: "muted" }, "no more runs");
  return h("ul", { class: "next-runs slots", id: "next-runs" }, rows);
}
