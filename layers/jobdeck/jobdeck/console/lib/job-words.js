// A job in words: its triggers, its runs in flight, what a step's input filter keeps.

import { h } from "./dom.js";

/**
 * When the job last did something: its last task's end, start or creation; undefined if never run.
 * @param {object} job
 * @returns {string | undefined}
 */
export const lastTime = (job) =>
  job.last_task && (job.last_task.ended_at || job.last_task.started_at || job.last_task.created_at);

/**
 * "periodic: 0 3 * * *", "event: s3 ObjectCreated, ...": lines break between triggers (and, on a
 * phone, after "periodic:"), never inside an expression.
 * @param {string} text the API's `trigger`
 * @returns {HTMLElement}
 */
export function triggerText(text) {
  const parts = text.split(/(?<=,) /).map((part, i) => {
    const [, kind, rest] = /^([a-z]+: )?(.*)$/s.exec(part);
    const words = [
      kind && h("span", { class: "nowrap" }, kind.trim()),
      kind && " ",
      h("span", { class: "nowrap" }, rest),
    ];
    return [i ? " " : "", h("span", { class: "trigger-part" }, words)];
  });
  return h("span", {}, parts);
}

/**
 * "2 running · 3 waiting", or null when nothing is in flight.
 * @param {{running: number, waiting: number}} job
 * @returns {string | null}
 */
export function inFlight(job) {
  const parts = [job.running > 0 && `${job.running} running`, job.waiting > 0 && `${job.waiting} waiting`];
  return parts.filter(Boolean).join(" · ") || null;
}

/**
 * "s3 ObjectCreated under inbox/ *.jpg", "s3 ObjectCreated in archive", "custom OrderPlaced".
 * @param {{source: string, type: string, datasource?: string | null, filter?: object}} event
 * @returns {string}
 */
export function eventText(event) {
  const filter = event.filter || {};
  const where = [
    event.datasource && event.datasource !== "default" && `in ${event.datasource}`, // said when there is a choice
    filter.prefix && `under ${filter.prefix}`,
    filter.glob,
    filter.suffix && `*${filter.suffix}`,
  ];
  return [event.source, event.type, ...where].filter(Boolean).join(" ");
}

/**
 * Bytes as people read them: 2048 is "2 KiB", 1500 is "1,500 bytes" (exact, as the filter is).
 * @param {number | string} n
 * @returns {string}
 */
export function sizeText(n) {
  if (typeof n !== "number") return String(n);
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let unit = 0;
  while (n >= 1024 && n % 1024 === 0 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${n.toLocaleString()} ${n === 1 && unit === 0 ? "byte" : units[unit]}`;
}

const daysText = (n) => `${typeof n === "number" ? n.toLocaleString() : n} day${n === 1 ? "" : "s"}`;

/**
 * What a step's input filter keeps, after "Only items that": "match *.jpg and are at least 1 KiB".
 * @param {object} filter a NodeFilter's fields (those set)
 * @returns {string} "" when it keeps everything
 */
export function filterText(filter) {
  const { datasource, glob, content_type: type, min_size: min, max_size: max } = filter;
  const parts = [datasource && `are in ${datasource}`, glob && `match ${glob}`, type && `are of type ${type}`];
  if (min != null && max != null) parts.push(`are ${sizeText(min)} to ${sizeText(max)}`);
  else if (min != null) parts.push(`are at least ${sizeText(min)}`);
  else if (max != null) parts.push(`are at most ${sizeText(max)}`);
  if (filter.older_than_days != null) parts.push(`were changed over ${daysText(filter.older_than_days)} ago`);
  if (filter.newer_than_days != null) parts.push(`were changed in the last ${daysText(filter.newer_than_days)}`);
  const said = parts.filter(Boolean);
  return said.length > 1 ? `${said.slice(0, -1).join(", ")} and ${said.at(-1)}` : said[0] || "";
}
