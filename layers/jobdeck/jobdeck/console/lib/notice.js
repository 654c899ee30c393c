// The passing notice at the bottom of the page (index.html's #notice, an aria-live region): what an
// action did, or why it did not.

import { $ } from "./dom.js";

const SHOWN_MS = { info: 5000, error: 10000 };
let timer = null;

/**
 * Show a message for a few seconds; screen readers announce it.
 * @param {string} text
 * @param {"info" | "error"} [kind] an error stays longer, on red
 */
export function say(text, kind = "info") {
  const notice = $("#notice");
  notice.textContent = text;
  notice.className = `notice show ${kind}`;
  clearTimeout(timer);
  timer = setTimeout(() => (notice.className = "notice"), SHOWN_MS[kind] ?? SHOWN_MS.info);
}
