// Jobdeck web console: the Scheduler screen. One ES module, no framework, no build step.
// It talks to the admin API it is served by (same origin); the OpenAPI document is the contract.
//
//   #/                         the jobs list
//   #/jobs/<id>                a job: trigger, next runs, action chain, history, Backfill
//   #/jobs/<id>/tasks/<task>   a task: progress, attempts, log lines, Pause, Resume, Stop
//   #/new, #/jobs/<id>/edit    the custom job form (admins)

const BASE = location.pathname.replace(/[^/]*$/, ""); // the API sits where the page does
const TOKEN_KEY = "jobdeck.token";
const PKCE_KEY = "jobdeck.pkce";
const LIST_POLL_MS = 3000;
const TASK_POLL_MS = 1000;
const PREVIEW_DELAY_MS = 350;
const HISTORY_PAGE = 20;
const ACTIVE = new Set(["QUEUED", "RUNNING", "PAUSED"]);
const STATUSES = ["QUEUED", "RUNNING", "PAUSED", "FINISHED", "ERROR", "INTERRUPTED", "SKIPPED"];
/** The overlap policies (jobdeck.domain.Overlap), [value, name]; what each means is served by
 * GET /vocabulary, from the docstrings where they are defined (see overlapMeaning). */
const OVERLAPS = [
  ["allow_all", "Allow all"],
  ["skip", "Skip"],
  ["buffer_one", "Buffer one"],
  ["buffer_all", "Buffer all"],
  ["cancel_other", "Cancel other"],
];
/** max_concurrency left empty: 20 for allow_all, 1 for the exclusive policies. */
const defaultConcurrency = (overlap) => (overlap === "allow_all" ? 20 : 1);

const state = { config: null, token: null, user: null, local: false, catalog: null, vocabulary: null, view: 0 };

// ------------------------------------------------------------------ DOM helpers

const PROPS = new Set(["value", "checked", "disabled", "hidden", "selected", "indeterminate", "open"]);

/** h("button", {type: "button", onclick}, "Run Now"): an element; strings become text, never HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (PROPS.has(key)) el[key] = value;
    else if (value === true) el.setAttribute(key, "");
    else if (value !== false && value != null) el.setAttribute(key, String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

/** Replace an element's children; arrays are flattened, null, undefined and false left out. */
function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
const enc = encodeURIComponent;

/** Run fn (which rebuilds part of the page) and give focus back to the element that had it. */
function keepFocus(fn) {
  const id = document.activeElement?.id;
  fn();
  if (id && document.activeElement === document.body) document.getElementById(id)?.focus();
}

let noticeTimer = null;
/** A message in the aria-live region (screen readers announce it). */
function say(text, kind = "info") {
  const notice = $("#notice");
  notice.textContent = text;
  notice.className = `notice show ${kind}`;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (notice.className = "notice"), kind === "error" ? 10000 : 5000);
}

