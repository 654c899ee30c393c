// The timeline (#/timeline, #/timeline?view=week&date=2026-12-07): every enabled scheduled job's
// runs of a day (hour by hour) or a week (runs per hour of each day), in the browser's zone, the
// busiest minutes marked. GET /timeline says what the schedules hold; a job's page says what ran.

import { api } from "../api.js";
import { enc, h } from "../lib/dom.js";
import { crumbs, current, show } from "../page.js";

const HOUR_MS = 3600000;
const pad = (n) => String(n).padStart(2, "0");
const dayText = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** Midnight of a "YYYY-MM-DD" day in the browser's zone (today when absent or unreadable). */
function midnight(text) {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(text || "");
  const d = m ? new Date(+m[1], +m[2] - 1, +m[3]) : new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

export async function timelineView(view, query) {
  const params = new URLSearchParams(query || "");
  const week = params.get("view") === "week";
  const first = midnight(params.get("date"));
  if (week) first.setDate(first.getDate() - ((first.getDay() + 6) % 7)); // from Monday
  const last = new Date(first);
  last.setDate(last.getDate() + (week ? 7 : 1));
  const answer = await api("GET", `/timeline?from=${enc(first.toISOString())}&to=${enc(last.toISOString())}`);
  if (!current(view)) return;
  const busiest = new Map(answer.busiest.map((m) => [Date.parse(m.minute), m.count]));

  const link = (date, asWeek, text, id) =>
    h("a", { class: "button small", id, href: `#/timeline?view=${asWeek ? "week" : "day"}&date=${dayText(date)}` }, text);
  const shift = (days) => {
    const d = new Date(first);
    d.setDate(d.getDate() + days);
    return d;
  };
  const title = week
    ? `Week of ${first.toLocaleDateString(undefined, { day: "numeric", month: "long", year: "numeric" })}`
    : first.toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  const busiestList = answer.busiest.length
    ? h(
        "ol",
        { class: "busiest-list", id: "busiest" },
        answer.busiest.map((m) =>
          h("li", {}, h("time", { datetime: m.minute }, week ? new Date(m.minute).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }) : clock(m.minute)), ` · ${m.count} runs`),
        ),
      )
    : h("p", { class: "muted", id: "busiest" }, "No minute has more than one run.");

  show(
    "Timeline",
    h(
      "div",
      { class: "page-head" },
      h("div", {}, crumbs(), h("h1", {}, "Timeline"), h("p", { class: "muted" }, "Every enabled scheduled job's runs, in your browser's time zone.")),
      h(
        "div",
        { class: "button-row" },
        link(shift(week ? -7 : -1), week, week ? "‹ Week before" : "‹ Day before", "timeline-before"),
        link(first, !week, week ? "Day view" : "Week view", "timeline-switch"),
        link(shift(week ? 7 : 1), week, week ? "Week after ›" : "Day after ›", "timeline-after"),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "timeline-title" },
      h("h2", { id: "timeline-title" }, title),
      h("h3", {}, "Busiest minutes"),
      busiestList,
      answer.truncated && h("p", { class: "error-text" }, "More than 20,000 runs: the end of the range is left out."),
      week ? weekGrid(first, answer, busiest) : dayList(first, answer, busiest),
    ),
  );
}

/** The day, hour by hour: each run a chip (its minute and job), the busiest minutes marked. */
function dayList(first, answer, busiest) {
  const hours = Array.from({ length: 24 }, () => []);
  for (const run of answer.runs) {
    const hour = Math.floor((Date.parse(run.starts) - first.getTime()) / HOUR_MS);
    if (hour >= 0 && hour < 24) hours[hour].push(run);
  }
  return h(
    "ol",
    { class: "day-hours", id: "day-hours" },
    hours.map((runs, hour) =>
      h(
        "li",
        { class: `hour${runs.length ? "" : " empty"}`, "data-hour": hour },
        h("span", { class: "hour-label" }, `${pad(hour)}:00`),
        h(
          "span",
          { class: "hour-runs" },
          runs.length ? runs.map((run) => runChip(run, busiest)) : h("span", { class: "muted" }, "—"),
        ),
      ),
    ),
  );
}

function runChip(run, busiest) {
  const minute = Math.floor(Date.parse(run.starts) / 60000) * 60000;
  const busy = busiest.has(minute);
  return h(
    "a",
    {
      class: `run-chip${busy ? " busiest" : ""}`,
      href: `#/jobs/${enc(run.job_id)}`,
      title: busy ? `one of the busiest minutes (${busiest.get(minute)} runs)` : run.job_id,
      "data-job": run.job_id,
    },
    h("time", { datetime: run.starts }, clock(run.starts)),
    ` ${run.label}`,
  );
}

/** The week: runs per hour of each day, darker where more start; a star where a busiest minute is. */
function weekGrid(first, answer, busiest) {
  const counts = Array.from({ length: 7 }, () => new Array(24).fill(0));
  const starred = Array.from({ length: 7 }, () => new Array(24).fill(false));
  for (const run of answer.runs) {
    const hours = Math.floor((Date.parse(run.starts) - first.getTime()) / HOUR_MS);
    const [day, hour] = [Math.floor(hours / 24), hours % 24];
    if (day < 0 || day > 6) continue;
    counts[day][hour] += 1;
    if (busiest.has(Math.floor(Date.parse(run.starts) / 60000) * 60000)) starred[day][hour] = true;
  }
  // Shaded from the quietest busy hour to the busiest: a week where every hour has runs still
  // shows which hours have more.
  const busy = counts.flat().filter((n) => n > 0);
  const most = Math.max(1, ...busy);
  const least = Math.min(most, ...busy);
  const days = Array.from({ length: 7 }, (_, i) => {
    const d = new Date(first);
    d.setDate(d.getDate() + i);
    return d;
  });
  const table = h(
    "table",
    { class: "week-grid", id: "week-grid" },
    h("caption", { class: "visually-hidden" }, "Runs per hour, each day of the week"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Hour"), days.map((d) => h("th", { scope: "col" }, d.toLocaleDateString(undefined, { weekday: "short", day: "numeric" }))))),
    h(
      "tbody",
      {},
      Array.from({ length: 24 }, (_, hour) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, `${pad(hour)}:00`),
          days.map((_, day) => {
            const n = counts[day][hour];
            const level = n ? 1 + Math.round((3 * (n - least)) / Math.max(1, most - least)) : 0;
            return h("td", { class: `heat-${level}${starred[day][hour] ? " busiest" : ""}`, title: `${n} runs` }, n ? String(n) : "");
          }),
        ),
      ),
    ),
  );
  return h("div", { class: "table-scroll" }, table);
}
