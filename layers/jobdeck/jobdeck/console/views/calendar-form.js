// A calendar's form (#/calendars/new, #/calendars/<name>/edit; admins): name, description, time
// zone, mode and rules (form/calendar-rules.js). The API's refusals go beside the fields they
// name; an edit sends the version it read.

import { api, vocabulary } from "../api.js";
import { isAdmin } from "../auth.js";
import { clearFieldErrors, placeErrors, problemsOf, unplaced } from "../form/errors.js";
import { rulesPart } from "../form/calendar-rules.js";
import { SLUG_PATTERN, field } from "../form/field.js";
import { enc, fill, h } from "../lib/dom.js";
import { say } from "../lib/notice.js";
import { memberMeaning } from "../lib/vocabulary.js";
import { crumbs, current, show, showProblem } from "../page.js";

export async function calendarFormView(view, name) {
  if (!isAdmin()) return showProblem("Not allowed", null, "Only admins create and edit calendars");
  const [calendar] = await Promise.all([name ? api("GET", `/calendars/${enc(name)}`) : null, vocabulary()]);
  if (!current(view)) return;
  const nameBox = h("input", { type: "text", value: calendar?.name || "", pattern: SLUG_PATTERN, autocomplete: "off", disabled: Boolean(calendar) });
  const description = h("input", { type: "text", value: calendar?.description || "" });
  const timezone = h("input", { type: "text", value: calendar?.timezone || "UTC", list: "zones", autocomplete: "off" });
  const mode = h("select", {}, h("option", { value: "exclude" }, "Exclude"), h("option", { value: "only" }, "Only"));
  mode.value = calendar?.mode || "exclude";
  const modeField = field("mode", "c-mode", "Mode", mode, memberMeaning("CalendarMode", mode.value));
  mode.addEventListener("change", () => {
    modeField.querySelector(".hint").textContent = memberMeaning("CalendarMode", mode.value);
  });
  const rules = rulesPart(calendar?.rules || []);
  const formError = h("div", { class: "form-error", id: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", id: "save-calendar" }, calendar ? "Save changes" : "Create calendar");

  async function save(event) {
    event.preventDefault();
    fill(formError);
    clearFieldErrors(form);
    const body = { description: description.value, timezone: timezone.value.trim() || "UTC", mode: mode.value, ...rules.value() };
    submit.disabled = true;
    try {
      const saved = calendar
        ? await api("PUT", `/calendars/${enc(calendar.name)}`, { ...body, version: calendar.version })
        : await api("POST", "/calendars", { ...body, name: nameBox.value.trim() });
      say(`${calendar ? "Saved" : "Created"} ${saved.name}.`);
      location.hash = `#/calendars/${enc(saved.name)}`;
    } catch (error) {
      const problems = problemsOf(error);
      const { placed, first } = placeErrors(form, problems);
      const left = unplaced(problems, placed);
      fill(formError, h("p", {}, `The calendar was not saved${error.status === 422 ? ": see the fields marked below." : `: ${error.message}`}`), left.length > 0 && h("ul", {}, left.map((u) => h("li", {}, u))));
      (first || formError).focus?.();
    } finally {
      submit.disabled = false;
    }
  }

  const form = h(
    "form",
    { class: "job-form calendar-form", id: "calendar-form", novalidate: true, onsubmit: save },
    formError,
    h(
      "fieldset",
      {},
      h("legend", {}, "Calendar"),
      h(
        "div",
        { class: "grid-2" },
        field("name", "c-name", "Name", nameBox, "a-z, 0-9, - and _; jobs list it by this name", !calendar),
        field("timezone", "c-timezone", "Time zone", timezone, "IANA name: its days and hours are read there"),
      ),
      field("description", "c-description", "Description", description),
      modeField,
    ),
    rules.element,
    h("div", { class: "button-row form-buttons" }, submit, h("a", { class: "button", href: calendar ? `#/calendars/${enc(calendar.name)}` : "#/calendars" }, "Cancel")),
  );
  show(
    calendar ? `Edit ${calendar.name}` : "New calendar",
    h(
      "div",
      { class: "page-head" },
      h("div", {}, crumbs(h("a", { href: "#/calendars" }, "Calendars")), h("h1", {}, calendar ? `Edit ${calendar.name}` : "New calendar")),
    ),
    form,
  );
}
