// A job's history on its page: its tasks, newest first, by status, Older for the next page; and
// among them the slots its schedule passed without a run (GET /jobs/{id}/slots), each with why,
// in words. The page's refresh reads the newest page again and merges it with the older pages
// already shown.

import { api } from "../api.js";
import { statusBadge } from "../lib/badges.js";
import { enc, h } from "../lib/dom.js";
import { pagedTable } from "../lib/paged-table.js";
import { duration, timeAgo } from "../lib/time.js";
import { STATUSES, skipReasonText } from "../lib/vocabulary.js";

const PAGE = 20;
const HEADINGS = ["Status", "Trigger", "By", "Started", "Duration", "Message"];
const SLOTS = "slots"; // the filter's value for the skipped slots alone
const DAY_MS = 86400000;
const SKIPPED_FRESH_MS = 30000;

/**
 * The History card of a job's page, empty until it is given the newest page (merge).
 * @param {string} jobId
 * @param {() => boolean} scheduled whether the job has a schedule (it has slots to show)
 * @returns {{element: HTMLElement, newest: () => string, merge: (page: object) => void}}
 */
export function jobHistory(jobId, scheduled = () => false) {
  const tasks = `/jobs/${enc(jobId)}/tasks?limit=${PAGE}`;
  let status = "";
  let skipped = []; // the skipped slots that have no task, newest first
  let skippedAt = 0;
  /** The path of the newest page, of the status chosen. */
  const newest = () => `${tasks}${status && status !== SLOTS ? `&status=${status}` : ""}`;
  const table = pagedTable({
    id: "history",
    className: "history",
    caption: "Task history and skipped slots, newest first",
    headings: HEADINGS,
    row: (item, index, items) => (item.slot ? slotRow(item) : withSlots(item, index, items)),
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
        merge(await api("GET", newest()), true);
      },
    },
    h("option", { value: "" }, "All statuses"),
    STATUSES.map((s) => h("option", { value: s }, s)),
    h("option", { value: SLOTS }, "Skipped slots"),
  );

  /** A task's row, after the skipped slots between it and the task above it (the newest ones first;
   * after the last task of the last page, the slots older than it too). */
  function withSlots(task, index, items) {
    if (status && status !== "SKIPPED") return taskRow(jobId, task);
    const time = (t) => Date.parse(t.scheduled_for || t.created_at);
    const above = index === 0 ? Infinity : time(items[index - 1]);
    const below = index === items.length - 1 && !table.list.cursor ? -Infinity : time(task);
    const here = skipped.filter((s) => Date.parse(s.slot) < above && Date.parse(s.slot) >= time(task));
    const after = index === items.length - 1 ? skipped.filter((s) => Date.parse(s.slot) < time(task) && Date.parse(s.slot) >= below) : [];
    return [here.map(slotRow), taskRow(jobId, task), after.map(slotRow)];
  }

  /** The skipped slots back to the oldest task shown (a day at least, two at most). */
  async function readSkipped(items) {
    if (!scheduled()) return [];
    const now = Date.now();
    const oldest = items.length ? Date.parse(items.at(-1).scheduled_for || items.at(-1).created_at) : now - DAY_MS;
    const from = new Date(Math.max(Math.min(oldest, now - DAY_MS), now - 2 * DAY_MS)).toISOString();
    const ask = (since) => api("GET", `/jobs/${enc(jobId)}/slots?from=${enc(since)}&to=${enc(new Date(now).toISOString())}`);
    let answer;
    try {
      answer = await ask(from);
    } catch {
      answer = await ask(new Date(now - DAY_MS / 4).toISOString()).catch(() => ({ items: [] })); // a busy schedule
    }
    return answer.items.filter((s) => s.state === "skipped" && !s.task_id).reverse();
  }

  /** The newest page (again), merged with older pages already shown (task ids sort by time). */
  async function merge(page, replace = false) {
    const oldest = page.items.at(-1)?.id;
    const rest = !replace && page.cursor && oldest ? table.list.items.filter((t) => t.id < oldest && !t.slot) : [];
    const cursor = !page.cursor ? null : rest.length ? table.list.cursor : page.cursor;
    const items = [...page.items, ...rest];
    // The page refreshes every 3 s; slots change at the pace of the schedule: read them again
    // when asked (a filter chosen) or after 30 s.
    if (replace || Date.now() - skippedAt > SKIPPED_FRESH_MS) {
      skipped = await readSkipped(items);
      skippedAt = Date.now();
    }
    // No task to place them among (or the filter asks for them alone): the slots on their own.
    if (status === SLOTS || (!status && !items.length)) table.show({ items: skipped, cursor: null });
    else table.show({ items, cursor });
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

/** A slot the schedule passed without a run: when, and why in words. */
function slotRow(slot) {
  return h(
    "tr",
    { class: "skipped-slot", "data-slot": slot.slot },
    h("td", { "data-label": "Status" }, statusBadge("SKIPPED"), h("span", { class: "muted" }, " slot")),
    h("td", { "data-label": "Trigger" }, "schedule"),
    h("td", { "data-label": "By" }, "scheduler"),
    h("td", { "data-label": "Slot" }, timeAgo(slot.slot)),
    h("td", { "data-label": "Duration" }, "—"),
    h("td", { class: "message", "data-label": "Why" }, skipReasonText(slot)),
  );
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
    // A run not started yet shows when it is due ("in 30 minutes" for a moved one), not when it was
    // made: a QUEUED run moved to later read "started 4 minutes ago".
    h("td", { "data-label": "Started" }, timeAgo(task.started_at || task.scheduled_for || task.created_at)),
    h("td", { "data-label": "Duration" }, task.status === "RUNNING" ? "running…" : duration(task.duration_seconds)),
    h("td", { class: "message", "data-label": "Message" }, task.message || ""),
  );
}
