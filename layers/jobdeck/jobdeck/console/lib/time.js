// Times as people read them: "3 minutes ago", "2 min 5 s", a fire time in its schedule's zone, and
// the values of datetime-local inputs (the browser's zone) as ISO 8601 with their offset.

import { h } from "./dom.js";

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const UNITS = [
  ["year", 31536000],
  ["month", 2592000],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/**
 * "3 minutes ago", "in 2 hours", "just now".
 * @param {string} iso
 * @returns {string}
 */
export function relative(iso) {
  const seconds = (new Date(iso) - Date.now()) / 1000;
  if (Math.abs(seconds) < 5) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return "";
}

/**
 * The full date and time, in the browser's locale and zone.
 * @param {string} iso
 * @returns {string}
 */
export function absolute(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/**
 * A <time> showing "3 minutes ago", the full date on hover and to assistive tech; a dash for none.
 * @param {string | null | undefined} iso
 * @returns {HTMLElement}
 */
export function timeAgo(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: absolute(iso) }, relative(iso));
}

/**
 * A <time> showing the full date, for facts that are read rather than glanced at.
 * @param {string} iso
 * @returns {HTMLElement}
 */
export const fullTime = (iso) => h("time", { datetime: iso }, absolute(iso));

/**
 * A <time> showing the clock time (and the day, when it is not today), the full date on hover.
 * @param {string} iso
 * @returns {HTMLElement}
 */
export function clockTime(iso) {
  const date = new Date(iso);
  const today = date.toDateString() === new Date().toDateString();
  const text = today ? date.toLocaleTimeString() : absolute(iso);
  return h("time", { datetime: iso, title: absolute(iso) }, text);
}

/**
 * "< 0.1 s", "4.2 s", "2 min 5 s", "1 h 3 min"; a dash for none.
 * @param {number | null | undefined} seconds
 * @returns {string}
 */
export function duration(seconds) {
  if (seconds == null) return "—";
  if (seconds < 0.1) return "< 0.1 s";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * A span as people say it, in its two largest units: "1 day", "2 days 6 h", "1 h 30 min", "90 s".
 * (duration() says how long a run took, to the tenth of a second; this says a window or a period.)
 * @param {number} seconds
 * @returns {string}
 */
export function period(seconds) {
  const units = [
    [86400, (n) => `${n} day${n === 1 ? "" : "s"}`],
    [3600, (n) => `${n} h`],
    [60, (n) => `${n} min`],
    [1, (n) => `${n} s`],
  ];
  let left = Math.round(seconds);
  const parts = [];
  for (const [size, say] of units) {
    if (left >= size && parts.length < 2) {
      parts.push(say(Math.floor(left / size)));
      left %= size;
    } else if (parts.length) break; // "1 day 30 s" would read as more exact than it is meant
  }
  return parts.join(" ") || "0 s";
}

/**
 * A fire time as the schedule's zone reads it: "Fri, 1 May 2026, 03:00 (+02:00)".
 * @param {string} iso a local time with its offset, as the API gives it
 * @returns {string}
 */
export function wallTime(iso) {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?[.\d]*(Z|[+-]\d\d:\d\d)?$/.exec(iso);
  if (!match) return iso;
  const [, y, mo, d, hh, mm, , offset] = match;
  const day = new Date(Date.UTC(+y, +mo - 1, +d)).toLocaleDateString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  return `${day}, ${hh}:${mm} (${offset === "Z" || !offset ? "UTC" : offset})`;
}

/**
 * An instant as wallTime shows it, at the offset another local time of the same schedule has
 * (a moved run read like the runs around it, not in the browser's own format and zone).
 * @param {string} iso an instant (UTC)
 * @param {string} localLike a local time with its offset, e.g. the slot's own
 * @returns {string}
 */
export function wallTimeLike(iso, localLike) {
  const offset = /(Z|[+-]\d\d:\d\d)$/.exec(localLike)?.[1] ?? "Z";
  const minutes = offset === "Z" ? 0 : (offset[0] === "-" ? -1 : 1) * (+offset.slice(1, 3) * 60 + +offset.slice(4, 6));
  const shifted = new Date(Date.parse(iso) + minutes * 60_000).toISOString().slice(0, 19);
  return wallTime(`${shifted}${offset}`);
}

/**
 * The next fire times of a schedule preview, each in the schedule's zone (the browser's on hover).
 * @param {{utc: string, local: string}[]} times
 * @param {Record<string, any>} [attrs] of the <ol>, besides its class
 * @returns {HTMLElement}
 */
export function fireTimes(times, attrs = {}) {
  return h(
    "ol",
    { class: "next-runs", ...attrs },
    times.map((t) => h("li", {}, h("time", { datetime: t.utc, title: absolute(t.utc) }, wallTime(t.local)))),
  );
}

const pad2 = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");

/**
 * A Date as a datetime-local input shows it: the browser's wall time, to the minute.
 * @param {Date} date
 * @returns {string}
 */
export function localInputValue(date) {
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  return `${day}T${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

/**
 * A datetime-local value, read in the browser's zone, as ISO 8601 with that zone's offset then:
 * "2026-05-01T03:00:00+02:00". Unreadable text is sent as it is (the API names the field).
 * @param {string} value
 * @returns {string}
 */
export function isoWithOffset(value) {
  const date = new Date(value); // date and time without an offset: the browser's zone
  if (!value || Number.isNaN(date.getTime())) return value;
  const minutes = -date.getTimezoneOffset();
  const offset = `${minutes < 0 ? "-" : "+"}${pad2(minutes / 60)}:${pad2(minutes % 60)}`;
  return `${localInputValue(date)}:${pad2(date.getSeconds())}${offset}`;
}
