// The question asked before something is destroyed: index.html's <dialog id="confirm">.

import { $ } from "./dom.js";

/**
 * Ask; Cancel has the focus.
 * @param {string} title "Delete for good?"
 * @param {string} text what will happen
 * @param {string} okLabel the button that does it: "Delete"
 * @returns {Promise<boolean>} true once confirmed
 */
export function confirmDialog(title, text, okLabel) {
  const dialog = $("#confirm");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}
