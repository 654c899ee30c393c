// A job's history on its page: its tasks, newest first, by status, Older for the next page. The
// page's refresh reads the newest page again and merges it with the older pages already shown.

import { api } from "../api.js";
import { statusBadge } from "../lib/badges.js";
import { enc, fill, h, keepFocus } from "../lib/dom.js";
import { duration, timeAgo } from "../lib/time.js";
import { STATUSES } from "../lib/vocabulary.js";

const PAGE = 20;
const HEADINGS = ["Status", "Trigger", "By", "Started", "Duration", "Message"];

/**
 * The History card of a job's page, empty until it is given the newest page (merge).
 * @param {string} jobId
 * @returns {{element: HTMLElement, newest: () => string, merge: (page: object) => void}}
 */
export function jobHistory(jobId) {
  const tasks = `/jobs/${enc(jobId)}/tasks?limit=${PAGE}`;
  const history = { items: [], cursor: null, status: "" };
  const body = h("tbody", { id: "history-body" });
  const older = h("button", { type: "button", id: "older", onclick: loadOlder }, "Older");
  const statusFilter = h(
    "select",
    { id: "history-status", onchange: reload },
    h("option", { value: "" }, "All statuses"),
    STATUSES.map((s) => h("option", { value: s }, s)),
  );
  /** The path of the newest page, of the status chosen. */
  const newest = () => `${tasks}${history.status ? `&status=${history.status}` : ""}`;

  function render() {
    keepFocus(() =>
      fill(
        body,
        ...history.items.map((task) => taskRow(jobId, task)),
        history.items.length === 0
          ? h("tr", { class: "empty" }, h("td", { colspan: HEADINGS.length }, "No tasks in the history."))
          : [],
      ),
    );
    older.hidden = !history.cursor;
  }

  async function loadOlder() {
    const more = await api("GET", `${newest()}&cursor=${enc(history.cursor)}`);
    history.items.push(...more.items.filter((t) => !history.items.some((k) => k.id === t.id)));
    history.cursor = more.cursor;
    render();
    if (!older.hidden) older.focus();
  }

  async function reload() {
    history.status = statusFilter.value;
    const page = await api("GET", newest());
    history.items = page.items;
    history.cursor = page.cursor;
    render();
  }

  /** The newest page (again), merged with older pages already shown (task ids sort by time). */
  function merge(page) {
    const oldest = page.items.at(-1)?.id;
    const rest = page.cursor && oldest ? history.items.filter((t) => t.id < oldest) : [];
    history.items = [...page.items, ...rest];
    if (!page.cursor) history.cursor = null;
    else if (!rest.length) history.cursor = page.cursor;
    render();
  }

  const element = h(
    "section",
    { class: "card", "aria-labelledby": "history-title" },
    h(
      "div",
      { class: "section-head" },
      h("h2", { id: "history-title" }, "History"),
      h("div", { class: "inline-field" }, h("label", { for: "history-status" }, "Status"), statusFilter),
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "history", id: "history" },
        h("caption", { class: "visually-hidden" }, "Task history, newest first"),
        h("thead", {}, h("tr", {}, HEADINGS.map((t) => h("th", { scope: "col" }, t)))),
        body,
      ),
    ),
    h("div", { class: "button-row pager" }, older),
  );
  return { element, newest, merge };
}

function taskRow(jobId, task) {
  const link = h(
    "a",
    {
      href: `#/jobs/${enc(jobId)}/tasks/${enc(task.id)}`,
      id: `task-${task.id}`,
      "aria-label": `Task ${task.id}: ${task.status}`,
    },
    statusBadge(task.status),
  );
  return h(
    "tr",
    { "data-task": task.id },
    h("td", { "data-label": "Status" }, link),
    h("td", { "data-label": "Trigger" }, task.trigger.type),
    h("td", { "data-label": "By" }, task.trigger.by),
    h("td", { "data-label": "Started" }, timeAgo(task.started_at || task.created_at)),
    h("td", { "data-label": "Duration" }, task.status === "RUNNING" ? "running…" : duration(task.duration_seconds)),
    h("td", { class: "message", "data-label": "Message" }, task.message || ""),
  );
}
