// The form's trigger by the clock: manual, or a schedule (expression, time zone, what to do with
// missed runs, and its calendars and bounds: form/schedule-bounds.js) with a live preview of its
// next runs as it is typed, and a warning when they start in one of the busiest minutes.

import { api } from "../api.js";
import { fill, h } from "../lib/dom.js";
import { fireTimes } from "../lib/time.js";
import { MISFIRES, misfireMeaning } from "../lib/vocabulary.js";
import { formPart } from "./errors.js";
import { field } from "./field.js";
import { forgetTimeline, warnIfBusy } from "./quiet-minute.js";
import { boundsPart } from "./schedule-bounds.js";

const PREVIEW_DELAY_MS = 350; // after the last key typed
const EXPRESSION_HINT =
  "cron (30 2 * * *), cron(0 12 ? * MON-FRI *), rate(5 minutes), R/2026-01-01T02:30:00/P1D or at(2026-12-01T00:00:00)";

/** The time zones this browser knows, offered as the zone is typed. */
function zoneList() {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return h(
    "datalist",
    { id: "zones" },
    ["UTC", ...zones.filter((z) => z !== "UTC")].map((z) => h("option", { value: z })),
  );
}

/**
 * @param {object | null} job the job edited, or null for a new one
 * @returns {import("./errors.js").FormPart}
 */
export function schedulePart(job) {
  const schedule = job?.schedule;
  const radio = (value, checked) =>
    h("input", { type: "radio", name: "trigger", id: `f-trigger-${value}`, value, checked });
  const manual = radio("manual", !schedule);
  const scheduled = radio("schedule", Boolean(schedule));
  const expression = h("input", {
    type: "text",
    value: schedule?.expression || "",
    placeholder: "0 3 * * *",
    autocomplete: "off",
    spellcheck: "false",
  });
  const timezone = h("input", { type: "text", value: schedule?.timezone || "UTC", list: "zones", autocomplete: "off" });
  const misfire = h(
    "select",
    {},
    MISFIRES.map(([value, name]) => h("option", { value }, name)),
  );
  misfire.value = schedule?.misfire || "skip";
  const misfireField = field("schedule.misfire", "f-misfire", "Missed runs", misfire, misfireMeaning(misfire.value));
  // The hint says what the chosen policy does, in the words GET /vocabulary serves.
  misfire.addEventListener("change", () => {
    misfireField.querySelector(".hint").textContent = misfireMeaning(misfire.value);
  });
  const preview = h("div", { class: "preview", id: "preview", "aria-live": "polite" });
  const busy = h("div", { class: "busy-minute", id: "busy" });
  const bounds = boundsPart(schedule, () => showPreview());
  forgetTimeline();
  const fields = h(
    "div",
    { class: "schedule-fields", id: "schedule-fields" },
    h(
      "div",
      { class: "grid-2" },
      field("schedule.expression", "f-expression", "Expression", expression, EXPRESSION_HINT, true),
      field("schedule.timezone", "f-timezone", "Time zone", timezone, "IANA name, e.g. Europe/Paris"),
    ),
    misfireField,
    bounds.element,
    preview,
    busy,
  );

  let timer = null;
  let asked = 0;
  /** The next runs of what is typed, once typing pauses; an answer overtaken by a newer one is dropped. */
  function showPreview() {
    fields.hidden = !scheduled.checked;
    clearTimeout(timer);
    if (!scheduled.checked) return;
    if (!expression.value.trim()) {
      fill(preview, h("p", { class: "muted" }, "Type an expression to see its next runs."));
      return;
    }
    timer = setTimeout(async () => {
      const seq = ++asked;
      preview.classList.add("busy");
      try {
        const query = new URLSearchParams({
          expression: expression.value.trim(),
          timezone: timezone.value.trim() || "UTC",
          count: "5",
          ...bounds.query(),
          ...(job ? { job_id: job.id } : {}),
        });
        const result = await api("GET", `/schedule/preview?${query}`);
        if (seq !== asked) return;
        fill(
          preview,
          h("p", { class: "preview-words" }, result.description || result.expression),
          result.next.length ? fireTimes(result.next) : h("p", { class: "muted" }, "It will not fire again."),
        );
        preview.classList.remove("invalid");
        warnIfBusy(busy, result.next, expression, job?.id ?? null);
      } catch (error) {
        if (seq !== asked) return;
        const problem = error.body?.errors?.map((e) => e.problem).join("; ") || error.message;
        fill(preview, h("p", { class: "error-text" }, problem));
        fill(busy);
        preview.classList.add("invalid");
      } finally {
        if (seq === asked) preview.classList.remove("busy");
      }
    }, PREVIEW_DELAY_MS);
  }
  for (const el of [expression, timezone]) el.addEventListener("input", showPreview);
  for (const el of [manual, scheduled]) el.addEventListener("change", showPreview);
  showPreview();

  const element = h(
    "div",
    { class: "trigger-clock" },
    zoneList(),
    h(
      "div",
      { class: "radios", role: "radiogroup", "aria-label": "Trigger" },
      h("label", { for: "f-trigger-manual", class: "radio" }, manual, " Manual (Run Now, events and hooks only)"),
      h("label", { for: "f-trigger-schedule", class: "radio" }, scheduled, " Schedule"),
    ),
    fields,
  );
  return formPart(element, () => {
    if (!scheduled.checked) return {};
    // What the form does not edit (grace and catch-up windows) is sent back as it was read.
    const { grace_seconds, catch_up_seconds } = schedule || {};
    const zone = timezone.value.trim() || "UTC";
    const out = { expression: expression.value.trim(), timezone: zone, misfire: misfire.value, ...bounds.value() };
    return { schedule: schedule ? { ...out, grace_seconds, catch_up_seconds } : out };
  });
}
