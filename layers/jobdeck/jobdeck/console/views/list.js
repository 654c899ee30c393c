// The jobs list (#/): Label, Owner, Trigger, Last Execution, Status; sorted by a column, filtered,
// jobs selected for Run Now, Disable job, Enable, Clear All and Delete. Refreshed every 3 s.

import { allJobs } from "../api.js";
import { canEdit, canOperate, isAdmin } from "../auth.js";
import { clearAll, deleteJobs, runNow, setEnabled } from "../job-actions.js";
import { jobStatus, kindBadge } from "../lib/badges.js";
import { $$, enc, fill, h, keepFocus } from "../lib/dom.js";
import { lastTime, triggerText } from "../lib/job-words.js";
import { poll } from "../lib/poll.js";
import { timeAgo } from "../lib/time.js";
import { current, onReload, show } from "../page.js";

const POLL_MS = 3000;

const COLUMNS = [
  { key: "label", title: "Label", value: (j) => j.label.toLowerCase() },
  { key: "owner", title: "Owner", value: (j) => j.owner.toLowerCase() },
  { key: "trigger", title: "Trigger", value: (j) => j.trigger.toLowerCase() },
  { key: "last", title: "Last Execution", value: (j) => lastTime(j) || "" },
  { key: "status", title: "Status", value: (j) => `${j.enabled ? "" : "~"}${j.last_task?.status || ""}` },
];

/** What the list keeps while the user goes elsewhere and comes back: sort, filter, selection. */
const list = { jobs: [], sort: { key: "label", dir: 1 }, filter: "", selected: new Set() };

/** The jobs the filter lets through, in the chosen order. */
function shownJobs() {
  const words = list.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const column = COLUMNS.find((c) => c.key === list.sort.key);
  return list.jobs
    .filter((job) => {
      const text = [
        job.label,
        job.id,
        job.owner,
        job.trigger,
        job.kind,
        job.last_task?.status,
        job.enabled ? "enabled" : "disabled",
        job.paused_reason && "suspended",
        job.upstream_problems?.length && "upstream",
      ]
        .join(" ")
        .toLowerCase();
      return words.every((w) => text.includes(w));
    })
    .sort((a, b) => {
      const [x, y] = [column.value(a), column.value(b)];
      return (x < y ? -1 : x > y ? 1 : a.label.localeCompare(b.label)) * list.sort.dir;
    });
}

const selectedJobs = () => list.jobs.filter((j) => list.selected.has(j.id));

