// The address's hash names the screen: each route, the view that shows it.

import { currentUser } from "./auth.js";
import { stopPolling } from "./lib/poll.js";
import { nextView, showProblem, current } from "./page.js";
import { auditView } from "./views/audit.js";
import { calendarFormView } from "./views/calendar-form.js";
import { calendarView, calendarsView } from "./views/calendars.js";
import { datasourcesView } from "./views/datasources.js";
import { dependenciesView } from "./views/dependencies.js";
import { jobView } from "./views/job.js";
import { formView } from "./views/job-form.js";
import { listView } from "./views/list.js";
import { signInView } from "./views/sign-in.js";
import { taskView } from "./views/task.js";
import { timelineView } from "./views/timeline.js";

/** Show the screen the address names (the sign-in screen until someone is signed in). */
export function route() {
  stopPolling();
  const view = nextView();
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, id, sub, taskId] = parts;
  let shown;
  if (!currentUser()) shown = signInView();
  else if (parts.length === 0) shown = listView(view);
  else if (first === "new" && parts.length === 1) shown = formView(view, null);
  else if (first === "audit" && parts.length === 1) shown = auditView(view, new URLSearchParams(query).get("job"));
  else if (first === "calendars" && parts.length === 1) shown = calendarsView(view);
  else if (first === "calendars" && parts.length === 2 && id === "new") shown = calendarFormView(view, null);
  else if (first === "calendars" && parts.length === 2) shown = calendarView(view, id);
  else if (first === "calendars" && parts.length === 3 && sub === "edit") shown = calendarFormView(view, id);
  else if (first === "datasources" && parts.length === 1) shown = datasourcesView(view);
  else if (first === "dependencies" && parts.length === 1) shown = dependenciesView(view);
  else if (first === "timeline" && parts.length === 1) shown = timelineView(view, query);
  else if (first === "jobs" && parts.length === 2) shown = jobView(view, id);
  else if (first === "jobs" && parts.length === 3 && sub === "edit") shown = formView(view, id);
  else if (first === "jobs" && parts.length === 4 && sub === "tasks") shown = taskView(view, id, taskId);
  else shown = Promise.resolve(showProblem("Not found"));
  shown?.catch?.((error) => {
    if (!current(view) || error.status === 401) return;
    showProblem(error.status === 404 ? "Not found" : "Something went wrong", error.message);
  });
}
