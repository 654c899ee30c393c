// The bar at the top of every screen (index.html's header): who is signed in, the Calendars,
// Timeline, Datasources and Dependencies links, the Audit link for admins, Sign out.

import { currentUser, signOut } from "./auth.js";
import { $, fill, h } from "./lib/dom.js";
import { say } from "./lib/notice.js";
import { reroute } from "./page.js";

/** Show who is signed in now (or nobody), and which of its links is the page on show. */
export function renderTopbar() {
  const user = currentUser();
  $("#whoami").hidden = !user;
  $("#nav-audit").hidden = !user?.admin;
  $("#nav-calendars").hidden = !user;
  $("#nav-timeline").hidden = !user;
  $("#nav-datasources").hidden = !user;
  $("#nav-dependencies").hidden = !user;
  for (const [id, route] of [
    ["#nav-audit", "#/audit"],
    ["#nav-calendars", "#/calendars"],
    ["#nav-timeline", "#/timeline"],
    ["#nav-datasources", "#/datasources"],
    ["#nav-dependencies", "#/dependencies"],
  ]) {
    if (location.hash.startsWith(route)) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
  fill($("#whoami-name"), user?.name, user?.admin && [" ", h("span", { class: "role" }, "admin")]);
}

/** Sign out, once wired: the hosted UI's sign-out page, or the sign-in screen. */
export function wireSignOut() {
  $("#sign-out").addEventListener("click", () => {
    if (signOut()) return;
    say("Signed out.");
    reroute();
  });
}
