// Live refresh: the screen on show reloads what it shows every few seconds while the tab is
// visible, and at once when it becomes visible again. One poll at a time: a new screen's replaces
// the last one's.

import { say } from "./notice.js";

let timer = null;
let pollFn = null;
let pollMs = 0;

/**
 * Call fn every ms while the tab is visible; fn returning false stops it. A failure is a notice
 * (but for a 401: the session's end says so itself) and the poll goes on.
 * @param {() => Promise<boolean | void>} fn
 * @param {number} ms
 */
export function poll(fn, ms) {
  stopPolling();
  pollFn = fn;
  pollMs = ms;
  arm();
}

/** No more polling, until the next poll(). */
export function stopPolling() {
  clearTimeout(timer);
  pollFn = null;
}

function arm() {
  clearTimeout(timer);
  if (!pollFn || document.hidden) return;
  const fn = pollFn;
  timer = setTimeout(async () => {
    let again = true;
    try {
      again = (await fn()) !== false;
    } catch (error) {
      if (error.status !== 401) say(`Refresh failed: ${error.message}`, "error");
    }
    if (fn === pollFn) again ? arm() : stopPolling();
  }, pollMs);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) clearTimeout(timer);
  else if (pollFn) {
    const saved = pollMs;
    pollMs = 0; // refresh at once on coming back, then at the usual pace
    arm();
    pollMs = saved;
  }
});
