// The admin API, as the console calls it: same origin, the session's bearer token, JSON both ways.
// A 401 renews the token and sends the request once more (auth.js says when it cannot).

import { accessToken, afterRefusal } from "./auth.js";
import { enc } from "./lib/dom.js";
import { learn } from "./lib/vocabulary.js";
import { BASE } from "./settings.js";

/** A refusal: `status`, and the API's body (`error`, `message`, `errors`: [{field, problem}]). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error || `the API answered ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

/**
 * Call the API.
 * @param {string} method
 * @param {string} path "/jobs/x/run", with its query
 * @param {any} [body] sent as JSON
 * @returns {Promise<any>} the answer's JSON (null for 204)
 * @throws {ApiError}
 */
export async function api(method, path, body) {
  const send = (token) => {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return fetch(BASE + path.replace(/^\//, ""), { method, headers, body: payload });
  };
  const token = await accessToken();
  let res = await send(token);
  if (res.status === 401 && (await afterRefusal(token))) res = await send(await accessToken());
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/**
 * Every job the caller may see, page after page.
 * @returns {Promise<object[]>}
 */
export async function allJobs() {
  const jobs = [];
  let cursor = null;
  do {
    const page = await api("GET", `/jobs?limit=200${cursor ? `&cursor=${enc(cursor)}` : ""}`);
    jobs.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return jobs;
}

let catalog = null;

/**
 * The action catalog, each action with its parameter schema (read once).
 * @returns {Promise<{name: string, summary: string, parameters: object}[]>}
 */
export async function actionCatalog() {
  catalog ??= await api("GET", "/actions");
  return catalog;
}

let words = null;

/**
 * What each enum member and policy field means (GET /vocabulary, from jobdeck.domain's
 * docstrings), read once and handed to lib/vocabulary.js, whose helpers the views call. A view
 * that shows a meaning awaits this with its other reads.
 * @returns {Promise<object>}
 */
export async function vocabulary() {
  words ??= await api("GET", "/vocabulary");
  learn(words);
  return words;
}

let sources = null;
let sourcesRead = null;

/**
 * The stack's datasources (GET /datasources), read once per page load for the form's pickers (the
 * Datasources page reads its own, fresh: its counts change). A failed read gives null, and is
 * tried again by the next call: the pickers are then text boxes, which keep any value.
 * @returns {Promise<{name: string, bucket: string, prefix: string}[] | null>}
 */
export async function datasources() {
  sources ??= api("GET", "/datasources").then(
    (answer) => answer.datasources,
    () => (sources = null),
  );
  sourcesRead = await sources;
  return sourcesRead;
}

/**
 * What datasources() read, for the parts of a form built after their view awaited it.
 * @returns {{name: string, bucket: string, prefix: string}[] | null}
 */
export const knownDatasources = () => sourcesRead;
