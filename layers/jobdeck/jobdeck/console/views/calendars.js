// The calendars (#/calendars, #/calendars/<name>): every calendar with this month's view of what it
// names, and one calendar's month view, month by month; admins get New, Edit and Delete.

import { api, vocabulary } from "../api.js";
import { isAdmin } from "../auth.js";
import { confirmDialog } from "../lib/confirm.js";
import { enc, fill, h } from "../lib/dom.js";
import { say } from "../lib/notice.js";
import { memberMeaning } from "../lib/vocabulary.js";
import { crumbs, current, show } from "../page.js";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const pad = (n) => String(n).padStart(2, "0");

/** A rule in words: "dates 2026-12-24, 2027-01-01..2027-01-03", "every SAT, SUN", "02:00–04:00". */
export function ruleText(rule) {
  if (rule.dates) return `dates ${rule.dates.join(", ")}`;
  if (rule.weekdays) return `every ${rule.weekdays.join(", ")}`;
  if (rule.yearly) return `every year on ${rule.yearly.join(", ")}`;
  if (rule.hours) return `every day ${rule.hours.from}–${rule.hours.to}`;
  return "";
}

export async function calendarsView(view) {
  const [list] = await Promise.all([api("GET", "/calendars"), vocabulary()]);
  if (!current(view)) return;
  const today = new Date();
  const months = await Promise.all(
    list.items.map((c) => monthCells(`/calendars/${enc(c.name)}`, today.getFullYear(), today.getMonth())),
  );
  if (!current(view)) return;
  const rows = list.items.map((c, i) =>
    h(
      "li",
      { class: "calendar-card", "data-calendar": c.name },
      h(
        "div",
        { class: "calendar-about" },
        h("a", { href: `#/calendars/${enc(c.name)}`, class: "calendar-name" }, c.name),
        " ",
        h("span", { class: `badge mode-${c.mode}` }, c.mode),
        h("span", { class: "muted" }, ` ${c.timezone}`),
        c.description && h("p", { class: "muted" }, c.description),
        h("p", { class: "rules-text" }, c.rules.map(ruleText).join(" · ") || "no rule"),
      ),
      h("div", { class: "month mini", "aria-label": `${c.name}, ${monthTitle(today.getFullYear(), today.getMonth())}` }, months[i]),
    ),
  );
  show(
    "Calendars",
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        crumbs(),
        h("h1", {}, "Calendars"),
        h(
          "p",
          { class: "muted" },
          "Days and hours jobs list in their schedule, each shown for this month. ",
          h("strong", {}, "exclude"),
          `: ${memberMeaning("CalendarMode", "exclude")} `,
          h("strong", {}, "only"),
          `: ${memberMeaning("CalendarMode", "only")}`,
        ),
      ),
      h("div", { class: "button-row" }, isAdmin() && h("a", { class: "button primary", href: "#/calendars/new", id: "new-calendar" }, "New calendar")),
    ),
    h(
      "section",
      { class: "card" },
      rows.length ? h("ul", { class: "calendar-list", id: "calendar-list" }, rows) : h("p", { class: "muted" }, "No calendar yet."),
    ),
  );
}

/** The first and last day of the month of `first` ("2026-12-01"), as dates of the calendar's zone. */
function monthOf(year, month) {
  const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return { from: `${year}-${pad(month + 1)}-01`, to: `${year}-${pad(month + 1)}-${pad(days)}`, days };
}

/** "December 2026". */
const monthTitle = (year, month) =>
  new Date(Date.UTC(year, month, 1)).toLocaleDateString(undefined, { month: "long", year: "numeric", timeZone: "UTC" });

/**
 * A month of a calendar as its grid's cells: weekday names, then each day, shaded when the
 * calendar names all of it, striped when it names some hours (shown on the day).
 * @param {string} path the calendar's API path
 * @param {number} year
 * @param {number} month 0-11
 * @returns {Promise<HTMLElement[]>}
 */
