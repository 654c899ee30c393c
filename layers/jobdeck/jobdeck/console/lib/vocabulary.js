// The scheduler's words as the console shows them. What an enum member or a policy field means is
// written once, as its docstring in jobdeck.domain, and GET /vocabulary serves it (api.js's
// vocabulary() reads it and hands it to learn()): the meaning helpers below read that answer. This
// module keeps only what the API does not serve: display names, the order of a list, and the words
// of things the API defines no vocabulary for (a step's filter fields, the audit trail's actions).

/** Every task status (jobdeck.domain.TaskStatus), in the order of a task's life. */
export const STATUSES = ["QUEUED", "RUNNING", "PAUSED", "FINISHED", "ERROR", "INTERRUPTED", "SKIPPED"];

/** The statuses of a task still in flight: it can be stopped, and its page follows it. */
export const ACTIVE = new Set(["QUEUED", "RUNNING", "PAUSED"]);

/** The overlap policies (jobdeck.domain.Overlap) as the form lists them, [value, name]; what each
 * means is served (overlapMeaning). */
export const OVERLAPS = [
  ["allow_all", "Allow all"],
  ["skip", "Skip"],
  ["buffer_one", "Buffer one"],
  ["buffer_all", "Buffer all"],
  ["cancel_other", "Cancel other"],
];

/** What a schedule does with the slots it missed (jobdeck.domain.Misfire), [value, name]; what
 * each means is served (misfireMeaning). */
export const MISFIRES = [
  ["skip", "Skip"],
  ["catch_up", "Catch up"],
];

/** GET /vocabulary's answer, once read: `{Overlap: {doc, members: {skip: "..."}}, RetryPolicy:
 * {doc, fields: {max_attempts: {doc, default}}}, ...}`; null until then. */
let served = null;

/**
 * Keep GET /vocabulary's answer for the helpers below (api.js's vocabulary() calls it).
 * @param {object} words
 */
export function learn(words) {
  served = words;
}

/** A docstring as a line of the page: it is written for Python's readers, wrapped at 100 columns and
 * with `code` in backticks, which the page would show as they are. */
const plain = (doc) => (doc || "").replace(/`/g, "").replace(/\s*\n\s*/g, " ");

/**
 * What a member of one of jobdeck.domain's enums means, as served; "" when the vocabulary is not
 * read yet or has no such member (a view that shows meanings reads it first).
 * @param {string} name the enum's name: Overlap, Misfire, TaskStatus, TriggerType, JobKind, CalendarMode,
 *   SlotState, SkipReason
 * @param {string} member its value: "skip", "QUEUED"
 * @returns {string}
 */
export const memberMeaning = (name, member) => plain(served?.[name]?.members[member]);

/**
 * What a field of one of jobdeck.domain's policies means, as served ("" as above).
 * @param {string} name the policy's name: ScheduleSpec, RetryPolicy, NotifyPolicy
 * @param {string} field "max_attempts"
 * @returns {string}
 */
export const fieldMeaning = (name, field) => plain(served?.[name]?.fields[field]?.doc);

/**
 * What one of jobdeck.domain's enums or policies is, as served ("" as above).
 * @param {string} name "Overlap", "RetryPolicy"
 * @returns {string}
 */
export const typeMeaning = (name) => plain(served?.[name]?.doc);

/**
 * What an overlap policy means, in a sentence.
 * @param {string} policy
 * @returns {string}
 */
export const overlapMeaning = (policy) => memberMeaning("Overlap", policy);

/**
 * What a misfire policy means, in a sentence.
 * @param {string} policy
 * @returns {string}
 */
export const misfireMeaning = (policy) => memberMeaning("Misfire", policy);

/**
 * max_concurrency left empty: 20 for allow_all, 1 for the exclusive policies.
 * @param {string} overlap
 * @returns {number}
 */
export const defaultConcurrency = (overlap) => (overlap === "allow_all" ? 20 : 1);

/** The S3 events that can start a job. */
export const S3_EVENT_TYPES = ["ObjectCreated", "ObjectRemoved"];

/** The types a job parameter may have (jobdeck.domain.ParameterType). */
export const PARAMETER_TYPES = ["string", "integer", "number", "boolean"];

/** A step's input filter (jobdeck.domain.NodeFilter) as the form edits it: [key, label, hint,
 * kind], kind "text", "size" (whole bytes) or "days" (a number). In this order they make two
 * rows of three at desktop width: the text condition first, then a pair of bounds. */
export const NODE_FILTER_FIELDS = [
  ["glob", "Key matches (glob)", "Shell-style, on the whole key: home/*/photos/*.jpg", "text"],
  ["min_size", "Min size (bytes)", "At least this many bytes", "size"],
  ["max_size", "Max size (bytes)", "At most this many bytes", "size"],
  ["content_type", "Content type", "e.g. image/*; costs a HEAD request per item", "text"],
  ["older_than_days", "Older than (days)", "Last changed more than this many days ago", "days"],
  ["newer_than_days", "Newer than (days)", "Last changed less than this many days ago", "days"],
];

/** The audit trail's actions (written by jobdeck.audit.entry's callers), in words. */
export const AUDIT_ACTIONS = {
  "job.create": "Created the job",
  "job.replace": "Edited the job",
  "job.delete": "Deleted the job",
  "job.enable": "Enabled the job",
  "job.disable": "Disabled the job",
  "job.suspend": "Suspended the job after failures",
  // What job.suspend was called before the run lifecycle's words: the entries written under that
  // name stay in the trail.
  "job.pause": "Suspended the job after failures",
  "job.run": "Run Now",
  "job.backfill": "Backfill",
  "hook.call": "Called a hook",
  "user_job.create": "Started a user job",
  "task.stop": "Stopped a task",
  "task.pause": "Paused a task",
  "task.resume": "Resumed a task",
  "task.cancel": "Cancelled a run for a newer one",
  "tasks.clear": "Cleared the history",
  "slot.skip": "Skipped a run",
  "slot.unskip": "Undid the skip of a run",
  "slot.move": "Moved a run",
  "calendar.create": "Created a calendar",
  "calendar.replace": "Edited a calendar",
  "calendar.delete": "Deleted a calendar",
};

/**
 * Why a slot was or will be skipped, in words: the reason's meaning as GET /vocabulary serves it
 * (SkipReason), the calendar's name, how late a misfire was.
 * @param {{reason: string | null, late_seconds?: number | null}} slot
 * @returns {string}
 */
export function skipReasonText(slot) {
  const reason = slot.reason;
  if (!reason) return "Nothing recorded is left of it (older than the history kept).";
  if (reason.startsWith("calendar:")) {
    return `Calendar ${reason.slice("calendar:".length)}: ${memberMeaning("SkipReason", "calendar")}`;
  }
  const late = slot.late_seconds != null ? ` (${Math.round(slot.late_seconds)} s late)` : "";
  return `${memberMeaning("SkipReason", reason) || reason}${late}`;
}