export async function listView(view) {
  const filter = h("input", {
    type: "search",
    id: "filter",
    value: list.filter,
    placeholder: "Label, owner, trigger, status…",
    oninput: () => {
      list.filter = filter.value;
      renderRows();
    },
  });
  const button = (id, text, onclick, cls = "") =>
    h("button", { type: "button", id, class: cls, onclick, disabled: true }, text);
  const actions = [
    button("run-now", "Run Now", () => runNow(selectedJobs()), "primary"),
    isAdmin() && button("disable", "Disable job", () => setEnabled(selectedJobs(), false)),
    isAdmin() && button("enable", "Enable", () => setEnabled(selectedJobs(), true)),
    button("clear-all", "Clear All", () => clearAll(selectedJobs())),
    isAdmin() && button("delete", "Delete", () => deleteJobs(selectedJobs()), "danger-outline"),
  ];
  const selectAll = h("input", {
    type: "checkbox",
    id: "select-all",
    "aria-label": "Select all jobs shown",
    onchange: () => {
      for (const job of shownJobs()) selectAll.checked ? list.selected.add(job.id) : list.selected.delete(job.id);
      renderRows();
    },
  });
  const head = h("tr", {}, h("th", { class: "select", scope: "col" }, selectAll), COLUMNS.map(sortHeader));
  const tbody = h("tbody", { id: "jobs-body" });
  const count = h("span", { class: "muted selection-count", id: "selection-count" });
  show(
    "Scheduler",
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Scheduler"),
        h("p", { class: "muted" }, "Every job: what starts it, its last execution and its status."),
      ),
      isAdmin() && h("a", { class: "button primary", href: "#/new", id: "new-job" }, "New job"),
    ),
    h(
      "div",
      { class: "toolbar" },
      h("div", { class: "filter" }, h("label", { for: "filter" }, "Filter"), filter),
      h("div", { class: "button-row", role: "group", "aria-label": "Actions on the selected jobs" }, actions, count),
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "jobs cards", id: "jobs" },
        h("caption", { class: "visually-hidden" }, "Jobs"),
        h("thead", {}, head),
        tbody,
      ),
    ),
  );

  function sortHeader(column) {
    const sort = () => {
      list.sort = { key: column.key, dir: list.sort.key === column.key ? -list.sort.dir : 1 };
      renderRows();
    };
    return h(
      "th",
      { scope: "col", "data-key": column.key },
      h(
        "button",
        { type: "button", class: "sort", id: `sort-${column.key}`, onclick: sort },
        column.title,
        h("span", { class: "sort-mark", "aria-hidden": "true" }),
      ),
    );
  }

  function renderRows() {
    const jobs = shownJobs();
    const known = new Set(list.jobs.map((j) => j.id));
    for (const id of list.selected) if (!known.has(id)) list.selected.delete(id);
    const empty = list.jobs.length ? "No job matches the filter." : "No jobs yet.";
    keepFocus(() =>
      fill(
        tbody,
        ...jobs.map((job) => jobRow(job, renderRows)),
        jobs.length === 0 ? h("tr", { class: "empty" }, h("td", { colspan: 6 }, empty)) : [],
      ),
    );
    for (const th of $$("th[data-key]", head)) {
      const sorted = th.dataset.key === list.sort.key;
      // The arrow is drawn by css/list.css from aria-sort: the header's text stays the column's name.
      th.setAttribute("aria-sort", sorted ? (list.sort.dir > 0 ? "ascending" : "descending") : "none");
    }
    const picked = selectedJobs();
    const shownPicked = jobs.filter((j) => list.selected.has(j.id)).length;
    selectAll.checked = jobs.length > 0 && shownPicked === jobs.length;
    selectAll.indeterminate = shownPicked > 0 && shownPicked < jobs.length;
    const some = picked.length > 0;
    const enable = (id, on) => {
      const b = document.getElementById(id);
      if (b) b.disabled = !on;
    };
    enable("run-now", some && picked.every(canOperate));
    enable("clear-all", some && picked.every(canOperate));
    enable("enable", some && picked.some((j) => !j.enabled));
    enable("disable", some && picked.some((j) => j.enabled));
    enable("delete", some && picked.every(canEdit));
    count.textContent = some ? `${picked.length} selected` : "";
  }

  const refresh = async () => {
    const jobs = await allJobs();
    if (!current(view)) return false;
    list.jobs = jobs;
    renderRows();
  };
  onReload(refresh);
  await refresh();
  poll(refresh, POLL_MS);
}

function jobRow(job, rerender) {
  const box = h("input", {
    type: "checkbox",
    id: `select-${job.id}`,
    checked: list.selected.has(job.id),
    "aria-label": `Select ${job.label}`,
    onchange: () => {
      box.checked ? list.selected.add(job.id) : list.selected.delete(job.id);
      rerender();
    },
  });
  return h(
    "tr",
    { "data-job": job.id, class: list.selected.has(job.id) ? "selected" : "" },
    h("td", { class: "select" }, box),
    h(
      "td",
      { class: "label", "data-label": "Label" },
      h("a", { href: `#/jobs/${enc(job.id)}`, id: `open-${job.id}` }, job.label),
      " ",
      kindBadge(job.kind),
    ),
    h("td", { "data-label": "Owner" }, job.owner),
    h("td", { class: "trigger", "data-label": "Trigger" }, triggerText(job.trigger)),
    h("td", { class: "last", "data-label": "Last Execution" }, timeAgo(lastTime(job))),
    h("td", { class: "status", "data-label": "Status" }, jobStatus(job)),
  );
}