/** The <dialog> that asks before something is destroyed. Resolves true on confirm. */
function confirmDialog(title, text, okLabel) {
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

// ------------------------------------------------------------------ time and words

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const UNITS = [
  ["year", 31536000],
  ["month", 2592000],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

function relative(iso) {
  const seconds = (new Date(iso) - Date.now()) / 1000;
  if (Math.abs(seconds) < 5) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return "";
}

function absolute(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** <time> showing "3 minutes ago", the full date on hover and to assistive tech. */
function timeAgo(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: absolute(iso) }, relative(iso));
}

function duration(seconds) {
  if (seconds == null) return "—";
  if (seconds < 0.1) return "< 0.1 s";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A fire time as the schedule's zone reads it: "Fri, 1 May 2026, 03:00 (+02:00)". */
function wallTime(iso) {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?[.\d]*(Z|[+-]\d\d:\d\d)?$/.exec(iso);
  if (!match) return iso;
  const [, y, mo, d, hh, mm, , offset] = match;
  const day = new Date(Date.UTC(+y, +mo - 1, +d)).toLocaleDateString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  return `${day}, ${hh}:${mm} (${offset === "Z" || !offset ? "UTC" : offset})`;
}

const pad2 = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");

/** A Date as a datetime-local input shows it: the browser's wall time, to the minute. */
function localInputValue(date) {
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  return `${day}T${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

/** A datetime-local value, read in the browser's zone, as ISO 8601 with that zone's offset then:
 * "2026-05-01T03:00:00+02:00". Unreadable text is sent as it is (the API names the field). */
function isoWithOffset(value) {
  const date = new Date(value); // date and time without an offset: the browser's zone
  if (!value || Number.isNaN(date.getTime())) return value;
  const minutes = -date.getTimezoneOffset();
  const offset = `${minutes < 0 ? "-" : "+"}${pad2(minutes / 60)}:${pad2(minutes % 60)}`;
  return `${localInputValue(date)}:${pad2(date.getSeconds())}${offset}`;
}

const lastTime = (job) =>
  job.last_task && (job.last_task.ended_at || job.last_task.started_at || job.last_task.created_at);

function badge(text, kind) {
  return h("span", { class: `badge ${kind}` }, text);
}
const kindBadge = (kind) => badge(kind, `kind-${kind}`);
const statusBadge = (status) => badge(status, `status-${status.toLowerCase()}`);

/** "periodic: 0 3 * * *", "event: s3 ObjectCreated, ...": lines break between triggers (and, on a
 * phone, after "periodic:"), never inside an expression. */
function triggerText(text) {
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

/** A job the scheduler suspended (after N failures in a row) or someone disabled; null when enabled. */
function offBadge(job) {
  if (job.enabled) return null;
  if (!job.paused_reason) return badge("disabled", "disabled");
  const paused = badge("Suspended", "job-paused");
  paused.title = `${job.paused_reason}: Enable lifts the suspension`;
  paused.append(h("span", { class: "visually-hidden" }, ` (${job.paused_reason})`));
  return paused;
}

function jobStatus(job) {
  return h(
    "span",
    { class: "badges" },
    job.last_task ? statusBadge(job.last_task.status) : h("span", { class: "muted" }, "never run"),
    offBadge(job),
  );
}

/** "2 running · 3 waiting", or null when nothing is in flight. */
function inFlight(job) {
  const parts = [job.running > 0 && `${job.running} running`, job.waiting > 0 && `${job.waiting} waiting`];
  return parts.filter(Boolean).join(" · ") || null;
}

// ------------------------------------------------------------------ sign-in

function b64url(bytes) {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** Groups as Cognito sends them (a list), or flattened ("[admins ops]", "admins,ops"). */
function groupsOf(claims) {
  const value = claims[state.config.groups_claim];
  if (Array.isArray(value)) return value.map(String);
  return String(value || "")
    .replace(/^\[|\]$/g, "")
    .split(/[\s,]+/)
    .filter(Boolean);
}

/** Keep the token (this tab only) and who it says we are; false if it is unreadable or expired. */
function useToken(token) {
  const claims = claimsOf(token);
  if (!claims || (claims.exp && claims.exp * 1000 < Date.now())) return false;
  state.token = token;
  state.user = {
    name: claims.username || claims["cognito:username"] || claims.email || claims.sub || "?",
    admin: groupsOf(claims).includes(state.config.admin_group),
  };
  sessionStorage.setItem(TOKEN_KEY, token);
  fill($("#whoami-name"), state.user.name, state.user.admin && [" ", h("span", { class: "role" }, "admin")]);
  $("#whoami").hidden = false;
  return true;
}

function signOut(message) {
  state.token = state.user = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $("#whoami").hidden = true;
  stopPolling();
  if (message) say(message, "error");
}

async function devSignIn(username) {
  const res = await fetch(`${BASE}local-issuer/dev-token?username=${enc(username)}`);
  if (!res.ok) throw new Error(`the local issuer answered ${res.status}`);
  return (await res.json()).access_token;
}

/** Cognito hosted UI, authorization code with PKCE: off to the sign-in page. */
async function cognitoSignIn() {
  const { domain, client_id: clientId, scope } = state.config.cognito;
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const stateParam = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state: stateParam, hash: location.hash }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: location.origin + location.pathname,
    scope,
    state: stateParam,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${domain}/oauth2/authorize?${query}`);
}

/** Back from the hosted UI with ?code=: trade it (and the verifier) for tokens. */
async function finishCognitoSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", location.pathname + (saved?.hash || ""));
  if (params.has("error"))
    return say(`Sign-in failed: ${params.get("error_description") || params.get("error")}`, "error");
  if (!saved || saved.state !== params.get("state") || !state.config.cognito) {
    return say("Sign-in failed: the answer does not match the request. Try again.", "error");
  }
  const { domain, client_id: clientId } = state.config.cognito;
  const res = await fetch(`${domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: clientId,
      code: params.get("code"),
      redirect_uri: location.origin + location.pathname,
      code_verifier: saved.verifier,
    }),
  });
  const tokens = await res.json().catch(() => ({}));
  if (!res.ok || !useToken(tokens.access_token || "")) {
    say(`Sign-in failed: ${tokens.error_description || tokens.error || res.status}`, "error");
  }
}

// ------------------------------------------------------------------ the API

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error || `the API answered ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(BASE + path.replace(/^\//, ""), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) {
    signOut("Your session has ended: sign in again.");
    route();
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

async function allJobs() {
  const jobs = [];
  let cursor = null;
  do {
    const page = await api("GET", `/jobs?limit=200${cursor ? `&cursor=${enc(cursor)}` : ""}`);
    jobs.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return jobs;
}

async function actionCatalog() {
  state.catalog ??= await api("GET", "/actions");
  return state.catalog;
}

/** What each enum member and policy field means (GET /vocabulary), read once. */
async function vocabulary() {
  state.vocabulary ??= await api("GET", "/vocabulary");
  return state.vocabulary;
}

const isAdmin = () => state.user?.admin;
/** Run Now, Stop, Clear All: admins, and owners of their own user jobs (as the API decides). */
const canOperate = (job) => isAdmin() || (job.owner === state.user?.name && job.kind === "user");
const canEdit = (job) => isAdmin() && job.kind !== "system";

// ------------------------------------------------------------------ polling

let pollTimer = null;
let pollFn = null;
let pollMs = 0;

/** Call fn every ms while the tab is visible; fn returning false stops it. */
function poll(fn, ms) {
  stopPolling();
  pollFn = fn;
  pollMs = ms;
  arm();
}

function arm() {
  clearTimeout(pollTimer);
  if (!pollFn || document.hidden) return;
  const fn = pollFn;
  pollTimer = setTimeout(async () => {
    let again = true;
    try {
      again = (await fn()) !== false;
    } catch (error) {
      if (error.status !== 401) say(`Refresh failed: ${error.message}`, "error");
    }
    if (fn === pollFn) again ? arm() : stopPolling();
  }, pollMs);
}

function stopPolling() {
  clearTimeout(pollTimer);
  pollFn = null;
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) clearTimeout(pollTimer);
  else if (pollFn) {
    const saved = pollMs;
    pollMs = 0; // refresh at once on coming back, then at the usual pace
    arm();
    pollMs = saved;
  }
});

// ------------------------------------------------------------------ routing

function route() {
  stopPolling();
  refreshCurrent = null;
  const view = ++state.view;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  let shown;
  if (!state.user) shown = signInView();
  else if (parts.length === 0) shown = listView(view);
  else if (parts[0] === "new" && parts.length === 1) shown = formView(view, null);
  else if (parts[0] === "jobs" && parts.length === 2) shown = jobView(view, parts[1]);
  else if (parts[0] === "jobs" && parts.length === 3 && parts[2] === "edit") shown = formView(view, parts[1]);
  else if (parts[0] === "jobs" && parts.length === 4 && parts[2] === "tasks")
    shown = taskView(view, parts[1], parts[3]);
  else
    shown = Promise.resolve(
      show("Not found", h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Back to the jobs"))),
    );
  shown?.catch?.((error) => {
    if (view !== state.view || error.status === 401) return;
    const title = error.status === 404 ? "Not found" : "Something went wrong";
    show(
      title,
      h("h1", {}, title),
      h("p", { class: "error-text" }, error.message),
      h("p", {}, h("a", { href: "#/" }, "Back to the jobs")),
    );
  });
}

const current = (view) => view === state.view;

/** Replace the page's content; focus its heading so screen readers follow the change. */
function show(title, ...nodes) {
  const main = $("#main");
  fill(main, ...nodes);
  document.title = `${title} · Jobdeck`;
  const heading = $("h1", main);
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

// ------------------------------------------------------------------ sign-in view

async function signInView() {
  const error = h("p", { class: "field-error", id: "token-error" });
  const pasted = h("textarea", { id: "token-input", rows: 3, spellcheck: "false", "aria-describedby": "token-error" });
  const take = (token, how) => {
    if (!useToken(token)) {
      error.textContent = "That is not a valid, unexpired JWT.";
      return;
    }
    say(`Signed in as ${state.user.name}${how}.`);
    route();
  };
  const local = state.local
    ? h(
        "section",
        { class: "sign-in-local", "aria-labelledby": "local-title" },
        h("h2", { id: "local-title" }, "Local stack"),
        h("p", { class: "muted" }, "The dev token issuer of the local stack signs you in as a dev user."),
        h(
          "div",
          { class: "button-row" },
          ["admin", "alice"].map((name) =>
            h(
              "button",
              {
                type: "button",
                class: name === "admin" ? "primary" : "",
                id: `sign-in-${name}`,
                onclick: async () => {
                  try {
                    take(await devSignIn(name), " (local dev token)");
                  } catch (failure) {
                    error.textContent = `Dev sign-in failed: ${failure.message}`;
                  }
                },
              },
              `Sign in as ${name}`,
            ),
          ),
        ),
      )
    : null;
  const cognito = state.config.cognito
    ? h(
        "div",
        { class: "button-row" },
        h("button", { type: "button", class: "primary", id: "sign-in-cognito", onclick: cognitoSignIn }, "Sign in"),
      )
    : null;
  show(
    "Sign in",
    h(
      "section",
      { class: "card sign-in" },
      h("h1", {}, "Sign in to the Scheduler"),
      h("p", { class: "muted" }, "Jobs, their schedules, runs and history."),
      cognito,
      local,
      !cognito && !local && h("p", {}, "No sign-in page is configured for this console: paste an access token."),
      h(
        "form",
        {
          class: "paste-token",
          onsubmit: (event) => {
            event.preventDefault();
            take(pasted.value.trim().replace(/^Bearer\s+/i, ""), "");
          },
        },
        h("label", { for: "token-input" }, "Or paste an access token (JWT)"),
        pasted,
        error,
        h("button", { type: "submit" }, "Use this token"),
      ),
    ),
  );
}

// ------------------------------------------------------------------ the jobs list

const COLUMNS = [
  { key: "label", title: "Label", value: (j) => j.label.toLowerCase() },
  { key: "owner", title: "Owner", value: (j) => j.owner.toLowerCase() },
  { key: "trigger", title: "Trigger", value: (j) => j.trigger.toLowerCase() },
  { key: "last", title: "Last Execution", value: (j) => lastTime(j) || "" },
  { key: "status", title: "Status", value: (j) => `${j.enabled ? "" : "~"}${j.last_task?.status || ""}` },
];

const list = { jobs: [], sort: { key: "label", dir: 1 }, filter: "", selected: new Set() };

function shownJobs() {
  const words = list.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const column = COLUMNS.find((c) => c.key === list.sort.key);
  return list.jobs
    .filter((job) => {
      const text = [
        job.label,
        job.id,
        job.owner,
        job.trigger,
        job.kind,
        job.last_task?.status,
        job.enabled ? "enabled" : "disabled",
        job.paused_reason && "suspended",
      ]
        .join(" ")
        .toLowerCase();
      return words.every((w) => text.includes(w));
    })
    .sort((a, b) => {
      const [x, y] = [column.value(a), column.value(b)];
      return (x < y ? -1 : x > y ? 1 : a.label.localeCompare(b.label)) * list.sort.dir;
    });
}

async function listView(view) {
  const filter = h("input", {
    type: "search",
    id: "filter",
    value: list.filter,
    placeholder: "Label, owner, trigger, status…",
    oninput: () => {
      list.filter = filter.value;
      renderRows();
    },
  });
  const button = (id, text, onclick, cls = "") =>
    h("button", { type: "button", id, class: cls, onclick, disabled: true }, text);
  const actions = [
    button("run-now", "Run Now", () => runNow(selectedJobs()), "primary"),
    isAdmin() && button("disable", "Disable job", () => setEnabled(selectedJobs(), false)),
    isAdmin() && button("enable", "Enable", () => setEnabled(selectedJobs(), true)),
    button("clear-all", "Clear All", () => clearAll(selectedJobs())),
    isAdmin() && button("delete", "Delete", () => deleteJobs(selectedJobs()), "danger-outline"),
  ];
  const selectAll = h("input", {
    type: "checkbox",
    id: "select-all",
    "aria-label": "Select all jobs shown",
    onchange: () => {
      for (const job of shownJobs()) selectAll.checked ? list.selected.add(job.id) : list.selected.delete(job.id);
      renderRows();
    },
  });
  const head = h(
    "tr",
    {},
    h("th", { class: "select", scope: "col" }, selectAll),
    COLUMNS.map((c) =>
      h(
        "th",
        { scope: "col", "data-key": c.key },
        h(
          "button",
          {
            type: "button",
            class: "sort",
            id: `sort-${c.key}`,
            onclick: () => {
              list.sort = { key: c.key, dir: list.sort.key === c.key ? -list.sort.dir : 1 };
              renderRows();
            },
          },
          c.title,
          h("span", { class: "sort-mark", "aria-hidden": "true" }),
        ),
      ),
    ),
  );
  const tbody = h("tbody", { id: "jobs-body" });
  const count = h("span", { class: "muted selection-count", id: "selection-count" });
  show(
    "Scheduler",
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "Scheduler"),
        h("p", { class: "muted" }, "Every job: what starts it, its last execution and its status."),
      ),
      isAdmin() && h("a", { class: "button primary", href: "#/new", id: "new-job" }, "New job"),
    ),
    h(
      "div",
      { class: "toolbar" },
      h("div", { class: "filter" }, h("label", { for: "filter" }, "Filter"), filter),
      h("div", { class: "button-row", role: "group", "aria-label": "Actions on the selected jobs" }, actions, count),
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "jobs", id: "jobs" },
        h("caption", { class: "visually-hidden" }, "Jobs"),
        h("thead", {}, head),
        tbody,
      ),
    ),
  );

  function renderRows() {
    const jobs = shownJobs();
    const known = new Set(list.jobs.map((j) => j.id));
    for (const id of list.selected) if (!known.has(id)) list.selected.delete(id);
    keepFocus(() =>
      fill(
        tbody,
        ...jobs.map((job) => jobRow(job, renderRows)),
        jobs.length === 0
          ? h(
              "tr",
              { class: "empty" },
              h("td", { colspan: 6 }, list.jobs.length ? "No job matches the filter." : "No jobs yet."),
            )
          : [],
      ),
    );
    for (const th of $$("th[data-key]", head)) {
      const sorted = th.dataset.key === list.sort.key;
      th.setAttribute("aria-sort", sorted ? (list.sort.dir > 0 ? "ascending" : "descending") : "none");
      $(".sort-mark", th).textContent = sorted ? (list.sort.dir > 0 ? "▲" : "▼") : "";
    }
    const picked = selectedJobs();
    const shownPicked = jobs.filter((j) => list.selected.has(j.id)).length;
    selectAll.checked = jobs.length > 0 && shownPicked === jobs.length;
    selectAll.indeterminate = shownPicked > 0 && shownPicked < jobs.length;
    const some = picked.length > 0;
    const enable = (id, on) => {
      const b = document.getElementById(id);
      if (b) b.disabled = !on;
    };
    enable("run-now", some && picked.every(canOperate));
    enable("clear-all", some && picked.every(canOperate));
    enable("enable", some && picked.some((j) => !j.enabled));
    enable("disable", some && picked.some((j) => j.enabled));
    enable("delete", some && picked.every(canEdit));
    count.textContent = some ? `${picked.length} selected` : "";
  }

  const refresh = async () => {
    const jobs = await allJobs();
    if (!current(view)) return false;
    list.jobs = jobs;
    renderRows();
  };
  refreshCurrent = refresh;
  await refresh();
  poll(refresh, LIST_POLL_MS);
}

function selectedJobs() {
  return list.jobs.filter((j) => list.selected.has(j.id));
}

function jobRow(job, rerender) {
  const box = h("input", {
    type: "checkbox",
    id: `select-${job.id}`,
    checked: list.selected.has(job.id),
    "aria-label": `Select ${job.label}`,
    onchange: () => {
      box.checked ? list.selected.add(job.id) : list.selected.delete(job.id);
      rerender();
    },
  });
  const last = lastTime(job);
  return h(
    "tr",
    { "data-job": job.id, class: list.selected.has(job.id) ? "selected" : "" },
    h("td", { class: "select" }, box),
    h(
      "td",
      { class: "label", "data-label": "Label" },
      h("a", { href: `#/jobs/${enc(job.id)}`, id: `open-${job.id}` }, job.label),
      " ",
      kindBadge(job.kind),
    ),
    h("td", { "data-label": "Owner" }, job.owner),
    h("td", { class: "trigger", "data-label": "Trigger" }, triggerText(job.trigger)),
    h(
      "td",
      { class: "last", "data-label": "Last Execution" },
      last ? timeAgo(last) : h("span", { class: "muted" }, "—"),
    ),
    h("td", { class: "status", "data-label": "Status" }, jobStatus(job)),
  );
}

// ------------------------------------------------------------------ actions on jobs (list and job page)

