// A job's history on its page: its tasks, newest first, by status, Older for the next page. The
// page's refresh reads the newest page again and merges it with the older pages already shown.

import { api } from "../api.js";
import { statusBadge } from "../lib/badges.js";
import { enc, h } from "../lib/dom.js";
import { pagedTable } from "../lib/paged-table.js";
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
  let status = "";
  /** The path of the newest page, of the status chosen. */
  const newest = () => `${tasks}${status ? `&status=${status}` : ""}`;
  const table = pagedTable({
    id: "history",
    className: "history",
    caption: "Task history, newest first",
    headings: HEADINGS,
    row: (task) => taskRow(jobId, task),
    empty: "No tasks in the history.",
    olderId: "older",
    readOlder: (cursor) => api("GET", `${newest()}&cursor=${enc(cursor)}`),
  });
  const statusFilter = h(
    "select",
    {
      id: "history-status",
      onchange: async () => {
        status = statusFilter.value;
        table.show(await api("GET", newest()));
      },
    },
    h("option", { value: "" }, "All statuses"),
    STATUSES.map((s) => h("option", { value: s }, s)),
  );

  /** The newest page (again), merged with older pages already shown (task ids sort by time). */
  function merge(page) {
    const oldest = page.items.at(-1)?.id;
    const rest = page.cursor && oldest ? table.list.items.filter((t) => t.id < oldest) : [];
    const cursor = !page.cursor ? null : rest.length ? table.list.cursor : page.cursor;
    table.show({ items: [...page.items, ...rest], cursor });
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
    table.elements,
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
