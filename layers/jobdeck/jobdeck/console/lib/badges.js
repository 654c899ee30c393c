// The small coloured labels: a job's kind, a task's status, a job disabled or suspended.

import { h } from "./dom.js";

/**
 * @param {string} text
 * @param {string} kind its class, which gives its colours
 * @returns {HTMLElement}
 */
export function badge(text, kind) {
  return h("span", { class: `badge ${kind}` }, text);
}

/** "system", "user" or "custom". */
export const kindBadge = (kind) => badge(kind, `kind-${kind}`);

/** A task's status: "FINISHED" on green, "ERROR" on red… */
export const statusBadge = (status) => badge(status, `status-${status.toLowerCase()}`);

/**
 * A job the scheduler suspended (after N failures in a row) or someone disabled; null when enabled.
 * @param {{enabled: boolean, paused_reason?: string | null}} job
 * @returns {HTMLElement | null}
 */
export function offBadge(job) {
  if (job.enabled) return null;
  if (!job.paused_reason) return badge("disabled", "disabled");
  const paused = badge("Suspended", "job-paused");
  paused.title = `${job.paused_reason}: Enable lifts the suspension`;
  paused.append(h("span", { class: "visually-hidden" }, ` (${job.paused_reason})`));
  return paused;
}

/**
 * The list's Status: the last task's, or "never run"; and disabled or Suspended.
 * @param {object} job
 * @returns {HTMLElement}
 */
export function jobStatus(job) {
  return h(
    "span",
    { class: "badges" },
    job.last_task ? statusBadge(job.last_task.status) : h("span", { class: "muted" }, "never run"),
    offBadge(job),
  );
}
