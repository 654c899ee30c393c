// The small coloured labels: a job's kind, a task's status, a job disabled or suspended, a job
// whose upstream jobs are gone or off.

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
 * A job that follows a deleted or disabled job (its `upstream_problems`, "extract: deleted"): it
 * will not run until fixed. "upstream disabled", "upstream deleted", or both; each job on hover.
 * @param {{upstream_problems?: string[]}} job
 * @returns {HTMLElement | null} null when all it follows is there and enabled
 */
export function upstreamBadge(job) {
  const problems = job.upstream_problems || [];
  if (problems.length === 0) return null;
  const kinds = [...new Set(problems.map((p) => p.split(": ").at(-1)))].sort();
  const text = `upstream ${kinds.join(" & ")}`;
  const why = `${problems.join("; ")}: this job will not run after them until fixed`;
  const warning = badge(text, "upstream-problem");
  warning.title = why;
  warning.append(h("span", { class: "visually-hidden" }, ` (${why})`));
  return warning;
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
    upstreamBadge(job),
  );
}
