// A job in words, as its page's About card lists it: its trigger and next runs, its action chain
// and on-failure branch, its execution policy, its version (and, for admins, the changes made to it).

import { isAdmin } from "../auth.js";
import { enc, h } from "../lib/dom.js";
import { eventText, filterText } from "../lib/job-words.js";
import { absolute, duration, fireTimes, relative } from "../lib/time.js";
import { overlapMeaning } from "../lib/vocabulary.js";

/**
 * A term and its description, for a <dl>.
 * @param {string} term
 * @param {...any} details
 * @returns {HTMLElement[]}
 */
export function fact(term, ...details) {
  return [h("dt", {}, term), h("dd", {}, ...details)];
}

/** Text said quietly: what is missing, or a detail. */
const none = (text, more = "") => h("span", { class: `muted${more && ` ${more}`}` }, text);

/**
 * The About card's facts.
 * @param {object} job
 * @param {{description?: string, next: {utc: string, local: string}[]}} preview its schedule's next runs
 * @param {HTMLElement} [runs] the next runs as the job's page shows them (with Skip); the preview's own otherwise
 * @returns {HTMLElement[][]}
 */
export function jobFacts(job, preview, runs = null) {
  const next = preview.next.slice(0, 5);
  const trigger = job.schedule
    ? preview.description || job.trigger
    : job.events?.length || job.hooks?.length
      ? "When one of the events or hooks below arrives (and Run Now)"
      : "Manual: runs when someone clicks Run Now";
  const nextRuns = !job.enabled
    ? none("none while the job is disabled")
    : runs || (next.length ? fireTimes(next, { id: "next-runs" }) : none("no more runs"));
  return [
    fact("Owner", job.owner),
    fact("Trigger", trigger),
    job.schedule && fact("Expression", h("code", {}, job.schedule.expression), ` in ${job.schedule.timezone}`),
    job.schedule && scheduleBounds(job.schedule),
    job.events?.length > 0 && fact("Events", job.events.map(eventText).join(", ")),
    job.hooks?.length > 0 &&
      fact(
        "Hooks",
        job.hooks.map((hook) => h("code", { class: "hook" }, `POST /hooks/${hook.slug}`)),
      ),
    job.schedule && fact("Next runs", nextRuns),
    fact("Actions", job.actions.length ? stepsList(job.actions, "chain") : none("none")),
    job.on_failure?.length > 0 && fact("If a step fails", stepsList(job.on_failure, "chain on-failure")),
    job.parameters.length > 0 && fact("Parameters", job.parameters.map((p) => p.name).join(", ")),
    executionFacts(job),
    fact(
      "Version",
      String(job.version),
      h("span", { class: "muted" }, ` · changed ${relative(job.updated_at)}`),
      isAdmin() && [" · ", h("a", { href: `#/audit?job=${enc(job.id)}`, id: "job-audit" }, "who changed what")],
    ),
  ];
}

/** The schedule's calendars, start, end, max runs and jitter, when it has any. */
function scheduleBounds(schedule) {
  const parts = [
    schedule.calendars?.length > 0 && [
      "calendars ",
      schedule.calendars.map((name, i) => [i ? ", " : "", h("a", { href: `#/calendars/${enc(name)}` }, name)]),
    ],
    schedule.start && `from ${absolute(schedule.start)}`,
    schedule.end && `until ${absolute(schedule.end)}`,
    schedule.max_runs && `at most ${schedule.max_runs} runs`,
    schedule.jitter_seconds > 0 && `each run up to ${duration(schedule.jitter_seconds)} after its slot`,
  ].filter(Boolean);
  return parts.length > 0 && fact("Bounds", parts.map((part, i) => [i ? " · " : "", part]));
}

/** A chain's steps: action, parameters, timeout, input filter. */
function stepsList(steps, className) {
  return h(
    "ol",
    { class: className },
    steps.map((a) =>
      h(
        "li",
        {},
        h("code", {}, a.action),
        Object.keys(a.parameters).length > 0 && [" ", none(JSON.stringify(a.parameters), "params")],
        a.timeout_seconds && h("span", { class: "muted" }, ` · times out after ${duration(a.timeout_seconds)}`),
        a.filter && h("span", { class: "muted" }, ` · only items that ${filterText(a.filter)}`),
      ),
    ),
  );
}

/** The job's execution policy in words: overlap and seats, retries, timeout, what a failure does. */
function executionFacts(job) {
  const retry = job.retry;
  const retries =
    `up to ${retry.max_attempts} attempts, waiting ${duration(retry.backoff_seconds)} then doubling, ` +
    `at most ${duration(retry.max_backoff_seconds)}`;
  const notify = [job.notify.topic && "the notifications topic", job.notify.webhook].filter(Boolean);
  const pause = job.pause_after_failures;
  return [
    fact(
      "Overlap",
      h("code", {}, job.overlap),
      ` · at most ${job.concurrency_limit} at a time`,
      job.max_concurrency == null ? none(" (the policy's default)") : null,
      h("br"),
      none(overlapMeaning(job.overlap)),
    ),
    fact("Retries", retry.max_attempts > 1 ? retries : none("none: one attempt")),
    fact("Timeout", duration(job.timeout_seconds)),
    fact(
      "When a run fails",
      notify.length ? `notify ${notify.join(" and ")}` : none("no notification"),
      pause ? `; suspend the job after ${pause} failed run${pause === 1 ? "" : "s"} in a row` : "",
    ),
  ];
}