/** Do `each(job)` for every job; one message tells what worked and what did not. */
async function forEach(jobs, verb, each) {
  const failed = [];
  let done = 0;
  for (const job of jobs) {
    try {
      await each(job);
      done += 1;
    } catch (error) {
      failed.push(`${job.label}: ${error.message}`);
    }
  }
  const ok = done ? `${verb} ${done} job${done === 1 ? "" : "s"}.` : "";
  say([ok, ...failed].join(" "), failed.length ? "error" : "info");
  await refreshView();
}

/** The view on screen, reloaded after an action (each view sets it). */
let refreshCurrent = null;

async function refreshView() {
  try {
    await refreshCurrent?.();
  } catch (error) {
    say(error.message, "error");
  }
}

function runNow(jobs, parameters = {}) {
  return forEach(jobs, "Run Now: queued a task for", (job) => api("POST", `/jobs/${enc(job.id)}/run`, { parameters }));
}

async function setEnabled(jobs, enabled) {
  try {
    const { results } = await api("POST", `/jobs/${enabled ? "enable" : "disable"}`, { ids: jobs.map((j) => j.id) });
    const changed = results.filter((r) => r.outcome === (enabled ? "enabled" : "disabled")).length;
    const missing = results.filter((r) => r.outcome === "not found").map((r) => r.id);
    say(
      `${enabled ? "Enabled" : "Disabled"} ${changed} job${changed === 1 ? "" : "s"}.` +
        (missing.length ? ` Not found: ${missing.join(", ")}.` : ""),
      missing.length ? "error" : "info",
    );
  } catch (error) {
    say(error.message, "error");
  }
  await refreshView();
}

async function clearAll(jobs) {
  const names = jobs.map((j) => j.label).join(", ");
  if (
    !(await confirmDialog(
      "Clear All history?",
      `The finished tasks of ${names} will be deleted. Queued and running tasks stay.`,
      "Clear All",
    ))
  )
    return;
  let deleted = 0;
  await forEach(jobs, "Cleared the history of", async (job) => {
    deleted += (await api("DELETE", `/jobs/${enc(job.id)}/tasks`)).deleted;
  });
  say(`Clear All: ${deleted} task${deleted === 1 ? "" : "s"} deleted.`);
}

async function deleteJobs(jobs) {
  const names = jobs.map((j) => j.label).join(", ");
  if (
    !(await confirmDialog(
      "Delete for good?",
      `${names} and all of its history will be deleted. This cannot be undone.`,
      "Delete",
    ))
  )
    return false;
  for (const job of jobs) list.selected.delete(job.id);
  await forEach(jobs, "Deleted", (job) => api("DELETE", `/jobs/${enc(job.id)}`));
  return true;
}

// ------------------------------------------------------------------ a job

async function jobView(view, jobId) {
  const path = `/jobs/${enc(jobId)}`;
  let [job, preview, page] = await Promise.all([
    api("GET", path),
    api("GET", `${path}/schedule/preview?count=5`),
    api("GET", `${path}/tasks?limit=${HISTORY_PAGE}`),
    vocabulary(),
  ]);
  if (!current(view)) return;
  const history = { items: page.items, cursor: page.cursor, status: "" };

  const head = h("div", { class: "page-head" });
  const facts = h("dl", { class: "facts" });
  const historyBody = h("tbody", { id: "history-body" });
  const older = h("button", { type: "button", id: "older", onclick: loadOlder }, "Older");
  const statusFilter = h(
    "select",
    { id: "history-status", onchange: reloadHistory },
    h("option", { value: "" }, "All statuses"),
    STATUSES.map((s) => h("option", { value: s }, s)),
  );

  function renderHead() {
    const buttons = [
      canOperate(job) &&
        h(
          "button",
          { type: "button", class: "primary", id: "run-now", onclick: () => runWithParameters(job) },
          "Run Now",
        ),
      isAdmin() &&
        (job.enabled
          ? h("button", { type: "button", id: "disable", onclick: () => setEnabled([job], false) }, "Disable job")
          : h("button", { type: "button", id: "enable", onclick: () => setEnabled([job], true) }, "Enable")),
      canOperate(job) &&
        job.schedule &&
        h("button", { type: "button", id: "backfill", onclick: () => backfillDialog(job) }, "Backfill"),
      canOperate(job) && h("button", { type: "button", id: "clear-all", onclick: () => clearAll([job]) }, "Clear All"),
      canEdit(job) && h("a", { class: "button", href: `#/jobs/${enc(job.id)}/edit`, id: "edit" }, "Edit"),
      canEdit(job) &&
        h(
          "button",
          {
            type: "button",
            class: "danger-outline",
            id: "delete",
            onclick: async () => {
              refreshCurrent = null; // the job is gone: nothing to reload here
              if (await deleteJobs([job])) location.hash = "#/";
              else refreshCurrent = refresh;
            },
          },
          "Delete",
        ),
    ];
    keepFocus(() =>
      fill(
        head,
        h(
          "div",
          {},
          crumbs(),
          h("h1", {}, job.label, " ", kindBadge(job.kind), !job.enabled && [" ", offBadge(job)]),
          job.description && h("p", { class: "muted description" }, job.description),
          inFlight(job) && h("p", { class: "in-flight", id: "in-flight" }, inFlight(job)),
          job.paused_reason &&
            !job.enabled &&
            h(
              "p",
              { class: "paused-note", id: "paused-note" },
              h("strong", {}, "Suspended by the scheduler"),
              ` (${job.paused_reason}). `,
              isAdmin() ? "Enable lifts the suspension." : "An admin can enable it again.",
            ),
        ),
        h("div", { class: "button-row" }, buttons),
      ),
    );
    const next = preview.next.slice(0, 5);
    fill(
      facts,
      fact("Owner", job.owner),
      fact(
        "Trigger",
        job.schedule
          ? preview.description || job.trigger
          : job.events?.length || job.hooks?.length
            ? "When one of the events or hooks below arrives (and Run Now)"
            : "Manual: runs when someone clicks Run Now",
      ),
      job.schedule && fact("Expression", h("code", {}, job.schedule.expression), ` in ${job.schedule.timezone}`),
      job.events?.length > 0 && fact("Events", job.events.map(eventText).join(", ")),
      job.hooks?.length > 0 &&
        fact(
          "Hooks",
          job.hooks.map((hook) => h("code", { class: "hook" }, `POST /hooks/${hook.slug}`)),
        ),
      job.schedule &&
        fact(
          "Next runs",
          !job.enabled
            ? h("span", { class: "muted" }, "none while the job is disabled")
            : next.length
              ? h(
                  "ol",
                  { class: "next-runs", id: "next-runs" },
                  next.map((t) =>
                    h("li", {}, h("time", { datetime: t.utc, title: absolute(t.utc) }, wallTime(t.local))),
                  ),
                )
              : h("span", { class: "muted" }, "no more runs"),
        ),
      fact("Actions", job.actions.length ? stepsList(job.actions, "chain") : h("span", { class: "muted" }, "none")),
      job.on_failure?.length > 0 && fact("If a step fails", stepsList(job.on_failure, "chain on-failure")),
      job.parameters.length > 0 && fact("Parameters", job.parameters.map((p) => p.name).join(", ")),
      executionFacts(job),
      fact("Version", String(job.version), h("span", { class: "muted" }, ` · changed ${relative(job.updated_at)}`)),
    );
  }

  function renderHistory() {
    keepFocus(() =>
      fill(
        historyBody,
        ...history.items.map((task) =>
          h(
            "tr",
            { "data-task": task.id },
            h(
              "td",
              { "data-label": "Status" },
              h(
                "a",
                {
                  href: `#/jobs/${enc(job.id)}/tasks/${enc(task.id)}`,
                  id: `task-${task.id}`,
                  "aria-label": `Task ${task.id}: ${task.status}`,
                },
                statusBadge(task.status),
              ),
            ),
            h("td", { "data-label": "Trigger" }, task.trigger.type),
            h("td", { "data-label": "By" }, task.trigger.by),
            h("td", { "data-label": "Started" }, timeAgo(task.started_at || task.created_at)),
            h(
              "td",
              { "data-label": "Duration" },
              task.status === "RUNNING" ? "running…" : duration(task.duration_seconds),
            ),
            h("td", { class: "message", "data-label": "Message" }, task.message || ""),
          ),
        ),
        history.items.length === 0
          ? h("tr", { class: "empty" }, h("td", { colspan: 6 }, "No tasks in the history."))
          : [],
      ),
    );
    older.hidden = !history.cursor;
  }

  async function loadOlder() {
    const more = await api(
      "GET",
      `${path}/tasks?limit=${HISTORY_PAGE}&cursor=${enc(history.cursor)}${history.status ? `&status=${history.status}` : ""}`,
    );
    history.items.push(...more.items.filter((t) => !history.items.some((k) => k.id === t.id)));
    history.cursor = more.cursor;
    renderHistory();
    if (!older.hidden) older.focus();
  }

  async function reloadHistory() {
    history.status = statusFilter.value;
    const first = await api(
      "GET",
      `${path}/tasks?limit=${HISTORY_PAGE}${history.status ? `&status=${history.status}` : ""}`,
    );
    history.items = first.items;
    history.cursor = first.cursor;
    renderHistory();
  }

  /** The newest page again, merged with older pages already shown (task ids sort by time). */
  async function refresh() {
    const [fresh, first] = await Promise.all([
      api("GET", path),
      api("GET", `${path}/tasks?limit=${HISTORY_PAGE}${history.status ? `&status=${history.status}` : ""}`),
    ]);
    if (!current(view)) return false;
    if (fresh.version !== job.version || fresh.enabled !== job.enabled)
      preview = await api("GET", `${path}/schedule/preview?count=5`);
    job = fresh;
    const oldest = first.items.at(-1)?.id;
    const rest = first.cursor && oldest ? history.items.filter((t) => t.id < oldest) : [];
    history.items = [...first.items, ...rest];
    if (!first.cursor) history.cursor = null;
    else if (!rest.length) history.cursor = first.cursor;
    renderHead();
    renderHistory();
  }

  refreshCurrent = refresh;
  renderHead();
  renderHistory();
  show(
    job.label,
    head,
    h("section", { class: "card", "aria-labelledby": "about-title" }, h("h2", { id: "about-title" }, "About"), facts),
    h(
      "section",
      { class: "card", "aria-labelledby": "history-title" },
      h(
        "div",
        { class: "section-head" },
        h("h2", { id: "history-title" }, "History"),
        h("div", { class: "inline-field" }, h("label", { for: "history-status" }, "Status"), statusFilter),
      ),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "history", id: "history" },
          h("caption", { class: "visually-hidden" }, "Task history, newest first"),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Status", "Trigger", "By", "Started", "Duration", "Message"].map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          historyBody,
        ),
      ),
      h("div", { class: "button-row pager" }, older),
    ),
  );
  poll(refresh, LIST_POLL_MS);
}

