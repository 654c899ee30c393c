// Jobdeck web console: the Scheduler screen. ES modules, no framework, no build step; this one
// only wires them together. The console talks to the admin API it is served by (same origin); the
// OpenAPI document is the contract.
//
//   #/                          the jobs list              views/list.js
//   #/jobs/<id>                 a job, its history          views/job.js, views/job-history.js
//   #/jobs/<id>/tasks/<task>    a task                      views/task.js
//   #/new, #/jobs/<id>/edit     the custom job form         views/job-form.js, form/
//   #/audit, #/audit?job=<id>   the audit trail (admins)    views/audit.js
//   #/calendars[/<name>[/edit]] the calendars, a month view  views/calendars.js, views/calendar-form.js
//   #/timeline?view=&date=      every job's runs, by day/week views/timeline.js
//   #/datasources               the buckets jobs act in      views/datasources.js

import { onSessionChange, resume } from "./auth.js";
import { say } from "./lib/notice.js";
import { setRouter } from "./page.js";
import { route } from "./router.js";
import { loadSettings } from "./settings.js";
import { renderTopbar, wireSignOut } from "./topbar.js";

setRouter(route);
wireSignOut();
await loadSettings();
const problem = await resume();
renderTopbar();
if (problem) say(problem, "error");
onSessionChange((ended) => {
  renderTopbar();
  if (ended) {
    say(ended, "error");
    route(); // the sign-in screen, the address unchanged: signing in again shows the same page
  }
});
window.addEventListener("hashchange", route);
window.addEventListener("hashchange", renderTopbar);
route();
