// The datasources (#/datasources): each bucket (or prefix) jobs act in, what its node index holds
// and what its last sync found; admins sync one now (Run Now on its "Sync datasource <name>" job)
// and follow the task. Refreshed every few seconds, as the jobs list is.

import { api } from "../api.js";
import { isAdmin } from "../auth.js";
import { dsLocation } from "../form/datasource-field.js";
import { statusBadge } from "../lib/badges.js";
import { enc, fill, h, keepFocus } from "../lib/dom.js";
import { say } from "../lib/notice.js";
import { poll } from "../lib/poll.js";
import { timeAgo } from "../lib/time.js";
import { crumbs, current, onReload, show } from "../page.js";

const POLL_MS = 2000;
const ENDED = new Set(["FINISHED", "ERROR", "INTERRUPTED"]);
const HEADINGS = ["Name", "Location", "Objects indexed", "Last sync", "Sync"];

/** The syncs started from this page, by datasource: {jobId, task}; kept until the page is left. */
const started = new Map();

export async function datasourcesView(view) {
  started.clear();
  const body = h("tbody", { id: "datasources-body" });
  show(
    "Datasources",
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        crumbs(),
        h("h1", {}, "Datasources"),
        h(
          "p",
          { class: "muted" },
          "The buckets and prefixes jobs act in; keys are relative to a datasource's prefix. Each has its ",
          "own node index, brought in line with its bucket every hour by its sync job.",
        ),
      ),
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "datasources cards", id: "datasources" },
        h("caption", { class: "visually-hidden" }, "Datasources"),
        h("thead", {}, h("tr", {}, HEADINGS.map((t) => h("th", { scope: "col" }, t)))),
        body,
      ),
    ),
  );

  async function refresh() {
    const { datasources } = await api("GET", "/datasources");
    // The tasks of the syncs started here, until each has ended.
    await Promise.all(
      [...started.values()]
        .filter((s) => !ENDED.has(s.task.status))
        .map(async (s) => (s.task = await api("GET", `/jobs/${enc(s.jobId)}/tasks/${enc(s.task.id)}`))),
    );
    if (!current(view)) return false;
    keepFocus(() =>
      fill(
        body,
        datasources.map((ds) => datasourceRow(ds, refresh)),
        datasources.length === 0 &&
          h("tr", { class: "empty" }, h("td", { colspan: HEADINGS.length }, "No datasource.")),
      ),
    );
  }
  onReload(refresh);
  await refresh();
  poll(refresh, POLL_MS);
}

/** "+3 ~1 −0": what a sync created, changed and deleted in the index; each in words on hover. */
function syncCounts(sync) {
  const count = (mark, n, word) =>
    h(
      "span",
      { class: `sync-count ${n ? word : "none"}`, "data-count": word },
      `${mark}${n.toLocaleString()}`,
      h("span", { class: "visually-hidden" }, ` ${word}`), // "+3" alone says little to a screen reader
    );
  return h(
    "span",
    {
      class: "sync-counts",
      title: `${sync.objects} objects found: ${sync.created} created, ${sync.changed} changed, ${sync.deleted} deleted`,
    },
    count("+", sync.created, "created"),
    " ",
    count("~", sync.changed, "changed"),
    " ",
    count("\u2212", sync.deleted, "deleted"), // a minus sign, not a hyphen
  );
}

/** "s3://bucket/prefix/" that wraps after a slash, not inside a name, in a narrow column. */
const breakable = (text) => text.split(/(?<=\/)/).flatMap((part) => [part, h("wbr")]);

function datasourceRow(ds, refresh) {
  const sync = ds.last_sync;
  const jobPage = `#/jobs/${enc(ds.sync_job_id)}`;
  const mine = started.get(ds.name);
  const busy = mine && !ENDED.has(mine.task.status);
  async function syncNow() {
    try {
      const task = await api("POST", `/jobs/${enc(ds.sync_job_id)}/run`, { parameters: {} });
      started.set(ds.name, { jobId: ds.sync_job_id, task });
      say(`Sync of ${ds.name}: queued a task.`);
    } catch (error) {
      say(`Sync of ${ds.name}: ${error.message}`, "error");
    }
    await refresh();
  }
  return h(
    "tr",
    { "data-datasource": ds.name },
    h("td", { class: "name", "data-label": "Name" }, h("strong", {}, ds.name)),
    h("td", { class: "location", "data-label": "Location" }, h("code", {}, breakable(dsLocation(ds)))),
    h(
      "td",
      { class: "indexed", "data-label": "Objects indexed" },
      ds.objects_indexed == null
        ? h("span", { class: "muted" }, "not indexed yet")
        : ds.objects_indexed.toLocaleString(),
    ),
    h(
      "td",
      { class: "last-sync", "data-label": "Last sync" },
      // One element: a card's cell is a grid of its label and one value (css/list.css)
      sync ? h("span", {}, timeAgo(sync.at), " ", syncCounts(sync)) : h("span", { class: "muted" }, "never synced"),
    ),
    h(
      "td",
      { class: "sync", "data-label": "Sync" },
      isAdmin()
        ? h(
            "div",
            { class: "sync-tools" },
            h(
              "button",
              { type: "button", class: "small", id: `sync-${ds.name}`, onclick: syncNow, disabled: busy },
              "Sync now",
            ),
            h("a", { href: jobPage, class: "sync-job" }, "Sync job"),
            mine &&
              h(
                "span",
                { class: "sync-started", role: "status" },
                h("a", { href: `${jobPage}/tasks/${enc(mine.task.id)}` }, "Its task"),
                " ",
                statusBadge(mine.task.status),
              ),
          )
        : h("span", { class: "muted" }, "hourly"),
    ),
  );
}