async function monthCells(path, year, month) {
  const span = monthOf(year, month);
  const preview = await api("GET", `${path}/preview?from=${span.from}&to=${span.to}`);
  const covered = Object.fromEntries(preview.days.map((d) => [d.date, d]));
  const lead = (new Date(Date.UTC(year, month, 1)).getUTCDay() + 6) % 7; // Monday first
  const cells = WEEKDAYS.map((w) => h("div", { class: "weekday" }, w));
  for (let i = 0; i < lead; i++) cells.push(h("div", { class: "day blank", "aria-hidden": "true" }));
  for (let d = 1; d <= span.days; d++) {
    const date = `${year}-${pad(month + 1)}-${pad(d)}`;
    const day = covered[date];
    const spans = day && !day.all_day ? day.windows.map((w) => `${w.start.slice(11, 16)}–${w.end.slice(11, 16)}`) : [];
    cells.push(
      h(
        "div",
        {
          class: `day${day ? (day.all_day ? " covered" : " partly") : ""}`,
          "data-date": date,
          title: day ? (day.all_day ? "all day" : spans.join(", ")) : "",
        },
        h("span", { class: "day-number" }, String(d)),
        spans.length > 0 && h("span", { class: "windows" }, spans.join(" ")),
      ),
    );
  }
  return cells;
}

/** One calendar: what it is, its month view, and (admins) Edit and Delete. */
export async function calendarView(view, name) {
  const path = `/calendars/${enc(name)}`;
  const [calendar] = await Promise.all([api("GET", path), vocabulary()]);
  if (!current(view)) return;
  const today = new Date();
  let year = today.getFullYear();
  let month = today.getMonth();
  const grid = h("div", { class: "month", id: "month" });
  const title = h("h2", { id: "month-title" });

  async function showMonth() {
    const cells = await monthCells(path, year, month);
    if (!current(view)) return;
    fill(title, monthTitle(year, month));
    fill(grid, cells);
  }

  const step = (by) => async () => {
    month += by;
    if (month < 0) [month, year] = [11, year - 1];
    if (month > 11) [month, year] = [0, year + 1];
    await showMonth();
  };
  async function remove() {
    if (!(await confirmDialog(`Delete the calendar ${name}?`, "Jobs that list it must leave it out first.", "Delete"))) return;
    try {
      await api("DELETE", path);
      say(`Deleted ${name}.`);
      location.hash = "#/calendars";
    } catch (error) {
      say(error.message, "error");
    }
  }
  const covers = calendar.mode === "exclude" ? "no run on the days and hours marked" : "runs only on the days and hours marked";
  show(
    calendar.name,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        crumbs(h("a", { href: "#/calendars" }, "Calendars")),
        h("h1", {}, calendar.name, " ", h("span", { class: `badge mode-${calendar.mode}` }, calendar.mode)),
        calendar.description && h("p", { class: "muted description" }, calendar.description),
        h("p", { class: "muted" }, `Read in ${calendar.timezone}: ${covers}.`),
      ),
      isAdmin() &&
        h(
          "div",
          { class: "button-row" },
          h("a", { class: "button", href: `#/calendars/${enc(name)}/edit`, id: "edit-calendar" }, "Edit"),
          h("button", { type: "button", class: "danger-outline", id: "delete-calendar", onclick: remove }, "Delete"),
        ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "month-title" },
      h(
        "div",
        { class: "section-head" },
        title,
        h(
          "div",
          { class: "button-row" },
          h("button", { type: "button", class: "small", id: "month-before", onclick: step(-1), "aria-label": "Month before" }, "‹"),
          h("button", { type: "button", class: "small", id: "month-after", onclick: step(1), "aria-label": "Month after" }, "›"),
        ),
      ),
      grid,
      h(
        "p",
        { class: "legend muted" },
        h("span", { class: "swatch covered" }),
        " all day ",
        h("span", { class: "swatch partly" }),
        " some hours",
      ),
      h("p", { class: "rules-text" }, calendar.rules.map(ruleText).join(" · ") || "no rule"),
    ),
  );
  await showMonth();
}
