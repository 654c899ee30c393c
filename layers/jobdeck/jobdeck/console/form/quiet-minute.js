// The busiest-minute warning of the schedule part: when the chosen schedule's next run starts in
// one of the busiest minutes of the day ahead (GET /timeline), say so and offer the nearest quiet
// minute; for a plain "M H * * *" cron, a button writes it into the expression.

import { api } from "../api.js";
import { fill, h } from "../lib/dom.js";

const DAY_MS = 86400000;
const QUIET_SEARCH = 30; // minutes either side looked at for a quiet one

let timeline = null;

/** The day ahead's runs per minute (read once per form), as a Map of epoch minute -> runs. */
async function perMinute() {
  timeline ??= api("GET", `/timeline?from=${encodeURIComponent(new Date().toISOString())}`).catch(() => null);
  const answer = await timeline;
  if (!answer) return null;
  return {
    counts: new Map(answer.per_minute.map((m) => [Date.parse(m.minute) / 60000, m.count])),
    busiest: new Set(answer.busiest.map((m) => Date.parse(m.minute) / 60000)),
  };
}

/** The form opened anew reads the timeline again. */
export function forgetTimeline() {
  timeline = null;
}

/**
 * Fill `box` with the warning for a preview's next run, or empty it.
 * @param {HTMLElement} box
 * @param {{utc: string}[]} next the preview's runs
 * @param {HTMLInputElement} expression the expression box (a plain daily cron gets a "Use" button)
 * @param {string | null} jobId the job edited: its own runs are not counted against it
 */
export async function warnIfBusy(box, next, expression, jobId) {
  fill(box);
  const first = next[0];
  if (!first || Date.parse(first.utc) - Date.now() > DAY_MS) return;
  const minutes = await perMinute();
  if (!minutes) return;
  const minute = Math.floor(Date.parse(first.utc) / 60000);
  if (!minutes.busiest.has(minute)) return;
  const own = jobId ? 1 : 0; // an edited job's own run is in the count already
  const runs = (minutes.counts.get(minute) || 0) - own;
  if (runs < 1) return;
  let quiet = null;
  for (let d = 1; d <= QUIET_SEARCH && quiet == null; d++) {
    for (const candidate of [minute + d, minute - d]) {
      if (!minutes.counts.get(candidate)) {
        quiet = candidate;
        break;
      }
    }
  }
  const clock = (m) => new Date(m * 60000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const fields = expression.value.trim().split(/\s+/);
  const daily = fields.length === 5 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1]);
  const use = () => {
    // The expression reads its schedule's zone: shift its own minute and hour by the same distance.
    const shift = quiet - minute;
    const total = (((+fields[1] * 60 + +fields[0] + shift) % 1440) + 1440) % 1440;
    fields[0] = String(total % 60);
    fields[1] = String(Math.floor(total / 60));
    expression.value = fields.join(" ");
    expression.dispatchEvent(new Event("input"));
  };
  fill(
    box,
    h(
      "p",
      { class: "busy-warning", id: "busy-warning", role: "status" },
      h("strong", {}, `${clock(minute)} is among the busiest minutes`),
      ` (${runs} other run${runs === 1 ? "" : "s"} start then).`,
      quiet != null && [
        ` ${clock(quiet)} is quiet.`,
        daily && [" ", h("button", { type: "button", class: "small", id: "use-quiet", onclick: use }, `Use ${clock(quiet)}`)],
      ],
    ),
  );
}
