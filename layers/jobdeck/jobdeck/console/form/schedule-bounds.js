// The schedule's bounds and calendars, inside the form's schedule part: the calendars it honours
// (GET /calendars), its start and end (the browser's zone, sent with their offset), how many runs
// at most, and its jitter. The schedule part's live preview asks with these too (`query`).

import { api } from "../api.js";
import { fill, h } from "../lib/dom.js";
import { isoWithOffset, localInputValue } from "../lib/time.js";
import { formPart } from "./errors.js";
import { field, numberValue, wholeNumber } from "./field.js";

const MAX_JITTER = 3600; // jobdeck.firing.MAX_JITTER_SECONDS

/**
 * @param {object | null} schedule the job's schedule, or null for a new one
 * @param {() => void} changed called when a value the preview depends on changes
 * @returns {import("./errors.js").FormPart & {query: () => Record<string, string>}}
 */
export function boundsPart(schedule, changed) {
  const chosen = new Set(schedule?.calendars || []);
  const boxes = h("div", { class: "calendar-choices", id: "f-calendars", role: "group", "aria-label": "Calendars" });
  const when = (iso) => h("input", { type: "datetime-local", value: iso ? localInputValue(new Date(iso)) : "" });
  const start = when(schedule?.start);
  const end = when(schedule?.end);
  const maxRuns = wholeNumber(schedule?.max_runs, 1, 1000000, "no limit");
  const jitter = wholeNumber(schedule?.jitter_seconds || null, 0, MAX_JITTER, "0");

  /** The calendars there are, each a box (checked when the job names it). */
  async function listCalendars() {
    let items = [];
    try {
      items = (await api("GET", "/calendars")).items;
    } catch {
      // Without the list, the job keeps the calendars it names (sent back as read).
    }
    const names = [...new Set([...items.map((c) => c.name), ...chosen])].sort();
    if (!names.length) {
      fill(boxes, h("p", { class: "muted" }, "No calendar yet: ", h("a", { href: "#/calendars" }, "make one"), "."));
      return;
    }
    const byName = Object.fromEntries(items.map((c) => [c.name, c]));
    fill(
      boxes,
      names.map((name) => {
        const box = h("input", { type: "checkbox", value: name, id: `f-calendar-${name}`, checked: chosen.has(name) });
        box.addEventListener("change", () => {
          if (box.checked) chosen.add(name);
          else chosen.delete(name);
          changed();
        });
        const about = byName[name];
        return h(
          "label",
          { class: "check-choice", for: box.id },
          box,
          ` ${name}`,
          about && h("span", { class: "muted" }, ` · ${about.mode} · ${about.timezone}`),
        );
      }),
    );
  }
  listCalendars();
  for (const el of [start, end, maxRuns, jitter]) el.addEventListener("input", changed);

  const element = h(
    "div",
    { class: "schedule-bounds" },
    h(
      "div",
      { class: "field", "data-field": "schedule.calendars" },
      h("span", { class: "label" }, "Calendars"),
      boxes,
      h("p", { class: "hint" }, "A run fires when every exclude calendar lets it and every only calendar includes it."),
      h("p", { class: "field-error", id: "f-calendars-error" }),
    ),
    h(
      "div",
      { class: "grid-2" },
      field("schedule.start", "f-start", "Start", start, "No run before it (your browser's time zone)"),
      field("schedule.end", "f-end", "End", end, "No run at or after it"),
      field("schedule.max_runs", "f-max-runs", "Max runs", maxRuns, "The schedule ends after this many runs"),
      field("schedule.jitter_seconds", "f-jitter", "Jitter (s)", jitter, `0 to ${MAX_JITTER}: each run starts up to this late, the same offset every time`),
    ),
  );

  const value = () => ({
    calendars: [...chosen].sort(),
    start: start.value ? isoWithOffset(start.value) : null,
    end: end.value ? isoWithOffset(end.value) : null,
    max_runs: numberValue(maxRuns),
    jitter_seconds: numberValue(jitter) ?? 0,
  });

  /** The preview's query for these values (what the API would refuse is left to the save). */
  function query() {
    const v = value();
    const out = {};
    if (v.calendars.length) out.calendars = v.calendars.join(",");
    if (v.start) out.start = v.start;
    if (v.end) out.end = v.end;
    if (typeof v.max_runs === "number") out.max_runs = String(v.max_runs);
    if (typeof v.jitter_seconds === "number" && v.jitter_seconds > 0) out.jitter_seconds = String(v.jitter_seconds);
    return out;
  }
  return { ...formPart(element, value), query };
}
