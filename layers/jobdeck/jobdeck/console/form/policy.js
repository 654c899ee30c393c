// The form's execution policy: overlap (each policy explained beside the select) and max
// concurrency, retries and their backoff, the timeout, a suspension after failures, notifications and
// how long the history is kept.

import { $, $$, h } from "../lib/dom.js";
import { OVERLAPS, defaultConcurrency, fieldMeaning, overlapMeaning, typeMeaning } from "../lib/vocabulary.js";
import { formPart } from "./errors.js";
import { field, numberValue, wholeNumber } from "./field.js";

/**
 * The overlap policy <select>, its options named as people say them.
 * @param {string} [value] allow_all when none
 * @returns {HTMLSelectElement}
 */
export function overlapSelect(value) {
  const select = h(
    "select",
    {},
    OVERLAPS.map(([policy, name]) => h("option", { value: policy }, name)),
  );
  select.value = value || "allow_all";
  return select;
}

/** A retry field's hint: what jobdeck.domain.RetryPolicy says of it, as GET /vocabulary serves it. */
const retryMeaning = (name) => fieldMeaning("RetryPolicy", name);

/**
 * @param {object | null} job the job edited, or null for a new one
 * @returns {import("./errors.js").FormPart}
 */
export function policyPart(job) {
  const overlap = overlapSelect(job?.overlap);
  const maxConcurrency = wholeNumber(job?.max_concurrency, 1, 1000);
  const maxAttempts = wholeNumber(job?.retry.max_attempts ?? 1, 1, 10);
  const backoff = wholeNumber(job?.retry.backoff_seconds ?? 30, 1, 86400);
  const maxBackoff = wholeNumber(job?.retry.max_backoff_seconds ?? 3600, 1, 86400);
  const pauseAfter = wholeNumber(job?.pause_after_failures, 1, 1000, "never");
  const timeout = wholeNumber(job?.timeout_seconds ?? 3600, 1, 604800);
  const historyDays = wholeNumber(job?.history_days ?? 30, 1, 3650);
  const notifyTopic = h("input", { type: "checkbox", checked: job ? job.notify.topic : true });
  const webhook = h("input", {
    type: "url",
    value: job?.notify.webhook || "",
    placeholder: "https://example.com/hooks/jobdeck",
    autocomplete: "off",
    spellcheck: "false",
  });
  const overlapList = h(
    "ul",
    { class: "overlap-list", id: "overlap-list" },
    OVERLAPS.map(([value, name]) =>
      h("li", { "data-overlap": value, id: `overlap-${value}` }, h("strong", {}, name), " ", overlapMeaning(value)),
    ),
  );

  const element = h(
    "fieldset",
    { id: "execution-policy" },
    h("legend", {}, "Execution policy"),
    h(
      "div",
      { class: "overlap-row" },
      field("overlap", "f-overlap", "Overlap", overlap, typeMeaning("Overlap")),
      overlapList,
      field("max_concurrency", "f-max-concurrency", "Max concurrency", maxConcurrency, ""),
    ),
    h("h3", { class: "trigger-heading policy-heading" }, "Retries"),
    h(
      "p",
      { class: "hint" },
      "A step that fails with a retryable error (throttled, unreachable) runs again, ",
      "after a wait that doubles each time.",
    ),
    h(
      "div",
      { class: "grid-3" },
      field("retry.max_attempts", "f-max-attempts", "Max attempts", maxAttempts, retryMeaning("max_attempts")),
      field("retry.backoff_seconds", "f-backoff", "Backoff (seconds)", backoff, retryMeaning("backoff_seconds")),
      field(
        "retry.max_backoff_seconds",
        "f-max-backoff",
        "Max backoff (seconds)",
        maxBackoff,
        retryMeaning("max_backoff_seconds"),
      ),
    ),
    h("h3", { class: "trigger-heading policy-heading" }, "Limits and failures"),
    h(
      "div",
      { class: "grid-3" },
      field("timeout_seconds", "f-timeout", "Timeout (seconds)", timeout, "The whole task ends INTERRUPTED past it"),
      field(
        "pause_after_failures",
        "f-pause-after",
        "Suspend after failures",
        pauseAfter,
        "Failed runs in a row before the job is suspended; empty: never",
      ),
      field("history_days", "f-history", "Keep history (days)", historyDays),
    ),
    h(
      "div",
      { class: "grid-2" },
      field(
        "notify.topic",
        "f-notify-topic",
        "Notify the topic",
        notifyTopic,
        fieldMeaning("NotifyPolicy", "topic"),
      ),
      field(
        "notify.webhook",
        "f-webhook",
        "Notify a webhook",
        webhook,
        `Optional. ${fieldMeaning("NotifyPolicy", "webhook")}`,
      ),
    ),
  );

  /** The chosen policy stands out in the list beside the select; the seats' default follows it. */
  function showOverlap() {
    for (const li of $$("li", overlapList)) li.classList.toggle("chosen", li.dataset.overlap === overlap.value);
    const seats = defaultConcurrency(overlap.value);
    maxConcurrency.placeholder = String(seats);
    const why = overlap.value === "allow_all" ? "a safety cap" : "one run at a time";
    $("#f-max-concurrency-hint", element).textContent = `Empty: ${seats}, the default for ${overlap.value} (${why})`;
    overlap.setAttribute("aria-describedby", `f-overlap-hint overlap-${overlap.value} f-overlap-error`);
  }
  overlap.addEventListener("change", showOverlap);
  showOverlap();

  return formPart(element, () => ({
    timeout_seconds: numberValue(timeout) ?? 3600,
    history_days: numberValue(historyDays) ?? 30,
    overlap: overlap.value,
    max_concurrency: numberValue(maxConcurrency),
    retry: {
      max_attempts: numberValue(maxAttempts) ?? 1,
      backoff_seconds: numberValue(backoff) ?? 30,
      max_backoff_seconds: numberValue(maxBackoff) ?? 3600,
    },
    notify: { topic: notifyTopic.checked, webhook: webhook.value.trim() || null },
    pause_after_failures: numberValue(pauseAfter),
  }));
}
