// What the list and a job's page do to jobs: Run Now, Enable, Disable, Clear All, Delete. Each
// says in one notice what worked and what did not, then reloads the screen on show.

import { api } from "./api.js";
import { confirmDialog } from "./lib/confirm.js";
import { enc } from "./lib/dom.js";
import { say } from "./lib/notice.js";
import { reloadView } from "./page.js";

const plural = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** Do `each(job)` for every job; one message tells what worked and what did not. */
async function forEach(jobs, verb, each) {
  const failed = [];
  let done = 0;
  for (const job of jobs) {
    try {
      await each(job);
      done += 1;
    } catch (error) {
      failed.push(`${job.label}: ${error.message}`);
    }
  }
  const ok = done ? `${verb} ${plural(done, "job")}.` : "";
  say([ok, ...failed].join(" "), failed.length ? "error" : "info");
  await reloadView();
}

/**
 * Run Now: a task for each job, with these run parameters.
 * @param {object[]} jobs
 * @param {Record<string, any>} [parameters]
 */
export function runNow(jobs, parameters = {}) {
  return forEach(jobs, "Run Now: queued a task for", (job) => api("POST", `/jobs/${enc(job.id)}/run`, { parameters }));
}

/**
 * Enable (which lifts a suspension after failures) or disable, all in one request.
 * @param {object[]} jobs
 * @param {boolean} enabled
 */
export async function setEnabled(jobs, enabled) {
  try {
    const { results } = await api("POST", `/jobs/${enabled ? "enable" : "disable"}`, { ids: jobs.map((j) => j.id) });
    const changed = results.filter((r) => r.outcome === (enabled ? "enabled" : "disabled")).length;
    const missing = results.filter((r) => r.outcome === "not found").map((r) => r.id);
    say(
      `${enabled ? "Enabled" : "Disabled"} ${plural(changed, "job")}.` +
        (missing.length ? ` Not found: ${missing.join(", ")}.` : ""),
      missing.length ? "error" : "info",
    );
  } catch (error) {
    say(error.message, "error");
  }
  await reloadView();
}

/**
 * Clear All: the finished tasks of each job are deleted, once confirmed.
 * @param {object[]} jobs
 */
export async function clearAll(jobs) {
  const names = jobs.map((j) => j.label).join(", ");
  const text = `The finished tasks of ${names} will be deleted. Queued and running tasks stay.`;
  if (!(await confirmDialog("Clear All history?", text, "Clear All"))) return;
  let deleted = 0;
  await forEach(jobs, "Cleared the history of", async (job) => {
    deleted += (await api("DELETE", `/jobs/${enc(job.id)}/tasks`)).deleted;
  });
  say(`Clear All: ${plural(deleted, "task")} deleted.`);
}

/**
 * Delete the jobs and their history, once confirmed.
 * @param {object[]} jobs
 * @returns {Promise<boolean>} whether it was confirmed
 */
export async function deleteJobs(jobs) {
  const names = jobs.map((j) => j.label).join(", ");
  const text = `${names} and all of its history will be deleted. This cannot be undone.`;
  if (!(await confirmDialog("Delete for good?", text, "Delete"))) return false;
  await forEach(jobs, "Deleted", (job) => api("DELETE", `/jobs/${enc(job.id)}`));
  return true;
}
