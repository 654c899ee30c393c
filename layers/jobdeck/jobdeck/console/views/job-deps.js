// Jobs that follow jobs, as a job's page and a task's page show them: the jobs a job runs after
// (upstream, each flagged when deleted or disabled), the jobs that run after it (downstream, read
// from the job list: a job stores only what it follows), and the upstream runs a task followed.

import { statusBadge } from "../lib/badges.js";
import { enc, h } from "../lib/dom.js";
import { clockTime, period } from "../lib/time.js";
import { fact } from "./job-facts.js";

/** How an upstream run must end, in words after "has". */
const ENDED_AS = { FINISHED: "finished", ERROR: "failed", ENDED: "ended (however)" };

/** A job's last run status, "disabled", or "never run": how it stands, beside its link. */
function standing(job) {
  return [
    job.last_task ? statusBadge(job.last_task.status) : h("span", { class: "muted" }, "never run"),
    !job.enabled && h("span", { class: "badge disabled" }, "disabled"),
  ];
}

/**
 * The Dependencies card of a job's page; null when it follows no job and none follows it.
 * @param {object} job
 * @param {object[]} jobs every job the caller sees (the downstream ones are among them)
 * @returns {HTMLElement | null}
 */
export function dependenciesCard(job, jobs) {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const downstream = jobs.filter((j) => j.after?.jobs.includes(job.id));
  if (!job.after && downstream.length === 0) return null;
  // "b: deleted" → b is flagged "deleted" in the upstream list
  const problems = new Map((job.upstream_problems || []).map((p) => p.split(": ")));
  const upstreamItem = (id) => {
    const upstream = byId.get(id);
    const problem = problems.get(id) || (upstream ? null : "deleted");
    return h(
      "li",
      { "data-job": id, class: problem ? "upstream-problem-row" : "" },
      upstream ? h("a", { href: `#/jobs/${enc(id)}` }, upstream.label) : h("span", {}, id),
      " ",
      h("code", { class: "muted" }, id),
      " ",
      problem
        ? h(
            "span",
            {
              class: "badge upstream-problem",
              title: `${id} is ${problem}: this job will not run after it until fixed`,
            },
            problem,
          )
        : upstream && standing(upstream),
    );
  };
  const downstreamItem = (other) =>
    h(
      "li",
      { "data-job": other.id },
      h("a", { href: `#/jobs/${enc(other.id)}` }, other.label),
      " ",
      h("code", { class: "muted" }, other.id),
      " ",
      standing(other),
      other.after.jobs.length > 1 &&
        h("span", { class: "muted" }, ` · with ${other.after.jobs.filter((id) => id !== job.id).join(", ")}`),
    );
  const after = job.after;
  return h(
    "section",
    { class: "card dependencies", id: "dependencies", "aria-labelledby": "dependencies-title" },
    h("h2", { id: "dependencies-title" }, "Dependencies"),
    h(
      "div",
      { class: "deps-columns" },
      h(
        "div",
        { class: "deps-side" },
        h("h3", {}, "Runs after"),
        after
          ? [
              h(
                "p",
                { class: "muted" },
                `Once each of these has ${ENDED_AS[after.on] || after.on}, all within ${period(after.within_seconds)}:`,
              ),
              h("ul", { class: "deps-list", id: "upstream" }, after.jobs.map(upstreamItem)),
            ]
          : h("p", { class: "muted", id: "upstream" }, "No job: nothing starts it by another's run."),
      ),
      h(
        "div",
        { class: "deps-side" },
        h("h3", {}, "Followed by"),
        downstream.length
          ? h("ul", { class: "deps-list", id: "downstream" }, downstream.map(downstreamItem))
          : h("p", { class: "muted", id: "downstream" }, "No job runs after this one."),
      ),
    ),
    h("p", {}, h("a", { href: "#/dependencies" }, "All dependencies")),
  );
}

/**
 * The facts of a task a dependency started: the upstream runs it followed, each linked to its
 * task page, with how and when it ended. Nothing for a task started otherwise.
 * @param {object} task
 * @returns {HTMLElement[][] | null}
 */
export function upstreamRunsFact(task) {
  if (task.trigger.type !== "after") return null;
  const detail = task.trigger.detail || {};
  const runs = detail.event?.upstream;
  if (!runs?.length) {
    // An older shape, or none: the ids alone, which name no job to link to.
    const ids = detail.upstream_task_ids || [];
    return ids.length ? fact("After the runs", ids.map((id) => h("code", {}, id)).join(", ")) : null;
  }
  return fact(
    "After the runs",
    h(
      "ul",
      { class: "deps-list", id: "upstream-runs" },
      runs.map((run) =>
        h(
          "li",
          { "data-job": run.job_id },
          h("a", { href: `#/jobs/${enc(run.job_id)}` }, run.job_id),
          " · ",
          h(
            "a",
            { href: `#/jobs/${enc(run.job_id)}/tasks/${enc(run.task_id)}`, class: "upstream-task" },
            h("code", {}, run.task_id),
          ),
          " ",
          run.status && statusBadge(run.status),
          run.ended_at && [" ", h("span", { class: "muted" }, "ended "), clockTime(run.ended_at)],
        ),
      ),
    ),
  );
}
