// The page's main area: the screen on show and its title, the breadcrumb above it, and two hooks
// that let a screen reload itself, or have the address routed again, without importing the router.

import { $, fill, h } from "./lib/dom.js";
import { say } from "./lib/notice.js";

let shown = 0;
let reload = null;
let router = null;

/**
 * A new screen is coming: the number that tells it whether it is still the one on show.
 * @returns {number}
 */
export function nextView() {
  reload = null;
  return ++shown;
}

/**
 * Whether the screen numbered `view` is still the one on show (an answer that comes back after
 * the user moved on is dropped).
 * @param {number} view
 */
export const current = (view) => view === shown;

/**
 * Replace the page's content; focus its heading so screen readers follow the change.
 * @param {string} title the tab's title, before " · Jobdeck"
 * @param {...any} nodes
 */
export function show(title, ...nodes) {
  const main = $("#main");
  fill(main, ...nodes);
  document.title = `${title} · Jobdeck`;
  const heading = $("h1", main);
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

/**
 * A page that could not be shown: "Not found", or what went wrong; a way back to the jobs.
 * @param {string} title
 * @param {string | null} [message]
 * @param {string} [heading] the page's heading, when it says more than the title
 */
export function showProblem(title, message = null, heading = title) {
  show(
    title,
    h("h1", {}, heading),
    message && h("p", { class: "error-text" }, message),
    h("p", {}, h("a", { href: "#/" }, "Back to the jobs")),
  );
}

/**
 * The breadcrumb above a page's title: Scheduler, then each link given, each followed by " / ".
 * @param {...(HTMLElement | null | false)} links
 * @returns {HTMLElement}
 */
export function crumbs(...links) {
  const trail = links.filter(Boolean).flatMap((link) => [link, " / "]);
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/" }, "Scheduler"), " / ", trail);
}

/**
 * How the screen on show reloads what it shows, after an action on it (null: it has nothing to).
 * @param {(() => Promise<any>) | null} fn
 */
export function onReload(fn) {
  reload = fn;
}

/** Reload the screen on show; a failure is a notice. */
export async function reloadView() {
  try {
    await reload?.();
  } catch (error) {
    say(error.message, "error");
  }
}

/** @param {() => void} fn the router */
export function setRouter(fn) {
  router = fn;
}

/** Show what the address names, again (after a sign-in, or to drop unsaved changes). */
export const reroute = () => router();
