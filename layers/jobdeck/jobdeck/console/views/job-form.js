// The custom job form (#/new, #/jobs/<id>/edit; admins): its parts (form/) in order, each giving
// its element, its share of the request body and the API's refusals of its fields. An edit sends
// the version it read, and says so when someone else saved first.

import { actionCatalog, allJobs, api, datasources, vocabulary } from "../api.js";
import { currentUser, isAdmin } from "../auth.js";
import { afterPart } from "../form/after.js";
import { clearFieldErrors, problemsOf, unplaced } from "../form/errors.js";
import { eventsPart } from "../form/events.js";
import { hooksPart } from "../form/hooks.js";
import { identityPart } from "../form/identity.js";
import { parametersPart } from "../form/parameters.js";
import { policyPart } from "../form/policy.js";
import { schedulePart } from "../form/schedule.js";
import { branchPart, chainPart } from "../form/steps.js";
import { enc, fill, h } from "../lib/dom.js";
import { say } from "../lib/notice.js";
import { crumbs, current, reroute, show, showProblem } from "../page.js";

export async function formView(view, jobId) {
  if (!isAdmin()) return showProblem("Not allowed", null, "Only admins create and edit jobs");
  const [catalog, job, , , jobs] = await Promise.all([
    actionCatalog(),
    jobId ? api("GET", `/jobs/${enc(jobId)}`) : null,
    vocabulary(), // the hints of the schedule and the policy say what each choice means
    datasources(), // the pickers of steps, filters and S3 events (form/datasource-field.js)
    allJobs(), // the jobs `after` may follow (form/after.js)
  ]);
  if (!current(view)) return;

  const identity = identityPart(job, currentUser().name);
  const clock = schedulePart(job);
  const events = eventsPart(job);
  const hooks = hooksPart(job);
  const after = afterPart(job, jobs);
  const chain = chainPart(job, catalog);
  const branch = branchPart(job, catalog);
  const parameters = parametersPart(job);
  const policy = policyPart(job);
  const parts = [identity, clock, events, hooks, after, chain, branch, parameters, policy];
  const formError = h("div", { class: "form-error", id: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", id: "save" }, job ? "Save changes" : "Create job");

  /** The request: every part's fields, and the version read (an edit). */
  function body() {
    const out = Object.assign({}, ...parts.map((part) => part.value()));
    if (job) out.version = job.version;
    return out;
  }

  /** Each problem beside its field; the others listed at the top, where focus goes if none was placed. */
  function showErrors(error) {
    clearErrors();
    const problems = problemsOf(error);
    const placed = new Set();
    let first = null;
    for (const part of parts) {
      const shown = part.errors(problems);
      for (const problem of shown.placed) placed.add(problem);
      first ??= shown.first;
    }
    const left = unplaced(problems, placed);
    const invalid = error.status === 422;
    const why = invalid ? "see the fields marked below." : error.message;
    fill(
      formError,
      h("p", {}, `The job was not saved: ${why}`),
      invalid && left.length > 0 && h("ul", {}, left.map((u) => h("li", {}, u))),
      error.status === 409 &&
        job &&
        h("p", {}, h("button", { type: "button", onclick: reroute }, "Reload the job (your changes are lost)")),
    );
    (first || formError).focus?.();
    if (!first) formError.scrollIntoView({ block: "center" });
  }

  function clearErrors() {
    fill(formError);
    clearFieldErrors(form);
  }

  async function save(event) {
    event.preventDefault();
    clearErrors();
    submit.disabled = true;
    try {
      const saved = job ? await api("PUT", `/jobs/${enc(job.id)}`, body()) : await api("POST", "/jobs", body());
      say(`${job ? "Saved" : "Created"} ${saved.label}.`);
      location.hash = `#/jobs/${enc(saved.id)}`;
    } catch (error) {
      showErrors(error);
    } finally {
      submit.disabled = false;
    }
  }

  const form = h(
    "form",
    { class: "job-form", id: "job-form", novalidate: true, onsubmit: save },
    formError,
    identity.element,
    h("fieldset", {}, h("legend", {}, "Trigger"), clock.element, events.element, hooks.element, after.element),
    chain.element,
    branch.element,
    parameters.element,
    policy.element,
    h(
      "div",
      { class: "button-row form-buttons" },
      submit,
      h("a", { class: "button", href: job ? `#/jobs/${enc(job.id)}` : "#/" }, "Cancel"),
    ),
  );
  show(
    job ? `Edit ${job.label}` : "New job",
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        crumbs(job && h("a", { href: `#/jobs/${enc(job.id)}` }, job.label)),
        h("h1", {}, job ? `Edit ${job.label}` : "New custom job"),
        h("p", { class: "muted" }, h("span", { class: "required", "aria-hidden": "true" }, "*"), " required"),
      ),
    ),
    form,
  );
}
