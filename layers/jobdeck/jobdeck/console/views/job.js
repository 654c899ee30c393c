// A job's page (#/jobs/<id>): what it is and does (views/job-facts.js), its runs in flight, its
// history (views/job-history.js); Run Now, Enable or Disable, Backfill, Clear All, Edit, Delete as
// the caller may. Refreshed every 3 s.

import { allJobs, api, vocabulary } from "../api.js";
import { canEdit, canOperate, isAdmin } from "../auth.js";
import { backfillDialog } from "../dialogs/backfill.js";
import { runWithParameters } from "../dialogs/run-now.js";
import { clearAll, deleteJobs, setEnabled } from "../job-actions.js";
import { kindBadge, offBadge, upstreamBadge } from "../lib/badges.js";
import { enc, fill, h, keepFocus } from "../lib/dom.js";
import { inFlight } from "../lib/job-words.js";
import { poll } from "../lib/poll.js";
import { crumbs, current, onReload, show } from "../page.js";
import { dependenciesCard } from "./job-deps.js";
import { jobFacts } from "./job-facts.js";
import { jobHistory } from "./job-history.js";
import { nextRuns, upcomingSlots } from "./job-slots.js";

const POLL_MS = 3000;

export async function jobView(view, jobId) {
  const path = `/jobs/${enc(jobId)}`;
  const previewPath = `${path}/schedule/preview?count=5`;
  let job = null;
  const history = jobHistory(jobId, () => Boolean(job?.schedule));
  // The vocabulary: the facts say what the overlap policy means, and so does Backfill's dialog.
  // Every job: those that run after this one (a job stores only what it follows itself).
  const read = [api("GET", path), api("GET", previewPath), api("GET", history.newest()), allJobs(), vocabulary()];
  let preview, newest, jobs;
  [job, preview, newest, jobs] = await Promise.all(read);
  let upcoming = await upcomingSlots(job, preview);
  if (!current(view)) return;
  history.merge(newest);
  const head = h("div", { class: "page-head" });
  const facts = h("dl", { class: "facts" });
  const deps = h("div", { class: "deps-slot" });

  function buttons() {
    const button = (id, text, onclick, cls = "") => h("button", { type: "button", id, class: cls, onclick }, text);
    const remove = async () => {
      onReload(null); // the job is gone: nothing to reload here
      if (await deleteJobs([job])) location.hash = "#/";
      else onReload(refresh);
    };
    return [
      canOperate(job) && button("run-now", "Run Now", () => runWithParameters(job), "primary"),
      isAdmin() &&
        (job.enabled
          ? button("disable", "Disable job", () => setEnabled([job], false))
          : button("enable", "Enable", () => setEnabled([job], true))),
      canOperate(job) && job.schedule && button("backfill", "Backfill", () => backfillDialog(job)),
      canOperate(job) && button("clear-all", "Clear All", () => clearAll([job])),
      canEdit(job) && h("a", { class: "button", href: `#/jobs/${enc(job.id)}/edit`, id: "edit" }, "Edit"),
      canEdit(job) && button("delete", "Delete", remove, "danger-outline"),
    ];
  }

  function render() {
    const pausedNote =
      job.paused_reason &&
      !job.enabled &&
      h(
        "p",
        { class: "paused-note", id: "paused-note" },
        h("strong", {}, "Suspended by the scheduler"),
        ` (${job.paused_reason}). `,
        isAdmin() ? "Enable lifts the suspension." : "An admin can enable it again.",
      );
    keepFocus(() =>
      fill(
        head,
        h(
          "div",
          {},
          crumbs(),
          h(
            "h1",
            {},
            job.label,
            " ",
            kindBadge(job.kind),
            !job.enabled && [" ", offBadge(job)],
            job.upstream_problems?.length > 0 && [" ", upstreamBadge(job)],
          ),
          job.description && h("p", { class: "muted description" }, job.description),
          inFlight(job) && h("p", { class: "in-flight", id: "in-flight" }, inFlight(job)),
          pausedNote,
        ),
        h("div", { class: "button-row" }, buttons()),
      ),
    );
    fill(facts, jobFacts(job, preview, upcoming ? nextRuns(job, upcoming, slotsChanged) : null));
    keepFocus(() => fill(deps, dependenciesCard(job, jobs)));
  }

  /** A run was skipped or its skip undone: the job and its next runs again. */
  async function slotsChanged() {
    const [fresh, next] = await Promise.all([api("GET", path), api("GET", previewPath)]);
    const slots = await upcomingSlots(fresh, next);
    if (!current(view)) return;
    [job, preview, upcoming] = [fresh, next, slots];
    render();
  }

  async function refresh() {
    // The job list again only while the Dependencies card shows some of it (their statuses move).
    const related = job.after || jobs.some((j) => j.after?.jobs.includes(job.id));
    const [fresh, newest, all] = await Promise.all([
      api("GET", path),
      api("GET", history.newest()),
      related ? allJobs() : jobs,
    ]);
    if (!current(view)) return false;
    jobs = all;
    if (fresh.version !== job.version || fresh.enabled !== job.enabled) {
      preview = await api("GET", previewPath);
      upcoming = await upcomingSlots(fresh, preview);
    }
    job = fresh;
    render();
    history.merge(newest);
  }

  onReload(refresh);
  render();
  show(
    job.label,
    head,
    h("section", { class: "card", "aria-labelledby": "about-title" }, h("h2", { id: "about-title" }, "About"), facts),
    deps,
    history.element,
  );
  poll(refresh, POLL_MS);
}
