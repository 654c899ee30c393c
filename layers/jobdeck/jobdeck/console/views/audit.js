// The audit trail (#/audit, #/audit?job=<id>; admins): who changed what and when, newest first,
// with the job's version before and after; filtered by job, Older for the next page.

import { allJobs, api } from "../api.js";
import { isAdmin } from "../auth.js";
import { enc, h } from "../lib/dom.js";
import { pagedTable } from "../lib/paged-table.js";
import { timeAgo } from "../lib/time.js";
import { AUDIT_ACTIONS } from "../lib/vocabulary.js";
import { crumbs, current, show, showProblem } from "../page.js";

const PAGE = 50;
const HEADINGS = ["When", "Who", "What", "Job", "Version", "Detail"];

/** "1 → 2", "new → 1", "3 → deleted"; null when the entry changed no version. */
function versions(entry) {
  const { version_before: before, version_after: after } = entry;
  if (before == null && after == null) return null;
  return `${before ?? "new"} → ${after ?? "deleted"}`;
}

/** The entry's detail, each item as "name value"; a task links to its page; null for none. */
function detail(entry) {
  const items = Object.entries(entry.detail).map(([name, value], i) => {
    const shown =
      name === "task" && entry.job_id
        ? h("a", { href: `#/jobs/${enc(entry.job_id)}/tasks/${enc(value)}` }, h("code", {}, value))
        : h("code", {}, typeof value === "object" ? JSON.stringify(value) : String(value));
    return [i ? " · " : "", h("span", { class: "detail-item" }, `${name.replace(/_/g, " ")} `, shown)];
  });
  return items.length ? h("span", {}, items) : null;
}

const none = () => h("span", { class: "muted" }, "—");

function entryRow(entry) {
  const words = AUDIT_ACTIONS[entry.action];
  const name = h("code", { class: words ? "action-name" : "" }, entry.action);
  const job = entry.job_id ? h("a", { href: `#/jobs/${enc(entry.job_id)}` }, entry.job_id) : none();
  return h(
    "tr",
    { "data-entry": entry.id },
    h("td", { "data-label": "When" }, timeAgo(entry.at)),
    h("td", { class: "who", "data-label": "Who" }, entry.actor),
    // One element in each cell: on a phone a cell is a grid of its label and its content.
    h("td", { class: "what", "data-label": "What" }, h("span", {}, words && [words, " "], name)),
    h("td", { "data-label": "Job" }, job),
    h("td", { class: "versions", "data-label": "Version" }, versions(entry) ?? none()),
    h("td", { class: "detail", "data-label": "Detail" }, detail(entry)),
  );
}

export async function auditView(view, jobId) {
  if (!isAdmin()) return showProblem("Not allowed", null, "Only admins read the audit trail");
  const query = `/audit?limit=${PAGE}${jobId ? `&job_id=${enc(jobId)}` : ""}`;
  const [first, jobs] = await Promise.all([api("GET", query), allJobs()]);
  if (!current(view)) return;
  const job = jobs.find((j) => j.id === jobId);
  const trail = pagedTable({
    id: "audit",
    className: "audit cards",
    caption: "Audit trail, newest first",
    headings: HEADINGS,
    row: entryRow,
    empty: jobId ? "No change to this job in the trail." : "The trail is empty.",
    olderId: "audit-older",
    readOlder: (cursor) => api("GET", `${query}&cursor=${enc(cursor)}`),
  });
  trail.show(first);
  const choice = h("input", {
    type: "search",
    id: "audit-job",
    value: jobId || "",
    list: "audit-jobs",
    placeholder: "A job's id",
    autocomplete: "off",
    spellcheck: "false",
  });
  const filter = h(
    "form",
    {
      class: "filter audit-filter",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        const wanted = choice.value.trim();
        location.hash = wanted ? `#/audit?job=${enc(wanted)}` : "#/audit";
      },
    },
    h("label", { for: "audit-job" }, "Job"),
    choice,
    h("datalist", { id: "audit-jobs" }, jobs.map((j) => h("option", { value: j.id }, j.label))),
    h("button", { type: "submit", id: "audit-show" }, "Show"),
    jobId && h("a", { href: "#/audit", id: "audit-all" }, "All jobs"),
  );

  const whose = jobId && h("a", { href: `#/jobs/${enc(jobId)}`, id: "audit-job-link" }, job?.label || jobId);
  show(
    jobId ? `Audit · ${job?.label || jobId}` : "Audit",
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        crumbs(whose),
        h("h1", {}, "Audit trail"),
        h(
          "p",
          { class: "muted" },
          jobId ? "Who changed this job, and what they did to it, newest first." : "Who changed what, newest first.",
        ),
      ),
    ),
    h("div", { class: "toolbar" }, filter),
    trail.elements,
  );
}