/** "s3 ObjectCreated under inbox/ *.jpg", "custom OrderPlaced". */
function eventText(event) {
  const filter = event.filter || {};
  const where = [filter.prefix && `under ${filter.prefix}`, filter.glob, filter.suffix && `*${filter.suffix}`];
  return [event.source, event.type, ...where].filter(Boolean).join(" ");
}

function fact(term, ...details) {
  return [h("dt", {}, term), h("dd", {}, ...details)];
}

/** The job's execution policy in words: overlap and seats, retries, timeout, what a failure does. */
function executionFacts(job) {
  const retry = job.retry;
  const retries =
    `up to ${retry.max_attempts} attempts, waiting ${duration(retry.backoff_seconds)} then doubling, ` +
    `at most ${duration(retry.max_backoff_seconds)}`;
  const notify = [job.notify.topic && "the notifications topic", job.notify.webhook].filter(Boolean);
  const pause = job.pause_after_failures;
  return [
    fact(
      "Overlap",
      h("code", {}, job.overlap),
      ` · at most ${job.concurrency_limit} at a time`,
      job.max_concurrency == null ? h("span", { class: "muted" }, " (the policy's default)") : null,
      h("br"),
      h("span", { class: "muted" }, overlapMeaning(job.overlap)),
    ),
    fact(
      "Retries",
      retry.max_attempts > 1
        ? retries
        : h("span", { class: "muted" }, "none: one attempt"),
    ),
    fact("Timeout", duration(job.timeout_seconds)),
    fact(
      "When a run fails",
      notify.length ? `notify ${notify.join(" and ")}` : h("span", { class: "muted" }, "no notification"),
      pause ? `; suspend the job after ${pause} failed run${pause === 1 ? "" : "s"} in a row` : "",
    ),
  ];
}

/** Backfill: run every slot of the job's schedule between two past times, each as its own task.
 * The times are read in the browser's zone and sent with its offset. */
function backfillDialog(job) {
  const now = new Date();
  now.setSeconds(0, 0);
  const dayAgo = new Date(now.getTime() - 86400000);
  const start = h("input", { type: "datetime-local", value: localInputValue(dayAgo), max: localInputValue(now) });
  const end = h("input", { type: "datetime-local", value: localInputValue(now), max: localInputValue(now) });
  const overlap = overlapSelect("buffer_all");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const problem = h("div", { class: "form-error", id: "backfill-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", id: "backfill-ok" }, "Backfill");
  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        fill(problem);
        clearFieldErrors(form);
        submit.disabled = true;
        try {
          const done = await api("POST", `/jobs/${enc(job.id)}/backfill`, {
            start: isoWithOffset(start.value),
            end: isoWithOffset(end.value),
            overlap: overlap.value,
          });
          const n = done.queued.length;
          dialog.close();
          say(`Backfill: queued ${n} run${n === 1 ? "" : "s"}, ${done.already_ran} had run already.`);
          await refreshView();
        } catch (error) {
          const { unplaced, first } = placeErrors(form, error);
          if (unplaced.length) fill(problem, h("p", {}, unplaced.join("; ")));
          (first || problem).focus?.();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "backfill-title" }, `Backfill ${job.label}`),
    h(
      "p",
      { class: "hint intro" },
      "Every slot of ",
      h("code", {}, job.schedule.expression),
      ` (${job.schedule.timezone}) from the start up to the end runs as its own task; `,
      "slots that ran already do not run again.",
    ),
    h(
      "div",
      { class: "grid-2 dialog-grid" },
      field("start", "backfill-start", "Start", start, `Included; your time zone (${zone})`, true),
      field("end", "backfill-end", "End", end, "Excluded; not in the future", true),
    ),
    field("overlap", "backfill-overlap", "Overlap", overlap, overlapMeaning(overlap.value)),
    problem,
    h(
      "div",
      { class: "dialog-buttons" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      submit,
    ),
  );
  overlap.addEventListener("change", () => {
    $("#backfill-overlap-hint").textContent = overlapMeaning(overlap.value);
  });
  form.addEventListener("input", () => {
    fill(problem); // what was refused is stale once something is changed
    clearFieldErrors(form);
  });
  const dialog = h(
    "dialog",
    { "aria-labelledby": "backfill-title", class: "backfill-dialog", id: "backfill-dialog" },
    form,
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

/** Run Now; a job that declares parameters first asks for their values. */
async function runWithParameters(job) {
  if (!job.parameters.length) return runNow([job]);
  const fields = job.parameters.map((p, i) =>
    parameterField(`run-${i}`, p.name, schemaOfParameter(p), p.required && p.default == null, undefined),
  );
  const errors = h("p", { class: "field-error", role: "alert" });
  const dialog = h(
    "dialog",
    { "aria-labelledby": "run-title", class: "run-dialog" },
    h(
      "form",
      { method: "dialog" },
      h("h2", { id: "run-title" }, `Run ${job.label}`),
      fields.map((f) => f.element),
      errors,
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { type: "submit", value: "cancel", formnovalidate: true }, "Cancel"),
        h("button", { type: "submit", value: "ok", class: "primary" }, "Run Now"),
      ),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
  dialog.addEventListener("close", async () => {
    dialog.remove();
    if (dialog.returnValue !== "ok") return;
    const parameters = {};
    for (const f of fields) {
      const value = f.read();
      if (value !== undefined) parameters[f.name] = value;
    }
    await runNow([job], parameters);
  });
}

function schemaOfParameter(p) {
  const schema = { type: p.type, description: p.description };
  if (p.choices) schema.enum = p.choices;
  if (p.default != null) schema.default = p.default;
  return schema;
}

// ------------------------------------------------------------------ a task

async function taskView(view, jobId, taskId) {
  const path = `/jobs/${enc(jobId)}/tasks/${enc(taskId)}`;
  let [job, task] = await Promise.all([api("GET", `/jobs/${enc(jobId)}`), api("GET", path)]);
  if (!current(view)) return;
  const live = h("p", { class: "task-status", id: "task-status", "aria-live": "polite" });
  const bar = h("progress", { id: "task-progress", max: 100, "aria-labelledby": "progress-label" });
  const percent = h("span", { class: "muted" });
  const pause = h("button", { type: "button", id: "pause", onclick: () => ask("pause") }, "Pause");
  const resume = h(
    "button",
    { type: "button", class: "primary", id: "resume", onclick: () => ask("resume") },
    "Resume",
  );
  const stop = h("button", { type: "button", class: "danger-outline", id: "stop", onclick: () => ask("stop") }, "Stop");
  const facts = h("dl", { class: "facts" });
  const logs = h("ol", { class: "logs", id: "logs" });

  function render() {
    const attempt = attemptText(task, job);
    const waitsUntil = task.status === "QUEUED" && task.not_before;
    fill(
      live,
      statusBadge(task.status),
      attempt && [" ", h("span", { class: "nowrap" }, "· ", h("span", { id: "task-attempt" }, `attempt ${attempt}`))],
      waitsUntil && [
        " ",
        h(
          "span",
          { class: "nowrap" },
          "· ",
          h(
            "span",
            { id: "task-retry" },
            task.attempt > 1 ? "retries at " : "continues at ",
            clockTime(task.not_before),
          ),
        ),
      ],
      task.stop_requested_by && task.status === "RUNNING" ? ` · stop asked by ${task.stop_requested_by}` : "",
      task.pause_requested_by && task.status === "RUNNING" ? ` · pause asked by ${task.pause_requested_by}` : "",
    );
    bar.value = Math.round(task.progress * 100);
    percent.textContent = ` ${Math.round(task.progress * 100)} %`;
    const operator = canOperate(job);
    pause.hidden = !(operator && task.status === "RUNNING");
    pause.disabled = Boolean(task.pause_requested_by || task.stop_requested_by);
    resume.hidden = !(operator && task.status === "PAUSED");
    stop.hidden = !(operator && ACTIVE.has(task.status));
    stop.disabled = Boolean(task.stop_requested_by);
    fill(
      facts,
      fact("Trigger", `${task.trigger.type} by ${task.trigger.by}`),
      task.scheduled_for &&
        fact("Scheduled for", h("time", { datetime: task.scheduled_for }, absolute(task.scheduled_for))),
      fact("Queued", h("time", { datetime: task.created_at }, absolute(task.created_at))),
      fact("Started", task.started_at ? h("time", { datetime: task.started_at }, absolute(task.started_at)) : "—"),
      fact("Ended", task.ended_at ? h("time", { datetime: task.ended_at }, absolute(task.ended_at)) : "—"),
      fact("Duration", duration(task.duration_seconds)),
      attempt && fact("Attempt", attempt),
      waitsUntil &&
        fact(
          task.attempt > 1 ? "Retries at" : "Continues at",
          h("time", { datetime: task.not_before }, absolute(task.not_before)),
          h("span", { class: "muted" }, ` (${relative(task.not_before)})`),
        ),
      task.overlap && fact("Overlap", h("code", {}, task.overlap), h("span", { class: "muted" }, " (this task's own)")),
      fact(
        "Message",
        task.message ? h("span", { id: "task-message" }, task.message) : h("span", { class: "muted" }, "—"),
      ),
      Object.keys(task.parameters).length > 0 && fact("Parameters", h("code", {}, JSON.stringify(task.parameters))),
    );
    fill(
      logs,
      ...task.logs.map((line) =>
        h(
          "li",
          { class: `log-${line.level.toLowerCase()}` },
          h("time", { datetime: line.at, title: absolute(line.at) }, new Date(line.at).toLocaleTimeString()),
          h("span", { class: "level" }, line.level),
          h("span", { class: "text" }, line.message),
        ),
      ),
      task.logs.length === 0 ? h("li", { class: "muted" }, "No log lines yet.") : [],
    );
  }

  const DONE = {
    pause: () => "Pause asked: the task pauses at its next checkpoint, keeping its progress.",
    resume: () => "Task resumed: it is queued again and continues where it paused.",
    stop: (t) =>
      t.status === "INTERRUPTED" ? "Task stopped." : "Stop asked: the task stops at its next checkpoint.",
  };

  /** Pause, Resume or Stop; a refusal (409: the task moved on meanwhile) is a notice. */
  async function ask(verb) {
    try {
      task = { ...task, ...(await api("POST", `${path}/${verb}`)) };
      say(DONE[verb](task));
    } catch (error) {
      say(`Could not ${verb} the task: ${error.message}`, "error");
    }
    await refreshView();
    if (ACTIVE.has(task.status)) poll(refresh, TASK_POLL_MS);
  }

  async function refresh() {
    const fresh = await api("GET", path);
    if (!current(view)) return false;
    task = fresh;
    render();
    return ACTIVE.has(task.status);
  }

  refreshCurrent = refresh;
  render();
  show(
    `Task ${taskId}`,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        crumbs(h("a", { href: `#/jobs/${enc(jobId)}`, id: "back-to-job" }, job.label)),
        h("h1", {}, "Task ", h("code", { class: "task-id" }, taskId)),
        live,
      ),
      h("div", { class: "button-row" }, pause, resume, stop),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "progress-label" },
      h("h2", { id: "progress-label" }, "Progress"),
      h("div", { class: "progress-row" }, bar, percent),
      facts,
    ),
    h("section", { class: "card", "aria-labelledby": "logs-title" }, h("h2", { id: "logs-title" }, "Log"), logs),
  );
  if (ACTIVE.has(task.status)) poll(refresh, TASK_POLL_MS);
}

