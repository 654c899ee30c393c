// A task's page (#/jobs/<id>/tasks/<task>): its status and attempt, progress, facts and log lines;
// Pause (running), Resume (paused), Stop (in flight). Refreshed every second while in flight.

import { api } from "../api.js";
import { canOperate } from "../auth.js";
import { statusBadge } from "../lib/badges.js";
import { enc, fill, h } from "../lib/dom.js";
import { say } from "../lib/notice.js";
import { poll } from "../lib/poll.js";
import { absolute, clockTime, duration, fullTime, relative } from "../lib/time.js";
import { ACTIVE } from "../lib/vocabulary.js";
import { crumbs, current, onReload, reloadView, show } from "../page.js";
import { upstreamRunsFact } from "./job-deps.js";
import { fact } from "./job-facts.js";

const POLL_MS = 1000;

/** What each control did, said once the API accepted it. */
const DONE = {
  pause: () => "Pause asked: the task pauses at its next checkpoint, keeping its progress.",
  resume: () => "Task resumed: it is queued again and continues where it paused.",
  stop: (t) => (t.status === "INTERRUPTED" ? "Task stopped." : "Stop asked: the task stops at its next checkpoint."),
};

/** "2 of 3" when the job retries (or the task is past its first attempt); null otherwise. */
function attemptText(task, job) {
  const most = Math.max(job.retry?.max_attempts || 1, task.attempt);
  return most > 1 ? `${task.attempt} of ${most}` : null;
}

export async function taskView(view, jobId, taskId) {
  const path = `/jobs/${enc(jobId)}/tasks/${enc(taskId)}`;
  let [job, task] = await Promise.all([api("GET", `/jobs/${enc(jobId)}`), api("GET", path)]);
  if (!current(view)) return;
  const live = h("p", { class: "task-status", id: "task-status", "aria-live": "polite" });
  const bar = h("progress", { id: "task-progress", max: 100, "aria-labelledby": "progress-label" });
  const percent = h("span", { class: "muted" });
  const control = (verb, text, cls = "") =>
    h("button", { type: "button", class: cls, id: verb, onclick: () => ask(verb) }, text);
  const pause = control("pause", "Pause");
  const resume = control("resume", "Resume", "primary");
  const stop = control("stop", "Stop", "danger-outline");
  const facts = h("dl", { class: "facts" });
  const logs = h("ol", { class: "logs", id: "logs" });

  function render() {
    const attempt = attemptText(task, job);
    const waitsUntil = task.status === "QUEUED" && task.not_before;
    const retries = task.attempt > 1;
    fill(
      live,
      statusBadge(task.status),
      attempt && [" ", h("span", { class: "nowrap" }, "· ", h("span", { id: "task-attempt" }, `attempt ${attempt}`))],
      waitsUntil && [
        " ",
        h(
          "span",
          { class: "nowrap" },
          "· ",
          h("span", { id: "task-retry" }, retries ? "retries at " : "continues at ", clockTime(task.not_before)),
        ),
      ],
      task.stop_requested_by && task.status === "RUNNING" ? ` · stop asked by ${task.stop_requested_by}` : "",
      task.pause_requested_by && task.status === "RUNNING" ? ` · pause asked by ${task.pause_requested_by}` : "",
    );
    bar.value = Math.round(task.progress * 100);
    percent.textContent = ` ${Math.round(task.progress * 100)} %`;
    const operator = canOperate(job);
    pause.hidden = !(operator && task.status === "RUNNING");
    pause.disabled = Boolean(task.pause_requested_by || task.stop_requested_by);
    resume.hidden = !(operator && task.status === "PAUSED");
    stop.hidden = !(operator && ACTIVE.has(task.status));
    stop.disabled = Boolean(task.stop_requested_by);
    const when = (iso) => (iso ? fullTime(iso) : "—");
    fill(
      facts,
      fact("Trigger", `${task.trigger.type} by ${task.trigger.by}`),
      upstreamRunsFact(task),
      task.scheduled_for && fact("Scheduled for", fullTime(task.scheduled_for)),
      fact("Queued", fullTime(task.created_at)),
      fact("Started", when(task.started_at)),
      fact("Ended", when(task.ended_at)),
      fact("Duration", duration(task.duration_seconds)),
      attempt && fact("Attempt", attempt),
      waitsUntil &&
        fact(
          retries ? "Retries at" : "Continues at",
          fullTime(task.not_before),
          h("span", { class: "muted" }, ` (${relative(task.not_before)})`),
        ),
      task.overlap && fact("Overlap", h("code", {}, task.overlap), h("span", { class: "muted" }, " (this task's own)")),
      fact(
        "Message",
        task.message ? h("span", { id: "task-message" }, task.message) : h("span", { class: "muted" }, "—"),
      ),
      Object.keys(task.parameters).length > 0 && fact("Parameters", h("code", {}, JSON.stringify(task.parameters))),
    );
    fill(
      logs,
      ...task.logs.map((line) =>
        h(
          "li",
          { class: `log-${line.level.toLowerCase()}` },
          h("time", { datetime: line.at, title: absolute(line.at) }, new Date(line.at).toLocaleTimeString()),
          h("span", { class: "level" }, line.level),
          h("span", { class: "text" }, line.message),
        ),
      ),
      task.logs.length === 0 ? h("li", { class: "muted" }, "No log lines yet.") : [],
    );
  }

  /** Pause, Resume or Stop; a refusal (409: the task moved on meanwhile) is a notice. */
  async function ask(verb) {
    try {
      task = { ...task, ...(await api("POST", `${path}/${verb}`)) };
      say(DONE[verb](task));
    } catch (error) {
      say(`Could not ${verb} the task: ${error.message}`, "error");
    }
    await reloadView();
    if (ACTIVE.has(task.status)) poll(refresh, POLL_MS);
  }

  async function refresh() {
    const fresh = await api("GET", path);
    if (!current(view)) return false;
    task = fresh;
    render();
    return ACTIVE.has(task.status);
  }

  onReload(refresh);
  render();
  show(
    `Task ${taskId}`,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        crumbs(h("a", { href: `#/jobs/${enc(jobId)}`, id: "back-to-job" }, job.label)),
        h("h1", {}, "Task ", h("code", { class: "task-id" }, taskId)),
        live,
      ),
      h("div", { class: "button-row" }, pause, resume, stop),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "progress-label" },
      h("h2", { id: "progress-label" }, "Progress"),
      h("div", { class: "progress-row" }, bar, percent),
      facts,
    ),
    h("section", { class: "card", "aria-labelledby": "logs-title" }, h("h2", { id: "logs-title" }, "Log"), logs),
  );
  if (ACTIVE.has(task.status)) poll(refresh, POLL_MS);
}