/** "2 of 3" when the job retries (or the task is past its first attempt); null otherwise. */
function attemptText(task, job) {
  const most = Math.max(job.retry?.max_attempts || 1, task.attempt);
  return most > 1 ? `${task.attempt} of ${most}` : null;
}

/** A <time> showing the clock time (and the day, when it is not today), the full date on hover. */
function clockTime(iso) {
  const date = new Date(iso);
  const today = date.toDateString() === new Date().toDateString();
  const text = today ? date.toLocaleTimeString() : absolute(iso);
  return h("time", { datetime: iso, title: absolute(iso) }, text);
}

// ------------------------------------------------------------------ the custom job form

let fieldIds = 0;

/** A default as a person reads it: an object or a list as its JSON, not "[object Object]". */
const shownDefault = (value) => (value !== null && typeof value === "object" ? JSON.stringify(value) : String(value));

/** A labelled input for one JSON Schema property: string, integer/number, boolean, enum. */
function parameterField(idPrefix, name, schema, required, value) {
  const id = `${idPrefix}-${name}`.replace(/[^\w-]/g, "_");
  const hint = [
    typeof value === "string" && value.includes("{{") ? "a template, filled in at each run" : "",
    schema.description,
    schema.default !== undefined && !schema.enum && schema.type !== "boolean"
      ? `default: ${shownDefault(schema.default)}`
      : "",
  ]
    .filter(Boolean)
    .join(" · ");
  // A stored template ("{{ parameters.wipe }}") where a checkbox, a number box or a list would go is
  // shown and sent back as the text it is: those inputs cannot hold it, and would change it.
  const templated = typeof value === "string" && value.includes("{{") && (schema.enum || schema.type !== "string");
  const describedBy = `${id}-hint ${id}-error`;
  let input;
  if (templated) {
    input = h("input", { type: "text", id, required, value, "aria-describedby": describedBy, spellcheck: "false" });
  } else if (schema.enum) {
    input = h(
      "select",
      { id, required, "aria-describedby": describedBy },
      !required || schema.default === undefined
        ? h("option", { value: "" }, schema.default !== undefined ? `(default: ${shownDefault(schema.default)})` : "—")
        : null,
      schema.enum.map((choice) => h("option", { value: JSON.stringify(choice) }, String(choice))),
    );
    const chosen = value !== undefined ? value : required ? schema.default : undefined;
    if (chosen !== undefined) input.value = JSON.stringify(chosen);
  } else if (schema.type === "boolean") {
    input = h("input", {
      type: "checkbox",
      id,
      checked: Boolean(value ?? schema.default),
      "aria-describedby": describedBy,
    });
  } else if (schema.type === "integer" || schema.type === "number") {
    input = h("input", {
      type: "number",
      id,
      required,
      step: schema.type === "integer" ? 1 : "any",
      min: schema.minimum,
      max: schema.maximum,
      value: value ?? "",
      placeholder: schema.default ?? "",
      "aria-describedby": describedBy,
    });
  } else if (schema.type === "string" || !schema.type) {
    input = h("input", {
      type: "text",
      id,
      required,
      value: value ?? "",
      placeholder: schema.default ?? "",
      "aria-describedby": describedBy,
    });
  } else {
    input = h("input", {
      type: "text",
      id,
      required,
      value: value === undefined ? "" : JSON.stringify(value),
      placeholder: schema.default !== undefined ? shownDefault(schema.default) : "JSON",
      "aria-describedby": describedBy,
    });
  }
  const element = h(
    "div",
    { class: `field${schema.type === "boolean" && !schema.enum && !templated ? " check" : ""}` },
    h("label", { for: id }, name, required && h("span", { class: "required", "aria-hidden": "true" }, " *")),
    input,
    h("p", { class: "hint", id: `${id}-hint` }, hint),
    h("p", { class: "field-error", id: `${id}-error` }),
  );
  const read = () => {
    if (templated) return input.value === "" ? undefined : input.value;
    if (schema.enum) return input.value === "" ? undefined : JSON.parse(input.value);
    if (schema.type === "boolean") return input.checked;
    if (input.value === "") return undefined;
    if (schema.type === "integer" || schema.type === "number")
      return Number.isNaN(Number(input.value)) ? input.value : Number(input.value);
    if (schema.type && schema.type !== "string") {
      try {
        return JSON.parse(input.value);
      } catch {
        return input.value;
      }
    }
    return input.value;
  };
  return { name, element, input, read };
}

/** The breadcrumb above a page's title: Scheduler, then each link given, each followed by " / ". */
function crumbs(...links) {
  const trail = links.filter(Boolean).flatMap((link) => [link, " / "]);
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/" }, "Scheduler"), " / ", trail);
}

/** A "Remove" button that takes `item` out of `list`, then redraws what lists it. */
function removeButton(label, list, item, redraw) {
  const onclick = () => {
    list.splice(list.indexOf(item), 1);
    redraw();
  };
  return h("button", { type: "button", class: "small danger-outline", "aria-label": label, onclick }, "Remove");
}

/** A labelled form control with its hint and error slots; `field` is the API's name for it. */
function field(where, id, label, input, hint = "", required = false) {
  input.id = id;
  input.setAttribute("aria-describedby", `${id}-hint ${id}-error`);
  if (required) input.required = true;
  return h(
    "div",
    { class: `field${input.type === "checkbox" ? " check" : ""}`, "data-field": where },
    h("label", { for: id }, label, required && h("span", { class: "required", "aria-hidden": "true" }, " *")),
    input,
    h("p", { class: "hint", id: `${id}-hint` }, hint),
    h("p", { class: "field-error", id: `${id}-error` }),
  );
}

/** Put each problem of a refusal beside the control its `field` names: `body.retry.max_attempts`
 * goes to the [data-field="retry.max_attempts"] holder, `body.actions.0.parameters` to
 * "actions[0].parameters", the most specific holder first. Returns the problems that found no
 * place (as "field: problem") and the first control marked invalid. */
function placeErrors(container, error) {
  const problems = error.body?.errors?.length ? error.body.errors : [{ field: "", problem: error.message }];
  const matches = (key, name) => key === name || key.startsWith(`${name}.`) || key.startsWith(`${name}[`);
  const unplaced = [];
  let first = null;
  for (const { field: where, problem } of problems) {
    const key = where.replace(/^body\.?/, "").replace(/\.(\d+)(?=\.|$)/g, "[$1]");
    const holder = key
      ? $$("[data-field]", container)
          .filter((el) => matches(key, el.dataset.field))
          .sort((a, b) => b.dataset.field.length - a.dataset.field.length)[0]
      : null;
    const slot = holder && $$(".field-error", holder).at(-1);
    if (!slot) {
      unplaced.push(`${where ? `${where}: ` : ""}${problem}`);
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent}; ${problem}` : problem;
    const control = $("input, select, textarea", holder);
    control?.setAttribute("aria-invalid", "true");
    first ??= control;
  }
  return { unplaced, first };
}

function clearFieldErrors(container) {
  for (const slot of $$(".field-error", container)) slot.textContent = "";
  for (const el of $$("[aria-invalid]", container)) el.removeAttribute("aria-invalid");
}

/** A number input's value for the API: null when empty, a number when it reads as one, else the
 * text as typed (the API then says what is wrong, beside the field). */
function numberValue(input) {
  // A number box gives the page "" for what is no number ("1e"): sent as such, the API says so
  // beside the field, where an empty value would quietly become the default.
  if (input.validity?.badInput) return "(not a number)";
  const raw = input.value.trim();
  if (raw === "") return null;
  const n = Number(raw);
  return Number.isNaN(n) ? raw : n;
}

/** The overlap policy <select>, its options named as people say them. */
function overlapSelect(value) {
  const select = h(
    "select",
    {},
    OVERLAPS.map(([policy, name]) => h("option", { value: policy }, name)),
  );
  select.value = value || "allow_all";
  return select;
}

const overlapMeaning = (policy) => state.vocabulary?.Overlap.members[policy] || "";

/** A step's input filter (jobdeck.domain.NodeFilter) as the form edits it: [key, label, hint,
 * kind], kind "text", "size" (whole bytes) or "days" (a number). In this order they make two
 * rows of three at desktop width: the text condition first, then a pair of bounds. */
const NODE_FILTER_FIELDS = [
  ["glob", "Key matches (glob)", "Shell-style, on the whole key: home/*/photos/*.jpg", "text"],
  ["min_size", "Min size (bytes)", "At least this many bytes", "size"],
  ["max_size", "Max size (bytes)", "At most this many bytes", "size"],
  ["content_type", "Content type", "e.g. image/*; costs a HEAD request per item", "text"],
  ["older_than_days", "Older than (days)", "Last changed more than this many days ago", "days"],
  ["newer_than_days", "Newer than (days)", "Last changed less than this many days ago", "days"],
];

/** Bytes as people read them: 2048 is "2 KiB", 1500 is "1,500 bytes" (exact, as the filter is). */
function sizeText(n) {
  if (typeof n !== "number") return String(n);
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let unit = 0;
  while (n >= 1024 && n % 1024 === 0 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${n.toLocaleString()} ${n === 1 && unit === 0 ? "byte" : units[unit]}`;
}

/** A chain's steps as the job page lists them: action, parameters, timeout, input filter. */
function stepsList(steps, className) {
  return h(
    "ol",
    { class: className },
    steps.map((a) =>
      h(
        "li",
        {},
        h("code", {}, a.action),
        Object.keys(a.parameters).length ? [" ", h("span", { class: "muted params" }, JSON.stringify(a.parameters))] : null,
        a.timeout_seconds && h("span", { class: "muted" }, ` · times out after ${duration(a.timeout_seconds)}`),
        a.filter && h("span", { class: "muted" }, ` · only items that ${filterText(a.filter)}`),
      ),
    ),
  );
}

const daysText = (n) => `${typeof n === "number" ? n.toLocaleString() : n} day${n === 1 ? "" : "s"}`;

/** What a step's input filter keeps, after "Only items that": "match *.jpg and are at least 1 KiB". */
function filterText(filter) {
  const { glob, content_type: type, min_size: min, max_size: max } = filter;
  const parts = [glob && `match ${glob}`, type && `are of type ${type}`];
  if (min != null && max != null) parts.push(`are ${sizeText(min)} to ${sizeText(max)}`);
  else if (min != null) parts.push(`are at least ${sizeText(min)}`);
  else if (max != null) parts.push(`are at most ${sizeText(max)}`);
  if (filter.older_than_days != null) parts.push(`were changed over ${daysText(filter.older_than_days)} ago`);
  if (filter.newer_than_days != null) parts.push(`were changed in the last ${daysText(filter.newer_than_days)}`);
  const said = parts.filter(Boolean);
  return said.length > 1 ? `${said.slice(0, -1).join(", ")} and ${said.at(-1)}` : said[0] || "";
}

function zoneList() {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return h(
    "datalist",
    { id: "zones" },
    ["UTC", ...zones.filter((z) => z !== "UTC")].map((z) => h("option", { value: z })),
  );
}

async function formView(view, jobId) {
  if (!isAdmin()) {
    show(
      "Not allowed",
      h("h1", {}, "Only admins create and edit jobs"),
      h("p", {}, h("a", { href: "#/" }, "Back to the jobs")),
    );
    return;
  }
  const [catalog, job] = await Promise.all([
    actionCatalog(),
    jobId ? api("GET", `/jobs/${enc(jobId)}`) : null,
    vocabulary(),
  ]);
  if (!current(view)) return;
  const actionsByName = Object.fromEntries(catalog.map((a) => [a.name, a]));
  const schedule = job?.schedule;

  const label = h("input", { type: "text", value: job?.label || "", maxlength: 200, autocomplete: "off" });
  const idInput = h("input", {
    type: "text",
    value: job?.id || "",
    disabled: Boolean(job),
    pattern: "[a-z0-9][a-z0-9_\\-]{0,63}",
    autocomplete: "off",
  });
  const description = h("textarea", { rows: 2, value: job?.description || "" });
  const owner = h("input", { type: "text", value: job?.owner || "", placeholder: state.user.name });
  const enabled = h("input", { type: "checkbox", checked: job ? job.enabled : true });
  const manual = h("input", {
    type: "radio",
    name: "trigger",
    id: "f-trigger-manual",
    value: "manual",
    checked: !schedule,
  });
  const scheduled = h("input", {
    type: "radio",
    name: "trigger",
    id: "f-trigger-schedule",
    value: "schedule",
    checked: Boolean(schedule),
  });
  const expression = h("input", {
    type: "text",
    value: schedule?.expression || "",
    placeholder: "0 3 * * *",
    autocomplete: "off",
    spellcheck: "false",
  });
  const timezone = h("input", { type: "text", value: schedule?.timezone || "UTC", list: "zones", autocomplete: "off" });
  const misfire = h(
    "select",
    {},
    h("option", { value: "skip" }, "Skip: run the newest missed slot once"),
    h("option", { value: "catch_up" }, "Catch up: run every missed slot"),
  );
  misfire.value = schedule?.misfire || "skip";
  const preview = h("div", { class: "preview", id: "preview", "aria-live": "polite" });
  const scheduleBlock = h(
    "div",
    { class: "schedule-fields", id: "schedule-fields" },
    h(
      "div",
      { class: "grid-2" },
      field(
        "schedule.expression",
        "f-expression",
        "Expression",
        expression,
        "cron (30 2 * * *), cron(0 12 ? * MON-FRI *), rate(5 minutes), R/2026-01-01T02:30:00/P1D or at(2026-12-01T00:00:00)",
        true,
      ),
      field("schedule.timezone", "f-timezone", "Time zone", timezone, "IANA name, e.g. Europe/Paris"),
    ),
    field("schedule.misfire", "f-misfire", "Missed runs", misfire),
    preview,
  );
  const params = h("div", { class: "job-params", id: "job-params" });
  const paramState = [];
  const events = h("ol", { class: "steps trigger-rows", id: "events" });
  const eventState = [];
  const hooks = h("div", { class: "job-params", id: "hooks" });
  const hookState = [];
  // Events the form does not edit (custom ones): sent back as they were read, after the S3 rows.
  const keptEvents = (job?.events || []).filter((e) => e.source !== "s3");
  const timeout = h("input", { type: "number", min: 1, max: 604800, value: job?.timeout_seconds ?? 3600 });
  const historyDays = h("input", { type: "number", min: 1, max: 3650, value: job?.history_days ?? 30 });
  // --- the execution policy
  const number = (value, min, max, placeholder = "") =>
    h("input", { type: "number", min, max, step: 1, inputmode: "numeric", value: value ?? "", placeholder });
  const overlap = overlapSelect(job?.overlap);
  const maxConcurrency = number(job?.max_concurrency, 1, 1000);
  const maxAttempts = number(job?.retry.max_attempts ?? 1, 1, 10);
  const backoff = number(job?.retry.backoff_seconds ?? 30, 1, 86400);
  const maxBackoff = number(job?.retry.max_backoff_seconds ?? 3600, 1, 86400);
  const pauseAfter = number(job?.pause_after_failures, 1, 1000, "never");
  const notifyTopic = h("input", { type: "checkbox", checked: job ? job.notify.topic : true });
  const webhook = h("input", {
    type: "url",
    value: job?.notify.webhook || "",
    placeholder: "https://example.com/hooks/jobdeck",
    autocomplete: "off",
    spellcheck: "false",
  });
  const overlapList = h(
    "ul",
    { class: "overlap-list", id: "overlap-list" },
    OVERLAPS.map(([value, name]) =>
      h("li", { "data-overlap": value, id: `overlap-${value}` }, h("strong", {}, name), " ", overlapMeaning(value)),
    ),
  );
  /** The chosen policy stands out in the list beside the select; the seats' default follows it. */
  function showOverlap() {
    for (const li of $$("li", overlapList)) li.classList.toggle("chosen", li.dataset.overlap === overlap.value);
    const seats = defaultConcurrency(overlap.value);
    maxConcurrency.placeholder = String(seats);
    const why = overlap.value === "allow_all" ? "a safety cap" : "one run at a time";
    $("#f-max-concurrency-hint", form).textContent = `Empty: ${seats}, the default for ${overlap.value} (${why})`;
    overlap.setAttribute("aria-describedby", `f-overlap-hint overlap-${overlap.value} f-overlap-error`);
  }
  overlap.addEventListener("change", showOverlap);
  const formError = h("div", { class: "form-error", id: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", id: "save" }, job ? "Save changes" : "Create job");

  // --- the live preview of the schedule
  let previewTimer = null;
  let previewSeq = 0;
  function schedulePreview() {
    scheduleBlock.hidden = !scheduled.checked;
    clearTimeout(previewTimer);
    if (!scheduled.checked) return;
    if (!expression.value.trim()) {
      fill(preview, h("p", { class: "muted" }, "Type an expression to see its next runs."));
      return;
    }
    previewTimer = setTimeout(async () => {
      const seq = ++previewSeq;
      preview.classList.add("busy");
      try {
        const query = new URLSearchParams({
          expression: expression.value.trim(),
          timezone: timezone.value.trim() || "UTC",
          count: "5",
        });
        const result = await api("GET", `/schedule/preview?${query}`);
        if (seq !== previewSeq) return;
        fill(
          preview,
          h("p", { class: "preview-words" }, result.description || result.expression),
          result.next.length
            ? h(
                "ol",
                { class: "next-runs" },
                result.next.map((t) =>
                  h("li", {}, h("time", { datetime: t.utc, title: absolute(t.utc) }, wallTime(t.local))),
                ),
              )
            : h("p", { class: "muted" }, "It will not fire again."),
        );
        preview.classList.remove("invalid");
      } catch (error) {
        if (seq !== previewSeq) return;
        const problem = error.body?.errors?.map((e) => e.problem).join("; ") || error.message;
        fill(preview, h("p", { class: "error-text" }, problem));
        preview.classList.add("invalid");
      } finally {
        if (seq === previewSeq) preview.classList.remove("busy");
      }
    }, PREVIEW_DELAY_MS);
  }
  for (const el of [expression, timezone]) el.addEventListener("input", schedulePreview);
  for (const el of [manual, scheduled]) el.addEventListener("change", schedulePreview);

  // --- the action chain and the on-failure branch: two lists of steps, one step editor
  /** `key`: the API's name for the list (and the start of its errors' field paths); `ids`: the
   * start of its controls' ids; `title`: a step's heading; `noun`: a step, as buttons name it. */
  const stepList = (key, ids, title, noun, id, empty) => ({
    key,
    ids,
    title,
    noun,
    empty,
    items: [],
    ol: h("ol", { class: "steps", id }),
    add: null, // its "Add" button, where focus goes when a step is removed
  });
  const chain = stepList("actions", "f-action", "Step", "step", "steps", "No action: a run of this job does nothing.");
  const branch = stepList(
    "on_failure",
    "f-failure",
    "On-failure step",
    "on-failure step",
    "failure-steps",
    "No step: a failed run just ends ERROR, and is notified as the execution policy says.",
  );
  for (const [list, id, text] of [
    [chain, "add-action", "Add action"],
    [branch, "add-failure-step", "Add on-failure step"],
  ])
    list.add = h("button", { type: "button", id, onclick: () => $("select", addStep(list).li).focus() }, text);

  function addStep(list, step) {
    const uid = ++fieldIds;
    const select = h(
      "select",
      {},
      h("option", { value: "" }, "Choose an action…"),
      catalog.map((a) => h("option", { value: a.name }, a.name)),
    );
    select.value = step?.action || "";
    const summary = h("p", { class: "hint" });
    const paramBox = h("div", { class: "params" });
    const paramError = h("p", { class: "field-error" });
    const stepError = h("p", { class: "field-error step-error" });
    const stepTimeout = h("input", {
      type: "number",
      min: 1,
      max: 604800,
      step: 1,
      inputmode: "numeric",
      value: step?.timeout_seconds ?? "",
      placeholder: "the job's",
    });
    // What the form does not edit in a step is sent back as it was read.
    const {
      action: _action,
      parameters: _parameters,
      timeout_seconds: _timeout,
      filter: given,
      ...kept
    } = step || {};
    const item = { uid, select, fields: [], li: null, paramBox, paramError, stepTimeout, kept };

    // Its input filter: folded away unless the step has one; the summary says what it keeps.
    const filterInputs = {};
    for (const [key, , , kind] of NODE_FILTER_FIELDS) {
      const value = given?.[key] ?? "";
      filterInputs[key] =
        kind === "text"
          ? h("input", { type: "text", value, autocomplete: "off", spellcheck: "false" })
          : h("input", {
              type: "number",
              min: 0,
              step: kind === "size" ? 1 : "any",
              inputmode: kind === "size" ? "numeric" : "decimal",
              value,
            });
    }
    /** The filter to send: empty fields left out; a number as typed when it is not a whole one
     * (sizes) or not a number at all, for the API to say what is wrong beside the field. */
    const readFilter = () => {
      const out = {};
      for (const [key, , , kind] of NODE_FILTER_FIELDS) {
        const input = filterInputs[key];
        const raw = input.value.trim();
        if (kind !== "text" && input.validity.badInput) out[key] = "(not a number)"; // the browser keeps "1e" from us
        else if (raw === "") continue;
        else if (kind === "text") out[key] = raw;
        else {
          const n = Number(raw);
          out[key] = Number.isNaN(n) || (kind === "size" && !Number.isInteger(n)) ? raw : n;
        }
      }
      return out;
    };
    const filterSays = h("span", { class: "filter-says" });
    const filterBox = h("div", { class: "filter-fields" });
    const filterError = h("p", { class: "field-error" });
    const filterDetails = h(
      "details",
      { class: "step-filter", open: Object.keys(readFilter()).length > 0 },
      h("summary", {}, h("span", { class: "filter-title" }, "Only items that"), filterSays),
      h(
        "p",
        { class: "hint filter-hint" },
        "All the conditions given must hold; the step works on the input items that pass them, ",
        "the others are left out. Empty: no condition.",
      ),
      filterBox,
      filterError,
    );
    const showFilter = () => {
      const text = filterText(readFilter());
      filterDetails.classList.toggle("set", Boolean(text));
      fill(filterSays, text ? ` ${text}` : ["…", h("span", { class: "muted" }, " no filter: all its input")]);
    };
    for (const input of Object.values(filterInputs)) input.addEventListener("input", showFilter);
    showFilter();

    const renderParams = (values) => {
      const action = actionsByName[select.value];
      summary.textContent = action ? action.summary : "";
      const schema = action?.parameters || { properties: {} };
      const required = new Set(schema.required || []);
      item.fields = Object.entries(schema.properties || {}).map(([name, prop]) =>
        parameterField(`f-a${uid}`, name, prop, required.has(name), values?.[name]),
      );
      fill(paramBox, ...item.fields.map((f) => f.element));
      paramBox.hidden = item.fields.length === 0;
    };
    select.addEventListener("change", () => renderParams());
    /** Swap with the step above (-1) or below (+1); the button pressed keeps the focus. */
    const move = (delta, button) => {
      const i = list.items.indexOf(item);
      const j = i + delta;
      if (j < 0 || j >= list.items.length) return;
      [list.items[i], list.items[j]] = [list.items[j], list.items[i]];
      renumber(list);
      button.focus();
    };
    const up = h("button", { type: "button", class: "small", onclick: () => move(-1, up) }, "↑");
    const down = h("button", { type: "button", class: "small", onclick: () => move(1, down) }, "↓");
    const remove = removeButton(null, list.items, item, () => {
      renumber(list);
      list.add?.focus();
    });
    const heading = h("span", { class: "step-number" });
    item.li = h("li", { class: "step" });
    item.build = (index) => {
      const at = `${list.key}[${index}]`;
      const base = `${list.ids}-${index}`;
      const named = `${list.noun} ${index + 1}`;
      select.id = base;
      item.li.dataset.field = at;
      heading.textContent = `${list.title} ${index + 1}`;
      up.setAttribute("aria-label", `Move ${named} up`);
      down.setAttribute("aria-label", `Move ${named} down`);
      remove.setAttribute("aria-label", `Remove ${named}`);
      filterDetails.dataset.field = `${at}.filter`;
      filterError.id = `${base}-filter-error`;
      stepError.id = `${base}-step-error`;
      fill(
        filterBox,
        NODE_FILTER_FIELDS.map(([key, label, hint, kind]) => {
          const holder = field(`${at}.filter.${key}`, `${base}-filter-${key}`, label, filterInputs[key], hint);
          holder.classList.add(`filter-${kind}`);
          return holder;
        }),
      );
      fill(
        item.li,
        h("div", { class: "step-head" }, heading, h("div", { class: "step-tools" }, up, down, remove)),
        h(
          "div",
          { class: "field", "data-field": `${at}.action` },
          h("label", { for: base }, "Action", h("span", { class: "required", "aria-hidden": "true" }, " *")),
          select,
          summary,
          h("p", { class: "field-error", id: `${base}-error` }),
        ),
        h("div", { class: "field params-field", "data-field": `${at}.parameters` }, paramBox, paramError),
        h(
          "div",
          { class: "step-timeout" },
          field(
            `${at}.timeout_seconds`,
            `${base}-timeout`,
            "Step timeout (seconds)",
            stepTimeout,
            "Optional; empty: the job's timeout",
          ),
        ),
        filterDetails,
        stepError,
      );
      select.setAttribute("aria-describedby", `${base}-error`);
      paramError.id = `${base}-parameters-error`;
    };
    item.value = () => {
      const parameters = {};
      for (const f of item.fields) {
        const value = f.read();
        if (value !== undefined) parameters[f.name] = value;
      }
      const out = { ...kept, action: select.value, parameters, timeout_seconds: numberValue(stepTimeout) };
      const filter = readFilter();
      if (Object.keys(filter).length) out.filter = filter; // all empty: no filter at all
      return out;
    };
    renderParams(step?.parameters);
    list.items.push(item);
    renumber(list);
    return item;
  }

  function renumber(list) {
    list.items.forEach((item, i) => item.build(i));
    fill(list.ol, ...list.items.map((s) => s.li));
    if (!list.items.length) fill(list.ol, h("li", { class: "muted empty-step" }, list.empty));
  }

  // --- job parameters
  function addParameter(p) {
    const uid = ++fieldIds;
    const name = h("input", { type: "text", value: p?.name || "", autocomplete: "off" });
    const type = h(
      "select",
      {},
      ["string", "integer", "number", "boolean"].map((t) => h("option", { value: t }, t)),
    );
    type.value = p?.type || "string";
    const def = h("input", { type: "text", value: p?.default ?? "" });
    const required = h("input", { type: "checkbox", checked: Boolean(p?.required) });
    const desc = h("input", { type: "text", value: p?.description || "" });
    const item = { name, type, def, required, desc, row: null };
    item.build = (index) => {
      const at = `parameters[${index}]`;
      item.row = h(
        "div",
        { class: "param-row", "data-field": at },
        field(`${at}.name`, `f-p${uid}-name`, "Name", name, "", true),
        field(`${at}.type`, `f-p${uid}-type`, "Type", type),
        field(`${at}.default`, `f-p${uid}-default`, "Default", def),
        field(`${at}.description`, `f-p${uid}-description`, "Description", desc),
        field(`${at}.required`, `f-p${uid}-required`, "Required", required),
        removeButton(`Remove parameter ${index + 1}`, paramState, item, renderParams),
      );
    };
    item.value = () => {
      const raw = def.value.trim();
      let value = null;
      if (raw !== "") {
        if (type.value === "string") value = raw;
        else if (type.value === "boolean") value = raw === "true" ? true : raw === "false" ? false : raw;
        else value = Number.isNaN(Number(raw)) ? raw : Number(raw);
      }
      return {
        name: name.value.trim(),
        type: type.value,
        description: desc.value,
        default: value,
        required: required.checked,
      };
    };
    paramState.push(item);
    renderParams();
  }

  function renderParams() {
    paramState.forEach((item, i) => item.build(i));
    fill(params, ...paramState.map((p) => p.row));
  }

  // --- S3 event triggers
  const SIZE_FIELDS = ["min_size", "max_size"];
  const TEXT_FIELDS = [
    ["prefix", "Prefix", "e.g. inbox/"],
    ["suffix", "Suffix", "e.g. .jpg"],
    ["glob", "Glob", "e.g. home/*/photos/*.png"],
    ["content_type", "Content type", "e.g. image/*"],
  ];
  function addEvent(event) {
    const uid = ++fieldIds;
    const filter = event?.filter || {};
    const type = h(
      "select",
      {},
      ["ObjectCreated", "ObjectRemoved"].map((t) => h("option", { value: t }, t)),
    );
    type.value = event?.type === "ObjectRemoved" ? "ObjectRemoved" : "ObjectCreated";
    const inputs = {};
    for (const [name] of TEXT_FIELDS)
      inputs[name] = h("input", { type: "text", value: filter[name] ?? "", autocomplete: "off", spellcheck: "false" });
    for (const name of SIZE_FIELDS)
      inputs[name] = h("input", { type: "number", min: 0, step: 1, value: filter[name] ?? "", inputmode: "numeric" });
    const rowError = h("p", { class: "field-error" });
    const item = { li: h("li", { class: "step event-row" }) };
    item.build = (index) => {
      const at = `events[${index}]`;
      item.li.dataset.field = at;
      rowError.id = `f-e${uid}-error`;
      fill(
        item.li,
        h(
          "div",
          { class: "step-head" },
          h("span", { class: "step-number" }, `S3 event ${index + 1}`),
          removeButton(`Remove S3 event ${index + 1}`, eventState, item, renderEvents),
        ),
        h(
          "div",
          { class: "params" },
          field(`${at}.type`, `f-e${uid}-type`, "Event type", type, "", true),
          TEXT_FIELDS.map(([name, text, hint]) =>
            field(`${at}.filter.${name}`, `f-e${uid}-${name}`, text, inputs[name], `Optional, ${hint}`),
          ),
          field(`${at}.filter.min_size`, `f-e${uid}-min_size`, "Min size (bytes)", inputs.min_size, "Optional"),
          field(`${at}.filter.max_size`, `f-e${uid}-max_size`, "Max size (bytes)", inputs.max_size, "Optional"),
        ),
        rowError,
      );
    };
    item.value = () => {
      const out = { source: "s3", type: type.value, filter: {} };
      if (event?.bucket) out.bucket = event.bucket; // the form does not edit the bucket: kept as read
      if (event?.filter?.detail) out.filter.detail = event.filter.detail;
      for (const [name] of TEXT_FIELDS) {
        const value = inputs[name].value.trim();
        if (value) out.filter[name] = value;
      }
      for (const name of SIZE_FIELDS) {
        const raw = inputs[name].value.trim();
        if (raw === "") continue;
        const n = Number(raw);
        out.filter[name] = Number.isInteger(n) ? n : raw; // not a whole number: the API says so, beside it
      }
      return out;
    };
    eventState.push(item);
    renderEvents();
    return item;
  }

  function renderEvents() {
    eventState.forEach((item, i) => item.build(i));
    fill(events, ...eventState.map((e) => e.li));
    events.hidden = eventState.length === 0;
  }

  // --- hooks
  function addHook(hook) {
    const uid = ++fieldIds;
    const slug = h("input", {
      type: "text",
      value: hook?.slug || "",
      pattern: "[a-z0-9][a-z0-9_\\-]{0,63}",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "import-orders",
    });
    const adminsOnly = h("input", { type: "checkbox", checked: Boolean(hook?.admins_only) });
    const rowError = h("p", { class: "field-error" });
    const item = { slug, row: null };
    item.build = (index) => {
      const at = `hooks[${index}]`;
      rowError.id = `f-h${uid}-error`;
      item.row = h(
        "div",
        { class: "param-row hook-row", "data-field": at },
        field(`${at}.slug`, `f-h${uid}-slug`, "Hook slug", slug, "Started by POST /hooks/<slug>", true),
        field(`${at}.admins_only`, `f-h${uid}-admins_only`, "Admins only", adminsOnly),
        removeButton(`Remove hook ${index + 1}`, hookState, item, renderHooks),
        rowError,
      );
    };
    item.value = () => ({ slug: slug.value.trim(), admins_only: adminsOnly.checked });
    hookState.push(item);
    renderHooks();
    return item;
  }

  function renderHooks() {
    hookState.forEach((item, i) => item.build(i));
    fill(hooks, ...hookState.map((hk) => hk.row));
  }

  // --- errors from the API, beside their fields
  function clearErrors() {
    fill(formError);
    clearFieldErrors(form);
  }

  function showErrors(error) {
    clearErrors();
    const { unplaced, first } = placeErrors(form, error);
    // A step's filter folded away with a problem in it unfolds, so that the problem shows.
    for (const folded of $$("details", form))
      if ($$(".field-error", folded).some((slot) => slot.textContent)) folded.open = true;
    fill(
      formError,
      h(
        "p",
        {},
        error.status === 422
          ? "The job was not saved: see the fields marked below."
          : `The job was not saved: ${error.message}`,
      ),
      unplaced.length && error.status === 422
        ? h(
            "ul",
            {},
            unplaced.map((u) => h("li", {}, u)),
          )
        : null,
    );
    if (error.status === 409 && job) {
      formError.append(
        h("p", {}, h("button", { type: "button", onclick: () => route() }, "Reload the job (your changes are lost)")),
      );
    }
    (first || formError).focus?.();
    if (!first) formError.scrollIntoView({ block: "center" });
  }

  function body() {
    const out = {
      label: label.value.trim(),
      description: description.value,
      enabled: enabled.checked,
      actions: chain.items.map((s) => s.value()),
      on_failure: branch.items.map((s) => s.value()),
      parameters: paramState.map((p) => p.value()),
      timeout_seconds: numberValue(timeout) ?? 3600,
      history_days: numberValue(historyDays) ?? 30,
      overlap: overlap.value,
      max_concurrency: numberValue(maxConcurrency),
      retry: {
        max_attempts: numberValue(maxAttempts) ?? 1,
        backoff_seconds: numberValue(backoff) ?? 30,
        max_backoff_seconds: numberValue(maxBackoff) ?? 3600,
      },
      notify: { topic: notifyTopic.checked, webhook: webhook.value.trim() || null },
      pause_after_failures: numberValue(pauseAfter),
    };
    if (!job && idInput.value.trim()) out.id = idInput.value.trim();
    if (owner.value.trim()) out.owner = owner.value.trim();
    if (scheduled.checked) {
      out.schedule = {
        expression: expression.value.trim(),
        timezone: timezone.value.trim() || "UTC",
        misfire: misfire.value,
      };
      if (schedule)
        Object.assign(out.schedule, {
          grace_seconds: schedule.grace_seconds,
          catch_up_seconds: schedule.catch_up_seconds,
        });
    }
    out.events = [...eventState.map((e) => e.value()), ...keptEvents];
    out.hooks = hookState.map((hk) => hk.value());
    if (job) out.version = job.version;
    return out;
  }

  const form = h(
    "form",
    {
      class: "job-form",
      id: "job-form",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors();
        submit.disabled = true;
        try {
          const saved = job ? await api("PUT", `/jobs/${enc(job.id)}`, body()) : await api("POST", "/jobs", body());
          say(`${job ? "Saved" : "Created"} ${saved.label}.`);
          location.hash = `#/jobs/${enc(saved.id)}`;
        } catch (error) {
          showErrors(error);
        } finally {
          submit.disabled = false;
        }
      },
    },
    formError,
    h(
      "fieldset",
      {},
      h("legend", {}, "Job"),
      h(
        "div",
        { class: "grid-2" },
        field("label", "f-label", "Label", label, "What the list shows", true),
        field(
          "id",
          "f-id",
          "Id",
          idInput,
          job ? "Ids do not change" : "Optional: made from the label when empty (a-z, 0-9, - and _)",
        ),
      ),
      field("description", "f-description", "Description", description),
      h(
        "div",
        { class: "grid-2" },
        field("owner", "f-owner", "Owner", owner, "Empty: you"),
        field(
          "enabled",
          "f-enabled",
          "Enabled",
          enabled,
          job?.paused_reason && !job.enabled
            ? `Suspended by the scheduler (${job.paused_reason}): enabling lifts the suspension`
            : "Disabled jobs run only by Run Now",
        ),
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Trigger"),
      h(
        "div",
        { class: "radios", role: "radiogroup", "aria-label": "Trigger" },
        h("label", { for: "f-trigger-manual", class: "radio" }, manual, " Manual (Run Now, events and hooks only)"),
        h("label", { for: "f-trigger-schedule", class: "radio" }, scheduled, " Schedule"),
      ),
      scheduleBlock,
      h(
        "div",
        { class: "trigger-group", "data-field": "events" },
        h("h3", { class: "trigger-heading" }, "S3 events"),
        h(
          "p",
          { class: "hint" },
          "An object created or removed in the datasource starts the job, when it passes the filters.",
        ),
        events,
        keptEvents.length > 0 &&
          h(
            "p",
            { class: "hint" },
            "Also started by ",
            keptEvents.map(eventText).join(", "),
            ": kept as they are (the API edits them).",
          ),
        h(
          "button",
          { type: "button", id: "add-event", onclick: () => $("select", addEvent().li).focus() },
          "Add S3 event",
        ),
        h("p", { class: "field-error" }),
      ),
      h(
        "div",
        { class: "trigger-group", "data-field": "hooks" },
        h("h3", { class: "trigger-heading" }, "Hooks"),
        h("p", { class: "hint" }, "A POST to the hook's URL starts the job."),
        hooks,
        h("button", { type: "button", id: "add-hook", onclick: () => $("input", addHook().row).focus() }, "Add hook"),
        h("p", { class: "field-error" }),
      ),
    ),
    h(
      "fieldset",
      { "data-field": "actions" },
      h("legend", {}, "Actions"),
      h("p", { class: "hint" }, "Steps run in order; the objects one step outputs are the next one's input."),
      chain.ol,
      chain.add,
      h("p", { class: "field-error" }),
    ),
    h(
      "fieldset",
      { id: "on-failure", "data-field": "on_failure" },
      h("legend", {}, "If a step fails, then… ", h("span", { class: "muted" }, "(optional)")),
      h(
        "p",
        { class: "hint" },
        "These steps run, in order, once the chain has failed for good (after its last attempt): to clean up ",
        "or tell someone. Their parameters can use {{ failure.step }} (the number of the step that failed) ",
        "and {{ failure.message }}. The task still ends ERROR.",
      ),
      branch.ol,
      branch.add,
      h("p", { class: "field-error" }),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Job parameters ", h("span", { class: "muted" }, "(optional)")),
      h("p", { class: "hint" }, "Values asked at Run Now; actions read them as {{ parameters.name }}."),
      params,
      h("button", { type: "button", id: "add-parameter", onclick: () => addParameter() }, "Add parameter"),
    ),
    h(
      "fieldset",
      { id: "execution-policy" },
      h("legend", {}, "Execution policy"),
      h(
        "div",
        { class: "overlap-row" },
        field(
          "overlap",
          "f-overlap",
          "Overlap",
          overlap,
          "What a new run does while the job has max concurrency runs in flight",
        ),
        overlapList,
        field("max_concurrency", "f-max-concurrency", "Max concurrency", maxConcurrency, ""),
      ),
      h("h3", { class: "trigger-heading policy-heading" }, "Retries"),
      h(
        "p",
        { class: "hint" },
        "A step that fails with a retryable error (throttled, unreachable) runs again, ",
        "after a wait that doubles each time.",
      ),
      h(
        "div",
        { class: "grid-3" },
        field("retry.max_attempts", "f-max-attempts", "Max attempts", maxAttempts, "1: no retry"),
        field("retry.backoff_seconds", "f-backoff", "Backoff (seconds)", backoff, "The wait before attempt 2"),
        field("retry.max_backoff_seconds", "f-max-backoff", "Max backoff (seconds)", maxBackoff, "The longest wait"),
      ),
      h("h3", { class: "trigger-heading policy-heading" }, "Limits and failures"),
      h(
        "div",
        { class: "grid-3" },
        field("timeout_seconds", "f-timeout", "Timeout (seconds)", timeout, "The whole task ends INTERRUPTED past it"),
        field(
          "pause_after_failures",
          "f-pause-after",
          "Suspend after failures",
          pauseAfter,
          "Failed runs in a row before the job is suspended; empty: never",
        ),
        field("history_days", "f-history", "Keep history (days)", historyDays),
      ),
      h(
        "div",
        { class: "grid-2" },
        field(
          "notify.topic",
          "f-notify-topic",
          "Notify the topic",
          notifyTopic,
          "Publish a task that failed for good to the stack's notifications topic",
        ),
        field(
          "notify.webhook",
          "f-webhook",
          "Notify a webhook",
          webhook,
          "Optional: and POST the failure here (https://…)",
        ),
      ),
    ),
    h(
      "div",
      { class: "button-row form-buttons" },
      submit,
      h("a", { class: "button", href: job ? `#/jobs/${enc(job.id)}` : "#/" }, "Cancel"),
    ),
  );

  showOverlap();
  for (const step of job?.actions || []) addStep(chain, step);
  if (!job) addStep(chain);
  for (const step of job?.on_failure || []) addStep(branch, step);
  for (const p of job?.parameters || []) addParameter(p);
  for (const e of job?.events || []) if (e.source === "s3") addEvent(e);
  for (const hk of job?.hooks || []) addHook(hk);
  renderEvents();
  renumber(chain);
  renumber(branch);
  schedulePreview();
  show(
    job ? `Edit ${job.label}` : "New job",
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        crumbs(job && h("a", { href: `#/jobs/${enc(job.id)}` }, job.label)),
        h("h1", {}, job ? `Edit ${job.label}` : "New custom job"),
        h("p", { class: "muted" }, h("span", { class: "required", "aria-hidden": "true" }, "*"), " required"),
      ),
    ),
    zoneList(),
    form,
  );
}

// ------------------------------------------------------------------ start

async function start() {
  state.config = await fetch(`${BASE}console/config.json`)
    .then((r) => r.json())
    .catch(() => ({ cognito: null, admin_group: "admins", groups_claim: "cognito:groups" }));
  state.local = await fetch(`${BASE}local-issuer/.well-known/openid-configuration`)
    .then((r) => r.ok)
    .catch(() => false);
  $("#sign-out").addEventListener("click", () => {
    signOut();
    say("Signed out.");
    const cognito = state.config.cognito;
    if (cognito) {
      const query = new URLSearchParams({
        client_id: cognito.client_id,
        logout_uri: location.origin + location.pathname,
      });
      location.assign(`${cognito.domain}/logout?${query}`);
    } else route();
  });
  try {
    await finishCognitoSignIn();
  } catch (error) {
    say(`Sign-in failed: ${error.message}`, "error");
  }
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (!state.user && saved && !useToken(saved)) signOut("Your session has expired: sign in again.");
  window.addEventListener("hashchange", route);
  route();
}

start();
